"""F.affine_grid and F.grid_sample against torch: every mode x padding mode x align_corners
in 2-D and 3-D (values, input and grid gradients, double backward, in float64 and float32), a
spatial-transformer step (affine_grid then grid_sample, gradients into theta), points outside
and on the edges, warnings and errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from _both import both
from _nn_models import data

CASES = [(2, m, p, a) for m, p, a in itertools.product(
    ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"), (False, True))] + \
    [(3, m, p, a) for m, p, a in itertools.product(
        ("bilinear", "nearest"), ("zeros", "border", "reflection"), (False, True))]


@pytest.mark.parametrize("nd,mode,padding,align", CASES,
                         ids=[f"{n}d-{m}-{p}-{a}" for n, m, p, a in CASES])
def test_grid_sample_against_torch(nd, mode, padding, align):
    in_shape = (2, 3, 4, 5) if nd == 2 else (2, 2, 3, 4, 3)
    grid_shape = (2, 3, 2, 2) if nd == 2 else (2, 2, 3, 2, 3)

    def f(T):
        res = []
        for dtype in (T.float64, T.float32):
            x = data(T, *in_shape, seed=3).to(dtype).requires_grad_()
            g = (data(T, *grid_shape, seed=4) * 0.65).to(dtype).requires_grad_()   # some outside
            y = T.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding,
                                            align_corners=align)
            w = data(T, *y.shape, seed=5).to(dtype)
            gx, gg = T.autograd.grad((y * w).sum(), (x, g), create_graph=True)
            res += [y, gx.detach(), gg.detach(), y.grad_fn.name(), gx.requires_grad]
            if dtype == T.float64:
                h = T.autograd.grad((gx * gx).sum() + (gg * gg).sum(), (x, g), allow_unused=True)
                res += [T.zeros_like(v) if d is None else d for d, v in zip(h, (x, g))]
        return res
    both(f)


def test_spatial_transformer_step():
    def f(T):
        F = T.nn.functional
        x = data(T, 2, 3, 6, 5, requires_grad=True)
        theta = T.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]], [[1.2, 0.1, 0.0], [0.0, 0.8, 0.3]]],
                         requires_grad=True)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        y = F.grid_sample(x, grid, align_corners=False)
        (y * y).sum().backward()
        theta3 = T.tensor([[[0.9, -0.2, 0.1, 0.0], [0.3, 1.1, -0.2, 0.1], [0.0, 0.1, 1.0, 0.2]]],
                          requires_grad=True)
        x3 = data(T, 1, 2, 3, 4, 5, requires_grad=True)
        grid3 = F.affine_grid(theta3, (1, 2, 4, 3, 2), align_corners=True)
        y3 = F.grid_sample(x3, grid3, mode="nearest", padding_mode="border", align_corners=True)
        (y3 * grid3[..., :1]).sum().backward()
        return [grid, y, x.grad, theta.grad, grid.grad_fn.name(), grid3, y3, x3.grad, theta3.grad]
    both(f)


def test_edges_and_exact_points():
    """Points exactly on pixel centres, on the borders and far outside."""
    def f(T):
        F = T.nn.functional
        x = T.arange(12.0).reshape(1, 1, 3, 4).requires_grad_()
        pts = T.tensor([[[[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0], [-3.0, 0.5]],
                         [[2.5, -2.5], [0.25, -1.0 / 3], [1.0, -1.0], [-0.75, 0.0]]]])
        outs = []
        for mode in ("bilinear", "nearest", "bicubic"):
            for pad in ("zeros", "border", "reflection"):
                for align in (False, True):
                    outs.append(F.grid_sample(x, pts, mode=mode, padding_mode=pad,
                                              align_corners=align))
        sum(o.sum() for o in outs).backward()
        return outs, x.grad
    both(f)


def test_empty_and_single_pixel():
    def f(T):
        F = T.nn.functional
        x = data(T, 2, 3, 1, 1, requires_grad=True)
        g = data(T, 2, 2, 3, 2) * 0.6
        y = F.grid_sample(x, g, padding_mode="reflection", align_corners=True)
        e = F.grid_sample(data(T, 0, 3, 4, 4), T.zeros(0, 2, 2, 2), align_corners=False)
        c = F.grid_sample(data(T, 2, 3, 4, 4), T.zeros(2, 0, 2, 2), align_corners=False)
        y.sum().backward()
        return y, x.grad, e, c, F.affine_grid(T.eye(2, 3)[None], (1, 1, 1, 3), align_corners=False)
    both(f)


ERRORS = {
    "warn_sample": lambda T, F, x, g: F.grid_sample(x, g),
    "warn_affine": lambda T, F, x, g: F.affine_grid(T.eye(2, 3)[None], (1, 1, 2, 2)),
    "warn_unit": lambda T, F, x, g: F.affine_grid(T.eye(2, 3)[None], (1, 1, 1, 2),
                                                 align_corners=True),
    "mode": lambda T, F, x, g: F.grid_sample(x, g, mode="linear"),
    "padding": lambda T, F, x, g: F.grid_sample(x, g, padding_mode="circular"),
    "dtype": lambda T, F, x, g: F.grid_sample(x, g.double(), align_corners=False),
    "last_dim": lambda T, F, x, g: F.grid_sample(x, g[..., :1], align_corners=False),
    "rank": lambda T, F, x, g: F.grid_sample(x, g[0], align_corners=False),
    "batch": lambda T, F, x, g: F.grid_sample(x, T.cat([g, g]), align_corners=False),
    "empty_spatial": lambda T, F, x, g: F.grid_sample(x[:, :, :0], g, align_corners=False),
    "bicubic_3d": lambda T, F, x, g: F.grid_sample(x[..., None], T.zeros(2, 1, 1, 1, 3),
                                                   mode="bicubic", align_corners=False),
    "rank3": lambda T, F, x, g: F.grid_sample(x[0], g[0, :, :, :1], align_corners=False),
    "long": lambda T, F, x, g: F.grid_sample(x.long(), g.long(), align_corners=False),
    "theta_int": lambda T, F, x, g: F.affine_grid(T.ones(1, 2, 3, dtype=T.long), (1, 1, 2, 2),
                                                 align_corners=False),
    "theta_shape": lambda T, F, x, g: F.affine_grid(T.ones(1, 3, 3), (1, 1, 2, 2),
                                                   align_corners=False),
    "theta_shape_3d": lambda T, F, x, g: F.affine_grid(T.ones(1, 2, 3), (1, 1, 2, 2, 2),
                                                      align_corners=False),
    "size_len": lambda T, F, x, g: F.affine_grid(T.ones(1, 2, 3), (1, 2, 2), align_corners=False),
    "size_zero": lambda T, F, x, g: F.affine_grid(T.ones(1, 2, 3), (1, 1, 0, 2),
                                                 align_corners=False),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_and_warnings(case):
    def f(T):
        x = data(T, 2, 3, 4, 5, requires_grad=True)
        g = data(T, 2, 3, 2, 2) * 0.5
        return ERRORS[case](T, T.nn.functional, x, g)
    both(f)


def test_half_precision():
    """float16: computed in float and rounded (PyTorch's half kernel rounds along the way, so
    its results differ by up to about 1% of the gradients' magnitude; both are compared with
    the float64 result here)."""
    import numpy as np
    import torch
    import retrograd
    rng = np.random.default_rng(5)
    arrs = [rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((1, 3, 3, 2)) * 0.6]
    for mode in ("bilinear", "nearest", "bicubic"):
        def run(T, dt):
            x, g = [T.tensor(a, dtype=dt, requires_grad=True) for a in arrs]
            y = T.nn.functional.grid_sample(x, g, mode=mode, align_corners=False)
            (y.double() ** 2).sum().backward()
            return [str(y.dtype), str(x.grad.dtype), str(g.grad.dtype), y.grad_fn.name()], \
                [t.detach().double().numpy() for t in (y, x.grad, g.grad)]
        meta, ours = run(retrograd, retrograd.float16)
        tmeta, theirs = run(torch, torch.float16)
        _, exact = run(torch, torch.float64)
        assert meta == tmeta
        for a, b, e in zip(ours, theirs, exact):
            scale = max(1.0, float(np.abs(e).max()))
            assert np.abs(a - e).max() <= 4e-3 * scale
            assert np.abs(a - b).max() <= 2e-2 * scale
