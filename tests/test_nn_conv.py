"""Convolution, fold and padding layers against torch: F.conv*/conv_transpose*/unfold/fold
(values, gradients, node chains, errors), the Conv/ConvTranspose modules (printout, attributes,
parameter shapes, padding modes, output_size, init bounds, constructor errors), Fold/Unfold and
the padding modules (printout, values, gradients)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import retrograd
import torch
from _both import both
from _nn_models import data, set_params


def _chain(fn):
    out, stack = [], [(fn, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        out.append((depth, node.name().replace("torch::autograd::", "")))
        stack.extend((n, depth + 1) for n, _ in reversed(node.next_functions))
    return out


def data64(T, *shape, seed: int = 1, requires_grad: bool = False):
    """float64 data: conv gradients are long sums of products, whose float32 rounding differs
    between BLAS builds."""
    return data(T, *shape, seed=seed).double().requires_grad_(requires_grad)


CONV_CASES = {
    "conv1d": lambda F, T: F.conv1d(data64(T, 2, 3, 9, requires_grad=True),
                                    data64(T, 4, 3, 3, seed=2, requires_grad=True),
                                    data64(T, 4, seed=3, requires_grad=True), stride=2, padding=2),
    "conv2d_groups": lambda F, T: F.conv2d(
        data64(T, 2, 4, 6, 5, requires_grad=True),
        data64(T, 6, 2, 3, 2, seed=2, requires_grad=True), None, (2, 1), (1, 0), (1, 2), 2),
    "conv2d_depthwise_same": lambda F, T: F.conv2d(
        data64(T, 1, 3, 5, 5, requires_grad=True),
        data64(T, 3, 1, 3, 3, seed=2, requires_grad=True), padding="same", groups=3),
    "conv2d_unbatched": lambda F, T: F.conv2d(data64(T, 2, 5, 4, requires_grad=True),
                                              data64(T, 3, 2, 2, 2, seed=2, requires_grad=True)),
    "conv3d": lambda F, T: F.conv3d(data64(T, 1, 2, 4, 3, 4, requires_grad=True),
                                    data64(T, 2, 2, 2, 2, 2, seed=2, requires_grad=True),
                                    data64(T, 2, seed=3, requires_grad=True), padding=1, stride=2),
    "conv_transpose2d": lambda F, T: F.conv_transpose2d(
        data64(T, 2, 4, 3, 3, requires_grad=True),
        data64(T, 4, 3, 3, 2, seed=2, requires_grad=True),
        data64(T, 6, seed=3, requires_grad=True), 2, 1, 1, 2, 1),
    "conv_transpose1d_unbatched": lambda F, T: F.conv_transpose1d(
        data64(T, 2, 4, requires_grad=True), data64(T, 2, 3, 3, seed=2, requires_grad=True),
        stride=3, dilation=2),
    "conv_transpose3d": lambda F, T: F.conv_transpose3d(
        data64(T, 1, 2, 2, 2, 3, requires_grad=True), data64(T, 2, 2, 2, 2, 2, seed=2,
                                                          requires_grad=True)),
    "unfold": lambda F, T: F.unfold(data64(T, 2, 3, 5, 4, requires_grad=True), (2, 3), padding=1),
    "fold": lambda F, T: F.fold(data64(T, 2, 12, 12, requires_grad=True), (4, 5), 2,
                                padding=(0, 1)),
}


@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_functional_values_grads_graph(case):
    def f(T):
        F = T.nn.functional
        y = CONV_CASES[case](F, T)
        leaves = []
        stack = [y.grad_fn]
        while stack:
            n = stack.pop()
            if n is None:
                continue
            if hasattr(n, "variable"):
                leaves.append(n.variable)
            stack.extend(m for m, _ in n.next_functions)
        (y * y).sum().backward()
        return y, [t.grad for t in leaves], _chain(y.grad_fn)
    both(f)


def test_double_backward_matches_torch():
    def f(T):
        F = T.nn.functional
        x = data(T, 2, 3, 6, 5).double().requires_grad_()   # float64: sums of products
        w = data(T, 4, 3, 3, 3, seed=2).double().requires_grad_()
        y = F.conv2d(x, w, stride=2, padding=1)
        gx, gw = T.autograd.grad((y ** 2).sum(), (x, w), create_graph=True)
        hx, hw = T.autograd.grad((gx ** 2).sum() + (gw ** 3).sum(), (x, w))
        return gx.detach(), gw.detach(), hx, hw
    both(f)


ERRORS = {
    "rank": lambda F, T: F.conv2d(data(T, 2, 3), data(T, 16, 1, 3, 3)),
    "channels": lambda F, T: F.conv2d(data(T, 2, 3, 8, 8), data(T, 16, 1, 3, 3)),
    "channels_unbatched": lambda F, T: F.conv2d(data(T, 3, 8, 8), data(T, 16, 1, 3, 3)),
    "groups_weight": lambda F, T: F.conv2d(data(T, 2, 4, 8, 8), data(T, 3, 2, 3, 3), groups=2),
    "groups_zero": lambda F, T: F.conv2d(data(T, 2, 4, 8, 8), data(T, 4, 2, 3, 3), groups=0),
    "kernel_too_big": lambda F, T: F.conv2d(data(T, 1, 1, 4, 4), data(T, 1, 1, 3, 3),
                                            dilation=2),
    "bias_size": lambda F, T: F.conv1d(data(T, 1, 2, 5), data(T, 3, 2, 2), data(T, 2)),
    "bias_dtype": lambda F, T: F.conv1d(data(T, 1, 2, 5), data(T, 3, 2, 2),
                                        data(T, 3).double()),
    "weight_dtype_small": lambda F, T: F.conv2d(data(T, 1, 1, 3, 3), data(T, 1, 1, 2, 2).double()),
    "weight_dtype_large": lambda F, T: F.conv2d(data(T, 2, 3, 8, 8), data(T, 2, 3, 3, 3).double()),
    "stride_zero": lambda F, T: F.conv2d(data(T, 1, 1, 3, 3), data(T, 1, 1, 2, 2), stride=0),
    "padding_negative": lambda F, T: F.conv2d(data(T, 1, 1, 3, 3), data(T, 1, 1, 2, 2),
                                              padding=-1),
    "stride_length": lambda F, T: F.conv2d(data(T, 1, 1, 3, 3), data(T, 1, 1, 2, 2),
                                           stride=(1, 1, 1)),
    "padding_string": lambda F, T: F.conv2d(data(T, 1, 1, 3, 3), data(T, 1, 1, 2, 2),
                                            padding="full"),
    "same_strided": lambda F, T: F.conv2d(data(T, 1, 1, 3, 3), data(T, 1, 1, 2, 2),
                                          padding="same", stride=2),
    "float_stride": lambda F, T: F.conv2d(data(T, 1, 1, 3, 3), data(T, 1, 1, 2, 2), stride=1.5),
    "not_a_tensor": lambda F, T: F.conv1d([1.0], data(T, 1, 1, 2)),
    "transpose_output_padding": lambda F, T: F.conv_transpose2d(
        data(T, 1, 2, 3, 3), data(T, 2, 1, 3, 3), stride=2, output_padding=2),
    "transpose_channels": lambda F, T: F.conv_transpose2d(data(T, 1, 3, 3, 3),
                                                          data(T, 2, 1, 3, 3)),
    "transpose_too_small": lambda F, T: F.conv_transpose2d(data(T, 1, 2, 3, 3).double(),
                                                           data(T, 2, 1, 3, 3).double(),
                                                           padding=3),
    "transpose_padding_string": lambda F, T: F.conv_transpose1d(
        data(T, 1, 2, 3), data(T, 2, 1, 3), padding="same"),
    "transpose1d_output_padding": lambda F, T: F.conv_transpose1d(
        data(T, 1, 1, 3).double(), data(T, 1, 1, 2).double(), stride=2, output_padding=(3,)),
    "transpose3d_output_padding": lambda F, T: F.conv_transpose3d(
        data(T, 1, 1, 3, 3, 3).double(), data(T, 1, 1, 2, 2, 2).double(), output_padding=1),
    "bool_conv1d": lambda F, T: F.conv1d(data(T, 1, 1, 3).bool(), data(T, 1, 1, 2).bool()),
    "bool_conv3d": lambda F, T: F.conv3d(data(T, 1, 1, 3, 3, 3).bool(),
                                         data(T, 1, 1, 2, 2, 2).bool()),
    "bool_transpose1d": lambda F, T: F.conv_transpose1d(data(T, 1, 1, 3).bool(),
                                                        data(T, 1, 1, 2).bool()),
    "unfold_rank": lambda F, T: F.unfold(data(T, 1, 1, 2, 3, 3), 2),
    "unfold_blocks": lambda F, T: F.unfold(data(T, 1, 1, 3, 5), (4, 2)),
    "unfold_kernel": lambda F, T: F.unfold(data(T, 1, 1, 3, 5), 0),
    "unfold_size": lambda F, T: F.unfold(data(T, 1, 1, 3, 5), (2, 2, 2)),
    "unfold_int": lambda F, T: F.unfold(data(T, 1, 1, 3, 5).long(), 2),
    "fold_blocks": lambda F, T: F.fold(data(T, 2, 12, 10), (4, 5), 2),
    "fold_channels": lambda F, T: F.fold(data(T, 2, 10, 12), (4, 5), 2),
    "fold_rank": lambda F, T: F.fold(data(T, 12), (4, 5), 2),
    "fold_float": lambda F, T: F.fold(data(T, 2, 12, 12), 4.0, 2),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_like_torch(case):
    both(lambda T: ERRORS[case](T.nn.functional, T))


def test_same_padding_even_kernel_graph():
    """An even kernel under padding='same': the extra row/column is padded by F.pad first
    (ConstantPadNdBackward0 under the convolution), as in torch."""
    def f(T):
        x = data(T, 1, 2, 5, 4, requires_grad=True)
        w = data(T, 3, 2, 2, 4, seed=2, requires_grad=True)
        y = T.nn.functional.conv2d(x, w, padding="same", dilation=(1, 1))
        y.sum().backward()
        return y, x.grad, w.grad, _chain(y.grad_fn), y.grad_fn._saved_padding
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PyTorch warns once per process: order-dependent
        both(f)


MODULES = {
    "conv1d": lambda nn: nn.Conv1d(2, 4, 3, stride=2, padding=1, bias=False),
    "conv1d_reflect": lambda nn: nn.Conv1d(2, 2, 3, padding=2, padding_mode="reflect"),
    "conv2d": lambda nn: nn.Conv2d(2, 4, 3, padding=1),
    "conv2d_circular": lambda nn: nn.Conv2d(2, 4, (2, 3), padding=(1, 2), dilation=(2, 1),
                                            padding_mode="circular"),
    "conv2d_replicate_same": lambda nn: nn.Conv2d(2, 2, 2, padding="same",
                                                  padding_mode="replicate"),
    "conv2d_valid_groups": lambda nn: nn.Conv2d(4, 6, 2, padding="valid", groups=2),
    "conv2d_depthwise": lambda nn: nn.Conv2d(2, 4, 3, groups=2, stride=(2, 1)),
    "conv3d": lambda nn: nn.Conv3d(2, 2, 2, padding=(0, 1, 0)),
    "conv_transpose1d": lambda nn: nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1),
    "conv_transpose2d": lambda nn: nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, groups=2,
                                                      bias=False, dilation=2),
    "conv_transpose3d": lambda nn: nn.ConvTranspose3d(2, 2, (1, 2, 2)),
}
INPUT = {1: (2, 2, 7), 2: (2, 2, 5, 6), 3: (1, 2, 3, 4, 3)}


@pytest.mark.parametrize("case", sorted(MODULES))
def test_modules_like_torch(case):
    def f(T):
        # float64: the weight gradients are long sums of products (float32 rounding differs)
        m = set_params(MODULES[case](T.nn), T).double()
        dims = len(m.kernel_size)
        shape = list(INPUT[dims])
        shape[1] = m.in_channels
        x = data(T, *shape).double().requires_grad_()
        y = m(x)
        (y * y).sum().backward()
        unbatched = m(data(T, *shape[1:]).double())
        return (str(m), y, x.grad, [(n, p.grad) for n, p in m.named_parameters()],
                y.grad_fn.name(), tuple(m.weight.shape), m.stride, m.padding, m.dilation,
                m.groups, m.padding_mode, m.output_padding, m.transposed, unbatched,
                list(m._reversed_padding_repeated_twice), sorted(m.state_dict()))
    both(f)


def test_conv_transpose_output_size():
    def f(T):
        m = set_params(T.nn.ConvTranspose2d(2, 3, 3, stride=2), T)
        x = data(T, 1, 2, 4, 4)
        outs = [m(x, output_size=[9, 9]), m(x, output_size=(1, 3, 10, 10)), m(x[0], [10, 9])]
        return [o.shape for o in outs] + outs
    both(f)


@pytest.mark.parametrize("bad", ["too_big", "length"])
def test_conv_transpose_output_size_errors(bad):
    def f(T):
        m = T.nn.ConvTranspose2d(2, 3, 3, stride=2)
        return m(data(T, 1, 2, 4, 4), output_size=[12, 9] if bad == "too_big" else [9])
    both(f)


CTOR_ERRORS = {
    "groups": lambda nn: nn.Conv2d(4, 4, 3, groups=0),
    "in_channels": lambda nn: nn.Conv2d(3, 4, 3, groups=2),
    "out_channels": lambda nn: nn.Conv2d(4, 3, 3, groups=2),
    "same_strided": lambda nn: nn.Conv2d(2, 2, 3, padding="same", stride=2),
    "transpose_mode": lambda nn: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
}


@pytest.mark.parametrize("case", sorted(CTOR_ERRORS))
def test_constructor_errors(case):
    both(lambda T: CTOR_ERRORS[case](T.nn))


@pytest.mark.parametrize("make,pattern", [
    (lambda nn: nn.Conv2d(2, 2, 3, padding_mode="mirror"),
     r"padding_mode must be one of \{(.*)\}, but got padding_mode='mirror'$"),
    (lambda nn: nn.Conv1d(2, 2, 3, padding="full"),
     r"Invalid padding string 'full', should be one of \{(.*)\}$"),
], ids=["padding_mode", "padding_string"])
def test_constructor_errors_printing_a_set_like_torch(make, pattern):
    """These messages print a Python set, whose order depends on the process's string hashing
    (and on the order torch's .pyc stored it in): compared up to that order."""
    import re
    msgs = []
    for T in (retrograd, torch):
        with pytest.raises(ValueError) as info:
            make(T.nn)
        m = re.match(pattern, str(info.value))
        assert m, str(info.value)
        msgs.append(sorted(m.group(1).split(", ")))
    assert msgs[0] == msgs[1]


def test_default_init_is_pytorchs_distribution():
    retrograd.manual_seed(0)
    m = retrograd.nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)      # kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), ...)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound and np.abs(b).max() > 0.8 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.05 * bound ** 2
    t = retrograd.nn.ConvTranspose2d(4, 6, 3, groups=2)    # fan_in of (4, 3, 3, 3): 27
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / math.sqrt(27)
    d = retrograd.nn.Conv1d(2, 2, 3, dtype=retrograd.float64)
    assert d.weight.dtype == retrograd.float64 and d.bias.dtype == retrograd.float64


FOLD_AND_PAD = {
    "fold": lambda nn: nn.Fold((4, 5), 2, padding=(0, 1)),
    "unfold": lambda nn: nn.Unfold((2, 3), dilation=1, padding=1, stride=(1, 2)),
    "zero1": lambda nn: nn.ZeroPad1d((1, 2)),
    "zero2": lambda nn: nn.ZeroPad2d(1),
    "zero3": lambda nn: nn.ZeroPad3d((1, 0, 0, 1, 2, 0)),
    "const1": lambda nn: nn.ConstantPad1d(2, 3.5),
    "const2": lambda nn: nn.ConstantPad2d((1, 0, 2, -1), -1.0),
    "const3": lambda nn: nn.ConstantPad3d(1, 0.5),
    "reflect1": lambda nn: nn.ReflectionPad1d(2),
    "reflect2": lambda nn: nn.ReflectionPad2d((1, 2, 0, 1)),
    "reflect3": lambda nn: nn.ReflectionPad3d(1),
    "replicate1": lambda nn: nn.ReplicationPad1d((3, 1)),
    "replicate2": lambda nn: nn.ReplicationPad2d(2),
    "replicate3": lambda nn: nn.ReplicationPad3d((1, 1, 0, 2, 1, 0)),
    "circular1": lambda nn: nn.CircularPad1d(1),
    "circular2": lambda nn: nn.CircularPad2d((1, 2, 2, 0)),
    "circular3": lambda nn: nn.CircularPad3d(1),
}
FOLD_INPUT = {"fold": (2, 12, 12), "unfold": (2, 2, 4, 5)}


@pytest.mark.parametrize("case", sorted(FOLD_AND_PAD))
def test_fold_and_padding_modules(case):
    def f(T):
        m = FOLD_AND_PAD[case](T.nn)
        dims = int(case[-1]) if case[-1].isdigit() else 0
        shape = FOLD_INPUT.get(case, {1: (2, 3, 4), 2: (1, 2, 3, 4), 3: (1, 2, 3, 3, 4)}.get(dims))
        x = data(T, *shape, requires_grad=True)
        y = m(x)
        (y * y).sum().backward()
        return str(m), y, x.grad, y.grad_fn.name()
    both(f)


def test_circular_pad_checks_rank():
    both(lambda T: T.nn.CircularPad2d(1)(data(T, 3, 4)))


@pytest.mark.parametrize("case", ["conv2d", "conv2d_unbatched", "conv_transpose1d", "unfold",
                                  "fold"])
def test_vmap_runs_batched_like_torch(case):
    """The batching rule folds the vmap dim into the op's batch dim: one batched call (no
    per-example fallback), torch's values."""
    from retrograd.func import _batching
    fns = {
        "conv2d": lambda T, x: T.nn.functional.conv2d(x, data(T, 3, 2, 2, 2, seed=2), padding=1),
        "conv2d_unbatched": lambda T, x: T.nn.functional.conv2d(x[0], data(T, 3, 2, 2, 2, seed=2)),
        "conv_transpose1d": lambda T, x: T.nn.functional.conv_transpose1d(
            x.flatten(2), data(T, 2, 3, 2, seed=2), stride=2),
        "unfold": lambda T, x: T.nn.functional.unfold(x, 2),
        "fold": lambda T, x: T.nn.functional.fold(x.flatten(2), (4, 4), (2, 1)),
    }
    before = _batching.STATS["batched"]
    out = both(lambda T: T.vmap(lambda x: fns[case](T, x))(data(T, 3, 2, 2, 3, 4)))
    assert out.error is None and _batching.STATS["batched"] == before + 1
