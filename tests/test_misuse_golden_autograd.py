"""Golden misuse suite, autograd: backward, autograd.grad, .grad/requires_grad/retain_grad and
leaves, hooks, autograd.Function misuse (grad modes, inference mode, forward AD and vmap:
tests/test_misuse_golden_modes.py; harness and conventions: tests/_misuse_golden.py)."""
from __future__ import annotations

import pytest

from _misuse_golden import COMPLEX, check

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def _leaf(T, *shape, **kw):
    return T.ones(*shape, requires_grad=True, **kw)


# --- backward ---------------------------------------------------------------------------------
@case
def backward_twice_with_saved(T):
    x = _leaf(T, 3)
    y = (x * x).sum()
    y.backward()
    y.backward()


@case
def backward_twice_without_saved(T):
    x = _leaf(T, 3)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


@case
def backward_non_scalar(T):
    (_leaf(T, 3) * 2).backward()


@case
def backward_shape_one_is_fine(T):
    x = _leaf(T, 1)
    (x * 2).backward()
    return x.grad


@case
def backward_no_grad_fn(T):
    T.ones(3).sum().backward()


@case
def backward_gradient_wrong_shape(T):
    (_leaf(T, 3) * 2).backward(T.ones(2))


@case
def backward_gradient_list(T):
    (_leaf(T, 3) * 2).backward([1.0, 1.0, 1.0])


@case
def backward_gradient_complex(T):
    (_leaf(T, 3) * 2).backward(T.ones(3, dtype=T.complex64))


@case
def backward_gradient_float64_is_cast(T):
    x = _leaf(T, 3)
    (x * 2).backward(T.ones(3, dtype=T.float64))
    return x.grad


@case
def backward_retain_graph_str(T):
    x = _leaf(T, 3)
    (x * x).sum().backward(retain_graph="x")


@case
def backward_inputs_empty(T):
    x = _leaf(T, 3)
    (x * x).sum().backward(inputs=[])


@case
def backward_inputs_not_requiring_grad(T):
    x = _leaf(T, 3)
    w = T.ones(3)
    (x * w).sum().backward(inputs=[w])


@case
def backward_inputs_single_tensor(T):
    x = _leaf(T, 3)
    (x * x).sum().backward(inputs=x)
    return x.grad


@case
def backward_int_output(T):
    T.ones(3, dtype=T.int64).sum().backward()


@case
def backward_after_inplace_on_saved(T):
    a = _leaf(T, 3)
    b = a.exp()
    b.add_(1)
    b.sum().backward()


@case
def backward_after_inplace_on_saved_leaf_alias(T):
    x = _leaf(T, 1)
    y = x * x
    z = x.detach()
    z *= 100
    y.backward()


@case
def backward_complex_scalar(T):
    x = T.ones(2, dtype=T.complex64, requires_grad=True)
    (x * 2).sum().backward()


# --- autograd.grad ----------------------------------------------------------------------------
@case
def grad_unused_input(T):
    x, y = _leaf(T, 2), _leaf(T, 2)
    T.autograd.grad((x * 2).sum(), [x, y])


@case
def grad_unused_allowed(T):
    x, y = _leaf(T, 2), _leaf(T, 2)
    return T.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)


@case
def grad_unused_materialize(T):
    x, y = _leaf(T, 2), _leaf(T, 2)
    return T.autograd.grad((x * 2).sum(), [x, y], allow_unused=True, materialize_grads=True)


@case
def grad_materialize_without_allow_unused(T):
    x = _leaf(T, 2)
    return T.autograd.grad((x * 2).sum(), [x], materialize_grads=True)


@case
def grad_input_not_requiring_grad(T):
    x = _leaf(T, 2)
    T.autograd.grad((x * 2).sum(), [T.ones(2)])


@case
def grad_output_not_requiring_grad(T):
    T.autograd.grad(T.ones(2).sum(), [_leaf(T, 2)])


@case
def grad_non_scalar(T):
    x = _leaf(T, 2)
    T.autograd.grad(x * 2, x)


@case
def grad_wrong_length_grad_outputs(T):
    x = _leaf(T, 2)
    T.autograd.grad([x * 2, x * 3], [x], grad_outputs=[T.ones(2)])


@case
def grad_grad_outputs_wrong_shape(T):
    x = _leaf(T, 2)
    T.autograd.grad(x * 2, x, grad_outputs=T.ones(3))


@case
def grad_inputs_empty(T):
    x = _leaf(T, 2)
    T.autograd.grad((x * 2).sum(), [])


@case
def grad_of_non_leaf_input(T):
    x = _leaf(T, 2)
    h = x * 2
    return T.autograd.grad((h * h).sum(), h)


@case
def grad_twice(T):
    x = _leaf(T, 2)
    y = (x * x).sum()
    T.autograd.grad(y, x)
    T.autograd.grad(y, x)


@case
def grad_is_grads_batched_wrong(T):
    x = _leaf(T, 2)
    T.autograd.grad((x * 2).sum(), x, grad_outputs=T.ones(3), is_grads_batched=True)


@case
def grad_inputs_not_tensor(T):
    x = _leaf(T, 2)
    T.autograd.grad((x * 2).sum(), [1.0])


# --- .grad, requires_grad, retain_grad, leaves -----------------------------------------------
@case
def non_leaf_grad_access_warns(T):
    x = _leaf(T, 2)
    y = x * 2
    y.sum().backward()
    return y.grad


@case
def retain_grad_non_leaf(T):
    x = _leaf(T, 2)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    return y.grad


@case
def retain_grad_no_requires_grad(T):
    T.ones(2).retain_grad()


@case
def requires_grad_on_int_factory(T):
    T.ones(2, dtype=T.int64, requires_grad=True)


@case
def requires_grad_on_int_tensor(T):
    T.tensor([1, 2], requires_grad=True)


@case
def requires_grad_on_int_method(T):
    T.ones(2, dtype=T.int64).requires_grad_()


@case
def requires_grad_on_int_attribute(T):
    t = T.ones(2, dtype=T.int64)
    t.requires_grad = True


@case
def requires_grad_on_bool(T):
    T.ones(2, dtype=T.bool).requires_grad_()


@case
def requires_grad_str_factory(T):
    T.tensor([1.0], requires_grad="yes")


@case
def requires_grad_str_method(T):
    T.ones(2).requires_grad_("yes")


@case
def requires_grad_str_attribute(T):
    t = T.ones(2)
    t.requires_grad = "yes"


@case
def requires_grad_false_non_leaf(T):
    y = _leaf(T, 2) * 2
    y.requires_grad = False


@case
def requires_grad_true_non_leaf_is_noop(T):
    y = _leaf(T, 2) * 2
    y.requires_grad_(True)
    return y


@case
def requires_grad_false_non_leaf_method(T):
    (_leaf(T, 2) * 2).requires_grad_(False)


@case
def numpy_of_requires_grad(T):
    _leaf(T, 2).numpy()


@case
def inplace_on_leaf(T):
    x = _leaf(T, 2)
    x.add_(1)


@case
def inplace_op_on_leaf(T):
    x = _leaf(T, 2)
    x += 1


@case
def inplace_setitem_on_leaf(T):
    x = _leaf(T, 2)
    x[0] = 5


@case
def inplace_on_view_of_leaf(T):
    x = _leaf(T, 3)
    x[:2].mul_(2)


@case
def inplace_on_leaf_no_grad_ok(T):
    x = _leaf(T, 2)
    with T.no_grad():
        x.add_(1)
    return x


@case
def grad_set_wrong_shape(T):
    x = _leaf(T, 2)
    x.grad = T.ones(3)


@case
def grad_set_wrong_dtype(T):
    x = _leaf(T, 2)
    x.grad = T.ones(2, dtype=T.float64)


@case
def grad_set_not_tensor(T):
    x = _leaf(T, 2)
    x.grad = [1.0, 1.0]


@case
def item_of_many(T):
    T.ones(3).item()


@case
def bool_of_many(T):
    bool(T.ones(3))


@case
def bool_of_empty(T):
    bool(T.ones(0))


@case
def detach_then_backward(T):
    (_leaf(T, 2) * 2).detach().sum().backward()


# --- hooks ------------------------------------------------------------------------------------
@case
def hook_on_no_requires_grad(T):
    T.ones(2).register_hook(lambda g: g)


@case
def hook_returns_wrong_shape(T):
    x = _leaf(T, 2)
    x.register_hook(lambda g: T.ones(3))
    (x * 2).sum().backward()


@case
def hook_returns_non_tensor(T):
    x = _leaf(T, 2)
    y = x * 2
    y.register_hook(lambda g: 1.0)
    y.sum().backward()


@case
def hook_returns_wrong_dtype(T):
    x = _leaf(T, 2)
    y = x * 2
    y.register_hook(lambda g: g.double())
    y.sum().backward()
    return x.grad


@case
def hook_removed_twice(T):
    x = _leaf(T, 2)
    h = x.register_hook(lambda g: g * 2)
    h.remove()
    h.remove()
    (x * 1).sum().backward()
    return x.grad


@case
def post_accumulate_hook_on_non_leaf(T):
    (_leaf(T, 2) * 2).register_post_accumulate_grad_hook(lambda t: None)


@case
def post_accumulate_hook_no_grad(T):
    T.ones(2).register_post_accumulate_grad_hook(lambda t: None)


# --- autograd.Function ------------------------------------------------------------------------
def _function(T, backward):
    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    F.backward = staticmethod(backward)
    return F


@case
def function_backward_too_many(T):
    F = _function(T, lambda ctx, g: (g, g))
    F.apply(_leaf(T, 2)).sum().backward()


@case
def function_backward_wrong_shape(T):
    F = _function(T, lambda ctx, g: T.ones(3))
    F.apply(_leaf(T, 2)).sum().backward()


@case
def function_backward_not_tensor(T):
    F = _function(T, lambda ctx, g: 1.0)
    F.apply(_leaf(T, 2)).sum().backward()


@case
def function_backward_not_implemented(T):
    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    F.apply(_leaf(T, 2)).sum().backward()


@case
def function_forward_not_implemented(T):
    class F(T.autograd.Function):
        pass

    F.apply(_leaf(T, 2))


@case
def function_called_directly(T):
    F = _function(T, lambda ctx, g: g)
    F()(_leaf(T, 2))


@case
def function_saved_tensors_after_backward(T):
    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * ctx.saved_tensors[0]

    y = F.apply(_leaf(T, 2)).sum()
    y.backward()
    y.backward()


@case
def function_save_non_tensor(T):
    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(3)
            return x * 2

    F.apply(_leaf(T, 2))


@case
def function_mark_dirty_not_inplace(T):
    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    F.apply(_leaf(T, 2) * 1)


@case
def function_once_differentiable_double(T):
    from importlib import import_module
    once = import_module(T.__name__ + ".autograd.function").once_differentiable

    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        @once
        def backward(ctx, g):
            return g * 2

    x = _leaf(T, 2)
    (g,) = T.autograd.grad(F.apply(x).sum(), x, create_graph=True)
    g.sum().backward()


DIFFERENT: dict[str, str] = {
    "backward_gradient_complex": COMPLEX,
    "backward_complex_scalar": COMPLEX,
}


@pytest.mark.parametrize("name", list(CASES))
def test_autograd_misuse_like_torch(name):
    check(CASES, DIFFERENT, name)
