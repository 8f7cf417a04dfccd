"""F.affine_grid (``AffineGridGeneratorBackward0``) and F.grid_sample (``GridSampler2DBackward0``,
``GridSampler3DBackward0``): modes bilinear / nearest / bicubic (2-D), padding modes zeros /
border / reflection, align_corners, following PyTorch's CPU kernels (GridSampler.h).

Sampling is separable: along each spatial axis an output point reads one (nearest), two
(linear) or four (cubic) input positions with weights that are polynomials of the point's
fractional coordinate ``t``. The forward gathers every tap combination at once by computed flat
indices (one fancy-index gather of shape (taps, N, C, points), no loop over points) and sums the
weighted values. The backward is written with ``ns`` operations only: the input's gradient is
the adjoint gather (a scatter, ``ns.linear_map``), the grid's is the weights' derivative in
``t`` times the values, times dt/dgrid (the unnormalisation scale and the padding's clip and
reflection signs, constant where the map is differentiable). ``t`` is rebuilt in the formula as
``t0 + (grid - grid0) * dt/dgrid`` so that, on the create_graph path, it depends on the grid and
every order of derivative works.
"""
from __future__ import annotations

import numpy as np

from ... import _warn
from ...autograd.node import LINEAR, Node
from .._registry import export
from .. import numpy_ns
from ...autograd._record import record1, record2
from .pooling import _SCALAR_NAMES, _fmt
from .grid_sample_backward import grid_sampler_backward

__all__ = ["affine_grid", "affine_grid_generator", "grid_sample", "grid_sampler"]

_A = -0.75   # the cubic convolution's A, as PyTorch


# -- affine_grid --------------------------------------------------------------------------------
def _linspace_from_neg_one(n: int, align_corners: bool, dt) -> np.ndarray:
    """PyTorch's linspace(-1, 1, n) (first half from the start, second from the end), scaled by
    (n - 1) / n without align_corners; a single 0 for n <= 1."""
    if n <= 1:
        return np.zeros(1, dt)
    step = (dt(1) - dt(-1)) / dt(n - 1)
    i = np.arange(n)
    r = np.where(i < n // 2, dt(-1) + step * i.astype(dt),
                 dt(1) - step * (n - 1 - i).astype(dt)).astype(dt)
    if not align_corners:
        r = (r * dt(n - 1)).astype(dt) / dt(n)
    return r.astype(dt)


def _base_grid(spatial, align_corners: bool, dt) -> np.ndarray:
    """(prod(spatial), nd + 1): each point's (x, y[, z], 1), x along the last spatial dim."""
    nd = len(spatial)
    axes = [_linspace_from_neg_one(n, align_corners, dt) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")                     # D, H, W order
    cols = [m.reshape(-1) for m in reversed(mesh)]                # x (W) first
    cols.append(np.ones(int(np.prod(spatial, dtype=np.int64)), dt))
    base = np.stack(cols, axis=-1).astype(dt)
    assert base.shape[-1] == nd + 1
    return base


class AffineGridGeneratorBackward0(Node):
    """grid = base @ theta^T per batch: d theta = grad^T @ base (linear in theta)."""
    __slots__ = ("align_corners", "size", "base")
    saved_attrs = {"align_corners": "align_corners", "size": lambda n: tuple(n.size)}
    jvp = LINEAR

    def backward(self, ns, grad):
        n, nd = self.size[0], len(self.size) - 2
        g = ns.reshape(grad, (n, -1, nd))
        return (ns.matmul(ns.transpose(g, 1, 2), ns.const(self.base)),)


@export(torch=True)
def affine_grid_generator(theta, size, align_corners):
    """(N, *spatial, nd) sampling grid of the affine maps ``theta`` (N, nd, nd + 1)."""
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise RuntimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.")
    t = theta._data
    spatial = size[2:]
    nd = len(spatial)
    dt = t.dtype.type
    base = _base_grid(spatial, bool(align_corners), dt)
    if t.ndim != 3 or t.shape[0] != size[0] or t.shape[1:] != (nd, nd + 1):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {nd + 1}] but got: [{t.shape[0]}, "
                           f"{t.shape[-1] if t.ndim == 3 else '?'}].")
    out = np.matmul(base, np.swapaxes(t, 1, 2)).reshape([size[0]] + spatial + [nd]).astype(dt)
    return record1(AffineGridGeneratorBackward0, theta, out,
                   align_corners=bool(align_corners), size=tuple(size), base=base)


_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.")


@export(torch=False, functional=True, composite=True)
def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps (for ``grid_sample``), PyTorch's checks."""
    if align_corners is None:
        _warn.warn(_ALIGN_WARNING, UserWarning)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    shape = f"torch.Size({list(theta.shape)})"
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {shape}.")
        spatial_size = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {shape}.")
        spatial_size = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial_size) == 1:
        _warn.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                   "when align_corners=True. This is not an intended use case of affine_grid. "
                   "See the documentation of affine_grid for details.", UserWarning)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return affine_grid_generator(theta, size, align_corners)


# -- grid_sample: coordinates -------------------------------------------------------------------
def _clip(c, n, dt):
    """clip_coordinates_set_grad: the clipped coordinate and its derivative (0 or 1)."""
    return np.minimum(dt(n - 1), np.maximum(c, dt(0))), ((c > 0) & (c < n - 1)).astype(dt)


def _reflect(c, twice_low: int, twice_high: int, dt):
    """reflect_coordinates_set_grad: the coordinate reflected into [low, high], derivative +-1."""
    if twice_low == twice_high:
        return np.zeros_like(c), np.zeros_like(c)
    lo = dt(twice_low / 2)
    span = dt((twice_high - twice_low) / 2)
    c = c - lo
    sign = np.where(c < 0, dt(-1), dt(1))
    c = np.abs(c)
    extra = np.fmod(c, span)
    even = np.floor(c / span) % 2 == 0
    return (np.where(even, extra + lo, span - extra + lo).astype(dt),
            np.where(even, sign, -sign).astype(dt))


def _unnormalize(g, n: int, align: bool, dt):
    if align:
        return ((g + dt(1)) / dt(2)) * dt(n - 1), dt((n - 1) / 2)
    return ((g + dt(1)) * dt(n) - dt(1)) / dt(2), dt(n / 2)


def _pad_coords(c, n: int, padding: int, align: bool, dt):
    """compute_coordinates_set_grad: (coordinate, derivative) under the padding mode."""
    d = np.ones_like(c)
    if padding == 1:
        c, d = _clip(c, n, dt)
    elif padding == 2:
        c, d = _reflect(c, 0, 2 * (n - 1), dt) if align else _reflect(c, -1, 2 * n - 1, dt)
        c, d2 = _clip(c, n, dt)
        d = d * d2
    return c, d


# -- grid_sample: per-axis taps -----------------------------------------------------------------
def _weights(ns, t, mode: int, deriv: bool) -> list:
    """The taps' weights (or their derivatives in t) as expressions of t (NumPy or tensors)."""
    if mode == 1:   # nearest: constant weights (kept as expressions of t: a zero derivative)
        return [t * 0] if deriv else [t * 0 + 1]
    if mode == 0:
        return [t * 0 - 1, t * 0 + 1] if deriv else [1 - t, t]
    a = _A
    if not deriv:
        x1, x2 = t, 1 - t
        return [((a * (x1 + 1) - 5 * a) * (x1 + 1) + 8 * a) * (x1 + 1) - 4 * a,
                ((a + 2) * x1 - (a + 3)) * x1 * x1 + 1,
                ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1,
                ((a * (x2 + 1) - 5 * a) * (x2 + 1) + 8 * a) * (x2 + 1) - 4 * a]
    x1, x2 = t, 1 - t   # d/dt of the four weights above
    return [(3 * a * (x1 + 1) - 10 * a) * (x1 + 1) + 8 * a,
            (3 * (a + 2) * x1 - 2 * (a + 3)) * x1,
            -(3 * (a + 2) * x2 - 2 * (a + 3)) * x2,
            -((3 * a * (x2 + 1) - 10 * a) * (x2 + 1) + 8 * a)]


def _axis_taps(g, n: int, mode: int, padding: int, align: bool, dt):
    """For one axis (g: the grid's coordinate, (N, P)): the tap indices (J, N, P), their
    validity, t and dt/dg."""
    c, scale = _unnormalize(g, n, align, dt)
    if mode == 2:   # bicubic: padding applies to each tap's integer position
        i0 = np.floor(c)
        t = (c - i0).astype(dt)
        idx, ok = [], []
        for j in range(4):
            pos, _ = _pad_coords((i0 - 1 + j).astype(dt), n, padding, align, dt)
            ip = pos.astype(np.int64)
            idx.append(ip)
            ok.append((ip >= 0) & (ip < n))
        return np.stack(idx), np.stack(ok), t, np.full_like(c, scale)
    c, d = _pad_coords(c, n, padding, align, dt)
    if mode == 1:
        i = np.rint(c).astype(np.int64)
        return i[None], ((i >= 0) & (i < n))[None], np.zeros_like(c), np.zeros_like(c)
    i0 = np.floor(c).astype(np.int64)
    idx = np.stack([i0, i0 + 1])
    return idx, (idx >= 0) & (idx < n), (c - i0).astype(dt), (d * scale).astype(dt)


def _outer(ns, per_axis):
    """(J_0, ..., N, P) products over the axes' taps, flattened to (K, N, P) (row-major order:
    the first spatial axis outermost, PyTorch's order of the terms)."""
    out = per_axis[0]
    for nxt in per_axis[1:]:
        k0, k1 = out.shape[0], nxt.shape[0]
        out = ns.reshape(ns.unsqueeze_dims(out, (1,)) * ns.unsqueeze_dims(nxt, (0,)),
                         (k0 * k1,) + tuple(nxt.shape[1:]))
    return out


def _gather(xr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """xr (N, C, S), idx (K, N, P) -> (K, N, C, P): whole rows of C values taken from the
    channels-last copy of xr (one take of K*N*P rows, the channels read together)."""
    n, c, s = xr.shape
    xt = np.ascontiguousarray(np.swapaxes(xr, 1, 2)).reshape(n * s, c)
    rows = idx + (np.arange(n) * s)[None, :, None]
    return np.swapaxes(np.take(xt, rows, axis=0), 2, 3)


def _scatter(g: np.ndarray, idx: np.ndarray, size: int) -> np.ndarray:
    """The adjoint of _gather: g (K, N, C, P) added into zeros (N, C, size)."""
    _, n, c, _ = g.shape
    base = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * size      # (N, C)
    flat = (base[None, :, :, None] + idx[:, :, None, :]).ravel()
    out = np.bincount(flat, weights=g.ravel(), minlength=n * c * size)
    return out.astype(g.dtype, copy=False).reshape(n, c, size)


# -- grid_sample: the op ------------------------------------------------------------------------
def _terms(ns, grid, mode: int, geo):
    """(W (K, N, P) with the masks, [dW/dt_a (K, N, P) per axis]) as ns expressions."""
    g0, idx, mask, taps = geo[:4]
    ts = [ns.reshape(ns.sum_dims((grid - ns.const(g0)) * ns.const(sel), (-1,), False), t0.shape)
          + ns.const(t0) for t0, _, sel in taps]
    ws = [ns.stack(_weights(ns, t, mode, False), 0) for t in ts]
    m = ns.const(mask)
    derivs = []
    for a, t in enumerate(ts):
        parts = list(ws)
        parts[a] = ns.stack(_weights(ns, t, mode, True), 0)
        derivs.append(_outer(ns, parts) * m)
    return _outer(ns, ws) * m, derivs


class _GridSamplerBackward(Node):
    """out = sum over tap combinations k of W_k(t(grid)) * x[idx_k]: the input's gradient is the
    scatter of grad * W_k, the grid's sum_c grad * x[idx_k] * dW_k/dt * dt/dgrid."""
    __slots__ = ("interpolation_mode", "padding_mode", "align_corners", "geo")
    saved_names = ("grid", "input")   # torch packs the grid first
    saved_attrs = {"align_corners": "align_corners", "interpolation_mode": "interpolation_mode",
                   "padding_mode": "padding_mode"}

    def backward(self, ns, grad, grid, x):
        if not ns.INPLACE:      # PyTorch's GridSampler2DBackwardBackward0 (grid_sample_backward.py)
            return grid_sampler_backward(self, grad, grid, x)
        if isinstance(grad, np.ndarray) and grad.dtype == np.float16:   # in float, as torch
            f = np.float32
            res = self._backward(ns, grad.astype(f), grid.astype(f), x.astype(f))
            return tuple(None if r is None else r.astype(np.float16) for r in res)
        return self._backward(ns, grad, grid, x)

    def _backward(self, ns, grad, grid, x):
        g0, idx, mask, taps, in_shape = self.geo
        n, c = in_shape[:2]
        size = int(np.prod(in_shape[2:], dtype=np.int64))
        g = ns.reshape(grad, (n, c, int(np.prod(g0.shape[1:-1], dtype=np.int64))))
        w, derivs = _terms(ns, grid, self.interpolation_mode, self.geo)
        name = self.name()
        gx = gg = None
        if self.needs(0):
            gk = ns.unsqueeze_dims(w, (2,)) * ns.unsqueeze_dims(g, (0,))
            gx = ns.reshape(ns.linear_map(gk, lambda a: _scatter(a, idx, size),
                                          lambda a: _gather(a, idx), name + "Scatter",
                                          name + "Gather"), in_shape)
        if self.needs(1):
            xr = ns.reshape(x, (n, c, size))
            v = ns.linear_map(xr, lambda a: _gather(a, idx), lambda a: _scatter(a, idx, size),
                              name + "Gather", name + "Scatter")
            gv = ns.sum_dims(v * ns.unsqueeze_dims(g, (0,)), (2,), False)          # (K, N, P)
            for d, (_, dtdg, sel) in zip(derivs, taps):
                gt = ns.sum_dims(gv * d, (0,), False)                              # (N, P)
                term = ns.unsqueeze_dims(ns.reshape(gt, g0.shape[:-1]), (-1,)) * ns.const(sel)
                gg = term if gg is None else gg + term
        return gx, gg

    def jvp(self, ns, tangents, grid, x):
        """JVP: sum_k W_k x'[idx_k] + sum_k x[idx_k] sum_a dW_k/dt_a (grid' . dt_a/dgrid)."""
        if x.dtype == np.float16:   # in float, rounded to half
            f = np.float32
            up = [None if t is None else t.astype(f) for t in tangents]
            out = self._jvp(ns, up, grid.astype(f), x.astype(f))
            return None if out is None else out.astype(np.float16)
        return self._jvp(ns, tangents, grid, x)

    def _jvp(self, ns, tangents, grid, x):
        g0, idx, mask, taps, in_shape = self.geo
        n, c = in_shape[:2]
        size = int(np.prod(in_shape[2:], dtype=np.int64))
        w, derivs = _terms(ns, grid, self.interpolation_mode, self.geo)
        out = None
        if tangents[0] is not None:
            out = (_gather(tangents[0].reshape(n, c, size), idx) * w[:, :, None, :]).sum(0)
        if tangents[1] is not None and self.interpolation_mode != 1:
            v = _gather(x.reshape(n, c, size), idx)
            for d, (_, _, sel) in zip(derivs, taps):
                dt = (tangents[1] * sel).sum(-1).reshape(n, 1, idx.shape[-1])
                term = (v * d[:, :, None, :]).sum(0) * dt
                out = term if out is None else out + term
        if out is None:
            return None
        return out.reshape((n, c) + tuple(g0.shape[1:-1]))


class GridSampler2DBackward0(_GridSamplerBackward):
    __slots__ = ()


class GridSampler3DBackward0(_GridSamplerBackward):
    __slots__ = ()


def _check_sampler(x: np.ndarray, grid: np.ndarray, mode: int) -> None:
    """PyTorch's check_grid_sampler_common, then the 2-D or 3-D checks (by the input's rank)."""
    xs, gs = _fmt(x.shape), _fmt(grid.shape)
    if x.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_name(x)} but found {_name(grid)}")
    if x.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but "
                           f"got input with sizes {xs} and grid with sizes {gs}")
    if grid.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last "
                           f"dimension, but got grid with sizes {gs}")
    for i in range(2, x.ndim):
        if x.shape[i] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {xs} with dimension {i} being "
                               "empty")
    rank = 4 if x.ndim == 4 else 5
    if x.ndim != rank or grid.ndim != rank:
        raise RuntimeError(f"grid_sampler(): expected {rank}D input and grid with same number of "
                           f"dimensions, but got input with sizes {xs} and grid with sizes {gs}")
    if mode == 2 and rank == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if x.dtype.kind != "f":
        where = "grid_sampler_2d_cpu_kernel_impl" if rank == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{where}" not implemented for \'{_name(x)}\'')


def _name(a: np.ndarray) -> str:
    return _SCALAR_NAMES.get(a.dtype.name, a.dtype.name)


@export(torch=True)
def grid_sampler(input, grid, interpolation_mode: int, padding_mode: int, align_corners: bool):
    """Sample ``input`` (N, C, *in) at the normalised points of ``grid`` (N, *out, nd)."""
    x, gr = input._data, grid._data
    mode, padding, align = int(interpolation_mode), int(padding_mode), bool(align_corners)
    _check_sampler(x, gr, mode)
    out_dtype = x.dtype
    if x.dtype == np.float16:   # PyTorch's CPU kernel computes half in float
        x, gr = x.astype(np.float32), gr.astype(np.float32)
    dt = x.dtype.type
    n, c = x.shape[:2]
    in_sp, out_sp = x.shape[2:], gr.shape[1:-1]
    nd = len(in_sp)
    g2 = gr.reshape(n, int(np.prod(out_sp, dtype=np.int64)), nd)
    idx_axes, ok_axes, taps = [], [], []
    for a in range(nd):                # spatial axis a reads grid channel nd - 1 - a
        ch = nd - 1 - a
        idx, ok, t, dtdg = _axis_taps(g2[..., ch], in_sp[a], mode, padding, align, dt)
        idx_axes.append(idx)
        ok_axes.append(ok)
        sel = np.zeros(gr.shape, dt)
        sel[..., ch] = dtdg.reshape(gr.shape[:-1])
        taps.append((t, dtdg, sel))
    strides = np.cumprod((1,) + tuple(in_sp[::-1]))[::-1][1:]   # flat strides of the input
    flat = idx_axes[0] * strides[0]
    mask = ok_axes[0]
    for i, ok, s in zip(idx_axes[1:], ok_axes[1:], strides[1:]):
        k = flat.shape[0] * i.shape[0]
        flat = (flat[:, None] + (i * s)[None]).reshape((k,) + flat.shape[1:])
        mask = (mask[:, None] & ok[None]).reshape((k,) + mask.shape[1:])
    flat = np.where(mask, flat, 0)
    node_cls = GridSampler2DBackward0 if nd == 2 else GridSampler3DBackward0
    geo = (gr, flat, mask.astype(dt), taps, x.shape)
    w, _ = _terms(numpy_ns, gr, mode, geo)
    size = int(np.prod(in_sp, dtype=np.int64))
    v = _gather(x.reshape(n, c, size), flat)
    out = (v * w[:, :, None, :]).sum(0).astype(out_dtype).reshape((n, c) + tuple(out_sp))
    return record2(node_cls, input, grid, out, (grid, input), interpolation_mode=mode,
                   padding_mode=padding, align_corners=align, geo=geo)


@export(torch=False, functional=True, composite=True)
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the points of ``grid`` (PyTorch's argument checks and warning)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    mode_enum = {"bilinear": 0, "nearest": 1, "bicubic": 2}[mode]
    padding_enum = {"zeros": 0, "border": 1, "reflection": 2}[padding_mode]
    if align_corners is None:
        _warn.warn(_ALIGN_WARNING, UserWarning)
        align_corners = False
    return grid_sampler(input, grid, mode_enum, padding_enum, align_corners)

