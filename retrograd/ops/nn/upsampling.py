"""F.interpolate (nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area), F.upsample
(antialiased resampling: upsampling_aa.py).

The resampling modes are separable: along each spatial dim an output position reads one to
four input positions (its taps) with weights. The forward gathers the taps along W, then along H
(PyTorch's order of the terms: the H interpolation of W interpolations); the backward is the
adjoint, one small dense (out, in) matrix per dim applied by a GEMM; under create_graph it records
PyTorch's backward-kernel node (``UpsampleBilinear2DBackwardBackward0``, ...; ``_linmap.py``),
whose own gradient is the resampling again, so every order works. Indices and weights follow PyTorch's CPU kernels (UpSample.h):
``area_pixel_compute_source_index``, ``nearest_idx``, the clamped lambdas, A = -0.75 for cubic,
computed in the input's float type as PyTorch's opmath does. The argument handling is a port of
``torch.nn.functional.interpolate``.
"""
from __future__ import annotations

import math

import numpy as np

from ... import _warn
from ...autograd.node import Node
from .._registry import export
from .._util import Tensor
from ...autograd._record import record1
from ._linmap import _LinearKernel, attr_reader, matrix_apply, taps_apply, taps_matrix
from .pooling import _SCALAR_NAMES
from .pooling_adaptive import adaptive_avg_pool1d, adaptive_avg_pool2d
from .pooling3d_adaptive import adaptive_avg_pool3d  # noqa: E402


def _scale_value(scale, n_in: int, n_out: int, dt):
    """compute_scales_value: 1/scale when a positive scale was given, else in/out."""
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n_in) / dt(n_out)


def _area_scale(n_in: int, n_out: int, align_corners: bool, scale, dt):
    if align_corners:
        return dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0)
    return _scale_value(scale, n_in, n_out, dt)


def _source_index(scale, n_out: int, align_corners: bool, cubic: bool, dt) -> np.ndarray:
    dst = np.arange(n_out).astype(dt)
    if align_corners:
        return scale * dst
    src = scale * (dst + dt(0.5)) - dt(0.5)
    return src if cubic else np.maximum(src, dt(0))


def _nearest_taps(n_in, n_out, scale, exact: bool):
    if not exact and n_out == n_in:
        return [(np.arange(n_out), None)]
    if not exact and n_out == 2 * n_in:
        return [(np.arange(n_out) >> 1, None)]
    s = _scale_value(scale, n_in, n_out, np.float32)
    dst = np.arange(n_out)
    if exact:   # (dst + 0.5) * scale in double, then floorf
        real = ((dst + 0.5) * np.float64(s)).astype(np.float32)
    else:
        real = dst.astype(np.float32) * s
    return [(np.minimum(np.floor(real).astype(np.int64), n_in - 1), None)]


def _linear_taps(n_in, n_out, scale, align_corners, dt):
    if n_out == n_in:
        return [(np.arange(n_out), np.ones(n_out, dt)), (np.arange(n_out), np.zeros(n_out, dt))]
    ratio = _area_scale(n_in, n_out, align_corners, scale, dt)
    real = _source_index(ratio, n_out, align_corners, False, dt)
    i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    l1 = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    return [(i0, (dt(1) - l1).astype(dt)), (i1, l1)]


def _cubic_taps(n_in, n_out, scale, align_corners, dt):
    a = dt(-0.75)
    ratio = _area_scale(n_in, n_out, align_corners, scale, dt)
    real = _source_index(ratio, n_out, align_corners, True, dt)
    i = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    t = np.clip(real - i.astype(dt), dt(0), dt(1)).astype(dt)

    def conv1(x):   # |x| <= 1
        return ((a + dt(2)) * x - (a + dt(3))) * x * x + dt(1)

    def conv2(x):   # 1 < |x| < 2
        return ((a * x - dt(5) * a) * x + dt(8) * a) * x - dt(4) * a

    one = dt(1)
    ws = (conv2(t + one), conv1(t), conv1(one - t), conv2((one - t) + one))
    return [(np.clip(i - 1 + j, 0, n_in - 1), w.astype(dt)) for j, w in enumerate(ws)]


_NAMES = {("nearest", 1): "UpsampleNearest1DBackward0", ("nearest", 2): "UpsampleNearest2DBackward0",
          ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
          ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
          ("linear", 1): "UpsampleLinear1DBackward0", ("bilinear", 2): "UpsampleBilinear2DBackward0",
          ("bicubic", 2): "UpsampleBicubic2DBackward0", ("nearest", 3): "UpsampleNearest3DBackward0",
          ("nearest-exact", 3): "UpsampleNearestExact3DBackward0",
          ("trilinear", 3): "UpsampleTrilinear3DBackward0"}


# The nodes of PyTorch's upsample_*_backward kernels (create_graph): over the gradient alone,
# with the first-order node's parameters (see ``_LinearKernel``)
_S1, _S2, _S3 = ("scales",), ("scales_h", "scales_w"), ("scales_d", "scales_h", "scales_w")


class _UpsampleKernel(_LinearKernel):
    """upsample_*_backward(grad, output_size, input_size, ...): its gradient in grad is the
    resampling again (PyTorch's upsample_* op: UpsampleBilinear2DBackward0, ...)."""
    __slots__ = ()
    mode = ""

    @classmethod
    def attrs_of(cls, grad, src) -> dict:
        attrs = super().attrs_of(grad, src)
        attrs["args"] = (src.output_size, src.scales, src.align_corners)
        return attrs

    def adjoint_op(self, grad, *saved):
        return _upsample(grad, self.mode, *self.attrs["args"])


def _kernel_class(name: str, copied: tuple, mode: str, base: type = _UpsampleKernel) -> type:
    return type(name, (base,), {"__slots__": (), "__module__": base.__module__, "mode": mode,
                                "copied": ("output_size",) + copied,
                                "saved_attrs": attr_reader("output_size", *copied)})


UpsampleNearest1DBackwardBackward0 = _kernel_class(
    "UpsampleNearest1DBackwardBackward0", _S1, "nearest")
UpsampleNearest2DBackwardBackward0 = _kernel_class(
    "UpsampleNearest2DBackwardBackward0", _S2, "nearest")
UpsampleNearest3DBackwardBackward0 = _kernel_class(
    "UpsampleNearest3DBackwardBackward0", _S3, "nearest")
UpsampleNearestExact1DBackwardBackward0 = _kernel_class(
    "UpsampleNearestExact1DBackwardBackward0", _S1, "nearest-exact")
UpsampleNearestExact2DBackwardBackward0 = _kernel_class(
    "UpsampleNearestExact2DBackwardBackward0", _S2, "nearest-exact")
UpsampleNearestExact3DBackwardBackward0 = _kernel_class(
    "UpsampleNearestExact3DBackwardBackward0", _S3, "nearest-exact")
UpsampleLinear1DBackwardBackward0 = _kernel_class(
    "UpsampleLinear1DBackwardBackward0", ("align_corners",) + _S1, "linear")
UpsampleBilinear2DBackwardBackward0 = _kernel_class(
    "UpsampleBilinear2DBackwardBackward0", ("align_corners",) + _S2, "bilinear")
UpsampleBicubic2DBackwardBackward0 = _kernel_class(
    "UpsampleBicubic2DBackwardBackward0", ("align_corners",) + _S2, "bicubic")
UpsampleTrilinear3DBackwardBackward0 = _kernel_class(
    "UpsampleTrilinear3DBackwardBackward0", ("align_corners",) + _S3, "trilinear")


class _UpsampleBackward(Node):
    """A resampling is linear in its input: the gradient goes back through the transposed
    interpolation (each input position gets the weighted sum of the outputs that read it)."""
    __slots__ = ("output_size", "scales", "align_corners", "in_shape", "taps")
    saved_attrs = {"output_size": lambda n: tuple(n.output_size),
                   "self_sym_sizes": lambda n: tuple(n.in_shape)}
    _double = None              # the node of PyTorch's backward kernel (create_graph)

    def backward(self, ns, grad):
        taps, shape = self.taps, self.in_shape
        return (ns.backward_kernel(self._double, grad, None, lambda g: _adjoint(g, taps, shape),
                                   lambda g: _forward(g, taps), type(self).__name__, self),)

    def jvp(self, ns, tangents):
        return _forward(tangents[0], self.taps)


def _scales1(n):
    return n.scales[0]


_ATTRS_1D = {"scales": _scales1}
_ATTRS_2D = {"scales_h": lambda n: n.scales[0], "scales_w": lambda n: n.scales[1]}
_ATTRS_3D = {"scales_d": lambda n: n.scales[0], "scales_h": lambda n: n.scales[1],
             "scales_w": lambda n: n.scales[2]}
_ALIGN = {"align_corners": lambda n: n.align_corners}


class UpsampleNearest1DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleNearest1DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_1D}


class UpsampleNearest2DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleNearest2DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_2D}


class UpsampleNearestExact1DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleNearestExact1DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_1D}


class UpsampleNearestExact2DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleNearestExact2DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_2D}


class UpsampleLinear1DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleLinear1DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_1D, **_ALIGN}


class UpsampleBilinear2DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleBilinear2DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_2D, **_ALIGN}


class UpsampleBicubic2DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleBicubic2DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_2D, **_ALIGN}


class UpsampleNearest3DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleNearest3DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_3D}


class UpsampleNearestExact3DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleNearestExact3DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_3D}


class UpsampleTrilinear3DBackward0(_UpsampleBackward):
    __slots__ = ()
    _double = UpsampleTrilinear3DBackwardBackward0
    saved_attrs = {**_UpsampleBackward.saved_attrs, **_ATTRS_3D, **_ALIGN}


_CLASSES = {c.__name__: c for c in (
    UpsampleNearest1DBackward0, UpsampleNearest2DBackward0, UpsampleNearestExact1DBackward0,
    UpsampleNearestExact2DBackward0, UpsampleLinear1DBackward0, UpsampleBilinear2DBackward0,
    UpsampleBicubic2DBackward0, UpsampleNearest3DBackward0, UpsampleNearestExact3DBackward0,
    UpsampleTrilinear3DBackward0)}


def _forward(x: np.ndarray, taps) -> np.ndarray:
    """Resample the last len(taps) dims, the innermost (W) first."""
    n = x.ndim
    for d in range(len(taps) - 1, -1, -1):
        x = taps_apply(x, n - len(taps) + d, taps[d])
    return x


def _adjoint(g: np.ndarray, taps, in_shape) -> np.ndarray:
    n = g.ndim
    k = len(taps)
    for d in range(k):
        m = taps_matrix(taps[d], in_shape[n - k + d], g.dtype)
        g = matrix_apply(g, n - k + d, m.T)
    return g


@export(torch=False, vmap="resample")
def _upsample(input, mode: str, output_size, scales, align_corners):
    x = input._data
    k = x.ndim - 2
    in_sp = x.shape[2:]
    if any(o <= 0 for o in output_size) or any(i <= 0 for i in in_sp):
        if k == 1:
            raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                               f"(W: {in_sp[0]}) and output (W: {output_size[0]})")
        if k == 3:
            raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                               f"(D: {in_sp[0]}, H: {in_sp[1]}, W: {in_sp[2]}) output (D: "
                               f"{output_size[0]}, H: {output_size[1]}, W: {output_size[2]})")
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"(H: {in_sp[0]}, W: {in_sp[1]}) output (H: {output_size[0]}, "
                           f"W: {output_size[1]})")
    kernel = {"nearest": "nearest", "nearest-exact": "nearest", "linear": "linear",
              "bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}[mode]
    if x.dtype.kind != "f" and not (kernel == "nearest" and x.dtype == np.uint8):
        if x.dtype == np.uint8:
            raise NotImplementedError(f"retrograd: interpolate(mode={mode!r}) on uint8 input is "
                                      "not implemented")
        # the name of the PyTorch kernel that refuses the dtype
        where = f"compute_indices_weights_{kernel}" if k != 2 or kernel == "cubic" else \
            f"upsample_{'nearest' if kernel == 'nearest' else 'bilinear'}2d_channels_last"
        raise NotImplementedError(f'"{where}" not implemented for '
                                  f"'{_SCALAR_NAMES.get(x.dtype.name, x.dtype.name)}'")
    dt = x.dtype.type if x.dtype.kind == "f" else np.float32
    taps = []
    for n_in, n_out, s in zip(in_sp, output_size, scales):
        if kernel == "nearest":
            taps.append(_nearest_taps(n_in, n_out, s, mode == "nearest-exact"))
        elif kernel == "linear":
            taps.append(_linear_taps(n_in, n_out, s, align_corners, dt))
        else:
            taps.append(_cubic_taps(n_in, n_out, s, align_corners, dt))
    out = _forward(x, taps).astype(x.dtype, copy=False)
    return record1(_CLASSES[_NAMES[(mode, k)]], input, out,
                   output_size=tuple(int(o) for o in output_size), scales=tuple(scales),
                   align_corners=align_corners, in_shape=x.shape, taps=taps)


def _is_integer(v) -> bool:
    if isinstance(v, Tensor):
        return not v.is_floating_point()
    return isinstance(v, (int, np.integer))


@export(torch=False, functional=True, composite=True)
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims to ``size`` or by ``scale_factor`` (torch's argument rules)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                    f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(v) for v in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            output_size = [int(v) for v in size]
        else:
            output_size = [int(size) for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, C, "
                    "d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = list(scale_factor)
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [math.floor(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    known = {("nearest", 3), ("nearest", 4), ("nearest", 5), ("nearest-exact", 3),
             ("nearest-exact", 4), ("nearest-exact", 5), ("linear", 3), ("bilinear", 4),
             ("bicubic", 4), ("trilinear", 5), ("lanczos", 4)}
    if (mode, input.ndim) in known:
        if output_size is None:   # PyTorch's compute_output_size: in * scale, truncated
            output_size = [int(float(input.shape[i + 2]) * float(scale_factors[i]))
                           for i in range(dim)]
            scales = [float(s) for s in scale_factors]
        else:
            scales = [None] * dim
        if mode == "lanczos":
            if align_corners:
                raise ValueError("Lanczos mode does not support align_corners=True")
            if not antialias:
                raise ValueError("Lanczos mode requires antialias=True")
        if antialias:   # (upsampling_aa builds on this module: imported at the first call)
            from .upsampling_aa import _upsample_aa
            return _upsample_aa(input, mode, output_size, scales, align_corners)
        return _upsample(input, mode, output_size, scales, align_corners)
    if mode == "area" and input.ndim == 3:
        return adaptive_avg_pool1d(input, output_size)
    if mode == "area" and input.ndim == 4:
        return adaptive_avg_pool2d(input, output_size)
    if mode == "area" and input.ndim == 5:
        return adaptive_avg_pool3d(input, output_size)
    pairs = {(3, "bilinear"): "Got 3D input, but bilinear mode needs 4D input",
             (3, "trilinear"): "Got 3D input, but trilinear mode needs 5D input",
             (4, "linear"): "Got 4D input, but linear mode needs 3D input",
             (4, "trilinear"): "Got 4D input, but trilinear mode needs 5D input",
             (5, "linear"): "Got 5D input, but linear mode needs 3D input",
             (5, "bilinear"): "Got 5D input, but bilinear mode needs 4D input"}
    if (input.ndim, mode) in pairs:
        raise NotImplementedError(pairs[(input.ndim, mode)])
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
        f"lanczos | area | nearest-exact (got {mode})")


@export(torch=False, functional=True, composite=True)
def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    _warn.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
               UserWarning)
    return interpolate(input, size, scale_factor, mode, align_corners)


@export(torch=False, functional=True, composite=True)
def upsample_nearest(input, size=None, scale_factor=None):
    _warn.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` "
               "instead.", UserWarning)
    return interpolate(input, size, scale_factor, mode="nearest")


@export(torch=False, functional=True, composite=True)
def upsample_bilinear(input, size=None, scale_factor=None):
    _warn.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` "
               "instead.", UserWarning)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
