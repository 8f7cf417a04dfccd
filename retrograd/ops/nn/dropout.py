"""The dropout family: F.dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout.

All are PyTorch's CPU composite (``_dropout_impl`` in ATen): a noise tensor drawn with
``bernoulli_(1 - p)`` from the default generator (one draw per element, or per (sample, channel)
for the feature variants), scaled, and multiplied into the input, so the graph is PyTorch's CPU
graph (``MulBackward0``; ``AddBackward0`` after it for the alpha variants; PyTorch records
``NativeDropoutBackward0`` only on accelerators). ``p == 0``, evaluation mode or an empty input
return the input itself; ``p == 1`` multiplies by a zero scalar.
"""
from __future__ import annotations

import math

from ... import _creation, _warn
from .._registry import export
from ..elementwise.arithmetic import mul
from ..shape.basic import squeeze, unsqueeze

__all__ = ["dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d",
           "dropout3d"]

_ALPHA = 1.7580993408473766   # SELU's -scale * alpha: the value alpha dropout drops to


def _check_p(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input, p, train: bool, feature: bool, alpha: bool, inplace: bool):
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = _creation.zeros((), dtype=input.dtype)
        return input.mul_(zero) if inplace else mul(input, zero)
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        size = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
        noise = _creation.empty(size, dtype=input.dtype)
    else:
        noise = _creation.empty_like(input)
    noise.bernoulli_(1 - p)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        b = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
        noise.mul_(a)
        out = input.mul_(noise) if inplace else mul(input, noise)
        return out.add_(b)
    noise.div_(1 - p)
    return input.mul_(noise) if inplace else mul(input, noise)


@export(torch=False, functional=True, composite=True)
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` (a Bernoulli draw from the default generator)
    and scale the others by 1 / (1 - p): d out / d input is the same scaled mask."""
    _check_p(p)
    if not isinstance(training, bool):
        raise TypeError(f"dropout(): argument 'train' (position 3) must be bool, not "
                        f"{type(training).__name__}")
    return _dropout_impl(input, p, training, False, False, inplace)


@export(torch=False, functional=True, composite=True)
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped elements take SELU's negative saturation value, and
    an affine map a * x + b keeps the mean and variance."""
    _check_p(p)
    return _dropout_impl(input, p, training, False, True, inplace)


@export(torch=False, functional=True, composite=True)
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (one draw per sample and channel)."""
    _check_p(p)
    return _dropout_impl(input, p, training, True, True, inplace)


def _unbatched(input, p, training, inplace):
    """Channel dropout of an input without a batch dim, as PyTorch's unsqueeze(0) / squeeze(0)
    around it (in place: the input is dropped in place through a (C, 1, ...) mask)."""
    if inplace:
        if p == 0 or p == 1 or not training or input.numel() == 0:
            return _dropout_impl(input, p, training, True, False, True)
        noise = _creation.empty((1,) + tuple(input.shape[:1]) + (1,) * (input.dim() - 1),
                                dtype=input.dtype)
        noise.bernoulli_(1 - p)
        noise.div_(1 - p)
        return input.mul_(noise.reshape(noise.shape[1:]))
    return squeeze(_dropout_impl(unsqueeze(input, 0), p, training, True, False, False), 0)


@export(torch=False, functional=True, composite=True)
def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if nd == 2:
        return _unbatched(input, p, training, inplace)
    return _dropout_impl(input, p, training, True, False, inplace)


@export(torch=False, functional=True, composite=True)
def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) inputs with probability ``p`` (3-D inputs are taken
    as (N, C, L), with PyTorch's warning)."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        _warn.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", UserWarning)
    if nd == 3:
        _warn.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning)
    return _dropout_impl(input, p, training, True, False, inplace)


@export(torch=False, functional=True, composite=True)
def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability ``p``."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        _warn.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", UserWarning)
    if nd != 5:
        return _unbatched(input, p, training, inplace)
    return _dropout_impl(input, p, training, True, False, inplace)


# -- torch.dropout and friends (ATen's functions: RuntimeError for p outside [0, 1]) ---------------

def _check_p_aten(p) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _aten(name: str, feature: bool, alpha: bool, inplace: bool):
    def op(input, p, train):
        _check_p_aten(p)
        return _dropout_impl(input, p, train, feature, alpha, inplace)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}(input, p, train): see F.{name.rstrip('_')}."
    return export(torch=name, composite=True)(op)


torch_dropout = _aten("dropout", False, False, False)
torch_dropout_ = _aten("dropout_", False, False, True)
feature_dropout = _aten("feature_dropout", True, False, False)
feature_dropout_ = _aten("feature_dropout_", True, False, True)
torch_alpha_dropout = _aten("alpha_dropout", False, True, False)
torch_alpha_dropout_ = _aten("alpha_dropout_", False, True, True)
torch_feature_alpha_dropout = _aten("feature_alpha_dropout", True, True, False)
torch_feature_alpha_dropout_ = _aten("feature_alpha_dropout_", True, True, True)
