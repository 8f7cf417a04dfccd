"""Pooling and resampling layers against torch: module printouts, outputs, input gradients,
grad_fn names, returned indices, train/eval, the functional forms' errors and warnings, ties
and -inf/NaN windows, integer inputs."""
from __future__ import annotations

import numpy as np
import pytest

from _both import both
from _nn_models import data

MODULES = {
    "MaxPool2d": (lambda nn: nn.MaxPool2d(2), (2, 3, 5, 5)),
    "MaxPool2d_full": (lambda nn: nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=(1, 2),
                                               ceil_mode=True), (2, 3, 7, 6)),
    "MaxPool2d_indices": (lambda nn: nn.MaxPool2d(3, 2, 1, return_indices=True), (3, 6, 6)),
    "MaxPool1d": (lambda nn: nn.MaxPool1d(3, 2, padding=1, ceil_mode=True), (2, 3, 8)),
    "MaxPool1d_indices": (lambda nn: nn.MaxPool1d(2, return_indices=True), (3, 7)),
    "AvgPool2d": (lambda nn: nn.AvgPool2d(3), (2, 3, 7, 6)),
    "AvgPool2d_full": (lambda nn: nn.AvgPool2d((3, 2), (2, 1), (1, 1), ceil_mode=True,
                                               count_include_pad=False), (2, 3, 7, 6)),
    "AvgPool2d_divisor": (lambda nn: nn.AvgPool2d(2, 1, divisor_override=3), (2, 4, 4)),
    "AvgPool1d": (lambda nn: nn.AvgPool1d(3, 2, 1, ceil_mode=True), (2, 3, 8)),
    "LPPool2d": (lambda nn: nn.LPPool2d(2, 3, stride=2), (2, 3, 7, 6)),
    "LPPool1d": (lambda nn: nn.LPPool1d(1.5, 2), (2, 3, 8)),
    "AdaptiveAvgPool2d": (lambda nn: nn.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 6)),
    "AdaptiveAvgPool2d_1": (lambda nn: nn.AdaptiveAvgPool2d(1), (2, 3, 4, 4)),
    "AdaptiveAvgPool1d": (lambda nn: nn.AdaptiveAvgPool1d(5), (2, 3, 8)),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d((4, 3), return_indices=True),
                          (2, 3, 7, 6)),
    "AdaptiveMaxPool1d": (lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 8)),
    "Upsample": (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 3, 4)),
    "Upsample_size": (lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"), (2, 3, 3, 4)),
    "Upsample_bicubic": (lambda nn: nn.Upsample(scale_factor=(1.5, 2), mode="bicubic",
                                                align_corners=True), (1, 2, 4, 4)),
    "Upsample_linear": (lambda nn: nn.Upsample(size=9, mode="linear"), (2, 3, 4)),
    "Upsample_exact": (lambda nn: nn.Upsample(scale_factor=1.5, mode="nearest-exact"), (2, 3, 5)),
    "UpsamplingNearest2d": (lambda nn: nn.UpsamplingNearest2d(size=5), (1, 2, 3, 3)),
    "UpsamplingBilinear2d": (lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 3)),
    "PixelShuffle": (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 3)),
    "PixelUnshuffle": (lambda nn: nn.PixelUnshuffle(3), (2, 1, 6, 3)),
    "ChannelShuffle": (lambda nn: nn.ChannelShuffle(2), (2, 6, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_against_torch(name):
    make, shape = MODULES[name]

    def f(T):
        m = make(T.nn)
        x = data(T, *shape, requires_grad=True)
        if name.startswith("LPPool"):
            x = (x.detach().abs() + 0.5).requires_grad_()
        out = m(x)
        y = out[0] if isinstance(out, tuple) else out
        g = data(T, *y.shape, seed=7)
        (y * g).sum().backward()
        m.eval()
        again = m(x.detach())
        return str(m), repr(m), out, x.grad, y.grad_fn.name(), again
    both(f)


def test_unpool_module_roundtrip():
    def f(T):
        pool, unpool = T.nn.MaxPool2d(2, return_indices=True), T.nn.MaxUnpool2d(2)
        x = data(T, 1, 2, 5, 5, requires_grad=True)
        out, idx = pool(x)
        y = unpool(out, idx, output_size=x.size())
        y.sum().backward()
        return str(unpool), y, idx, x.grad, y.grad_fn.name()
    both(f)


def test_double_backward_through_pooling_and_resampling():
    def f(T):
        F = T.nn.functional
        x = data(T, 1, 2, 6, 6, requires_grad=True)
        y = F.interpolate(F.avg_pool2d(F.max_pool2d(x * x, 2, 1), 2), scale_factor=2,
                          mode="bilinear")
        g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        h, = T.autograd.grad((g * g).sum(), x)
        return g, h
    both(f)


@pytest.mark.parametrize("case", ["ties", "neg_inf_padding", "nan", "int", "adaptive_ties",
                                  "int_avg", "uint8_nearest"])
def test_indices_and_special_values(case):
    def f(T):
        F = T.nn.functional
        if case == "ties":
            x = T.ones(1, 1, 4, 5, requires_grad=True)
            out, idx = F.max_pool2d(x, 3, 1, 1, return_indices=True)
            out.sum().backward()
            return out, idx, x.grad
        if case == "neg_inf_padding":
            x = T.full((1, 1, 4, 4), float("-inf"))
            return F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
        if case == "nan":
            x = data(T, 1, 1, 4, 4)
            x[0, 0, 1, 1] = x[0, 0, 0, 1] = x[0, 0, 3, 3] = float("nan")
            return (F.max_pool2d(x, 2, return_indices=True), F.avg_pool2d(x, 2),
                    F.max_pool2d(x, 3, 1, 1, return_indices=True),
                    F.adaptive_max_pool2d(x, 3, return_indices=True),
                    F.adaptive_max_pool2d(x, 2, return_indices=True))
        if case == "int":
            x = T.arange(30).reshape(1, 2, 3, 5)
            return F.max_pool2d(x, 2, return_indices=True)
        if case == "uint8_nearest":
            x = T.arange(24, dtype=T.uint8).reshape(1, 2, 3, 4)
            return F.interpolate(x, scale_factor=1.5), F.interpolate(x[0], size=7)
        if case == "int_avg":
            x = T.arange(-15, 15).reshape(1, 2, 3, 5)
            return F.avg_pool2d(x, 2)
        x = T.tensor([[[1.0, 3.0, 3.0, 2.0, 3.0, 0.0, 3.0]]])
        return F.adaptive_max_pool1d(x, 3, return_indices=True)
    both(f)


ERRORS = {
    # max pooling
    "mp_pad": lambda F, x: F.max_pool2d(x, 2, padding=2),
    "mp_small": lambda F, x: F.max_pool2d(x, 6),
    "mp_rank2": lambda F, x: F.max_pool2d(x[0, 0], 2),
    "mp_rank5": lambda F, x: F.max_pool2d(x[None], 2),
    "mp_k0": lambda F, x: F.max_pool2d(x, 0),
    "mp_s0": lambda F, x: F.max_pool2d(x, 2, 0),
    "mp_d0": lambda F, x: F.max_pool2d(x, 2, dilation=0),
    "mp_k3": lambda F, x: F.max_pool2d(x, (2, 2, 2)),
    "mp_s3": lambda F, x: F.max_pool2d(x, 2, (1, 1, 1)),
    "mp_p3": lambda F, x: F.max_pool2d(x, 2, padding=(1, 1, 1)),
    "mp_d3": lambda F, x: F.max_pool2d(x, 2, dilation=(1, 1, 1)),
    "mp_negpad": lambda F, x: F.max_pool2d(x, 2, padding=-1),
    "mp_negk": lambda F, x: F.max_pool2d(x, -1, 1),
    "mp_negs": lambda F, x: F.max_pool2d(x, 2, -1),
    "mp_empty": lambda F, x: F.max_pool2d(x[:, :0], 2),
    "mp1_rank": lambda F, x: F.max_pool1d(x[0, 0, 0], 2),
    "mp1_k2": lambda F, x: F.max_pool1d(x[0], (2, 2)),
    # average pooling
    "ap_pad": lambda F, x: F.avg_pool2d(x, 2, padding=2),
    "ap_small": lambda F, x: F.avg_pool2d(x, 6),
    "ap_rank2": lambda F, x: F.avg_pool2d(x[0, 0], 2),
    "ap_rank1": lambda F, x: F.avg_pool2d(x[0, 0, 0], 2),
    "ap_rank5": lambda F, x: F.avg_pool2d(x[None], 2),
    "ap_div0": lambda F, x: F.avg_pool2d(x, 2, divisor_override=0),
    "ap_s0": lambda F, x: F.avg_pool2d(x, 2, 0),
    "ap1_rank": lambda F, x: F.avg_pool1d(x[0, 0, 0], 2),
    "ap1_k2": lambda F, x: F.avg_pool1d(x[0], (2, 2)),
    # adaptive pooling
    "aap_rank": lambda F, x: F.adaptive_avg_pool2d(x[0, 0], 2),
    "aap_len": lambda F, x: F.adaptive_avg_pool2d(x, (2, 2, 2)),
    "aap_empty": lambda F, x: F.adaptive_avg_pool2d(x[:, :, :0], 2),
    "aap_none": lambda F, x: F.adaptive_avg_pool2d(x[0, 0, 0], (None, 3)),
    "amp_rank": lambda F, x: F.adaptive_max_pool2d(x[0, 0], 2),
    "amp_empty": lambda F, x: F.adaptive_max_pool2d(x[:, :, :0], 2),
    "amp1_rank": lambda F, x: F.adaptive_max_pool1d(x[0, 0, 0], 2),
    "aap1_rank": lambda F, x: F.adaptive_avg_pool1d(x[0, 0, 0], 2),
    # interpolate
    "up_size0": lambda F, x: F.interpolate(x, size=0),
    "up_size0_1d": lambda F, x: F.interpolate(x[0], size=0, mode="linear"),
    "up_scale_small": lambda F, x: F.interpolate(x, scale_factor=0.1),
    "up_align_nearest": lambda F, x: F.interpolate(x, scale_factor=2, align_corners=True),
    "up_linear_4d": lambda F, x: F.interpolate(x, scale_factor=2, mode="linear"),
    "up_bilinear_3d": lambda F, x: F.interpolate(x[0], scale_factor=2, mode="bilinear"),
    "up_bad_mode": lambda F, x: F.interpolate(x, scale_factor=2, mode="foo"),
    "up_2d_input": lambda F, x: F.interpolate(x[0, 0], scale_factor=2),
    "up_neither": lambda F, x: F.interpolate(x),
    "up_both": lambda F, x: F.interpolate(x, 2, 2),
    "up_size_len": lambda F, x: F.interpolate(x, (2, 3, 4)),
    "up_size_float": lambda F, x: F.interpolate(x, (2.0, 3)),
    "up_scale_len": lambda F, x: F.interpolate(x, scale_factor=(2.0, 3, 1)),
    "up_recompute_size": lambda F, x: F.interpolate(x, size=3, recompute_scale_factor=True),
    "up_antialias_nearest": lambda F, x: F.interpolate(x, scale_factor=2, antialias=True),
    "up_long": lambda F, x: F.interpolate(x.long(), scale_factor=2),
    "up_long_linear": lambda F, x: F.interpolate(x[0].long(), scale_factor=2, mode="linear"),
    "up_long_nearest_1d": lambda F, x: F.interpolate(x[0].long(), scale_factor=2),
    "up_int_bilinear": lambda F, x: F.interpolate(x.int(), scale_factor=2, mode="bilinear"),
    "up_long_bicubic": lambda F, x: F.interpolate(x.long(), scale_factor=2, mode="bicubic"),
    "upsample_warns": lambda F, x: F.upsample(x, scale_factor=2),
    "upsample_nearest_warns": lambda F, x: F.upsample_nearest(x, 7),
    "upsample_bilinear_warns": lambda F, x: F.upsample_bilinear(x, (7, 6)),
    # shuffles
    "ps_channels": lambda F, x: F.pixel_shuffle(x, 2),
    "ps_rank": lambda F, x: F.pixel_shuffle(x[0, 0], 2),
    "ps_zero": lambda F, x: F.pixel_shuffle(x, 0),
    "pus_h": lambda F, x: F.pixel_unshuffle(x, 2),
    "pus_w": lambda F, x: F.pixel_unshuffle(x[:, :, :4], 2),
    "pus_rank": lambda F, x: F.pixel_unshuffle(x[0, 0], 2),
    "pus_zero": lambda F, x: F.pixel_unshuffle(x, 0),
    "cs_groups": lambda F, x: F.channel_shuffle(x, 2),
    "cs_rank": lambda F, x: F.channel_shuffle(x[0, 0, 0], 2),
    "cs_zero": lambda F, x: F.channel_shuffle(x, 0),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_functional_errors(case):
    both(lambda T: ERRORS[case](T.nn.functional, data(T, 1, 3, 5, 5, requires_grad=True)))


UNPOOL = {
    "rank": lambda F, o, i: F.max_unpool2d(o[0, 0], i[0, 0], 2),
    "shape": lambda F, o, i: F.max_unpool2d(o, i[..., :1], 2),
    "dtype": lambda F, o, i: F.max_unpool2d(o, i.int(), 2),
    "output_size_len": lambda F, o, i: F.max_unpool2d(o, i, 2, output_size=(1, 2, 3)),
    "output_size_range": lambda F, o, i: F.max_unpool2d(o, i, 2, output_size=(7, 7)),
    "invalid_index": lambda F, o, i: F.max_unpool2d(o, i * 9, 2),
    "negative_index": lambda F, o, i: F.max_unpool2d(o, -i - 1, 2),
    "output_size_4": lambda F, o, i: F.max_unpool2d(o, i, 2, output_size=(1, 2, 5, 5)),
    "empty_channels": lambda F, o, i: F.max_unpool2d(o[:, :0], i[:, :0], 2),
    "empty_channels_3d": lambda F, o, i: F.max_unpool3d(o[:, :0, None], i[:, :0, None], 1),
}


@pytest.mark.parametrize("case", sorted(UNPOOL))
def test_max_unpool2d_errors(case):
    def f(T):
        F = T.nn.functional
        out, idx = F.max_pool2d(data(T, 1, 2, 4, 4), 2, return_indices=True)
        return UNPOOL[case](F, out, idx)
    both(f)


def test_large_input_vectorised_paths():
    """Bigger inputs than the op table's (stride-1 overlapping windows, uneven adaptive
    windows, upsampling by non-integer factors) still agree with torch."""
    def f(T):
        F = T.nn.functional
        x = data(T, 2, 4, 17, 19).double().requires_grad_()
        ys = [F.max_pool2d(x, 3, 1, 1), F.avg_pool2d(x, 4, 3, 2, ceil_mode=True),
              F.adaptive_max_pool2d(x, (5, 7)), F.adaptive_avg_pool2d(x, (6, 4)),
              F.interpolate(x, scale_factor=1.3, mode="bicubic"),
              F.interpolate(x, size=(9, 25), mode="bilinear")]
        total = sum((y * y).mean() for y in ys)
        total.backward()
        return ys, x.grad
    both(f)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_unpool_of_an_empty_batch_backpropagates_like_torch(nd):
    """A batch of 0: max_pool/max_unpool and their backward give empty results and gradients
    (the flat gather of the indices reshaped with -1, which a leading 0 makes ambiguous)."""
    def run(T):
        F = T.nn.functional
        x = T.zeros((0, 2) + (4,) * nd, requires_grad=True)
        p, i = getattr(F, f"max_pool{nd}d")(x, 2, return_indices=True)
        u = getattr(F, f"max_unpool{nd}d")(p, i, 2)
        (u.sum() + p.sum()).backward()
        return u, x.grad
    both(run)
