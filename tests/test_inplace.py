"""In-place ops against torch 2.13: grad_fn after the op, values, gradients, version counters,
saved-tensor errors, leaf errors, dtype and broadcasting rules.

Every scenario runs on retrograd and on torch (tests/_both.py): results, exception types and
messages must agree. Gradient formulas of the in-place rows also run through the op table
(tests/op_db_inplace.py: gradcheck, gradgradcheck, double backward against torch).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from _both import both

X = np.array([[0.3, -1.2, 0.7], [1.5, -0.4, 2.2]], dtype=np.float32)
W = np.array([0.5, 0.25, -2.0], dtype=np.float32)


def leaves(T: Any):
    return T.tensor(X, requires_grad=True), T.tensor(W, requires_grad=True)


def node_names(node) -> Any:
    """The graph below a node as nested (name, children) tuples."""
    if node is None:
        return None
    return (node.name(), tuple(node_names(n) for n, _ in node.next_functions))


# In-place method, its arguments (a function of the leaves), and the input domain.
INPLACE_CALLS = {
    "add_": lambda T, w: (w,), "add_scalar": lambda T, w: (1.5,),
    "sub_": lambda T, w: (w,), "mul_": lambda T, w: (w,), "mul_scalar": lambda T, w: (2,),
    "div_": lambda T, w: (w,), "div_scalar": lambda T, w: (4.0,), "pow_": lambda T, w: (2,),
    "neg_": lambda T, w: (), "abs_": lambda T, w: (), "exp_": lambda T, w: (), "sin_": lambda T, w: (),
    "cos_": lambda T, w: (), "tanh_": lambda T, w: (), "sigmoid_": lambda T, w: (),
    "relu_": lambda T, w: (), "clamp_": lambda T, w: (-0.5, 0.5), "clamp_tensor": lambda T, w: (w,),
    "sign_": lambda T, w: (), "reciprocal_": lambda T, w: (), "zero_": lambda T, w: (),
    "fill_": lambda T, w: (1.25,), "fill_tensor": lambda T, w: (w[1],), "copy_": lambda T, w: (w,),
    "copy_broadcast": lambda T, w: (w[0],), "copy_double": lambda T, w: (w.double(),),
    "copy_constant": lambda T, w: (T.ones(3),), "log_": lambda T, w: (), "sqrt_": lambda T, w: (),
}
KWARGS = {"sub_": {"alpha": 2}}


@pytest.mark.parametrize("call", sorted(INPLACE_CALLS))
def test_inplace_op_grad_fn_values_and_gradients(call: str) -> None:
    method = call if call.endswith("_") else call.rsplit("_", 1)[0] + "_"

    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        y = x.abs() + 0.1 if method in ("log_", "sqrt_") else x * 1
        before = y._version
        r = getattr(y, method)(*INPLACE_CALLS[call](T, w), **KWARGS.get(call, {}))
        out = (r is y, y._version - before, y.grad_fn.name(), node_names(y.grad_fn), y)
        (y * T.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])).sum().backward()
        return out + (x.grad, w.grad)

    both(scenario)


def test_augmented_assignment_is_in_place() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        y = x * 1
        ident = id(y)
        y += w
        y -= 1
        y *= w
        y /= 2
        y **= 2
        out = (id(y) == ident, y._version, node_names(y.grad_fn), y)
        y.sum().backward()
        return out + (x.grad, w.grad)

    both(scenario)


def test_returns_self_and_chains() -> None:
    def scenario(T: Any) -> Any:
        x, _ = leaves(T)
        y = x * 1
        z = y.mul_(2).add_(1).exp_()
        z.sum().backward()
        return z is y, y._version, y, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Version counters and saved tensors
# --------------------------------------------------------------------------------------------
def test_every_in_place_op_bumps_the_shared_counter() -> None:
    def scenario(T: Any) -> Any:
        a = T.zeros(2, 3)
        v, d = a[0], a.detach()
        versions = [a._version]
        for op in (lambda: a.add_(1), lambda: v.mul_(2), lambda: d.zero_(), lambda: a.fill_(3),
                   lambda: a.copy_(T.ones(2, 3)), lambda: v.clamp_(0, 1), lambda: a.__setitem__(0, 5),
                   lambda: d.sigmoid_()):
            op()
            versions.append((a._version, v._version, d._version))
        return versions, a

    both(scenario)


def test_data_has_its_own_version_counter() -> None:
    def scenario(T: Any) -> Any:
        x, _ = leaves(T)
        y = x * 2
        z = y.sin()  # saves y
        y.data.mul_(10)  # invisible to autograd: no error, and the gradient uses the new values
        z.sum().backward()
        return y._version, y.data._version, x.grad

    both(scenario)


@pytest.mark.parametrize("case", ["result", "input", "input_via_view", "view_via_base",
                                  "other_operand", "leaf_under_no_grad"])
def test_modified_saved_tensor_raises_at_backward(case: str) -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        b = x * 1
        if case == "result":
            y = b.exp()
            y.mul_(2)  # ExpBackward0 saved its result
        elif case == "input":
            y = b.sin()
            b.add_(1)
        elif case == "input_via_view":
            y = b.sin()
            b[1:].mul_(2)  # b is now output 0 of CopySlices
        elif case == "view_via_base":
            v = b[1:]
            y = v.sin()
            b.mul_(2)  # v is now output 0 of AsStrided
        elif case == "other_operand":
            c = w * 1
            y = b * c
            c.sub_(1)
        else:
            y = x.sin()
            with T.no_grad():
                x.add_(1)
        y.sum().backward()

    assert both(scenario).error is not None


def test_in_place_after_the_graph_used_the_value_is_fine_when_not_saved() -> None:
    def scenario(T: Any) -> Any:
        x, _ = leaves(T)
        b = x * 1
        c = b + 1  # AddBackward0 saves nothing
        b.mul_(3)
        (c * b).sum().backward()
        return x.grad

    both(scenario)


def test_backward_twice_through_an_in_place_op_on_a_view() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        b = x + 0  # AddBackward0 saves nothing: only the in-place op's saved tensors matter
        b[0].mul_(w)
        b.sum().backward()
        b.sum().backward()

    assert "second time" in both(scenario).error[1]


def test_retain_grad_follows_the_tensor_through_in_place_ops() -> None:
    def scenario(T: Any) -> Any:
        x, _ = leaves(T)
        y = x * 1
        y.retain_grad()
        y.mul_(2)
        b = x * 1
        v = b[1:]
        b.retain_grad()
        v.retain_grad()
        v.add_(1)
        (y.sum() + (b * 3).sum()).backward()
        return y.grad, b.grad, v.grad, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Leaves
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["add_", "zero_", "fill_", "copy_", "iadd", "exp_", "clamp_"])
def test_leaf_that_requires_grad_refuses_in_place_ops(op: str) -> None:
    calls = {"add_": lambda x, T: x.add_(1), "zero_": lambda x, T: x.zero_(),
             "fill_": lambda x, T: x.fill_(2), "copy_": lambda x, T: x.copy_(T.ones(2, 3)),
             "iadd": lambda x, T: x.__iadd__(1), "exp_": lambda x, T: x.exp_(),
             "clamp_": lambda x, T: x.clamp_(0, 1)}

    def scenario(T: Any) -> Any:
        x, _ = leaves(T)
        return calls[op](x, T)

    assert both(scenario).error[0] == "RuntimeError"


def test_leaf_may_be_changed_under_no_grad_and_stays_a_leaf() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        with T.no_grad():
            x.mul_(w).add_(1).clamp_(-1, 1)
            x.copy_(x * 2)
        return x, x.is_leaf, x.grad_fn, x.requires_grad, x._version

    both(scenario)


def test_in_place_with_an_operand_that_requires_grad_makes_a_constant_part_of_the_graph() -> None:
    def scenario(T: Any) -> Any:
        _, w = leaves(T)
        a = T.zeros(3)
        a.mul_(2)  # nothing requires grad yet
        a.add_(w)
        out = (a.is_leaf, a.requires_grad, node_names(a.grad_fn))
        a.sum().backward()
        return out + (w.grad,)

    both(scenario)


def test_integer_tensor_copy_from_a_tensor_that_requires_grad() -> None:
    def scenario(T: Any) -> Any:
        _, w = leaves(T)
        i = T.zeros(3, dtype=T.int64)
        i.copy_(w)
        return i, i.requires_grad, i.grad_fn

    both(scenario)


# --------------------------------------------------------------------------------------------
# dtype and broadcasting rules
# --------------------------------------------------------------------------------------------
DTYPE_CASES = {
    "int_add_float_scalar": lambda T: T.tensor([1, 2, 3]).add_(1.5),
    "int_mul_float_tensor": lambda T: T.tensor([1, 2, 3]).mul_(T.ones(3)),
    "int_div": lambda T: T.tensor([1, 2, 3]).div_(2),
    "int_div_floor": lambda T: T.tensor([1, 2, 3]).div_(2, rounding_mode="floor"),
    "bool_add_int": lambda T: T.tensor([True, False]).add_(1),
    "bool_mul_bool": lambda T: T.tensor([True, False]).mul_(True),
    "int_sqrt": lambda T: T.tensor([1, 4], dtype=T.int32).sqrt_(),
    "int_exp": lambda T: T.tensor([1, 4], dtype=T.int32).exp_(),
    "float_add_double": lambda T: T.zeros(3).add_(T.ones(3, dtype=T.float64) / 3),
    "half_add_double": lambda T: T.ones(3, dtype=T.float16).add_(T.ones(3, dtype=T.float64) / 3),
    "int8_add_int64": lambda T: T.tensor([100, -100], dtype=T.int8).add_(T.tensor([100, -100])),
    "int8_add_uint8": lambda T: T.tensor([1, 2], dtype=T.int8).add_(T.tensor([250, 3], dtype=T.uint8)),
    "uint8_sub_wraps": lambda T: T.tensor([1, 2], dtype=T.uint8).sub_(3),
    "uint8_mul_wraps": lambda T: T.tensor([16, 200], dtype=T.uint8).mul_(T.tensor([16, 2], dtype=T.uint8)),
    "int32_add_bool": lambda T: T.zeros(2, dtype=T.int32).add_(True),
    "int_pow_float": lambda T: T.tensor([4, 9]).pow_(0.5),
    "copy_float_to_int_truncates": lambda T: T.zeros(3, dtype=T.int64).copy_(T.tensor([1.7, -2.7, 3.2])),
    "copy_int_to_bool": lambda T: T.zeros(3, dtype=T.bool).copy_(T.tensor([0, 2, -1])),
    "copy_number": lambda T: T.zeros(2, 2).copy_(1.5),
    "fill_int_with_float": lambda T: T.zeros(3, dtype=T.int64).fill_(2.7),
    "fill_uint8_negative": lambda T: T.zeros(2, dtype=T.uint8).fill_(-1),
    "fill_bool": lambda T: T.zeros(2, dtype=T.bool).fill_(2),
    "fill_float_with_int_tensor": lambda T: T.zeros(2).fill_(T.tensor(3)),
    "zero_int": lambda T: T.tensor([1, -2], dtype=T.int16).zero_(),
    "zero_negative_floats": lambda T: T.tensor([-1.5, 2.0]).mul_(-1).zero_(),
}


@pytest.mark.parametrize("case", sorted(DTYPE_CASES))
def test_dtype_rules(case: str) -> None:
    def scenario(T: Any) -> Any:
        r = DTYPE_CASES[case](T)
        return r, str(r.dtype), np.signbit(r.numpy()).tolist() if r.dtype.is_floating_point else None

    both(scenario)


FILL_OVERFLOW = {
    "int8_128": ("int8", 128), "int8_neg": ("int8", -129), "uint8_256": ("uint8", 256),
    "uint8_minus_255": ("uint8", -255), "uint8_minus_256": ("uint8", -256),
    "int16": ("int16", 40000), "int32": ("int32", 2 ** 31), "int64": ("int64", 2 ** 63),
    "int8_frac": ("int8", 127.5), "int8_inf": ("int8", float("inf")),
    "int64_nan": ("int64", float("nan")), "float32_big": ("float32", 1e39),
    "float32_inf": ("float32", float("inf")), "float64_big": ("float64", 1e308),
}


@pytest.mark.parametrize("case", sorted(FILL_OVERFLOW))
def test_fill_value_that_overflows_the_dtype(case: str) -> None:
    dtype, value = FILL_OVERFLOW[case]
    both(lambda T: T.zeros(2, dtype=getattr(T, dtype)).fill_(value))


BAD_CALLS = {
    "add_broadcast_grows": lambda T: T.zeros(3).add_(T.ones(2, 3)),
    "add_broadcast_grows_2d": lambda T: T.ones(1, 3).add_(T.ones(2, 1)),
    "add_shapes_clash": lambda T: T.zeros(3).add_(T.ones(2)),
    "copy_broadcast_grows": lambda T: T.ones(3).copy_(T.ones(2, 3)),
    "copy_shapes_clash": lambda T: T.ones(3).copy_(T.ones(2)),
    "copy_list": lambda T: T.ones(2).copy_([1, 2]),
    "copy_ndarray": lambda T: T.ones(2).copy_(np.ones(2)),
    "fill_non_0d_tensor": lambda T: T.ones(2).fill_(T.ones(2)),
    "fill_string": lambda T: T.ones(2).fill_("a"),
    "expanded": lambda T: T.ones(3, 1).expand(3, 3).add_(1),
    "expanded_with_grad": lambda T: (T.ones(3, 1, requires_grad=True) * 1).expand(3, 3).mul_(2),
    "expanded_fill_tensor": lambda T: T.ones(1).expand(4).fill_(T.tensor(3.0)),
    "expanded_copy": lambda T: T.ones(1).expand(4).copy_(T.zeros(4)),
    "partial_overlap_copy": lambda T: (lambda b: b[1:].copy_(b[:3]))(T.ones(4, 3)),
    "partial_overlap_add": lambda T: (lambda b: b[1:].add_(b[:3]))(T.ones(4, 3)),
    "partial_overlap_transposed": lambda T: (lambda b: b.t().add_(b))(T.ones(3, 3)),
    "partial_overlap_element": lambda T: (lambda b: b[0].mul_(b[0, 0]))(T.ones(4, 3)),
    "partial_overlap_with_grad": lambda T: (lambda b: b[1:].mul_(b[:3]))(T.ones(4, 3, requires_grad=True) * 1),
}


ALIASED_OK = {
    "self": lambda b: b.add_(b),
    "self_transposed": lambda b: b.t().mul_(b.t()),
    "columns": lambda b: b[:, 0].add_(b[:, 1]),  # not dense: torch does not check
    "fill_from_element": lambda b: b.fill_(b[0, 0] + 0),
}


@pytest.mark.parametrize("case", sorted(ALIASED_OK))
def test_operands_that_alias_the_output_without_partial_overlap(case: str) -> None:
    def scenario(T: Any) -> Any:
        b = T.tensor(np.arange(12.0, dtype=np.float32).reshape(4, 3))
        ALIASED_OK[case](b)
        return b

    both(scenario)


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_errors(case: str) -> None:
    assert both(BAD_CALLS[case]).error is not None


def test_a_number_may_fill_an_expanded_tensor() -> None:
    # Every alias gets the same value, so torch allows fill_/zero_ there (not add_ or copy_).
    def scenario(T: Any) -> Any:
        a = T.ones(2, 1)
        a.expand(2, 3).fill_(5)
        b = T.ones(1)
        b.expand(4).zero_()
        x = T.tensor([1.0, 2.0], requires_grad=True)
        c = x * 1
        e = c[:1].expand(3)
        e.fill_(7)
        return a, a._version, b, c, e, node_names(c.grad_fn), node_names(e.grad_fn)

    assert both(scenario).error is None


def test_backward_through_a_fill_of_an_expanded_view_is_refused() -> None:
    # torch copies the fill's gradient into an expanded slice of the base's gradient: it raises.
    def scenario(T: Any) -> Any:
        x = T.tensor([1.0, 2.0], requires_grad=True)
        c = x * 1
        c[:1].expand(3).zero_()
        c.sum().backward()

    assert both(scenario).error is not None


def test_failed_in_place_op_changes_nothing() -> None:
    def scenario(T: Any) -> Any:
        x, _ = leaves(T)
        y = x * 1
        try:
            y.add_(T.ones(4, 2, 3))
        except RuntimeError as e:
            err = str(e)
        return err, y._version, y.grad_fn.name(), y
    both(scenario)


def test_second_order_through_an_inplace_op_on_a_view():
    """The result tanh_ saved is reached by the differentiable backward; the second backward
    (without retain_graph) frees CopySlices, which must not free tanh_'s saved values first."""
    def scenario(T):
        x = T.tensor([[0.3, -0.2, 0.5, 0.1], [0.4, 0.6, -0.7, 0.2]], requires_grad=True)
        z = x * 1
        z[..., 1:].tanh_()
        y = z.cumprod(-1)
        g, = T.autograd.grad(y.sum(), x, create_graph=True)
        h, = T.autograd.grad((g * g).sum(), x)
        return [g, h]
    both(scenario)


def test_backward_twice_through_copyslices_still_raises():
    def scenario(T):
        x = T.tensor([0.3, -0.2, 0.5], requires_grad=True)
        z = x * 1
        z[1:].mul_(2)
        s = z.sum()
        s.backward()
        s.backward()
    both(scenario)
