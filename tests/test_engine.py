"""Engine semantics of backward(), compared scenario by scenario with torch 2.13.

Each scenario is a function of the library ``T``; ``both`` runs it with ``T=retrograd`` and with
``T=torch`` and asserts the outcomes agree (values, dtypes, shapes, grad_fn names, printed text,
exception type and message, warnings). Inputs are NumPy arrays turned into tensors with
``T.tensor`` so both libraries see identical data.
"""
from __future__ import annotations

import gc
import re
import sys
import threading
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch as _torch  # the reference

import retrograd

# --------------------------------------------------------------------------------------------
# Comparison helper (the same small helper is repeated in each engine-level test file).
# --------------------------------------------------------------------------------------------
from _both import Outcome, assert_same, both, clean, normalise, run  # noqa: E402,F401

BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)

X3 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
Y3 = np.array([4.0, -5.0, 6.0], dtype=np.float32)


def leaf(T: Any, values: Any = X3) -> Any:
    return T.tensor(np.asarray(values), requires_grad=True)


# --------------------------------------------------------------------------------------------
# Graph shapes
# --------------------------------------------------------------------------------------------
def test_diamond_graph_sums_the_gradients_of_both_paths() -> None:
    # x feeds two branches that meet again: d/dx (2x * 3x) = 12x; the engine must add the two
    # incoming gradients before running x's node, and run it once.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        a = x * 2
        b = x * 3
        out = (a * b).sum()
        out.backward()
        return x.grad, out

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[0][-1], 12 * X3)


def test_diamond_with_uneven_branch_lengths() -> None:
    # One branch is longer than the other, so x's node only becomes ready after the long branch.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        short = x.exp()
        long = ((x * 2).sin() + 1) * x
        (short * long).sum().backward()
        return x.grad

    both(scenario)


def test_same_tensor_as_two_roots_accumulates_twice() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = x * 3
        T.autograd.backward([y, y], [T.ones(3), T.tensor(np.full(3, 2.0, dtype=np.float32))])
        return x.grad

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[-1], [9.0, 9.0, 9.0])  # 3 * (1 + 2)


def test_same_scalar_root_twice_with_implicit_gradients() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = (x * x).sum()
        T.autograd.backward([y, y])
        return x.grad

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[-1], 4 * X3)


# (Long chains, backward and teardown without recursion: tests/test_soak.py, 200,000 ops.)


# --------------------------------------------------------------------------------------------
# Freeing saved tensors; retain_graph
# --------------------------------------------------------------------------------------------
def test_second_backward_through_nodes_without_saved_tensors_is_fine() -> None:
    # AddBackward0 saves nothing, so there is nothing to free: a second backward just accumulates
    # again (torch's test_backward_twice_without_saved_values).
    def scenario(T: Any) -> Any:
        b = leaf(T)
        c = b + 1
        g = T.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32))
        c.backward(g)
        c.backward(g)
        return b.grad

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[-1], [2.0, 4.0, 6.0])


def test_second_backward_through_a_freed_saved_tensor_raises() -> None:
    def scenario(T: Any) -> None:
        x = leaf(T)
        y = (x * x).sum()  # MulBackward0 saves both operands
        y.backward()
        y.backward()

    assert both(scenario).error == ("RuntimeError", BACKWARD_TWICE)


def test_second_backward_after_mul_by_python_scalar_raises() -> None:
    # Surprising but real: x * 2 wraps 2 in a tensor that MulBackward0 saves as `other`, so that
    # graph cannot be run twice either.
    def scenario(T: Any) -> None:
        x = leaf(T)
        y = (x * 2).sum()
        y.backward()
        y.backward()

    assert both(scenario).error == ("RuntimeError", BACKWARD_TWICE)


def test_second_backward_through_exp_raises() -> None:
    # ExpBackward0 saves its result.
    def scenario(T: Any) -> None:
        x = leaf(T)
        y = x.exp().sum()
        y.backward()
        y.backward()

    assert both(scenario).error == ("RuntimeError", BACKWARD_TWICE)


def test_error_of_second_backward_leaves_first_gradient_in_place() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = (x * x).sum()
        y.backward()
        try:
            y.backward()
        except RuntimeError:
            pass
        return x.grad

    both(scenario)


def test_retain_graph_allows_a_second_backward_which_accumulates() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward(retain_graph=True)
        y.backward()  # the last one may free
        return first, x.grad

    ref = both(scenario)
    first, last = (t[-1] for t in ref.value)
    np.testing.assert_allclose(last, 3 * first)


def test_retain_graph_then_plain_backward_then_third_raises() -> None:
    def scenario(T: Any) -> None:
        x = leaf(T)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        y.backward()

    assert both(scenario).error == ("RuntimeError", BACKWARD_TWICE)


def test_autograd_grad_also_frees_the_graph() -> None:
    def scenario(T: Any) -> None:
        x = leaf(T)
        y = (x * x).sum()
        T.autograd.grad(y, x)
        T.autograd.grad(y, x)

    assert both(scenario).error == ("RuntimeError", BACKWARD_TWICE)


def test_saved_tensors_of_mul_and_exp_before_backward() -> None:
    # torch exposes what a node saved: MulBackward0 saves self and other, ExpBackward0 its result.
    def scenario(T: Any) -> dict[str, Any]:
        x = leaf(T)
        y = leaf(T, Y3)
        z = x * y
        e = x.exp()
        return {
            "self": z.grad_fn._saved_self,
            "other": z.grad_fn._saved_other,
            "self is x": z.grad_fn._saved_self is x,
            "result": e.grad_fn._saved_result,
        }

    ref = both(scenario)
    np.testing.assert_allclose(ref.value["self"][-1], X3)
    np.testing.assert_allclose(ref.value["other"][-1], Y3)


def test_mul_saves_only_what_its_backward_needs() -> None:
    # With a constant `other`, d/d(other) is never needed, so `self` is not saved (torch gives
    # None for _saved_self), while `other` is. A Python scalar is saved as a 0-d tensor.
    def scenario(T: Any) -> dict[str, Any]:
        x = leaf(T)
        c = T.tensor(Y3)
        z = x * c
        s = x * 2
        return {
            "self": z.grad_fn._saved_self,
            "other": z.grad_fn._saved_other,
            "other is c": z.grad_fn._saved_other is c,
            "scalar other": s.grad_fn._saved_other,
        }

    ref = both(scenario)
    assert ref.value["self"] is None


def test_saved_tensor_access_after_backward_raises() -> None:
    def scenario(T: Any) -> None:
        x = leaf(T)
        y = leaf(T, Y3)
        z = x * y
        z.sum().backward()
        return z.grad_fn._saved_self

    assert both(scenario).error == ("RuntimeError", BACKWARD_TWICE)


def test_saved_result_access_after_backward_raises() -> None:
    def scenario(T: Any) -> None:
        e = leaf(T).exp()
        e.sum().backward()
        return e.grad_fn._saved_result

    assert both(scenario).error == ("RuntimeError", BACKWARD_TWICE)


def test_saved_tensor_access_after_backward_with_retain_graph() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = leaf(T, Y3)
        z = x * y
        z.sum().backward(retain_graph=True)
        return z.grad_fn._saved_self, z.grad_fn._saved_other

    both(scenario)


def test_saved_tensors_of_a_node_outside_the_backward_stay_available() -> None:
    # backward(y) only frees nodes it ran; e is not part of y's graph.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        e = x.exp()
        (x * 3).sum().backward()
        return e.grad_fn._saved_result

    both(scenario)


def test_backward_frees_intermediate_tensors() -> None:
    # After backward nothing should keep `a` alive: not the graph, not a saved-tensor slot.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        a = x * 2
        r = weakref.ref(a)
        b = a.sin()  # SinBackward0 saves its input a
        del a
        alive_before = r() is not None
        b.sum().backward()
        gc.collect()
        return alive_before, r() is None, x.grad

    ref = both(scenario)
    assert ref.value[:2] == (True, True)


def test_retain_graph_keeps_saved_intermediate_alive() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        a = x * 2
        r = weakref.ref(a)
        b = a.sin()
        del a
        b.sum().backward(retain_graph=True)
        gc.collect()
        # The retained graph still holds `a` (SinBackward0 saved it).
        return r() is not None

    assert both(scenario).value is True


# --------------------------------------------------------------------------------------------
# Accumulation into .grad
# --------------------------------------------------------------------------------------------
def test_grad_accumulates_in_place_across_backward_calls() -> None:
    # torch accumulates a leaf's grad in place: the tensor object held before the second backward
    # is the same object afterwards and its values have changed.
    def scenario(T: Any) -> dict[str, Any]:
        x = leaf(T)
        (x * 3).sum().backward()
        g = x.grad
        first = g.clone()
        (x * 3).sum().backward()
        return {"first": first, "same object": g is x.grad, "g now": g, "x.grad": x.grad}

    ref = both(scenario)
    assert ref.value["same object"] is True
    np.testing.assert_allclose(ref.value["g now"][-1], 2 * ref.value["first"][-1])


def test_leaf_grad_does_not_alias_the_supplied_gradient() -> None:
    # The first accumulation must copy: mutating the gradient the caller passed in, or the
    # upstream tensor, must not change x.grad.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        v = T.tensor(np.array([1.0, 1.0, 1.0], dtype=np.float32))
        x.backward(v)  # backward on the leaf itself: x.grad receives v directly
        same = x.grad is v
        v.add_(100)
        return same, x.grad

    ref = both(scenario)
    assert ref.value[0] is False
    np.testing.assert_allclose(ref.value[1][-1], [1.0, 1.0, 1.0])


def test_grad_reset_to_none_or_zeroed_between_iterations() -> None:
    def scenario(T: Any) -> list[Any]:
        x = leaf(T)
        seen = []
        for reset in ("none", "zero_", "none", "zero_"):
            (x * x).sum().backward()
            seen.append(x.grad.clone())
            if reset == "none":
                x.grad = None
                seen.append(x.grad)
            else:
                zeroed = x.grad.zero_()
                seen.append((zeroed is x.grad, x.grad.clone()))
        return seen

    ref = both(scenario)
    # Every iteration sees the same fresh gradient 2x.
    for grad in ref.value[0::2]:
        np.testing.assert_allclose(grad[-1], 2 * X3)


def test_grad_deleted_with_del() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        (x * 2).sum().backward()
        del x.grad
        return x.grad

    assert both(scenario).value is None


# --------------------------------------------------------------------------------------------
# Higher order
# --------------------------------------------------------------------------------------------
def test_second_and_third_derivative_of_x_cubed() -> None:
    def scenario(T: Any) -> list[Any]:
        x = T.tensor(2.0, requires_grad=True)
        (d1,) = T.autograd.grad(x ** 3, x, create_graph=True)  # 3x^2 = 12
        (d2,) = T.autograd.grad(d1, x, create_graph=True)  # 6x = 12
        (d3,) = T.autograd.grad(d2, x)  # 6
        return [d1, d2, d3, x.grad]

    ref = both(scenario)
    assert [t[-1].item() for t in ref.value[:3]] == [12.0, 12.0, 6.0]
    assert ref.value[3] is None  # autograd.grad never touches .grad


def test_second_derivative_is_six_x_on_a_vector() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        (g,) = T.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return g, h

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[1][-1], 6 * X3)


def test_hessian_vector_product_by_double_backward() -> None:
    # f(x) = sum(x^2 * sin(x)) + x0 * x1 * x2; H v by differentiating (grad f . v).
    x0 = np.array([0.5, -1.0, 2.0], dtype=np.float64)
    v0 = np.array([1.0, 2.0, -0.5], dtype=np.float64)

    def f(t: Any) -> Any:
        return (t ** 2 * t.sin()).sum() + t[0] * t[1] * t[2]

    def scenario(T: Any) -> Any:
        x = T.tensor(x0, requires_grad=True)
        (g,) = T.autograd.grad(f(x), x, create_graph=True)
        (g * T.tensor(v0)).sum().backward()
        return g, x.grad

    ref = both(scenario)
    hessian = _torch.autograd.functional.hessian(f, _torch.tensor(x0)).numpy()
    np.testing.assert_allclose(ref.value[1][-1], hessian @ v0, rtol=1e-10)


def test_grad_of_grad_has_a_graph_only_with_create_graph() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        (with_graph,) = T.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (without,) = T.autograd.grad((x ** 3).sum(), x)
        return with_graph, without

    both(scenario)


# --------------------------------------------------------------------------------------------
# Graph introspection: next_functions, AccumulateGrad, name(), repr
# --------------------------------------------------------------------------------------------
def structure(node: Any, depth: int = 3) -> Any:
    """next_functions as (name, input index) pairs, a few levels deep; None stays None."""
    if node is None:
        return None
    if depth == 0:
        return node.name()
    return (node.name(), tuple((structure(n, depth - 1), i) for n, i in node.next_functions))


def test_next_functions_with_a_constant_operand() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = T.tensor(Y3)
        return structure((x * y).grad_fn)

    # ((<AccumulateGrad>, 0), (None, 0)): the constant has no node.
    assert both(scenario).value == (
        "MulBackward0",
        ((("torch::autograd::AccumulateGrad", ()), 0), (None, 0)),
    )


def test_next_functions_of_a_deeper_graph() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = leaf(T, Y3)
        out = ((x * y).exp() + x).sum()
        return structure(out.grad_fn, depth=4)

    both(scenario)


def test_next_functions_is_a_tuple_of_pairs() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        nf = (x * 2).grad_fn.next_functions
        return type(nf).__name__, [type(pair).__name__ for pair in nf], [len(pair) for pair in nf]

    both(scenario)


def test_accumulate_grad_variable_is_the_leaf() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        acc = (x * 2).grad_fn.next_functions[0][0]
        # The same AccumulateGrad node is reused for every use of x.
        again = (x + 1).grad_fn.next_functions[0][0]
        return acc.variable is x, acc is again, type(acc).__name__, acc.name()

    ref = both(scenario)
    assert ref.value == (True, True, "AccumulateGrad", "torch::autograd::AccumulateGrad")


def test_grad_fn_names() -> None:
    def scenario(T: Any) -> list[str]:
        x = leaf(T)
        y = leaf(T, Y3)
        results = [
            x * y, x + y, x - y, x / y, x ** 2, -x, x.exp(), x.sin(), x.sum(), x.mean(),
            x @ y, x * 2, 2 * x, x + 1, x.view(3), x.reshape(3, 1), x[0],
        ]
        return [r.grad_fn.name() for r in results]

    both(scenario)


def test_grad_fn_repr() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        z = x * 2
        return repr(z.grad_fn), str(z.grad_fn), repr(z.grad_fn.next_functions[0][0])

    ref = both(scenario)
    assert ref.value[0] == "<MulBackward0 object at 0x?>"
    # And on the library under test the address is a real hex number:
    ours = repr((leaf(retrograd) * 2).grad_fn)
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", ours), ours


def test_tensor_repr_shows_grad_fn() -> None:
    def scenario(T: Any) -> list[str]:
        x = leaf(T)
        return [repr(x), repr(x * 2), repr((x * 2).sum()), repr(x.detach())]

    both(scenario)


# --------------------------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------------------------
def test_hook_on_a_leaf_can_replace_the_gradient() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        seen = []

        def hook(grad: Any) -> Any:
            seen.append(grad.clone())
            return grad * 10

        x.register_hook(hook)
        (x * 3).sum().backward()
        return seen, x.grad

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[1][-1], [30.0, 30.0, 30.0])


def test_hook_returning_none_keeps_the_gradient() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        seen = []
        x.register_hook(lambda grad: seen.append(grad.clone()))
        (x * 3).sum().backward()
        return seen, x.grad

    both(scenario)


def test_hooks_run_in_registration_order_and_chain() -> None:
    # Each hook sees the gradient the previous one returned.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        order = []
        x.register_hook(lambda g: order.append(("first", g.clone())) or g * 2)
        x.register_hook(lambda g: order.append(("second", g.clone())) or g + 1)
        (x * 1).sum().backward()
        return order, x.grad

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[1][-1], [3.0, 3.0, 3.0])


def test_removed_hook_no_longer_runs() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        handle = x.register_hook(lambda g: g * 10)
        (x * 3).sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x * 3).sum().backward()
        return first, x.grad

    both(scenario)


def test_hook_on_a_non_leaf_changes_what_flows_upstream() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        h = x * 2
        seen = []
        h.register_hook(lambda g: seen.append(g.clone()))
        h.register_hook(lambda g: g + 1)
        (h * 1).sum().backward()
        return seen, x.grad, h.grad_fn.name()

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[1][-1], [4.0, 4.0, 4.0])  # (1 + 1) * 2


def test_hook_returning_a_wrong_shape_raises() -> None:
    def scenario(T: Any) -> None:
        def named_hook(grad: Any) -> Any:
            return T.ones(5)

        x = leaf(T)
        x.register_hook(named_hook)
        (x * 1).sum().backward()

    # The message names the hook function.
    assert both(scenario).error == ("RuntimeError", "hook 'named_hook' has changed the size of value")


# --------------------------------------------------------------------------------------------
# retain_grad on non-leaves
# --------------------------------------------------------------------------------------------
def test_retain_grad_on_a_non_leaf() -> None:
    def scenario(T: Any) -> dict[str, Any]:
        x = leaf(T)
        h = x * 2
        before = h.retains_grad
        h.retain_grad()
        (h * h).sum().backward()
        return {"before": before, "after": h.retains_grad, "h.grad": h.grad, "x.grad": x.grad}

    ref = both(scenario)  # no warning: reading h.grad is allowed once retained
    assert ref.warnings == []
    np.testing.assert_allclose(ref.value["h.grad"][-1], 4 * X3)


def test_retain_grad_on_a_leaf_is_a_no_op() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        x.retain_grad()
        return x.retains_grad, x.is_leaf

    assert both(scenario).value == (False, True)


def test_retained_grad_accumulates_but_not_in_place() -> None:
    # Unlike a leaf's .grad, a retained non-leaf grad is replaced by a new tensor on accumulation.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        h = x * 2
        h.retain_grad()
        s = (h * h).sum()
        s.backward(retain_graph=True)
        g = h.grad
        s.backward()
        return g, h.grad, g is h.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# autograd.grad and backward(inputs=...)
# --------------------------------------------------------------------------------------------
def test_autograd_grad_returns_a_tuple_and_does_not_touch_grad() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = leaf(T, Y3)
        grads = T.autograd.grad((x * y).sum(), [x, y])
        return grads, x.grad, y.grad

    ref = both(scenario)
    assert ref.value[1] is None and ref.value[2] is None


def test_autograd_grad_allow_unused_gives_none() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        unused = leaf(T, Y3)
        return T.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)

    assert both(scenario).value[1] is None


def test_autograd_grad_materialize_grads_gives_zeros() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        unused = leaf(T, Y3)
        a = T.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
        b = T.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True, allow_unused=True)
        return a, b

    ref = both(scenario)
    np.testing.assert_array_equal(ref.value[0][1][-1], [0.0, 0.0, 0.0])


def test_autograd_grad_with_grad_outputs() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        return T.autograd.grad(x * x, x, grad_outputs=T.tensor(Y3))

    both(scenario)


def test_backward_inputs_fills_only_those_leaves() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        y = leaf(T, Y3)
        (x * y).sum().backward(inputs=[x])
        after_list = (x.grad.clone(), y.grad)
        (x * y).sum().backward(inputs=y)  # a single tensor is accepted too
        return after_list, x.grad, y.grad

    ref = both(scenario)
    assert ref.value[0][1] is None


def test_backward_inputs_may_be_unused() -> None:
    # backward(inputs=...) allows unreachable inputs (unlike autograd.grad): no error, no grad.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        other = leaf(T, Y3)
        (x * 2).sum().backward(inputs=[other])
        return x.grad, other.grad

    assert both(scenario).value == (None, None)


def test_backward_inputs_with_a_non_leaf_populates_its_grad() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        h = x * 2
        (h * 3).sum().backward(inputs=[h])
        return h.grad, h.retains_grad, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# dtypes of gradients
# --------------------------------------------------------------------------------------------
def test_mixed_dtype_forward_casts_the_gradient_back_to_the_leaf_dtype() -> None:
    def scenario(T: Any) -> dict[str, Any]:
        f32 = T.tensor(X3, requires_grad=True)
        f64 = T.tensor(Y3.astype(np.float64))
        out = f32 * f64
        out.sum().backward()
        return {"out dtype": str(out.dtype), "grad dtype": str(f32.grad.dtype), "grad": f32.grad}

    ref = both(scenario)
    assert ref.value["out dtype"] == "torch.float64"
    assert ref.value["grad dtype"] == "torch.float32"


def test_float64_gradient_for_a_float32_output_is_cast() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        out = x * 2
        out.backward(T.tensor(np.array([1.0, 0.5, -1.0], dtype=np.float64)))
        return str(x.grad.dtype), x.grad

    assert both(scenario).value[0] == "torch.float32"


def test_float32_leaf_used_with_float64_leaf_each_gets_its_own_dtype() -> None:
    def scenario(T: Any) -> Any:
        a = T.tensor(X3, requires_grad=True)
        b = T.tensor(Y3.astype(np.float64), requires_grad=True)
        (a * b + a).sum().backward()
        return a.grad, b.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------------
def _in_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run target(i) in n threads started together; return results in thread order."""
    results: list[Any] = [None] * n
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_backward_in_several_threads_on_separate_graphs() -> None:
    def scenario(T: Any) -> list[Any]:
        def work(i: int) -> Any:
            x = T.tensor(X3 + i, requires_grad=True)
            for _ in range(20):
                ((x * x).sin() * (i + 1)).sum().backward()
            return x.grad

        return _in_threads(4, work)

    both(scenario)


def test_eight_threads_accumulating_into_one_shared_leaf_sum_exactly() -> None:
    # Each thread owns its graph (kept with retain_graph) and runs it many times into the same
    # leaf; accumulation must be atomic, so the result is the exact sum (integers in float64).
    def scenario(T: Any) -> Any:
        x = T.tensor(np.arange(4.0), requires_grad=True)

        def work(i: int) -> None:
            y = (x * (i + 1)).sum()
            for _ in range(50):
                y.backward(retain_graph=True)

        _in_threads(8, work)
        return x.grad

    ref = both(scenario)
    np.testing.assert_array_equal(ref.value[-1], np.full(4, 50.0 * sum(range(1, 9))))


def test_a_new_thread_starts_with_grad_enabled() -> None:
    # Grad mode is thread-local: a no_grad() in the main thread does not reach a worker thread.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.no_grad():
            main = (T.is_grad_enabled(), (x * 2).requires_grad)
            worker = _in_threads(1, lambda i: (T.is_grad_enabled(), (x * 2).requires_grad))[0]
        return main, worker

    assert both(scenario).value == ((False, False), (True, True))


def test_grad_mode_set_in_a_thread_does_not_leak_out() -> None:
    def scenario(T: Any) -> Any:
        def work(i: int) -> bool:
            T.set_grad_enabled(False)  # never restored: the thread just ends
            return T.is_grad_enabled()

        worker = _in_threads(1, work)[0]
        return worker, T.is_grad_enabled()

    assert both(scenario).value == (False, True)
