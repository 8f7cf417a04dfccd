"""The documentation examples of PyTorch's autograd APIs, rewritten as scenarios and run on
retrograd and on torch 2.13 (tests/_both.py compares values, dtypes, shapes, requires_grad,
grad_fn names, printed text, exceptions and warnings).

Covered: custom ``autograd.Function`` (both forward styles, ``once_differentiable``,
``mark_non_differentiable``, ``set_materialize_grads``, ``mark_dirty``, ``needs_input_grad``,
double backward, ``jvp``), hooks and graph utilities, anomaly mode, checkpointing,
``autograd.functional``, ``autograd.forward_ad``, ``torch.func`` and ``gradcheck``.
Inputs are fixed numbers or come from a seeded numpy generator, never from the library's RNG.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.utils.checkpoint  # noqa: F401

import retrograd
import retrograd.utils.checkpoint  # noqa: F401
from _both import Outcome, assert_same, both, run

# torch's first forward-AD use loads its JVP decompositions, which warns (torch.jit.script is
# deprecated) once per process: done here, so that scenarios compare only their own warnings.
with torch.autograd.forward_ad.dual_level():
    torch.autograd.forward_ad.make_dual(torch.zeros(1), torch.zeros(1))
torch.func.jvp(torch.sin, (torch.zeros(1),), (torch.zeros(1),))

RNG = np.random.default_rng(20240613)
M44 = RNG.uniform(0.0, 1.0, (4, 4))
M22 = RNG.uniform(0.0, 1.0, (2, 2))
P2 = RNG.uniform(0.0, 1.0, 2)
Q2 = RNG.uniform(0.0, 1.0, 2)
V5 = RNG.standard_normal(5)
W5 = RNG.standard_normal(5)
X25 = RNG.standard_normal((2, 5))
Y25 = RNG.standard_normal((2, 5))
EX35 = RNG.standard_normal((3, 5))
TG3 = RNG.standard_normal(3)
D33 = RNG.standard_normal((3, 3))
E33 = RNG.standard_normal((3, 3))
IN43 = RNG.standard_normal((4, 3))
WT53 = RNG.standard_normal((5, 3))


def t(T: Any, values: Any, requires_grad: bool = False, dtype: Any = np.float64) -> Any:
    return T.tensor(np.asarray(values, dtype=dtype), requires_grad=requires_grad)


def snap(g: Any) -> Any:
    return None if g is None else g.detach().clone()


def data(T: Any, tree: Any) -> Any:
    """Tensors as (values, requires_grad), containers kept: for the results of transforms, whose
    final node is an implementation detail of either library."""
    if isinstance(tree, T.Tensor):
        return (tree.detach(), tree.requires_grad)
    if isinstance(tree, (tuple, list)):
        return type(tree)(data(T, v) for v in tree)
    if isinstance(tree, dict):
        return {k: data(T, v) for k, v in tree.items()}
    return tree


# ============================================================================================
# 1. torch.autograd.Function
# ============================================================================================
def exp_classic(T: Any) -> Any:
    class Exp(T.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            out = i.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad_output):
            (out,) = ctx.saved_tensors
            return grad_output * out

    return Exp


def exp_setup_context(T: Any) -> Any:
    class Exp(T.autograd.Function):
        @staticmethod
        def forward(i):
            return i.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad_output):
            (out,) = ctx.saved_tensors
            return grad_output * out

    return Exp


@pytest.mark.parametrize("style", ["forward_ctx", "setup_context"])
def test_function_exp_example(style: str) -> None:
    def scenario(T: Any) -> Any:
        Exp = exp_classic(T) if style == "forward_ctx" else exp_setup_context(T)
        x = t(T, [0.5, -1.0, 2.0], requires_grad=True)
        y = Exp.apply(x)
        y.backward(t(T, [1.0, 2.0, 3.0]))
        return y, x.grad, y.grad_fn.name(), str(y)

    both(scenario)


def test_function_exp_matches_builtin_exp_gradient() -> None:
    def scenario(T: Any) -> Any:
        x = t(T, D33, requires_grad=True)
        (g_custom,) = T.autograd.grad(exp_setup_context(T).apply(x).sum(), x)
        (g_builtin,) = T.autograd.grad(x.exp().sum(), x)
        return g_custom, g_builtin, T.allclose(g_custom, g_builtin)

    both(scenario)


def test_once_differentiable_backward_and_its_double_backward_error() -> None:
    def scenario(T: Any) -> Any:
        once = T.autograd.function.once_differentiable

        class Cube(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            @once
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x ** 2

        x = t(T, [1.0, -2.0], requires_grad=True)
        # the square makes the gradient reaching Cube's backward itself differentiable
        (g,) = T.autograd.grad((Cube.apply(x) ** 2).sum(), x, create_graph=True)
        first = (g, g.requires_grad, g.grad_fn.name())
        g.sum().backward()
        return first

    ref = both(scenario)
    assert ref.error is not None and "once_differentiable" in ref.error[1]


def test_mark_non_differentiable_sort_example() -> None:
    def scenario(T: Any) -> Any:
        once = T.autograd.function.once_differentiable

        class Sort(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                values, idx = x.sort()
                ctx.mark_non_differentiable(idx)
                ctx.save_for_backward(x, idx)
                return values, idx

            @staticmethod
            @once
            def backward(ctx, g_values, g_idx):  # g_idx must be accepted, it is never used
                x, idx = ctx.saved_tensors
                grad_input = T.zeros_like(x)
                grad_input.index_add_(0, idx, g_values)
                return grad_input

        x = t(T, [3.0, 1.0, 2.0, 0.5], requires_grad=True)
        values, idx = Sort.apply(x)
        (values * t(T, [1.0, 2.0, 3.0, 4.0])).sum().backward()
        return values, idx, idx.requires_grad, values.requires_grad, x.grad

    both(scenario)


def test_set_materialize_grads_false_passes_none() -> None:
    def scenario(T: Any) -> Any:
        once = T.autograd.function.once_differentiable
        received = []

        class Materialized(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone(), x.clone()

            @staticmethod
            @once
            def backward(ctx, g1, g2):
                received.append(("materialized", snap(g1), snap(g2)))
                return g1 + g2  # no None check needed: missing gradients come as zeros

        class NotMaterialized(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                ctx.save_for_backward(x)
                return x.clone(), x.clone()

            @staticmethod
            @once
            def backward(ctx, g1, g2):
                received.append(("not materialized", snap(g1), snap(g2)))
                (x,) = ctx.saved_tensors
                grad_input = T.zeros_like(x)
                if g1 is not None:
                    grad_input += g1
                if g2 is not None:
                    grad_input += g2
                return grad_input

        a = t(T, 1.0, requires_grad=True)
        b, _ = Materialized.apply(a)  # the second output takes no part: its gradient is missing
        b.backward()
        ga = snap(a.grad)
        a.grad = None
        c, _ = NotMaterialized.apply(a)
        c.backward()
        return received, ga, a.grad

    both(scenario)


def test_mark_dirty_inplace_function() -> None:
    def scenario(T: Any) -> Any:
        once = T.autograd.function.once_differentiable

        class Inplace(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            @once
            def backward(ctx, grad_output):
                return grad_output

        # the in-place Function itself: the output is its input, now with its grad_fn
        a = t(T, 1.0, requires_grad=True).clone()
        out = Inplace.apply(a)
        ok = (out is a, a.grad_fn.name(), a._version, str(a))
        # the docs' warning: mutating a tensor that ``a * a`` saved makes backward fail
        c = t(T, 1.0, requires_grad=True).clone()
        d = c * c
        Inplace.apply(c)
        try:
            d.backward()
        except RuntimeError as e:
            return ok, str(e)
        return ok, "no error"

    both(scenario)


def test_needs_input_grad() -> None:
    def scenario(T: Any) -> Any:
        flags = []

        class Mul(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                ctx.save_for_backward(x, w)
                return x * w

            @staticmethod
            def backward(ctx, g):
                x, w = ctx.saved_tensors
                flags.append(ctx.needs_input_grad)
                gx = g * w if ctx.needs_input_grad[0] else None
                gw = g * x if ctx.needs_input_grad[1] else None
                return gx, gw

        x = t(T, [1.0, 2.0], requires_grad=True)
        w = t(T, [3.0, 4.0])
        Mul.apply(x, w).sum().backward()
        w2 = t(T, [5.0, 6.0], requires_grad=True)
        Mul.apply(t(T, [1.0, 1.0]), w2).sum().backward()
        return flags, x.grad, w.grad, w2.grad

    both(scenario)


def test_double_backward_through_custom_function() -> None:
    def scenario(T: Any) -> Any:
        class Square(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 2

            @staticmethod
            def backward(ctx, grad_out):
                (x,) = ctx.saved_tensors
                return grad_out * 2 * x

        x = t(T, [1.0, -2.0, 3.0], requires_grad=True)
        y = Square.apply(x)
        (g,) = T.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = T.autograd.grad((g * g).sum(), x)
        checks = (T.autograd.gradcheck(Square.apply, (t(T, D33, requires_grad=True),)),
                  T.autograd.gradgradcheck(Square.apply, (t(T, D33, requires_grad=True),)))
        return g, gg, checks

    both(scenario)


def test_custom_function_jvp_under_forward_ad() -> None:
    def scenario(T: Any) -> Any:
        fwAD = T.autograd.forward_ad

        class Fn(T.autograd.Function):
            @staticmethod
            def forward(ctx, foo):
                result = T.exp(foo)
                ctx.result = result  # kept for jvp
                return result

            @staticmethod
            def jvp(ctx, gI):
                gO = gI * ctx.result
                del ctx.result
                return gO

        primal = t(T, D33, requires_grad=True)
        tangent = t(T, E33)
        with fwAD.dual_level():
            dual_output = Fn.apply(fwAD.make_dual(primal, tangent))
            unpacked = fwAD.unpack_dual(dual_output)
            jvp = unpacked.tangent
            prim = unpacked.primal
        ok = T.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True,
                                  check_backward_ad=False, check_undefined_grad=False,
                                  check_batched_grad=False)
        return prim, jvp, ok

    both(scenario)


# ============================================================================================
# 2. Hooks and graph utilities
# ============================================================================================
def test_tensor_register_hook_doubles_the_gradient() -> None:
    def scenario(T: Any) -> Any:
        v = T.tensor([0.0, 0.0, 0.0], requires_grad=True)
        h = v.register_hook(lambda grad: grad * 2)
        v.backward(T.tensor([1.0, 2.0, 3.0]))
        first = v.grad.clone()
        h.remove()
        v.grad = None
        v.backward(T.tensor([1.0, 2.0, 3.0]))
        return first, v.grad

    both(scenario)


def test_register_hook_on_intermediate_tensor() -> None:
    def scenario(T: Any) -> Any:
        seen = []
        x = t(T, [1.0, 2.0], requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: seen.append(snap(g)))
        y.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        return seen, x.grad

    both(scenario)


def test_post_accumulate_grad_hook_steps_the_parameter() -> None:
    def scenario(T: Any) -> Any:
        lr = 0.1
        log = []
        p = t(T, [1.0, -1.0, 0.5], requires_grad=True)

        def sgd_step(param):
            log.append(snap(param.grad))
            with T.no_grad():
                param.add_(param.grad, alpha=-lr)
            param.grad = None

        p.register_post_accumulate_grad_hook(sgd_step)
        for _ in range(2):
            (p * p).sum().backward()
        return log, p, p.grad

    both(scenario)


def test_node_register_hook_example() -> None:
    def scenario(T: Any) -> Any:
        a = T.tensor([0.0, 0.0, 0.0], requires_grad=True)
        b = a.clone()
        is_node = isinstance(b.grad_fn, T.autograd.graph.Node)
        handle = b.grad_fn.register_hook(lambda gI, gO: (gO[0] * 2,))
        b.sum().backward(retain_graph=True)
        first = a.grad.clone()
        handle.remove()
        a.grad = None
        b.sum().backward(retain_graph=True)
        return is_node, b.grad_fn.name(), first, a.grad

    both(scenario)


def test_node_register_prehook_example() -> None:
    def scenario(T: Any) -> Any:
        a = T.tensor([0.0, 0.0, 0.0], requires_grad=True)
        b = a.clone()
        handle = b.grad_fn.register_prehook(lambda gO: (gO[0] * 2,))
        b.sum().backward(retain_graph=True)
        first = a.grad.clone()
        handle.remove()
        a.grad = None
        b.sum().backward(retain_graph=True)
        return first, a.grad

    both(scenario)


def test_saved_tensors_hooks_pack_unpack_example() -> None:
    def scenario(T: Any) -> Any:
        log = []

        def pack_hook(x):
            log.append("Packing " + str(x))
            return x.detach()

        def unpack_hook(x):
            log.append("Unpacking " + str(x))
            return x

        a = T.ones(5, requires_grad=True)
        b = T.ones(5, requires_grad=True) * 2
        with T.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
            y = a * b
        log.append("-- backward --")
        y.sum().backward()
        return log, a.grad

    both(scenario)


def test_save_on_cpu_example() -> None:
    def scenario(T: Any) -> Any:
        def f(a, b, c):
            prod_1 = a * b
            with T.autograd.graph.save_on_cpu(pin_memory=False):
                prod_2 = prod_1 * c
            return prod_2 * a

        a, b, c = (t(T, v, requires_grad=True) for v in (V5, W5, V5 * W5))
        y = f(a, b, c)
        y.sum().backward()
        grads = (a.grad, b.grad, c.grad)
        a2, b2, c2 = (t(T, v, requires_grad=True) for v in (V5, W5, V5 * W5))
        (a2 * b2 * c2 * a2).sum().backward()
        return y, grads, (a2.grad, b2.grad, c2.grad)

    both(scenario)


def test_grad_fn_metadata() -> None:
    def scenario(T: Any) -> Any:
        seen = []
        x = t(T, [1.0, 2.0], requires_grad=True)
        y = x.exp()
        empty = dict(y.grad_fn.metadata)
        y.grad_fn.metadata["label"] = "the exp"
        y.grad_fn.register_hook(lambda gi, go: seen.append(dict(y.grad_fn.metadata)))
        y.sum().backward()
        return empty, dict(y.grad_fn.metadata), seen, type(y.grad_fn.metadata).__name__

    both(scenario)


def test_register_multi_grad_hook_example() -> None:
    def scenario(T: Any) -> Any:
        a = t(T, M22[0], requires_grad=True)
        b = t(T, M22[1], requires_grad=True)
        c = a * b
        d = a * b
        log = []
        handle = T.autograd.graph.register_multi_grad_hook(
            (a, b, c, d), lambda grads: log.append([g is not None for g in grads]))
        c.sum().backward(retain_graph=True)
        c.sum().backward(inputs=(a,), retain_graph=True)
        handle.remove()
        c.sum().backward(retain_graph=True)
        seen_any = []
        T.autograd.graph.register_multi_grad_hook(
            (a, b), lambda g: seen_any.append(snap(g)), mode="any")
        d.sum().backward()
        return log, seen_any

    both(scenario)


def test_get_gradient_edge() -> None:
    def scenario(T: Any) -> Any:
        graph = T.autograd.graph
        x = t(T, [0.5, 1.5], requires_grad=True)
        y = x.sin()  # saves x, not y: y may be modified in place
        edge = graph.get_gradient_edge(y)
        y.mul_(3)  # y is now a new node's output; the edge still points at the sin
        loss = y.sum()
        (g_edge,) = T.autograd.grad(loss, edge, retain_graph=True)
        (g_tensor,) = T.autograd.grad(loss, y, retain_graph=True)
        (g_x,) = T.autograd.grad(loss, graph.get_gradient_edge(x))
        return (edge.node.name(), edge.output_nr, g_edge, g_tensor, g_x,
                graph.get_gradient_edge(x).node.name())

    both(scenario)


def test_allow_mutation_on_saved_tensors_example() -> None:
    def scenario(T: Any) -> Any:
        with T.autograd.graph.allow_mutation_on_saved_tensors():
            a = T.ones(2, 3, requires_grad=True)
            b = a.clone()
            out = (b ** 2).sum()
            b.sin_()
            out.sum().backward()
            return b, str(b), a.grad

    both(scenario)


def test_mutating_a_saved_tensor_without_the_context_fails() -> None:
    def scenario(T: Any) -> Any:
        a = T.ones(2, 3, requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        b.sin_()
        out.backward()

    ref = both(scenario)
    assert ref.error is not None and ref.error[0] == "RuntimeError"


# ============================================================================================
# 3. Anomaly mode
# ============================================================================================
def first_lines(out: Outcome) -> Outcome:
    """A warning's first line only: the rest is a traceback of either library's frames."""
    out.warnings = [(c, m.splitlines()[0] if m else m) for c, m in out.warnings]
    return out


def both_first_lines(fn: Callable[[Any], Any]) -> Outcome:
    ours, ref = (first_lines(run(fn, lib)) for lib in (retrograd, torch))
    assert ours.error == ref.error, f"exception differs:\n ours: {ours.error}\n torch: {ref.error}"
    assert ours.warnings == ref.warnings, (
        f"warnings differ:\n ours: {ours.warnings}\n torch: {ref.warnings}")
    assert_same(ours.value, ref.value)
    return ref


def failing_fn(T: Any, how: str) -> Any:
    class MyFunc(T.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp.clone()

        @staticmethod
        def backward(ctx, gO):
            if how == "raise":
                raise RuntimeError("Some error in backward")
            return gO * float("nan")

    return MyFunc


@pytest.mark.parametrize("anomaly", [False, True])
def test_detect_anomaly_backward_returning_nan(anomaly: bool) -> None:
    def scenario(T: Any) -> Any:
        inp = t(T, M22, requires_grad=True, dtype=np.float32)
        if anomaly:
            with T.autograd.detect_anomaly():
                out = failing_fn(T, "nan").apply(inp).sum()
                out.backward()
        else:
            out = failing_fn(T, "nan").apply(inp).sum()
            out.backward()
        return inp.grad

    ref = both_first_lines(scenario)
    if anomaly:
        assert ref.error == ("RuntimeError",
                             "Function 'MyFuncBackward' returned nan values in its 0th output.")
        assert [m for _, m in ref.warnings][-1].startswith("Error detected in MyFuncBackward")
    else:
        assert ref.error is None and ref.warnings == []


def test_detect_anomaly_backward_raising_names_the_node() -> None:
    def scenario(T: Any) -> Any:
        with T.autograd.detect_anomaly():
            inp = t(T, M22, requires_grad=True, dtype=np.float32)
            failing_fn(T, "raise").apply(inp).sum().backward()

    ref = both_first_lines(scenario)
    assert ref.error == ("RuntimeError", "Some error in backward")
    assert ref.warnings[-1][1].startswith("Error detected in MyFuncBackward")


def test_set_detect_anomaly_on_off_and_as_context_manager() -> None:
    def scenario(T: Any) -> Any:
        states = [T.is_anomaly_enabled()]
        T.autograd.set_detect_anomaly(True)
        states.append(T.is_anomaly_enabled())
        T.autograd.set_detect_anomaly(False)
        states.append(T.is_anomaly_enabled())
        error = None
        with T.autograd.set_detect_anomaly(True):
            states.append(T.is_anomaly_enabled())
            try:
                x = t(T, [1.0, 2.0], requires_grad=True)
                failing_fn(T, "nan").apply(x).sum().backward()
            except RuntimeError as e:
                error = str(e)
        states.append(T.is_anomaly_enabled())
        return states, error

    both_first_lines(scenario)


# ============================================================================================
# 4. Checkpointing
# ============================================================================================
def test_checkpoint_non_reentrant_matches_plain_gradients() -> None:
    def scenario(T: Any) -> Any:
        def fn(x, w):
            return (x.sin() * w).exp().sum(dim=1)

        x = t(T, D33, requires_grad=True)
        w = t(T, E33, requires_grad=True)
        y = T.utils.checkpoint.checkpoint(fn, x, w, use_reentrant=False)
        y.sum().backward()
        gx, gw = x.grad.clone(), w.grad.clone()
        x.grad = w.grad = None
        fn(x, w).sum().backward()
        return y, gx, gw, x.grad, w.grad, T.equal(gx, x.grad) and T.equal(gw, w.grad)

    both(scenario)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_sequential_on_a_list_of_functions(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        w = t(T, TG3, requires_grad=True)
        chain = [lambda h: h * w, lambda h: h.sin(), lambda h: h.exp(),
                 lambda h: h * 2 - 1, lambda h: h.tanh(), lambda h: h * w]
        x = t(T, [0.2, -0.4, 0.6], requires_grad=True)
        y = T.utils.checkpoint.checkpoint_sequential(chain, 2, x, use_reentrant=use_reentrant)
        y.sum().backward()
        gx, gw = x.grad.clone(), w.grad.clone()
        x.grad = w.grad = None
        h = x
        for f in chain:
            h = f(h)
        h.sum().backward()
        return y, h, gx, gw, x.grad, w.grad

    both(scenario)


# ============================================================================================
# 5. torch.autograd.functional
# ============================================================================================
def exp_reducer(x: Any) -> Any:
    return x.exp().sum(dim=1)


def adder(x: Any, y: Any) -> Any:
    return 2 * x + 3 * y


def exp_adder(x: Any, y: Any) -> Any:
    return 2 * x.exp() + 3 * y


def pow_reducer(x: Any) -> Any:
    return x.pow(3).sum()


def pow_adder_reducer(x: Any, y: Any) -> Any:
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


def test_functional_vjp_examples() -> None:
    def scenario(T: Any) -> Any:
        AF = T.autograd.functional
        inputs = t(T, M44)
        v = T.ones(4, dtype=T.float64)
        return (AF.vjp(exp_reducer, inputs, v),
                AF.vjp(exp_reducer, inputs, v, create_graph=True),
                AF.vjp(adder, (t(T, P2), t(T, Q2)), T.ones(2, dtype=T.float64)))

    both(scenario)


def test_functional_jvp_examples() -> None:
    def scenario(T: Any) -> Any:
        AF = T.autograd.functional
        return (AF.jvp(exp_reducer, t(T, M44), T.ones(4, 4, dtype=T.float64)),
                AF.jvp(adder, (t(T, P2), t(T, Q2)),
                       (T.ones(2, dtype=T.float64), T.ones(2, dtype=T.float64))))

    both(scenario)


def test_functional_jacobian_examples() -> None:
    def scenario(T: Any) -> Any:
        AF = T.autograd.functional
        x = t(T, M22)
        pair = (t(T, P2), t(T, Q2))
        with_graph = AF.jacobian(exp_reducer, x, create_graph=True)
        return (AF.jacobian(exp_reducer, x),
                data(T, with_graph),
                AF.jacobian(exp_adder, pair),
                AF.jacobian(exp_adder, pair, vectorize=True),
                AF.jacobian(exp_adder, pair, vectorize=True, strategy="forward-mode"),
                AF.jacobian(exp_reducer, x, vectorize=True, strategy="forward-mode"))

    both(scenario)


def test_functional_hessian_examples() -> None:
    def scenario(T: Any) -> Any:
        AF = T.autograd.functional
        x = t(T, M22)
        return (AF.hessian(pow_reducer, x),
                data(T, AF.hessian(pow_reducer, x, create_graph=True)),
                AF.hessian(pow_adder_reducer, (t(T, P2), t(T, Q2))),
                AF.hessian(pow_reducer, x, vectorize=True),
                AF.hessian(pow_reducer, x, vectorize=True, outer_jacobian_strategy="forward-mode"))

    both(scenario)


def test_functional_vhp_and_hvp_examples() -> None:
    def scenario(T: Any) -> Any:
        AF = T.autograd.functional
        x = t(T, M22)
        v = T.ones(2, 2, dtype=T.float64)
        pair = (t(T, P2), t(T, Q2))
        vv = (T.zeros(2, dtype=T.float64), T.ones(2, dtype=T.float64))
        return (AF.vhp(pow_reducer, x, v),
                data(T, AF.vhp(pow_reducer, x, v, create_graph=True)),
                AF.vhp(pow_adder_reducer, pair, vv),
                AF.hvp(pow_reducer, x, v),
                data(T, AF.hvp(pow_reducer, x, v, create_graph=True)),
                AF.hvp(pow_adder_reducer, pair, vv))

    both(scenario)


@pytest.mark.parametrize("api", ["vjp", "jacobian", "hessian"])
def test_functional_strict_rejects_an_independent_output(api: str) -> None:
    def scenario(T: Any) -> Any:
        AF = T.autograd.functional
        x = t(T, P2)
        if api == "vjp":
            return AF.vjp(lambda a: T.ones(2, dtype=T.float64), x, T.ones(2, dtype=T.float64),
                          strict=True)
        if api == "jacobian":
            return AF.jacobian(lambda a: T.ones(2, dtype=T.float64), x, strict=True)
        return AF.hessian(lambda a: (a * 2).sum(), x, strict=True)

    ref = both(scenario)
    assert ref.error is not None and "strict mode" in ref.error[1]


# ============================================================================================
# 6. torch.autograd.forward_ad
# ============================================================================================
def test_forward_ad_docs_example() -> None:
    def scenario(T: Any) -> Any:
        fwAD = T.autograd.forward_ad
        primal, tangent, plain = t(T, D33), t(T, E33), t(T, M22[0].sum() * D33.T)

        def fn(x, y):
            return x ** 2 + y ** 2

        with fwAD.dual_level():
            dual_input = fwAD.make_dual(primal, tangent)
            printed = str(dual_input)
            dual_output = fn(dual_input, plain)
            unpacked = fwAD.unpack_dual(dual_output)
            inside = (unpacked.primal, unpacked.tangent, type(unpacked).__name__,
                      repr(fwAD.make_dual(t(T, [1.0, 2.0]), t(T, [0.5, 0.25]))))
        after = fwAD.unpack_dual(dual_output).tangent
        return printed, inside, after is None, str(dual_output)

    both(scenario)


# ============================================================================================
# 7. torch.func
# ============================================================================================
def test_func_grad_examples() -> None:
    def scenario(T: Any) -> Any:
        F = T.func
        x = T.tensor(0.7, dtype=T.float64)
        cos_x = F.grad(lambda x: T.sin(x))(x)
        neg_sin_x = F.grad(F.grad(lambda x: T.sin(x)))(x)

        def my_loss_func(y, y_pred):
            loss_per_sample = (0.5 * y_pred - y) ** 2
            return loss_per_sample.mean(), (y_pred, loss_per_sample)

        y_true, y_preds = t(T, M44[0]), t(T, M44[1], requires_grad=True)
        out = F.grad(my_loss_func, argnums=(0, 1), has_aux=True)(y_true, y_preds)
        return data(T, (cos_x, neg_sin_x, T.allclose(cos_x, x.cos()), out))

    both(scenario)


def test_func_grad_and_value_example() -> None:
    def scenario(T: Any) -> Any:
        F = T.func
        x = t(T, V5)
        g, value = F.grad_and_value(lambda x: (x.sin() ** 2).sum())(x)
        (ga, gb), (val, aux) = F.grad_and_value(
            lambda a, b: ((a * b).sum(), a - b), argnums=(0, 1), has_aux=True)(x, t(T, W5))
        return data(T, (g, value, ga, gb, val, aux))

    both(scenario)


def test_func_vjp_and_jvp_examples() -> None:
    def scenario(T: Any) -> Any:
        F = T.func
        x = t(T, V5)
        _, vjp_fn = F.vjp(lambda x: (x.sin(), x.cos()), x)
        vjps = vjp_fn((T.ones(5, dtype=T.float64), T.ones(5, dtype=T.float64)))
        s = T.tensor(0.3, dtype=T.float64)
        f = lambda s: s * T.tensor([1.0, 2.0, 3.0], dtype=T.float64)  # noqa: E731
        value, tangent = F.jvp(f, (s,), (T.tensor(1.0, dtype=T.float64),))
        return data(T, (vjps, T.allclose(vjps[0], x.cos() - x.sin()), value, tangent))

    both(scenario)


def test_func_jacrev_jacfwd_hessian_examples() -> None:
    def scenario(T: Any) -> Any:
        F = T.func
        x, y = t(T, V5), t(T, W5)

        def two(x):
            s = x.sin()
            return s, s

        def add_sq(x, y):
            return x + y ** 2

        f = lambda x: x.sin().sum()  # noqa: E731
        return data(T, (
            F.jacrev(T.sin)(x), T.allclose(F.jacrev(T.sin)(x), T.diag(T.cos(x))),
            F.jacrev(two, has_aux=True)(x),
            F.jacrev(F.jacrev(f))(x),
            F.jacrev(add_sq, argnums=1)(x, y),
            F.jacrev(add_sq, argnums=(0, 1))(x, y),
            F.jacfwd(T.sin)(x),
            F.jacfwd(two, has_aux=True)(x),
            F.jacfwd(add_sq, argnums=(0, 1))(x, y),
            F.hessian(f)(x),
            F.jacfwd(F.jacrev(f))(x),
        ))

    both(scenario)


def test_func_linearize_example() -> None:
    """Values and errors only, as in tests/test_func.py: torch's linearize traces with make_fx,
    whose FX warnings are an artefact of that tracer, not of the API."""
    def scenario(T: Any) -> Any:
        F = T.func
        output, jvp_fn = F.linearize(lambda x: x.sin(), T.zeros(3, 4, dtype=T.float64))
        return data(T, (output, jvp_fn(T.ones(3, 4, dtype=T.float64)),
                        jvp_fn(t(T, np.arange(12.0).reshape(3, 4)))))

    ours, ref = run(scenario, retrograd), run(scenario, torch)
    assert ours.error == ref.error, f"exception differs:\n ours: {ours.error}\n torch: {ref.error}"
    assert ref.error is None
    assert_same(ours.value, ref.value)


class _Linear:
    """A module-like object for retrograd (it has no nn.Module yet): its tensors are attributes
    listed by named_parameters/named_buffers, and calling it runs the model."""

    def __init__(self, T: Any) -> None:
        self.weight = t(T, WT53[:2], requires_grad=True)
        self.bias = t(T, [0.1, -0.1], requires_grad=True)

    def named_parameters(self, remove_duplicate: bool = True):
        return [("weight", self.weight), ("bias", self.bias)]

    def named_buffers(self, remove_duplicate: bool = True):
        return []

    def __call__(self, x: Any) -> Any:
        return x @ self.weight.t() + self.bias


def linear_model(T: Any) -> Any:
    if T is not torch:
        return _Linear(T)

    class Linear(torch.nn.Module):  # torch's functional_call needs a real nn.Module
        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(t(torch, WT53[:2]))
            self.bias = torch.nn.Parameter(t(torch, [0.1, -0.1]))

        def forward(self, x: Any) -> Any:
            return x @ self.weight.t() + self.bias

    return Linear()


def test_func_functional_call_with_a_dict_of_parameters() -> None:
    def scenario(T: Any) -> Any:
        F = T.func
        model = linear_model(T)
        x = t(T, IN43)
        params = {"weight": t(T, WT53[2:4]), "bias": t(T, [1.0, 2.0])}
        out = F.functional_call(model, params, (x,))
        original = model(x)  # the model's own tensors are back

        def loss(p, x):
            return F.functional_call(model, p, (x,)).pow(2).sum()

        grads = F.grad(loss)(params, x)
        return data(T, (out, original, grads))

    both(scenario)


def test_vmap_batched_dot_in_dims_out_dims_and_kwargs() -> None:
    def scenario(T: Any) -> Any:
        F = T.func
        x, y = t(T, X25), t(T, Y25)
        batched_dot = F.vmap(T.dot)
        w = t(T, W5, requires_grad=True)
        model = lambda fv: fv.dot(w).relu()  # noqa: E731

        def fn(x, scale=4.0):
            return x * scale

        return data(T, (
            batched_dot(x, y),
            F.vmap(T.dot, in_dims=(0, None))(x, t(T, V5)),
            T.vmap(model)(t(T, EX35)),
            F.vmap(lambda a: a ** 2, out_dims=1)(x),
            F.vmap(fn)(x), F.vmap(fn)(x, scale=2.0),
            F.vmap(lambda a, b: (a * b, a - b), in_dims=(1, None), out_dims=(0, 1))(x, t(T, P2)),
        ))

    both(scenario)


def test_vmap_of_autograd_grad_builds_a_jacobian() -> None:
    def scenario(T: Any) -> Any:
        x = t(T, V5, requires_grad=True)
        y = x ** 2
        eye = T.eye(5, dtype=T.float64)

        def get_vjp(v):
            return T.autograd.grad(y, x, v)

        return data(T, T.vmap(get_vjp)(eye))

    both(scenario)


def test_vmap_grad_per_sample_gradients() -> None:
    def scenario(T: Any) -> Any:
        F = T.func

        def model(weights, feature_vec):
            assert feature_vec.dim() == 1
            return feature_vec.dot(weights)

        def compute_loss(weights, example, target):
            y = model(weights, example)
            return ((y - target) ** 2).mean()

        weights = t(T, W5, requires_grad=True)
        examples, targets = t(T, EX35), t(T, TG3)
        per_sample = F.vmap(F.grad(compute_loss), in_dims=(None, 0, 0))(weights, examples,
                                                                        targets)
        one_by_one = T.stack([F.grad(compute_loss)(weights, examples[i], targets[i])
                              for i in range(3)])
        return data(T, (per_sample, T.allclose(per_sample, one_by_one)))

    both(scenario)


# ============================================================================================
# 8. gradcheck / gradgradcheck
# ============================================================================================
def linear(inp: Any, weight: Any) -> Any:
    return inp @ weight.t()


def test_gradcheck_and_gradgradcheck_docs_example() -> None:
    def scenario(T: Any) -> Any:
        AG = T.autograd

        def inputs():
            return (t(T, IN43, requires_grad=True), t(T, WT53, requires_grad=True))

        return (AG.gradcheck(linear, inputs(), eps=1e-6, atol=1e-4),
                AG.gradcheck(linear, inputs(), eps=1e-6, atol=1e-4, check_forward_ad=True),
                AG.gradgradcheck(linear, inputs()),
                AG.gradgradcheck(lambda a, b: (a.sin() @ b.t()).exp(), inputs(),
                                 check_fwd_over_rev=True),
                AG.gradcheck(lambda a: a.tanh() * a, (t(T, D33, requires_grad=True),),
                             check_forward_ad=True, check_batched_grad=True))

    both(scenario)


def test_gradcheck_catches_a_wrong_backward() -> None:
    def scenario(T: Any) -> Any:
        class WrongExp(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.exp()

            @staticmethod
            def backward(ctx, g):
                return g * 2  # wrong on purpose

        x = t(T, [0.1, 0.2], requires_grad=True)
        quiet = T.autograd.gradcheck(WrongExp.apply, (x,), raise_exception=False)
        try:
            T.autograd.gradcheck(WrongExp.apply, (x,))
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            return quiet, type(e).__name__, isinstance(e, RuntimeError), str(e)
        return quiet, "no error"

    both(scenario)
