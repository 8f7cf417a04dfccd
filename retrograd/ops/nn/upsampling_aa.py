"""Antialiased resampling: ``interpolate(..., antialias=True)`` for bilinear, bicubic and
lanczos (PyTorch's ``_upsample_bilinear2d_aa`` / ``_upsample_bicubic2d_aa`` /
``_upsample_lanczos2d_aa``, nodes ``Upsample*2DAaBackward0``).

As in PyTorch's CPU kernel (UpSampleKernel.cpp, ``_compute_indices_min_size_weights_aa``), each
output position reads the input positions within the filter's support around its centre, the
support widened by the scale when downsampling; the weights are the filter (triangle, Keys cubic
with a = -0.5, or Lanczos-3) at the scaled distances, normalised to sum to one. These become the
per-axis taps of ``upsampling._UpsampleBackward``: the same separable gathers forward (W, then
H), the adjoint GEMMs backward, PyTorch's backward-kernel nodes under create_graph.
"""
from __future__ import annotations

import numpy as np

from .._registry import export
from ...autograd._record import record1
from .pooling import _SCALAR_NAMES
from .upsampling import (_ALIGN, _ATTRS_2D, _S2, _UpsampleBackward, _UpsampleKernel, _forward,
                         _kernel_class, _scale_value)


class _UpsampleAaKernel(_UpsampleKernel):
    __slots__ = ()

    def adjoint_op(self, grad, *saved):
        return _upsample_aa(grad, self.mode, *self.attrs["args"])


_AA = ("align_corners",) + _S2
UpsampleBilinear2DAaBackwardBackward0 = _kernel_class("UpsampleBilinear2DAaBackwardBackward0",
                                                      _AA, "bilinear", _UpsampleAaKernel)
UpsampleBicubic2DAaBackwardBackward0 = _kernel_class("UpsampleBicubic2DAaBackwardBackward0",
                                                     _AA, "bicubic", _UpsampleAaKernel)
UpsampleLanczos2DAaBackwardBackward0 = _kernel_class("UpsampleLanczos2DAaBackwardBackward0",
                                                     _AA, "lanczos", _UpsampleAaKernel)


class UpsampleBilinear2DAaBackward0(_UpsampleBackward):
    __slots__ = ()
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_2D, **_ALIGN}
    _double = UpsampleBilinear2DAaBackwardBackward0


class UpsampleBicubic2DAaBackward0(_UpsampleBackward):
    __slots__ = ()
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_2D, **_ALIGN}
    _double = UpsampleBicubic2DAaBackwardBackward0


class UpsampleLanczos2DAaBackward0(_UpsampleBackward):
    __slots__ = ()
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_2D, **_ALIGN}
    _double = UpsampleLanczos2DAaBackwardBackward0


def _triangle(x):
    x = np.abs(x)
    return np.where(x < 1, 1 - x, 0)


def _keys_cubic(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0))


def _sinc(x):
    safe = np.where(x == 0, 1, x) * np.pi
    return np.where(x == 0, 1, np.sin(safe) / safe)


def _lanczos3(x):
    return np.where((x > -3) & (x < 3), _sinc(x) * _sinc(x / 3), 0)


# mode -> (the filter, its interp_size, the node)
_FILTERS = {"bilinear": (_triangle, 2, UpsampleBilinear2DAaBackward0),
            "bicubic": (_keys_cubic, 4, UpsampleBicubic2DAaBackward0),
            "lanczos": (_lanczos3, 6, UpsampleLanczos2DAaBackward0)}


def _aa_taps(n_in: int, n_out: int, scale, align_corners: bool, mode: str, dt) -> list:
    """[(index, weight)] per tap slot, each (n_out,): the window [xmin, xmin + xsize) of every
    output position and its normalised filter weights (zero beyond xsize)."""
    fn, interp_size, _ = _FILTERS[mode]
    if align_corners:
        s = dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0)
    else:
        s = _scale_value(scale, n_in, n_out, dt)
    support = dt(interp_size * 0.5) * s if s >= 1 else dt(interp_size * 0.5)
    max_size = int(np.ceil(support)) * 2 + 1
    i = np.arange(n_out, dtype=np.float64)
    center = (s * (i + 0.5)).astype(dt)
    invscale = dt(1) / s if s >= 1 else dt(1)
    xmin = np.maximum(np.trunc(center - support + dt(0.5)).astype(np.int64), 0)
    xsize = np.minimum(np.trunc(center + support + dt(0.5)).astype(np.int64), n_in) - xmin
    xsize = np.clip(xsize, 0, max_size)
    j = np.arange(max_size)
    w = fn(((j[None, :] + xmin[:, None]).astype(dt) - center[:, None] + dt(0.5)) * invscale)
    w = np.where(j[None, :] < xsize[:, None], w, 0).astype(dt)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1), w).astype(dt)
    idx = np.minimum(j[None, :] + xmin[:, None], n_in - 1)
    return [(idx[:, t], w[:, t]) for t in range(max_size)]


@export(torch=False, vmap="resample")
def _upsample_aa(input, mode: str, output_size, scales, align_corners):
    """Antialiased resampling of the last two dims to ``output_size``."""
    x = input._data
    in_sp = x.shape[2:]
    if any(o <= 0 for o in output_size) or any(i <= 0 for i in in_sp):
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"(H: {in_sp[0]}, W: {in_sp[1]}) output (H: {output_size[0]}, "
                           f"W: {output_size[1]})")
    if x.dtype.kind != "f" or x.dtype == np.float16:
        if x.dtype == np.uint8:
            raise NotImplementedError(f"retrograd: interpolate(mode={mode!r}, antialias=True) on "
                                      "uint8 input is not implemented")
        raise NotImplementedError('"compute_index_ranges_weights" not implemented for '
                                  f"'{_SCALAR_NAMES.get(x.dtype.name, x.dtype.name)}'")
    dt = x.dtype.type
    taps = [_aa_taps(n_in, n_out, s, bool(align_corners), mode, dt)
            for n_in, n_out, s in zip(in_sp, output_size, scales)]
    out = _forward(x, taps).astype(x.dtype, copy=False)
    return record1(_FILTERS[mode][2], input, out,
                   output_size=tuple(int(o) for o in output_size), scales=tuple(scales),
                   align_corners=bool(align_corners), in_shape=x.shape, taps=taps)

