"""Op-table rows of F.affine_grid and F.grid_sample (retrograd/ops/nn/grid_sample.py): gradcheck,
gradgradcheck, forward mode, saved attributes and the comparison with torch run on them. Grid
points are drawn away from the cells' edges (the sampling weights have kinks there) and a
little beyond [-1, 1], so the padding modes matter. (Every mode x padding x align_corners
combination is compared with torch, double backward included, in tests/test_nn_grid_sample.py.)"""
from __future__ import annotations

import numpy as np

from op_db import OpInfo

RED = dict(cmp_atol=1e-5)


def _grid_sampler(shapes_in):
    """Input values uniform in [-2, 2]; grid values that unnormalise to fractional positions
    0.15..0.85 inside a cell (so finite differences never cross an integer or a reflection
    point), spread over [-1.25, 1.25]."""
    def sample(rng, shapes):
        x = rng.uniform(-2, 2, shapes[0])
        g = rng.uniform(-1.25, 1.25, shapes[1])
        sizes = shapes[0][2:][::-1]          # the grid's channel c reads spatial size sizes[c]
        for c, n in enumerate(sizes):
            u = (g[..., c] + 1) * n / 2 - 0.5     # align_corners=False positions
            frac = 0.15 + 0.7 * rng.uniform(0, 1, u.shape)
            g[..., c] = ((np.floor(u) + frac) + 0.5) * 2 / n - 1
        return [x, g]
    return sample


def _gs(name, shapes, node, **kw):
    return OpInfo(name, lambda T, x, g: T.nn.functional.grid_sample(x, g, **kw), shapes, node,
                  sample=_grid_sampler(shapes), **RED)


S2 = [(1, 2, 3, 3), (1, 2, 2, 2)]
S3 = [(1, 1, 2, 3, 3), (1, 1, 2, 2, 3)]

ROWS: list[OpInfo] = [
    OpInfo("affine_grid_2d", lambda T, t: T.nn.functional.affine_grid(t, (2, 3, 4, 5),
                                                                     align_corners=False),
           [(2, 2, 3)], "AffineGridGeneratorBackward0", **RED),
    OpInfo("affine_grid_2d_align", lambda T, t: T.nn.functional.affine_grid(t, [1, 1, 3, 2],
                                                                           align_corners=True),
           [(1, 2, 3)], "AffineGridGeneratorBackward0", **RED),
    OpInfo("affine_grid_3d", lambda T, t: T.nn.functional.affine_grid(t, (2, 1, 2, 3, 4),
                                                                     align_corners=False),
           [(2, 3, 4)], "AffineGridGeneratorBackward0", **RED),
    OpInfo("affine_grid_generator", lambda T, t: T.affine_grid_generator(t, (1, 1, 2, 3, 2),
                                                                        True),
           [(1, 3, 4)], "AffineGridGeneratorBackward0", **RED),
    _gs("grid_sample_bilinear", S2, "GridSampler2DBackward0", align_corners=False),
    _gs("grid_sample_bilinear_border_align", S2, "GridSampler2DBackward0", padding_mode="border",
        align_corners=True),
    _gs("grid_sample_bilinear_reflection", S2, "GridSampler2DBackward0",
        padding_mode="reflection", align_corners=False),
    _gs("grid_sample_nearest", S2, "GridSampler2DBackward0", mode="nearest",
        align_corners=False),
    _gs("grid_sample_bicubic", S2, "GridSampler2DBackward0", mode="bicubic", align_corners=False),
    _gs("grid_sample_bicubic_reflection", S2, "GridSampler2DBackward0", mode="bicubic",
        padding_mode="reflection", align_corners=False),
    _gs("grid_sample_3d", S3, "GridSampler3DBackward0", align_corners=False),
    _gs("grid_sample_3d_nearest_reflection", S3, "GridSampler3DBackward0", mode="nearest",
        padding_mode="reflection", align_corners=False),
    OpInfo("grid_sampler", lambda T, x, g: T.grid_sampler(x, g, 0, 2, True), S2,
           "GridSampler2DBackward0", sample=_grid_sampler(S2), **RED),
]


def _require_grad(t):
    """``t.requires_grad_()`` where it is allowed. Under forward AD the inputs are dual tensors
    that do not require grad, and torch has no forward formula for grid_sampler to compare
    with: the tangents of these rows' gradients are checked against finite differences. Inside
    a torch.func transform the call is refused (the transform's inputs are its own)."""
    try:
        t.requires_grad_()
    except RuntimeError:
        pass
    return t


def _gs_backward(name, shapes, node, **kw):
    """grid_sample's gradients (input, grid) taken with create_graph=True for the incoming
    gradient ``v``: PyTorch's grid_sampler_2d_backward as one node with two outputs."""
    def fn(T, x, g, v):
        y = T.nn.functional.grid_sample(_require_grad(x), _require_grad(g), **kw)
        return T.autograd.grad(y, (x, g), v, create_graph=True)

    def sample(rng, shapes):
        return _grid_sampler(shapes[:2])(rng, shapes[:2]) + [rng.uniform(-2, 2, shapes[2])]
    # (gradgrad=False: torch's own third-order run of these rows raises)
    return OpInfo(name, fn, shapes, node, sample=sample, gradgrad=False, **RED)


ROWS += [
    _gs_backward("grid_sample_backward", S2 + [(1, 2, 2, 2)], "GridSampler2DBackwardBackward0",
                 align_corners=False),
    _gs_backward("grid_sample_backward_bicubic_border", S2 + [(1, 2, 2, 2)],
                 "GridSampler2DBackwardBackward0", mode="bicubic", padding_mode="border",
                 align_corners=True),
    _gs_backward("grid_sample_3d_backward", S3 + [(1, 1, 1, 2, 2)],
                 "GridSampler3DBackwardBackward0", align_corners=False),
]
