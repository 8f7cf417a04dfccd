"""Module hooks against torch: forward pre-hooks and hooks (with_kwargs, prepend, always_call,
returned values, removal), global module hooks, full backward hooks and pre-hooks (what they see,
in which order, what the graph records), registration hooks."""
from __future__ import annotations

import pytest
from _both import both
from _nn_models import data, make_net, set_params


def _names(values):
    return [None if v is None else ("T", tuple(v.shape)) for v in values]


def test_forward_pre_hooks_and_hooks_order_and_results():
    def f(T):
        log = []
        m = set_params(T.nn.Linear(3, 2), T)
        m.register_forward_pre_hook(lambda mod, args: log.append(("pre1", len(args))))
        m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        m.register_forward_pre_hook(lambda mod, args: log.append("pre0"), prepend=True)
        m.register_forward_hook(lambda mod, args, out: log.append(("hook", args[0].sum().item())))
        m.register_forward_hook(lambda mod, args, out: out + 1)
        m.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
        y = m(data(T, 4, 3))
        return log, y
    both(f)


def test_pre_hook_returning_a_single_value_wraps_it():
    def f(T):
        m = T.nn.Identity()
        m.register_forward_pre_hook(lambda mod, args: args[0] + 1)
        return m(T.zeros(2))
    both(f)


def test_hooks_with_kwargs():
    def f(T):
        class M(T.nn.Module):
            def forward(self, x, *, scale=1.0):
                return x * scale
        m = M()
        seen = []

        def pre(mod, args, kwargs):
            seen.append(sorted(kwargs))
            return args, {"scale": kwargs["scale"] * 10}

        def hook(mod, args, kwargs, out):
            seen.append(kwargs["scale"])
            return out - 1
        m.register_forward_pre_hook(pre, with_kwargs=True)
        m.register_forward_hook(hook, with_kwargs=True)
        return m(T.ones(2), scale=2.0), seen
    both(f)


def test_pre_hook_with_kwargs_bad_return():
    def f(T):
        m = T.nn.Identity()
        m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
        return m(T.ones(1))
    both(f)


def test_handles_remove_hooks_and_flags():
    def f(T):
        log = []
        m = T.nn.Identity()
        h1 = m.register_forward_pre_hook(lambda mod, a, k: log.append("pre"), with_kwargs=True)
        h2 = m.register_forward_hook(lambda mod, a, k, o: log.append("hook"), with_kwargs=True,
                                     always_call=True)
        m(T.ones(1))
        h1.remove()
        h2.remove()
        m(T.ones(1))
        with m.register_forward_hook(lambda mod, a, o: log.append("ctx")):
            m(T.ones(1))
        m(T.ones(1))
        return (log, len(m._forward_pre_hooks_with_kwargs), len(m._forward_hooks_with_kwargs),
                len(m._forward_hooks_always_called), len(m._forward_hooks))
    both(f)


def test_always_call_hooks_run_when_forward_raises():
    def f(T):
        log = []

        class Boom(T.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m = Boom()
        m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
        m.register_forward_hook(lambda mod, a, o: log.append("never"))
        try:
            m(T.ones(1))
        except ValueError as e:
            log.append(str(e))
        return log
    both(f)


def test_always_call_hook_error_is_silenced_with_a_warning():
    def f(T):
        class Boom(T.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        def bad(mod, a, o):
            raise KeyError("hook")
        m = Boom()
        m.register_forward_hook(bad, always_call=True)
        return m(T.ones(1))
    both(f)


def test_global_forward_hooks():
    def f(T):
        log = []
        mm = T.nn.modules.module
        h1 = mm.register_module_forward_pre_hook(
            lambda mod, args: log.append(("gpre", type(mod).__name__)))
        h2 = mm.register_module_forward_hook(
            lambda mod, args, out: log.append(("ghook", type(mod).__name__)))
        try:
            m = T.nn.Sequential(T.nn.Identity(), T.nn.ReLU())
            m.register_forward_hook(lambda mod, args, out: log.append("own"))
            m(T.ones(1))
        finally:
            h1.remove()
            h2.remove()
        m(T.ones(1))
        return log
    both(f)


def test_registration_hooks():
    def f(T):
        log = []
        mm = T.nn.modules.module
        hs = [mm.register_module_parameter_registration_hook(
                  lambda mod, name, p: log.append(("param", name))),
              mm.register_module_buffer_registration_hook(
                  lambda mod, name, b: log.append(("buffer", name))),
              mm.register_module_module_registration_hook(
                  lambda mod, name, sub: log.append(("module", name)))]
        try:
            T.nn.Sequential(T.nn.Linear(1, 1)).register_buffer("b", None)
        finally:
            for h in hs:
                h.remove()
        T.nn.Linear(1, 1)
        return log
    both(f)


def test_full_backward_hooks_see_grads_and_record_the_node():
    def f(T):
        log = []
        net = make_net(T)

        def bpre(mod, grad_output):
            log.append(("bpre", type(mod).__name__, grad_output))

        def bhook(mod, grad_input, grad_output):
            log.append(("bhook", type(mod).__name__, grad_input, grad_output))
        net.block.register_full_backward_pre_hook(bpre)
        net.block.register_full_backward_hook(bhook)
        net.fc2.register_full_backward_hook(bhook)
        x = data(T, 2, 3, requires_grad=True)
        hidden = net.block(net.fc1(x))
        y = net(x)
        y.sum().backward()
        return (log, hidden.grad_fn.name(), hidden.grad_fn.next_functions[0][0].name(),
                y.grad_fn.name(), x.grad, net.fc1.weight.grad)
    both(f)


def test_full_backward_hook_replaces_grad_input_and_pre_hook_grad_output():
    def f(T):
        m = set_params(T.nn.Linear(3, 2), T)
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
        x = data(T, 4, 3, requires_grad=True)
        m(x).sum().backward()
        return x.grad, m.weight.grad, m.bias.grad
    both(f)


def test_full_backward_hook_order_and_prepend():
    def f(T):
        log = []
        m = T.nn.Tanh()
        m.register_full_backward_hook(lambda mod, gi, go: log.append("a"))
        m.register_full_backward_hook(lambda mod, gi, go: log.append("b"), prepend=True)
        m.register_full_backward_pre_hook(lambda mod, go: log.append("pa"))
        m.register_full_backward_pre_hook(lambda mod, go: log.append("pb"), prepend=True)
        m(data(T, 3, requires_grad=True)).sum().backward()
        return log
    both(f)


def test_full_backward_hook_several_inputs_and_outputs():
    def f(T):
        class Two(T.nn.Module):
            def forward(self, a, n, b):
                return a * b, n, a.sum()
        log = []
        m = Two()
        m.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        a = data(T, 3, requires_grad=True)
        b = data(T, 3, seed=2)
        out = m(a, 5, b)
        (out[0].sum() * 2 + out[2]).backward()
        return log, a.grad, [o.grad_fn.name() if hasattr(o, "grad_fn") and o.grad_fn else None
                             for o in out]
    both(f)


def test_full_backward_hook_when_no_input_requires_grad():
    def f(T):
        log = []
        m = set_params(T.nn.Linear(2, 2), T)
        m.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        m(data(T, 1, 2)).sum().backward()
        return log, m.weight.grad
    both(f)


def test_full_backward_hook_wrong_count():
    def f(T):
        m = T.nn.Tanh()
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        m(data(T, 3, requires_grad=True)).sum().backward()
    both(f)


def test_backward_pre_hook_wrong_count():
    def f(T):
        m = T.nn.Tanh()
        m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        m(data(T, 3, requires_grad=True)).sum().backward()
    both(f)


def test_no_backward_hook_setup_without_grad():
    def f(T):
        m = T.nn.Tanh()
        m.register_full_backward_hook(lambda mod, gi, go: None)
        with T.no_grad():
            y = m(data(T, 3, requires_grad=True))
        return y.grad_fn, m(data(T, 3)).grad_fn
    both(f)


def test_output_not_a_tensor_warns():
    def f(T):
        class D(T.nn.Module):
            def forward(self, x):
                return [x * 2]
        m = D()
        m.register_full_backward_hook(lambda mod, gi, go: None)
        return m(data(T, 2, requires_grad=True))
    both(f)


@pytest.mark.parametrize("kind", ["pre", "full"])
def test_global_backward_hooks(kind):
    def f(T):
        log = []
        mm = T.nn.modules.module
        if kind == "pre":
            h = mm.register_module_full_backward_pre_hook(
                lambda mod, go: log.append(type(mod).__name__))
        else:
            h = mm.register_module_full_backward_hook(
                lambda mod, gi, go: log.append(type(mod).__name__))
        try:
            m = T.nn.Sequential(T.nn.Tanh(), T.nn.Sigmoid())
            m(data(T, 2, requires_grad=True)).sum().backward()
        finally:
            h.remove()
        return log
    both(f)


def test_non_full_backward_hook_sees_the_output_node():
    def f(T):
        log = []
        m = set_params(T.nn.Linear(3, 2), T)

        def hook(mod, grad_input, grad_output):
            log.append((type(mod).__name__, grad_input, grad_output))
            return (grad_input[0] * 0 + 1,) + tuple(grad_input[1:])
        m.register_backward_hook(hook)
        x = data(T, 4, 3, requires_grad=True)
        y = m(x)
        y.sum().backward()
        return log, m.bias.grad, x.grad, y.grad_fn.name()
    both(f)


@pytest.mark.parametrize("kind", ["nested_output", "multi_node", "non_tensor_input",
                                  "different_nodes"])
def test_non_full_backward_hook_warnings(kind):
    def f(T):
        class M(T.nn.Module):
            def forward(self, x, n=None):
                if kind == "nested_output":
                    return [x * 2]
                if kind == "multi_node":
                    return (x * 2).exp()
                if kind == "different_nodes":
                    return x * 2, x + 1
                return x * 2
        m = M()
        m.register_backward_hook(lambda mod, gi, go: None)
        x = data(T, 3, requires_grad=True)
        return m(x, 3) if kind == "non_tensor_input" else m(x)
    both(f)


def test_mixing_full_and_non_full_backward_hooks_raises():
    def f(T):
        m = T.nn.Tanh()
        m.register_backward_hook(lambda *a: None)
        m.register_full_backward_hook(lambda *a: None)
    both(f)


def test_mixing_non_full_after_full_raises():
    def f(T):
        m = T.nn.Tanh()
        m.register_full_backward_hook(lambda *a: None)
        m.register_backward_hook(lambda *a: None)
    both(f)
