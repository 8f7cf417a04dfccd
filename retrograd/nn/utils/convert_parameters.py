"""``parameters_to_vector`` / ``vector_to_parameters``: a model's parameters as one flat vector
and back (PyTorch's functions: views concatenated; slices of the vector assigned to ``.data``)."""
from __future__ import annotations

from ..._tensor import Tensor
from ..._typeinfo import typename as _typename
from ...ops.shape.join import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """One 1-D tensor: the parameters flattened and concatenated (differentiable: CatBackward0
    of ViewBackward0s)."""
    return cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' ``.data``."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
