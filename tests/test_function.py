"""Custom autograd Functions (``autograd.Function``), scenario by scenario against torch 2.13.

Each scenario is a function of the library ``T``; ``both`` runs it on retrograd and on torch and
asserts the same values, gradients, grad_fn names, printed text, exceptions and warnings. The
Function classes are defined inside the scenarios, on ``T.autograd.Function``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import retrograd
from _both import both

X3 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
Y3 = np.array([0.5, -1.5, 2.0], dtype=np.float32)


def leaf(T: Any, values: Any = X3, dtype: Any = None) -> Any:
    return T.tensor(np.asarray(values), dtype=dtype, requires_grad=True)


def seen(g: Any) -> Any:
    """What a backward received, as comparable data."""
    return None if g is None else g.detach().clone()


# --------------------------------------------------------------------------------------------
# The basics: forward/backward, ctx, the node
# --------------------------------------------------------------------------------------------
def scale_fn(T: Any) -> Any:
    class MyFn(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            ctx.save_for_backward(x)
            return x * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            ctx.seen = (T.is_grad_enabled(), g.requires_grad, x.requires_grad, ctx.needs_input_grad)
            return g * ctx.k + x * 0, None

    return MyFn


def test_forward_backward_with_ctx_attributes_and_saved_tensors() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = scale_fn(T).apply(x, 2.0)
        node = y.grad_fn
        before = (str(y), repr(node), node.name(), type(node).__name__, node.k,
                  node.needs_input_grad, node.saved_tensors, node.next_functions)
        y.sum().backward()
        return before, x.grad, node.seen

    both(scenario)


def test_node_classes_and_isinstance() -> None:
    def scenario(T: Any) -> Any:
        MyFn = scale_fn(T)
        node = MyFn.apply(leaf(T), 3.0).grad_fn
        F = T.autograd.function
        return (isinstance(node, T.autograd.graph.Node), isinstance(node, F.BackwardCFunction),
                isinstance(node, F.FunctionCtx), type(node) is MyFn._backward_cls,
                node._forward_cls is MyFn, MyFn._backward_cls.__name__,
                issubclass(MyFn, T.autograd.Function))

    both(scenario)


def test_saved_tensors_are_freed_by_backward() -> None:
    def scenario(T: Any) -> Any:
        y = scale_fn(T).apply(leaf(T), 2.0)
        node = y.grad_fn
        y.sum().backward()
        return node.saved_tensors

    both(scenario)


def test_retain_graph_keeps_saved_tensors() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = scale_fn(T).apply(x, 2.0)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return x.grad, y.grad_fn.saved_tensors

    both(scenario)


def test_node_without_saved_tensors_still_counts_as_freed() -> None:
    def scenario(T: Any) -> Any:
        class Double(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        y = Double.apply(leaf(T))
        before = y.grad_fn.saved_tensors
        y.sum().backward()
        return before, y.grad_fn.saved_tensors

    both(scenario)


def test_setup_context_style_with_default_and_keyword_arguments() -> None:
    def scenario(T: Any) -> Any:
        log = []

        class Scale(T.autograd.Function):
            @staticmethod
            def forward(x, k=2.0):
                log.append(("forward", T.is_grad_enabled()))
                return x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                log.append(("setup", inputs, output, T.is_grad_enabled()))
                ctx.k = inputs[1]

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None

        x = leaf(T)
        a = Scale.apply(x)
        b = Scale.apply(x, k=3.0)
        (a + b).sum().backward()
        return a, b, x.grad, log

    both(scenario)


def test_setup_context_style_rejects_unknown_keywords() -> None:
    def scenario(T: Any) -> Any:
        class Scale(T.autograd.Function):
            @staticmethod
            def forward(x, k=2.0):
                return x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, g):
                return g, None

        return Scale.apply(leaf(T), j=3.0)

    assert both(scenario).error[0] == "TypeError"


def test_combined_style_passes_keyword_arguments_to_forward() -> None:
    def scenario(T: Any) -> Any:
        class KW(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k=2.0):
                ctx.k = k
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k

        x = leaf(T)
        y = KW.apply(x, k=3.0)   # k counts as an input: backward must return two gradients
        y.sum().backward()

    both(scenario)


def test_keyword_arguments_become_inputs() -> None:
    def scenario(T: Any) -> Any:
        class KW(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k=2.0, j=1.0, *, z=0.0):
                ctx.k, ctx.j = k, j
                return x * k * j

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k * ctx.j, None, None

        x = leaf(T)
        y = KW.apply(x, j=3.0, k=5.0)
        y.sum().backward()
        errors = []
        for kwargs in ({"j": 3.0}, {"z": 1.0}, {"x": x}):
            try:
                KW.apply(x, **kwargs)
            except TypeError as e:
                errors.append(str(e))
        return y, x.grad, y.grad_fn.needs_input_grad, errors

    both(scenario)


def test_forward_runs_without_grad_and_sees_needs_input_grad() -> None:
    def scenario(T: Any) -> Any:
        log = []

        class Probe(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y, k):
                t = x * y
                log.append((T.is_grad_enabled(), t.requires_grad, ctx.needs_input_grad,
                            ctx.saved_tensors))
                return t * k

            @staticmethod
            def backward(ctx, g):
                log.append(("backward", ctx.needs_input_grad))
                return g * 2, g * 3, None

        x = leaf(T)
        out = Probe.apply(x, T.tensor(Y3), 2)
        out.sum().backward()
        return out, x.grad, log, out.grad_fn.next_functions

    both(scenario)


def test_apply_without_grad_records_nothing() -> None:
    def scenario(T: Any) -> Any:
        MyFn = scale_fn(T)
        x = leaf(T)
        with T.no_grad():
            a = MyFn.apply(x, 2.0)
        b = MyFn.apply(T.tensor(X3), 2.0)
        return a, b, a.grad_fn, b.grad_fn

    both(scenario)


def test_grad_fn_apply_runs_backward_and_the_node_is_not_callable() -> None:
    def scenario(T: Any) -> Any:
        y = scale_fn(T).apply(leaf(T), 2.0)
        out = y.grad_fn.apply(T.ones(3))
        try:
            y.grad_fn(T.ones(3))
        except TypeError as e:
            err = str(e)
        return out, err

    both(scenario)


def test_saved_variables_is_a_deprecated_alias() -> None:
    def scenario(T: Any) -> Any:
        return scale_fn(T).apply(leaf(T), 2.0).grad_fn.saved_variables

    both(scenario)


def test_missing_ctx_attribute_raises_attribute_error() -> None:
    def scenario(T: Any) -> Any:
        return scale_fn(T).apply(leaf(T), 2.0).grad_fn.not_there

    assert both(scenario).error == ("AttributeError",
                                    "'MyFnBackward' object has no attribute 'not_there'")


# --------------------------------------------------------------------------------------------
# Several outputs, non-tensor inputs and outputs, non-differentiable outputs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("materialize", [True, False])
def test_multiple_outputs_and_materialized_grads(materialize: bool) -> None:
    def scenario(T: Any) -> Any:
        received = []

        class Multi(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                idx = T.tensor([1, 0, 2])
                f = x * 1.0
                ctx.mark_non_differentiable(f)
                return x * 2, idx, 7, f, x.long(), x.sum()

            @staticmethod
            def backward(ctx, g1, g2, g3, g4, g5, g6):
                received.append([seen(g) for g in (g1, g2, g3, g4, g5, g6)])
                out = g1 * 2
                if g6 is not None:
                    out = out + g6
                return out

        x = leaf(T)
        outs = Multi.apply(x)
        outs[0].sum().backward()
        first = x.grad.clone()
        outs[5].backward()
        return outs, first, x.grad, received, [o.requires_grad for o in outs if hasattr(o, "shape")]

    both(scenario)


def test_outputs_of_different_shapes_route_their_own_gradients() -> None:
    def scenario(T: Any) -> Any:
        class Shapes(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x.sum(), x.double()

            @staticmethod
            def backward(ctx, a, b, c):
                return a * 2 + b + c.float()

        x = leaf(T)
        a, b, c = Shapes.apply(x)
        ((a * 3).sum() + b * 5 + (c * c).sum()).backward()
        return x.grad, c.dtype

    both(scenario)


def test_non_tensor_and_list_outputs_pass_through() -> None:
    def scenario(T: Any) -> Any:
        class Lists(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return [x * 2, x * 3]

            @staticmethod
            def backward(ctx, g):
                return g

        class Nested(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, (x * 3,)

            @staticmethod
            def backward(ctx, g, h):
                return g

        class Nothing(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return None

            @staticmethod
            def backward(ctx, g):
                return g

        class IntOut(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return (x * 2).long()

            @staticmethod
            def backward(ctx, g):
                return g

        x = leaf(T)
        return Lists.apply(x), Nested.apply(x), Nothing.apply(x), IntOut.apply(x)

    both(scenario)


def test_non_tensor_inputs_get_no_edge_and_none_gradient() -> None:
    def scenario(T: Any) -> Any:
        class Mixed(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, name, b, scale, c):
                ctx.scale = scale
                return a * b * scale + c

            @staticmethod
            def backward(ctx, g):
                return g * 2, None, g * 3, None, g

        a, b = leaf(T), leaf(T, Y3)
        c = T.tensor(X3)
        out = Mixed.apply(a, "label", b, 4.0, c)
        out.sum().backward()
        return out.grad_fn.next_functions, out.grad_fn.needs_input_grad, a.grad, b.grad

    both(scenario)


def test_list_of_tensors_is_not_an_input() -> None:
    def scenario(T: Any) -> Any:
        class ListIn(T.autograd.Function):
            @staticmethod
            def forward(ctx, xs):
                return xs[0] * 2

            @staticmethod
            def backward(ctx, g):
                return None

        return ListIn.apply([leaf(T)])

    both(scenario)


def test_function_without_inputs() -> None:
    def scenario(T: Any) -> Any:
        class Const(T.autograd.Function):
            @staticmethod
            def forward(ctx):
                return T.ones(2)

            @staticmethod
            def backward(ctx, g):
                return ()

        return Const.apply()

    both(scenario)


def test_mark_non_differentiable_input_returned() -> None:
    def scenario(T: Any) -> Any:
        class NDI(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_non_differentiable(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        x = leaf(T)
        y = NDI.apply(x)
        return y is x, y.requires_grad, y._is_view(), y.grad_fn

    both(scenario)


def test_mark_non_differentiable_rejects_non_tensors() -> None:
    def scenario(T: Any) -> Any:
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_non_differentiable(x, 3)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        return Bad.apply(leaf(T))

    both(scenario)


def test_backward_runs_even_when_no_gradient_reaches_it() -> None:
    # B's backward returns None, so A gets no gradient at all; PyTorch still runs A's backward
    # (with materialized zeros, or None), and hooks on the way see None.
    def scenario(T: Any) -> Any:
        received = []

        def make_a(materialize):
            class A(T.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.set_materialize_grads(materialize)
                    return x * 2

                @staticmethod
                def backward(ctx, g):
                    received.append(seen(g))
                    return None if g is None else g * 2
            return A

        class B(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 3

            @staticmethod
            def backward(ctx, g):
                return None

        x = leaf(T)
        for materialize in (True, False):
            a = make_a(materialize).apply(x)
            (B.apply(a) + x).sum().backward()
        return received, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# In-place custom functions (mark_dirty), inputs returned as they are
# --------------------------------------------------------------------------------------------
def test_mark_dirty_in_place_function() -> None:
    def scenario(T: Any) -> Any:
        class MulTwo_(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        a = leaf(T)
        b = a.clone()
        v0 = b._version
        c = MulTwo_.apply(b)
        info = (c is b, b.grad_fn, b._version - v0, str(b))
        c.sum().backward()
        return info, a.grad

    both(scenario)


def test_mark_dirty_bumps_the_version_of_changes_autograd_cannot_see() -> None:
    def scenario(T: Any) -> Any:
        class AddOneNumpy(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.detach().numpy()[...] += 1
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        b = leaf(T).clone()
        d = b * b
        AddOneNumpy.apply(b)
        d.sum().backward()

    both(scenario)


def test_mark_dirty_on_a_leaf_that_requires_grad() -> None:
    def scenario(T: Any) -> Any:
        class Inpl(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        a = leaf(T)
        try:
            Inpl.apply(a)
        except RuntimeError as e:
            return str(e), a._version, a.detach().clone()

    both(scenario)


def test_mark_dirty_without_grad_bumps_the_version() -> None:
    def scenario(T: Any) -> Any:
        class Inpl(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        a = T.ones(2)
        r = Inpl.apply(a)
        return r is a, a._version, r.grad_fn

    both(scenario)


def test_mark_dirty_errors_and_warning() -> None:
    def scenario(T: Any) -> Any:
        class NotReturned(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        class NotInput(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                t = x * 2
                ctx.mark_dirty(t)
                return t

            @staticmethod
            def backward(ctx, g):
                return g

        class NotTensor(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x, 5)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        out = []
        for fn in (NotReturned, NotTensor):
            try:
                fn.apply(leaf(T).clone())
            except (RuntimeError, TypeError) as e:
                out.append((type(e).__name__, str(e)))
        y = NotInput.apply(leaf(T))
        return out, y

    both(scenario)


def test_input_returned_as_is_becomes_a_view_with_history() -> None:
    def scenario(T: Any) -> Any:
        class Ident(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 3

        x = leaf(T)
        y = Ident.apply(x)
        info = (y is x, y._base is x, y._is_view(), y.grad_fn.name())
        y.sum().backward()
        z = T.tensor(X3)
        w = Ident.apply(z)
        with T.no_grad():
            u = Ident.apply(x)
        return info, x.grad, (w is z, w._is_view(), w._base is z), (u is x, u._is_view(),
                                                                    u.requires_grad)

    both(scenario)


def test_input_returned_twice_with_other_output() -> None:
    def scenario(T: Any) -> Any:
        class Two(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x

            @staticmethod
            def backward(ctx, a, b):
                return a * 2 + b

        x = leaf(T)
        a, b = Two.apply(x)
        (a.sum() + b.sum()).backward()
        return a.grad_fn is b.grad_fn, b._base is x, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Saved tensors: versions, outputs, intermediates
# --------------------------------------------------------------------------------------------
def save_exp_fn(T: Any) -> Any:
    class SaveExp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y

    return SaveExp


def test_modified_saved_input_raises_the_version_error() -> None:
    def scenario(T: Any) -> Any:
        b = leaf(T).clone()
        y = save_exp_fn(T).apply(b)
        b.add_(1)
        y.sum().backward()

    both(scenario)


def test_modified_saved_output_raises_the_version_error() -> None:
    def scenario(T: Any) -> Any:
        y = save_exp_fn(T).apply(leaf(T).clone())
        y.add_(1)
        y.sum().backward()

    both(scenario)


def test_saved_output_is_rebuilt_with_this_node_as_grad_fn() -> None:
    def scenario(T: Any) -> Any:
        y = save_exp_fn(T).apply(leaf(T))
        x_saved, y_saved = y.grad_fn.saved_tensors
        return x_saved, y_saved, y_saved.grad_fn is y.grad_fn, x_saved.requires_grad

    both(scenario)


def test_save_for_backward_accepts_none_and_intermediates_but_not_numbers() -> None:
    def scenario(T: Any) -> Any:
        got = []

        class SaveMixed(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                t = x * 5
                ctx.save_for_backward(x, None, t)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                x, none, t = ctx.saved_tensors
                got.append((none, t, t.requires_grad, t.grad_fn))
                return g * t

        class SaveNumber(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        x = leaf(T)
        SaveMixed.apply(x).sum().backward()
        with T.no_grad():
            quiet = SaveNumber.apply(x)  # not recorded: no check
        try:
            SaveNumber.apply(x)
        except TypeError as e:
            err = str(e)
        return got, x.grad, quiet, err

    both(scenario)


def test_multi_output_function_saving_its_second_output() -> None:
    def scenario(T: Any) -> Any:
        class SinCos(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                s, c = x.sin(), x.cos()
                ctx.save_for_backward(s, c)
                return s, c

            @staticmethod
            def backward(ctx, gs, gc):
                s, c = ctx.saved_tensors
                return gs * c - gc * s

        x = leaf(T, dtype=None)
        s, c = SinCos.apply(x)
        (s * 2 + c * 3).sum().backward()
        return x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# What backward returns: PyTorch's checks
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, result, n_inputs", [
    ("too_few", lambda T, g: g, 2),
    ("too_many", lambda T, g: (g, g), 1),
    ("extra_none_ok", lambda T, g: (g, None, None), 1),
    ("float", lambda T, g: 1.0, 1),
    ("list", lambda T, g: [g], 1),
    ("ndarray", lambda T, g: np.ones(3, np.float32), 1),
    ("grad_for_number_input", lambda T, g: (g, g, g), 3),
    ("wrong_shape", lambda T, g: g[:2], 1),
    ("broadcast_shape_summed", lambda T, g: g.expand(2, 3), 1),
    ("other_dtype_cast", lambda T, g: g.double(), 1),
    ("grad_for_non_requiring_tensor_dropped", lambda T, g: (g, g), 2),
])
def test_backward_results_are_checked(name: str, result: Any, n_inputs: int) -> None:
    def scenario(T: Any) -> Any:
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, *args):
                return args[0] * 2

            @staticmethod
            def backward(ctx, g):
                return result(T, g)

        x = leaf(T)
        args = (x, T.tensor(Y3), 3)[:n_inputs]
        Bad.apply(*args).sum().backward()
        return x.grad, x.grad.dtype

    both(scenario)


def test_missing_forward_or_backward_and_instantiation() -> None:
    def scenario(T: Any) -> Any:
        class NoBackward(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        class NoForward(T.autograd.Function):
            pass

        out = []
        for f in (lambda: NoBackward.apply(leaf(T)).sum().backward(),
                  lambda: NoForward.apply(leaf(T)),
                  lambda: NoBackward()(leaf(T))):
            try:
                f()
            except (NotImplementedError, RuntimeError) as e:
                out.append((type(e).__name__, str(e)))
        return out

    both(scenario)


def test_backward_and_vjp_both_defined() -> None:
    def scenario(T: Any) -> Any:
        class Both(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def vjp(ctx, g):
                return g

        Both.apply(leaf(T)).sum().backward()

    both(scenario)


def test_vjp_instead_of_backward() -> None:
    def scenario(T: Any) -> Any:
        class V(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 5

        x = leaf(T)
        V.apply(x).sum().backward()
        return x.grad

    both(scenario)


def test_error_raised_inside_backward_propagates() -> None:
    def scenario(T: Any) -> Any:
        class Boom(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")

        Boom.apply(leaf(T)).sum().backward()

    assert both(scenario).error == ("ValueError", "boom")


# --------------------------------------------------------------------------------------------
# Higher order: backward with differentiable ops, once_differentiable
# --------------------------------------------------------------------------------------------
def cube_fn(T: Any, once: bool = False) -> Any:
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        ctx.grad_mode_in_backward = T.is_grad_enabled()
        return g * 3 * x ** 2

    if once:
        backward = T.autograd.function.once_differentiable(backward)

    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

    Cube.backward = staticmethod(backward)
    return Cube


def test_double_backward_through_a_differentiable_backward() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = cube_fn(T).apply(x)
        (gx,) = T.autograd.grad(y.sum(), x, create_graph=True)
        mode = y.grad_fn.grad_mode_in_backward
        gx.sum().backward()
        return gx, mode, x.grad

    both(scenario)


def test_hessian_vector_product_through_a_custom_function() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T, dtype=T.float64)
        v = T.tensor(Y3, dtype=T.float64)
        y = (cube_fn(T).apply(x) * x.sin()).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (hv,) = T.autograd.grad(g, x, v)
        return g, hv

    both(scenario)


def test_once_differentiable_first_order_and_graph_free_result() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = cube_fn(T, once=True).apply(x)
        (g1,) = T.autograd.grad(y.sum(), x, create_graph=True)
        mode = y.grad_fn.grad_mode_in_backward
        y = cube_fn(T, once=True).apply(x)
        (g2,) = T.autograd.grad(y.sum(), x)
        return g1, g1.grad_fn, mode, g2

    both(scenario)


def test_once_differentiable_double_backward_raises() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = cube_fn(T, once=True).apply(x)
        g0 = T.ones(3, requires_grad=True)
        (gx,) = T.autograd.grad(y, x, g0, create_graph=True)
        info = (str(gx), repr(gx.grad_fn), gx.grad_fn.name(), gx.grad_fn.next_functions)
        try:
            gx.sum().backward()
        except RuntimeError as e:
            return info, str(e)

    both(scenario)


def test_gradcheck_and_gradgradcheck_of_a_custom_function() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T, dtype=T.float64)
        Cube = cube_fn(T)
        ok = (T.autograd.gradcheck(Cube.apply, (x,)), T.autograd.gradgradcheck(Cube.apply, (x,)))

        class Wrong(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 2 * x ** 2

        bad = T.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
        return ok, bad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Custom nodes in the graph: hooks, retain_grad, mixing with built-in ops
# --------------------------------------------------------------------------------------------
def test_hooks_on_a_custom_node() -> None:
    def scenario(T: Any) -> Any:
        log = []
        x = leaf(T)
        y = scale_fn(T).apply(x * 1, 2.0)
        y.grad_fn.register_prehook(lambda go: log.append(("pre", go)))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", gi, go)))
        y.register_hook(lambda g: g * 10)
        y.retain_grad()
        (y * y).sum().backward()
        return log, x.grad, y.grad

    both(scenario)


def test_custom_function_inside_a_larger_graph() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaf(T), leaf(T, Y3)
        h = (x * w).tanh()
        h = scale_fn(T).apply(h, 3.0)
        y = save_exp_fn(T).apply(h * w)
        loss = (y * x).sum()
        loss.backward()
        return loss, x.grad, w.grad, loss.grad_fn.next_functions

    both(scenario)


def test_function_class_constants_and_module_names() -> None:
    def scenario(T: Any) -> Any:
        F = T.autograd.function
        return (T.autograd.Function is F.Function, issubclass(F.InplaceFunction, F.Function),
                callable(F.once_differentiable), F.Function.generate_vmap_rule)

    both(scenario)


def test_node_repr_names_the_function_module() -> None:
    y = scale_fn(retrograd).apply(leaf(retrograd), 2.0)
    assert repr(y.grad_fn).startswith("<torch.autograd.function.MyFnBackward object at 0x")
