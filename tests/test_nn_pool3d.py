"""3-D pooling, adaptive 3-D pooling and 1-D/3-D max unpooling against torch: module printouts,
outputs, input gradients, grad_fn names, returned indices, eval, double backward, ties and
NaN windows, integer inputs, and the functional forms' errors; the local response norm's graph
on 4-D and 5-D input (avg_pool3d inside, as torch)."""
from __future__ import annotations

import pytest

from _both import both
from _nn_models import data

MODULES = {
    "MaxPool3d": (lambda nn: nn.MaxPool3d(2), (2, 2, 4, 5, 4)),
    "MaxPool3d_full": (lambda nn: nn.MaxPool3d((3, 2, 2), stride=(2, 1, 2), padding=1,
                                               dilation=(1, 2, 1), ceil_mode=True),
                       (2, 2, 5, 6, 5)),
    "MaxPool3d_indices": (lambda nn: nn.MaxPool3d(3, 2, 1, return_indices=True), (2, 4, 5, 6)),
    "AvgPool3d": (lambda nn: nn.AvgPool3d(2), (2, 2, 4, 5, 4)),
    "AvgPool3d_full": (lambda nn: nn.AvgPool3d((3, 2, 2), (2, 1, 1), (1, 1, 0), ceil_mode=True,
                                               count_include_pad=False), (2, 2, 5, 4, 3)),
    "AvgPool3d_divisor": (lambda nn: nn.AvgPool3d(2, 1, divisor_override=3), (2, 3, 4, 3)),
    "AdaptiveAvgPool3d": (lambda nn: nn.AdaptiveAvgPool3d((3, None, 2)), (2, 2, 7, 5, 6)),
    "AdaptiveAvgPool3d_1": (lambda nn: nn.AdaptiveAvgPool3d(1), (2, 3, 4, 4, 2)),
    "AdaptiveMaxPool3d": (lambda nn: nn.AdaptiveMaxPool3d((4, 3, 2), return_indices=True),
                          (2, 2, 7, 5, 6)),
    "AdaptiveMaxPool3d_up": (lambda nn: nn.AdaptiveMaxPool3d(5), (2, 3, 4, 2)),
    "LPPool3d": (lambda nn: nn.LPPool3d(2, 2, stride=(1, 2, 2)), (2, 2, 4, 5, 4)),
    "LPPool3d_frac": (lambda nn: nn.LPPool3d(1.5, (1, 2, 2)), (2, 3, 4, 4)),
    "LocalResponseNorm_4d": (lambda nn: nn.LocalResponseNorm(3, alpha=0.3, beta=0.6, k=2.0),
                             (2, 5, 3, 4)),
    "LocalResponseNorm_5d": (lambda nn: nn.LocalResponseNorm(2), (1, 4, 2, 3, 2)),
}


def _chain(node, depth=0):
    """The names of a graph's nodes, depth first (the graph's shape, to compare with torch)."""
    if node is None or depth > 12:
        return None
    return (node.name(), tuple(_chain(n, depth + 1) for n, _ in node.next_functions))


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
        return str(m), repr(m), out, x.grad, _chain(y.grad_fn), again
    both(f)


def test_unpool_modules_roundtrip():
    def f(T):
        res = []
        x = data(T, 1, 2, 5, 4, 6, requires_grad=True)
        out, idx = T.nn.MaxPool3d(2, return_indices=True)(x)
        unpool = T.nn.MaxUnpool3d(2)
        y = unpool(out, idx, output_size=x.size())
        z = data(T, 2, 3, 9, requires_grad=True)
        out1, idx1 = T.nn.MaxPool1d(2, return_indices=True)(z)
        unpool1 = T.nn.MaxUnpool1d(2, stride=2)
        y1 = unpool1(out1, idx1, output_size=z.shape)
        (y.sum() + (y1 * y1).sum()).backward()
        res += [str(unpool), str(unpool1), y, idx, y1, idx1, x.grad, z.grad,
                _chain(y.grad_fn), _chain(y1.grad_fn), str(T.nn.MaxUnpool3d((1, 2, 2), 1, 0))]
        return res
    both(f)


def test_double_backward_through_3d_pooling():
    def f(T):
        F = T.nn.functional
        x = data(T, 1, 2, 4, 6, 6, requires_grad=True)
        y = F.adaptive_avg_pool3d(F.avg_pool3d(F.max_pool3d(x * x, 2, 1), 2, 1, 1), (2, 3, 2))
        y = y + F.adaptive_max_pool3d(x * x, 2).sum()
        g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        h, = T.autograd.grad((g * g).sum(), x)
        return g, h
    both(f)


@pytest.mark.parametrize("case", ["ties", "neg_inf_padding", "nan", "int", "int_avg",
                                  "adaptive_ties", "adaptive_nan", "zero_output"])
def test_indices_and_special_values(case):
    def f(T):
        F = T.nn.functional
        if case == "ties":
            x = T.ones(1, 1, 3, 4, 5, requires_grad=True)
            out, idx = F.max_pool3d(x, 3, 1, 1, return_indices=True)
            out.sum().backward()
            return out, idx, x.grad
        if case == "neg_inf_padding":
            x = T.full((1, 1, 3, 4, 4), float("-inf"))
            return F.max_pool3d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
        if case == "nan":
            x = data(T, 1, 1, 2, 4, 4)
            x[0, 0, 1, 1, 1] = x[0, 0, 0, 0, 1] = x[0, 0, 1, 3, 3] = float("nan")
            return (F.max_pool3d(x, 2, return_indices=True), F.avg_pool3d(x, 2),
                    F.max_pool3d(x, 3, 1, 1, return_indices=True),
                    F.adaptive_max_pool3d(x, (1, 3, 3), return_indices=True))
        if case == "int":
            return F.max_pool3d(T.arange(60).reshape(1, 3, 4, 5), 2, return_indices=True)
        if case == "int_avg":
            return F.avg_pool3d(T.arange(-30, 30).reshape(1, 3, 4, 5), 2)
        if case == "adaptive_ties":
            x = T.tensor([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0]], [[3.0, 3.0, 1.0], [2.0, 3.0, 0.0]]]])
            return F.adaptive_max_pool3d(x, (1, 1, 2), return_indices=True)
        if case == "adaptive_nan":
            x = data(T, 1, 2, 3, 5)
            x[0, 1, 2, 1] = x[0, 0, 0, 4] = float("nan")
            return F.adaptive_max_pool3d(x, (1, 2, 2), return_indices=True)
        x = data(T, 1, 2, 3, 4, 4, requires_grad=True)
        return F.adaptive_avg_pool3d(x, (0, 2, 2)), F.adaptive_max_pool3d(x, (2, 0, 1))
    both(f)


ERRORS = {
    "mp_k4": lambda F, x: F.max_pool3d(x, (2, 2, 2, 2)),
    "mp_k2": lambda F, x: F.max_pool3d(x, (2, 2)),
    "mp_s2": lambda F, x: F.max_pool3d(x, 2, (1, 1)),
    "mp_p2": lambda F, x: F.max_pool3d(x, 2, padding=(1, 1)),
    "mp_d2": lambda F, x: F.max_pool3d(x, 2, dilation=(1, 1)),
    "mp_rank3": lambda F, x: F.max_pool3d(x[0, 0], 2),
    "mp_rank6": lambda F, x: F.max_pool3d(x[None], 2),
    "mp_small": lambda F, x: F.max_pool3d(x, 5),
    "mp_pad": lambda F, x: F.max_pool3d(x, 2, padding=2),
    "mp_pad_dilated": lambda F, x: F.max_pool3d(x, 2, padding=(1, 1, 1), dilation=3),
    "mp_k0": lambda F, x: F.max_pool3d(x, 0),
    "mp_s0": lambda F, x: F.max_pool3d(x, 2, 0),
    "mp_negk": lambda F, x: F.max_pool3d(x, -1, 1),
    "mp_negs": lambda F, x: F.max_pool3d(x, 2, -1),
    "mp_d0": lambda F, x: F.max_pool3d(x, 2, dilation=0),
    "mp_empty": lambda F, x: F.max_pool3d(x[:, :0], 2),
    "mp_empty_batch": lambda F, x: F.max_pool3d(x[:0], 2),
    "ap_k2": lambda F, x: F.avg_pool3d(x, (2, 2)),
    "ap_s2": lambda F, x: F.avg_pool3d(x, 2, (1, 1)),
    "ap_p2": lambda F, x: F.avg_pool3d(x, 2, padding=(1, 1)),
    "ap_rank3": lambda F, x: F.avg_pool3d(x[0, 0], 2),
    "ap_small": lambda F, x: F.avg_pool3d(x, 5),
    "ap_small_padded": lambda F, x: F.avg_pool3d(x, (5, 1, 1), padding=(2, 0, 0)),
    "ap_pad": lambda F, x: F.avg_pool3d(x, 2, padding=2),
    "ap_div0": lambda F, x: F.avg_pool3d(x, 2, divisor_override=0),
    "ap_s0": lambda F, x: F.avg_pool3d(x, 2, 0),
    "ap_empty": lambda F, x: F.avg_pool3d(x[:, :0], 2),
    "ap_half": lambda F, x: F.avg_pool3d(x.half(), 2),
    "aap_rank": lambda F, x: F.adaptive_avg_pool3d(x[0, 0], 2),
    "aap_len": lambda F, x: F.adaptive_avg_pool3d(x, (2, 2)),
    "aap_empty": lambda F, x: F.adaptive_avg_pool3d(x[:, :, :0], 2),
    "aap_long": lambda F, x: F.adaptive_avg_pool3d(x.long(), 2),
    "amp_rank": lambda F, x: F.adaptive_max_pool3d(x[0, 0], 2),
    "amp_len": lambda F, x: F.adaptive_max_pool3d(x, (2, 2)),
    "amp_empty": lambda F, x: F.adaptive_max_pool3d(x[:, :, :0], 2),
    "amp_long": lambda F, x: F.adaptive_max_pool3d(x.long(), 2),
    "lrn_rank2": lambda F, x: F.local_response_norm(x[0, 0, 0], 2),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_functional_errors(case):
    both(lambda T: ERRORS[case](T.nn.functional, data(T, 1, 2, 4, 4, 4, requires_grad=True)))


UNPOOL = {
    "rank": lambda F, o, i: F.max_unpool3d(o[0, 0], i[0, 0], 2),
    "shape": lambda F, o, i: F.max_unpool3d(o, i[..., :1], 2),
    "dtype": lambda F, o, i: F.max_unpool3d(o, i.int(), 2),
    "output_size_len": lambda F, o, i: F.max_unpool3d(o, i, 2, output_size=(1, 2)),
    "output_size_range": lambda F, o, i: F.max_unpool3d(o, i, 2, output_size=(7, 4, 4)),
    "invalid_index": lambda F, o, i: F.max_unpool3d(o, _one_bad(i, 99), 2),
    "negative_index": lambda F, o, i: F.max_unpool3d(o, _one_bad(i, -3), 2),
    "output_size_5": lambda F, o, i: F.max_unpool3d(o, i, 2, output_size=(1, 2, 4, 4, 4)),
    "1d_rank": lambda F, o, i: F.max_unpool1d(_pool1d(F, o)[0][0, 0], _pool1d(F, o)[1][0, 0],
                                              2),
    "1d_shape": lambda F, o, i: F.max_unpool1d(_pool1d(F, o)[0], _pool1d(F, o)[1][..., :1], 2),
    "1d_output_size": lambda F, o, i: F.max_unpool1d(*_pool1d(F, o), 2, output_size=[9]),
    "1d_invalid_index": lambda F, o, i: F.max_unpool1d(_pool1d(F, o)[0],
                                                       _one_bad(_pool1d(F, o)[1], 90), 2),
}


def _pool1d(F, o):
    return F.max_pool1d(o.reshape(2, 2, 4), 2, return_indices=True)


def _one_bad(i, value):
    """One invalid index (with several, which one torch reports depends on its threads)."""
    i = i.clone()
    i.view(-1)[1] = value
    return i


@pytest.mark.parametrize("case", sorted(UNPOOL))
def test_max_unpool_errors(case):
    def f(T):
        F = T.nn.functional
        out, idx = F.max_pool3d(data(T, 1, 2, 4, 4, 4), 2, return_indices=True)
        return UNPOOL[case](F, out, idx)
    both(f)


def test_large_input_vectorised_paths():
    """Bigger inputs than the op table's (overlapping windows, uneven adaptive windows) still
    agree with torch."""
    def f(T):
        F = T.nn.functional
        x = data(T, 2, 3, 9, 11, 10).double().requires_grad_()
        ys = [F.max_pool3d(x, 3, 1, 1), F.avg_pool3d(x, 4, 3, 2, ceil_mode=True),
              F.adaptive_max_pool3d(x, (4, 5, 3)), F.adaptive_avg_pool3d(x, (5, 4, 7))]
        total = sum((y * y).mean() for y in ys)
        total.backward()
        return ys, x.grad
    both(f)
