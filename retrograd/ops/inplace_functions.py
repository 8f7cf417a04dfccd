"""In-place ops PyTorch also exposes as ``torch.X_`` functions: ``torch.clamp_``,
``torch.clip_`` (the Tensor methods come from ``@export(inplace=...)`` of the out-of-place op)."""
from __future__ import annotations

from ._registry import export
from .elementwise.compare import _check_clamp_args, clamp
from .inplace import apply_inplace


@export(torch="clamp_")
def clamp_(input, min=None, max=None):  # noqa: A002
    """clamp written into ``input``."""
    if min is not None or max is not None:
        _check_clamp_args(min, max)   # worded by this wrapper: clamp_(), no out=
    return apply_inplace(input, clamp, min, max)


@export(torch="clip_")
def clip_(input, min=None, max=None):  # noqa: A002
    """clip (clamp's alias) written into ``input``."""
    if min is not None or max is not None:
        _check_clamp_args(min, max)
    return apply_inplace(input, clamp, min, max)
