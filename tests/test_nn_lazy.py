"""Lazy modules and uninitialized parameters against torch: printouts before and after the first
call, the class they become, parameters initialised from the same seed (PyTorch's default
init after materialize), state_dict of placeholders and loading across lazy/initialized
modules, errors when a placeholder is used before materialization."""
from __future__ import annotations

import pytest

from _both import both
from _nn_models import data

LAZY = {
    "LazyLinear": (lambda nn: nn.LazyLinear(3), (2, 4)),
    "LazyLinear_nobias": (lambda nn: nn.LazyLinear(2, bias=False), (3, 2, 5)),
    "LazyConv1d": (lambda nn: nn.LazyConv1d(4, 3, padding=1), (2, 3, 6)),
    "LazyConv2d": (lambda nn: nn.LazyConv2d(4, 3, stride=2, groups=2), (2, 6, 5, 5)),
    "LazyConv2d_unbatched": (lambda nn: nn.LazyConv2d(2, (2, 3), padding="same"), (3, 4, 5)),
    "LazyConv3d": (lambda nn: nn.LazyConv3d(2, 2, bias=False), (1, 2, 3, 3, 3)),
    "LazyConvTranspose1d": (lambda nn: nn.LazyConvTranspose1d(3, 2, stride=2), (2, 4, 3)),
    "LazyConvTranspose2d": (lambda nn: nn.LazyConvTranspose2d(4, 3, output_padding=1, stride=2,
                                                              groups=2), (1, 2, 3, 3)),
    "LazyConvTranspose3d": (lambda nn: nn.LazyConvTranspose3d(2, 2), (1, 3, 2, 2, 2)),
    "LazyBatchNorm1d": (lambda nn: nn.LazyBatchNorm1d(), (4, 3)),
    "LazyBatchNorm2d": (lambda nn: nn.LazyBatchNorm2d(momentum=None), (2, 3, 4, 4)),
    "LazyBatchNorm3d": (lambda nn: nn.LazyBatchNorm3d(affine=False), (2, 2, 2, 3, 2)),
    "LazyInstanceNorm1d": (lambda nn: nn.LazyInstanceNorm1d(), (2, 3, 5)),
    "LazyInstanceNorm2d": (lambda nn: nn.LazyInstanceNorm2d(affine=False,
                                                            track_running_stats=False),
                           (2, 3, 4, 4)),
    "LazyInstanceNorm3d": (lambda nn: nn.LazyInstanceNorm3d(bias=False), (2, 2, 2, 3, 2)),
}


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_module_against_torch(name):
    make, shape = LAZY[name]

    def f(T):
        T.manual_seed(0)
        m = make(T.nn)
        before = [str(m), str(m.state_dict()), type(m).__name__, m.has_uninitialized_params(),
                  [(n, repr(p)) for n, p in m.named_parameters()],
                  [(n, repr(b)) for n, b in m.named_buffers()]]
        x = data(T, *shape, requires_grad=True)
        y = m(x)
        (y * data(T, *y.shape, seed=9)).sum().backward()
        after = [str(m), type(m).__name__, dict(m.state_dict()), x.grad, y,
                 [type(p).__name__ for p in m.parameters()], [p.grad for p in m.parameters()],
                 hasattr(m, "_initialize_hook")]
        return before, after
    both(f)


def test_uninitialized_parameter_and_buffer():
    def f(T):
        P = T.nn.parameter
        p, b = P.UninitializedParameter(), T.nn.UninitializedBuffer(persistent=False)
        res = [repr(p), str(b), p.size(), p.dtype, p.requires_grad, b.requires_grad,
               p.is_floating_point(), type(p).__mro__[1].__name__, P.is_lazy(p),
               P.is_lazy(T.nn.Parameter(T.ones(1))), isinstance(p, T.nn.Parameter),
               isinstance(b, T.Tensor), b.persistent,
               repr(P.UninitializedParameter(requires_grad=False, dtype=T.float64).dtype)]
        import copy
        q = copy.deepcopy(p)
        res += [repr(q), q is p]
        p.materialize((2, 3))
        b.materialize(4, dtype=T.float64)
        res += [type(p).__name__, p.shape, p.requires_grad, type(b).__name__, b.shape, b.dtype]
        return res
    both(f)


ERRORS = {
    "shape": lambda T, p: p.shape,
    "linear": lambda T, p: T.nn.functional.linear(T.ones(2, 3), p),
    "add": lambda T, p: p + 1,
    "share_memory": lambda T, p: p.share_memory_(),
    "lazy_module_in_linear": lambda T, p: T.nn.functional.linear(T.ones(2, 3),
                                                                 T.nn.LazyLinear(2).weight),
    "conv_bad_rank": lambda T, p: T.nn.LazyConv2d(2, 3)(T.ones(2, 3)),
    "conv_groups": lambda T, p: T.nn.LazyConv2d(2, 3, groups=2)(T.ones(1, 3, 4, 4)),
    "initialize_not_implemented": lambda T, p: type(
        "M", (T.nn.modules.lazy.LazyModuleMixin, T.nn.Module), {})().initialize_parameters(),
    "load_lazy_into_initialized": lambda T, p: T.nn.Linear(3, 2).load_state_dict(
        T.nn.LazyLinear(2).state_dict()),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(case):
    both(lambda T: ERRORS[case](T, T.nn.parameter.UninitializedParameter()))


def test_state_dict_round_trips():
    def f(T):
        T.manual_seed(1)
        src = T.nn.Sequential(T.nn.LazyLinear(3), T.nn.ReLU(), T.nn.LazyLinear(2))
        x = data(T, 4, 5)
        out = src(x)
        # an initialized checkpoint into a lazy model: materialized by the load hook
        dst = T.nn.Sequential(T.nn.LazyLinear(3), T.nn.ReLU(), T.nn.LazyLinear(2))
        r = dst.load_state_dict(src.state_dict())
        loaded = [str(dst), dst[0].weight.shape, type(dst[0]).__name__, dst(x), out]
        # a lazy checkpoint into a lazy model: stays lazy
        lazy = T.nn.LazyLinear(4)
        r2 = lazy.load_state_dict(T.nn.LazyLinear(4).state_dict())
        return loaded, str(r), str(r2), str(lazy), lazy.has_uninitialized_params(), str(dst)
    both(f)


@pytest.mark.parametrize("conv", ["to_cpu", "double", "to_float64", "float", "half", "cpu",
                                  "requires_grad_"])
def test_module_conversions_before_materialization(conv):
    def f(T):
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.LazyLinear(3), T.nn.LazyBatchNorm1d())
        calls = {"to_cpu": lambda: m.to("cpu"), "double": m.double,
                 "to_float64": lambda: m.to(T.float64), "float": m.float, "half": m.half,
                 "cpu": m.cpu, "requires_grad_": lambda: m.requires_grad_(False)}
        r = calls[conv]()
        res = [type(r).__name__, str(m.state_dict()),
               [(n, repr(p), p.dtype, p.requires_grad) for n, p in m.named_parameters()],
               [(n, repr(b), b.dtype) for n, b in m.named_buffers()]]
        if conv in ("double", "to_float64", "float"):
            dt = T.float64 if conv != "float" else T.float32
            y = m(T.ones(4, 5, dtype=dt))
            res += [y.dtype, m[0].weight.dtype, m[1].running_var.dtype, str(m)]
        return res
    both(f)


def test_optimizer_made_before_materialization_trains():
    """The optimizer holds the placeholders; materialize turns them into Parameters in place,
    so the usual loop trains the lazy model exactly as torch (same seed, same losses)."""
    def f(T):
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.LazyLinear(4), T.nn.ReLU(), T.nn.LazyLinear(2))
        opt = T.optim.Adam(m.parameters(), lr=0.1)
        x, y = T.randn(5, 3), T.randn(5, 2)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = T.nn.functional.mse_loss(m(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        import copy
        return losses, str(m), dict(m.state_dict()), str(copy.deepcopy(T.nn.LazyLinear(3)))
    both(f)
