"""Golden misuse suite, modes: grad modes, inference mode, forward AD and torch.func/vmap misuse
(harness and conventions: tests/_misuse_golden.py)."""
from __future__ import annotations

import pytest

from _misuse_golden import check

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def _leaf(T, *shape, **kw):
    return T.ones(*shape, requires_grad=True, **kw)


# --- grad modes -------------------------------------------------------------------------------
CASES.update({
    "set_grad_enabled_str": lambda T: T.set_grad_enabled("yes"),
    "set_grad_enabled_none": lambda T: T.set_grad_enabled(None),
    "set_grad_enabled_no_arg": lambda T: T.set_grad_enabled(),
    "inference_mode_str": lambda T: T.inference_mode("x").__enter__(),
})


@case
def no_grad_result_backward(T):
    x = _leaf(T, 2)
    with T.no_grad():
        y = x * 2
    y.sum().backward()


@case
def inference_tensor_backward(T):
    x = _leaf(T, 2)
    with T.inference_mode():
        y = x * 2
    return y.requires_grad, y.is_inference()


@case
def inference_tensor_inplace_outside(T):
    with T.inference_mode():
        y = T.ones(2)
    y.add_(1)


@case
def inference_tensor_setitem_outside(T):
    with T.inference_mode():
        y = T.ones(2)
    y[0] = 3


@case
def inference_tensor_saved_for_backward(T):
    with T.inference_mode():
        y = T.ones(2)
    x = _leaf(T, 2)
    (x * y).sum().backward()
    return x.grad


@case
def inference_tensor_requires_grad(T):
    with T.inference_mode():
        y = T.ones(2)
    y.requires_grad_()
    return y


@case
def inference_tensor_inplace_inside_ok(T):
    with T.inference_mode():
        y = T.ones(2)
        y.add_(1)
    return y


@case
def normal_tensor_inplace_in_inference(T):
    y = T.ones(2)
    with T.inference_mode():
        y.add_(1)
    return y


# --- forward AD -------------------------------------------------------------------------------
@case
def dual_outside_level(T):
    T.autograd.forward_ad.make_dual(T.ones(2), T.ones(2))


@case
def dual_tangent_wrong_shape(T):
    fwAD = T.autograd.forward_ad
    with fwAD.dual_level():
        fwAD.make_dual(T.ones(2), T.ones(3))


@case
def dual_tangent_wrong_dtype(T):
    fwAD = T.autograd.forward_ad
    with fwAD.dual_level():
        fwAD.make_dual(T.ones(2), T.ones(2, dtype=T.float64))


@case
def dual_int_primal(T):
    fwAD = T.autograd.forward_ad
    with fwAD.dual_level():
        fwAD.make_dual(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64))


@case
def dual_unpack_plain(T):
    fwAD = T.autograd.forward_ad
    with fwAD.dual_level():
        return fwAD.unpack_dual(T.ones(2)).tangent


@case
def dual_nested_levels(T):
    fwAD = T.autograd.forward_ad
    with fwAD.dual_level():
        with fwAD.dual_level():
            pass


# --- torch.func / vmap ------------------------------------------------------------------------
CASES.update({
    "vmap_in_dims_wrong_size": lambda T: T.func.vmap(lambda a, b: a + b)(T.ones(2, 3),
                                                                          T.ones(3, 3)),
    "vmap_in_dims_out_of_range": lambda T: T.func.vmap(lambda a: a, in_dims=2)(T.ones(2, 3)),
    "vmap_in_dims_wrong_count": lambda T: T.func.vmap(lambda a: a, in_dims=(0, 0))(T.ones(2)),
    "vmap_no_tensor_inputs": lambda T: T.func.vmap(lambda a: a)(3.0),
    "vmap_returns_non_tensor": lambda T: T.func.vmap(lambda a: 3.0)(T.ones(2)),
    "vmap_item": lambda T: T.func.vmap(lambda a: a * a.sum().item())(T.ones(2, 3)),
    "vmap_out_dims_out_of_range": lambda T: T.func.vmap(lambda a: a, out_dims=3)(T.ones(2, 3)),
    "vmap_in_dims_float": lambda T: T.func.vmap(lambda a: a, in_dims=0.5)(T.ones(2)),
    "func_grad_non_scalar": lambda T: T.func.grad(lambda a: a * 2)(T.ones(2)),
    "func_grad_argnums_out_of_range": lambda T: T.func.grad(lambda a: a.sum(),
                                                            argnums=1)(T.ones(2)),
    "func_grad_returns_non_tensor": lambda T: T.func.grad(lambda a: 1.0)(T.ones(2)),
    "func_grad_int_input": lambda T: T.func.grad(lambda a: a.sum())(T.ones(2, dtype=T.int64)),
    "func_jacrev_argnums_bad": lambda T: T.func.jacrev(lambda a: a, argnums="x")(T.ones(2)),
})

DIFFERENT: dict[str, str] = {
    "vmap_item": "retrograd's vmap runs a function that has no batching rule once per example "
                 "(func/_batching.py), so .item() works inside it; PyTorch refuses .item() under "
                 "vmap",
}


@pytest.mark.parametrize("name", list(CASES))
def test_mode_misuse_like_torch(name):
    check(CASES, DIFFERENT, name)
