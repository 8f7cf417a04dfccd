"""The resampling modes added beside tests/test_nn_pool.py's against torch: 5-D input
(trilinear, nearest, nearest-exact, area) and ``antialias=True`` (bilinear, bicubic, lanczos),
through F.interpolate and nn.Upsample: values, gradients, grad_fn names, printouts, and the
errors of sizes, dtypes and options."""
from __future__ import annotations

import pytest

from _both import both
from _nn_models import data

MODULES = {
    "Upsample_trilinear": (lambda nn: nn.Upsample(scale_factor=2, mode="trilinear"),
                           (2, 2, 2, 3, 2)),
    "Upsample_trilinear_align": (lambda nn: nn.Upsample(size=(3, 5, 4), mode="trilinear",
                                                        align_corners=True), (1, 2, 2, 3, 2)),
    "Upsample_nearest_3d": (lambda nn: nn.Upsample(scale_factor=(1.5, 2, 0.5)), (2, 1, 2, 3, 4)),
    "Upsample_exact_3d": (lambda nn: nn.Upsample(size=5, mode="nearest-exact"), (1, 2, 3, 2, 4)),
    "Upsample_recompute_3d": (lambda nn: nn.Upsample(scale_factor=1.7, mode="trilinear",
                                                     recompute_scale_factor=True),
                              (1, 1, 3, 2, 3)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_against_torch(name):
    make, shape = MODULES[name]

    def f(T):
        m = make(T.nn)
        x = data(T, *shape, requires_grad=True)
        y = m(x)
        (y * data(T, *y.shape, seed=7)).sum().backward()
        return str(m), y, x.grad, y.grad_fn.name()
    both(f)


CALLS = {
    "area_3d": dict(scale_factor=0.5, mode="area"),
    "area_3d_size": dict(size=(3, 2, 5), mode="area"),
    "bilinear_aa_down": dict(scale_factor=0.5, mode="bilinear", antialias=True),
    "bilinear_aa_mixed": dict(scale_factor=(0.3, 1.7), mode="bilinear", antialias=True),
    "bilinear_aa_align": dict(size=(4, 3), mode="bilinear", align_corners=True, antialias=True),
    "bicubic_aa_down": dict(size=(3, 7), mode="bicubic", antialias=True),
    "bicubic_aa_up": dict(scale_factor=2.0, mode="bicubic", antialias=True),
    "bicubic_aa_align": dict(size=(5, 2), mode="bicubic", align_corners=True, antialias=True),
    "lanczos_down": dict(scale_factor=0.4, mode="lanczos", antialias=True),
    "lanczos_up": dict(size=(11, 13), mode="lanczos", antialias=True),
    "bilinear_aa_recompute": dict(scale_factor=0.45, mode="bilinear", antialias=True,
                                  recompute_scale_factor=True),
}


@pytest.mark.parametrize("case", sorted(CALLS))
def test_interpolate_against_torch(case):
    kw = CALLS[case]

    def f(T):
        shape = (2, 2, 6, 5, 4) if kw["mode"] == "area" else (2, 3, 9, 8)
        x = data(T, *shape, requires_grad=True)
        y = T.nn.functional.interpolate(x, **kw)
        (y * y).sum().backward()
        return y, x.grad, y.grad_fn.name()
    both(f)


def test_double_backward_3d_and_antialiased():
    def f(T):
        F = T.nn.functional
        x = data(T, 1, 2, 3, 4, 4, requires_grad=True)
        y = F.interpolate(x * x, scale_factor=1.5, mode="trilinear")
        z = F.interpolate((x * x)[:, :, 0], scale_factor=0.6, mode="bicubic", antialias=True)
        g, = T.autograd.grad((y * y).sum() + (z * z).sum(), x, create_graph=True)
        h, = T.autograd.grad((g * g).sum(), x)
        return g, h
    both(f)


ERRORS = {
    "size0_3d": lambda F, x: F.interpolate(x, size=(0, 2, 2)),
    "size0_trilinear": lambda F, x: F.interpolate(x, size=(0, 2, 2), mode="trilinear"),
    "long_nearest_3d": lambda F, x: F.interpolate(x.long(), scale_factor=2),
    "long_trilinear": lambda F, x: F.interpolate(x.long(), scale_factor=2, mode="trilinear"),
    "long_exact_3d": lambda F, x: F.interpolate(x.long(), scale_factor=2, mode="nearest-exact"),
    "long_area_3d": lambda F, x: F.interpolate(x.long(), scale_factor=0.5, mode="area"),
    "trilinear_4d": lambda F, x: F.interpolate(x[0], scale_factor=2, mode="trilinear"),
    "bilinear_5d": lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    "aa_5d": lambda F, x: F.interpolate(x, scale_factor=0.5, mode="trilinear", antialias=True),
    "aa_long": lambda F, x: F.interpolate(x[0].long(), scale_factor=0.5, mode="bilinear",
                                          antialias=True),
    "aa_half": lambda F, x: F.interpolate(x[0].half(), scale_factor=0.5, mode="bicubic",
                                          antialias=True),
    "aa_size0": lambda F, x: F.interpolate(x[0], size=(0, 3), mode="bilinear", antialias=True),
    "lanczos_no_aa": lambda F, x: F.interpolate(x[0], scale_factor=0.5, mode="lanczos"),
    "lanczos_align": lambda F, x: F.interpolate(x[0], scale_factor=0.5, mode="lanczos",
                                                align_corners=True, antialias=True),
    "lanczos_3d": lambda F, x: F.interpolate(x[0, 0], scale_factor=0.5, mode="lanczos",
                                             antialias=True),
    "lanczos_5d_no_aa": lambda F, x: F.interpolate(x, scale_factor=0.5, mode="lanczos"),
    "nearest_6d": lambda F, x: F.interpolate(x[None], scale_factor=2),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(case):
    both(lambda T: ERRORS[case](T.nn.functional, data(T, 1, 2, 3, 4, 5, requires_grad=True)))
