"""Errors and warnings of core tensors and autograd, compared with torch 2.13.

Covers shared/reference/pytorch-behaviour.md section 1, E1-E16 and E19 (not nn/optim/serialization).
Each scenario runs on retrograd and on torch; exception type and message must be identical (only
memory addresses are masked, and torch's "(Triggered internally at ...)" suffix on C++ warnings is
dropped). Where the message is pinned as a literal below, it was checked against torch 2.13.0 and
the literal documents it; where the reference file is outdated, a comment says so.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch as _torch  # the reference

import retrograd

# --------------------------------------------------------------------------------------------
# Comparison helper (the same small helper is repeated in each engine-level test file).
# --------------------------------------------------------------------------------------------
from _both import Outcome, assert_same, both, clean, normalise, run  # noqa: E402,F401

X3 = np.array([1.0, 2.0, 3.0], dtype=np.float32)


def leaf(T: Any, values: Any = X3) -> Any:
    return T.tensor(np.asarray(values), requires_grad=True)


def raises(fn: Callable[[Any], Any], kind: str, message: str | None = None) -> str:
    """Both libraries raise the same exception; torch's is `kind` (and `message`, if given)."""
    ref = both(fn)
    assert ref.error is not None, f"torch did not raise; returned {ref.value!r}"
    assert ref.error[0] == kind, ref.error
    if message is not None:
        assert ref.error[1] == message, ref.error
    return ref.error[1]


# --------------------------------------------------------------------------------------------
# E1. backward() on a non-scalar without a gradient
# --------------------------------------------------------------------------------------------
SCALAR_ONLY = "grad can be implicitly created only for scalar outputs"


def test_e1_non_scalar_backward() -> None:
    raises(lambda T: (leaf(T) * 2).backward(), "RuntimeError", SCALAR_ONLY)


def test_e1_autograd_grad_of_non_scalar_without_grad_outputs() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        return T.autograd.grad(x * 2, x)

    raises(scenario, "RuntimeError", SCALAR_ONLY)


def test_e1_one_element_non_scalar_is_accepted() -> None:
    # The check is numel() != 1, so shapes (1,) and (1, 1) get an implicit gradient of ones.
    def scenario(T: Any) -> Any:
        x = T.tensor(np.array([[2.0]], dtype=np.float32), requires_grad=True)
        (x * 3).backward()
        y = T.tensor(np.array([2.0], dtype=np.float32), requires_grad=True)
        (y * 3).backward()
        return x.grad, y.grad

    assert both(scenario).error is None


# --------------------------------------------------------------------------------------------
# E2. Second backward through a freed graph (engine-level variants live in test_engine.py)
# --------------------------------------------------------------------------------------------
BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


def test_e2_backward_twice() -> None:
    def scenario(T: Any) -> None:
        x = T.ones(3, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()

    raises(scenario, "RuntimeError", BACKWARD_TWICE)


def test_e2_saved_self_after_backward() -> None:
    def scenario(T: Any) -> Any:
        x = T.ones(3, requires_grad=True)
        y = x * x
        y.sum().backward()
        return y.grad_fn._saved_self

    raises(scenario, "RuntimeError", BACKWARD_TWICE)


# --------------------------------------------------------------------------------------------
# E3. In-place modification of a tensor saved for backward (version counter)
# --------------------------------------------------------------------------------------------
HINT = (
    " Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
    "with torch.autograd.set_detect_anomaly(True, check_nan=False)."
)
INPLACE = "one of the variables needed for gradient computation has been modified by an inplace operation: "


def test_e3_saved_result_modified_in_place() -> None:
    # torch 2.13 names the forward op ("Exp"), not the node ("ExpBackward0") as the reference
    # file says, and the hint ends with "(True, check_nan=False)".
    def scenario(T: Any) -> None:
        a = leaf(T)
        b = a.exp()  # ExpBackward0 saves its result b
        b.add_(1)  # allowed now ...
        b.sum().backward()  # ... the error comes at backward time

    raises(
        scenario,
        "RuntimeError",
        INPLACE + "[torch.FloatTensor [3]], which is output 0 of Exp, is at version 1; "
        "expected version 0 instead." + HINT,
    )


def test_e3_version_counts_every_in_place_op() -> None:
    def scenario(T: Any) -> None:
        a = T.tensor(np.array([1.0, 2.0], dtype=np.float64), requires_grad=True)
        b = a * 1
        c = b * b  # saves b at version 0
        b.mul_(2)
        b.add_(1)
        c.sum().backward()

    raises(
        scenario,
        "RuntimeError",
        # After b.mul_ and b.add_, b's grad_fn is AddBackward0: the clause names b's *current*
        # producer, not the op that made b originally.
        INPLACE + "[torch.DoubleTensor [2]], which is output 0 of Add, is at version 2; "
        "expected version 0 instead." + HINT,
    )


def test_e3_saved_leaf_modified_in_place_under_no_grad() -> None:
    # A leaf has no grad_fn, so the "which is output N of ..." clause is absent.
    def scenario(T: Any) -> None:
        a = leaf(T)
        b = a.sin()  # SinBackward0 saves a
        with T.no_grad():
            a.add_(1)  # allowed under no_grad, but a's version moves on
        b.sum().backward()

    raises(
        scenario,
        "RuntimeError",
        INPLACE + "[torch.FloatTensor [3]] is at version 1; expected version 0 instead." + HINT,
    )


def test_e3_modification_through_a_detached_alias() -> None:
    # detach() shares the version counter with its source.
    def scenario(T: Any) -> None:
        x = T.tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), requires_grad=True)
        y = x * x
        z = x.detach()
        z *= 100
        y.sum().backward()

    raises(
        scenario,
        "RuntimeError",
        INPLACE + "[torch.FloatTensor [2, 2]] is at version 1; expected version 0 instead." + HINT,
    )


def test_e3_in_place_on_a_tensor_that_was_not_saved_is_fine() -> None:
    # AddBackward0 saves nothing, so mutating its input afterwards does not matter.
    def scenario(T: Any) -> Any:
        a = leaf(T)
        b = a * 1
        c = b + 1
        b.add_(5)
        c.sum().backward()
        return a.grad, b, c

    assert both(scenario).error is None


# --------------------------------------------------------------------------------------------
# E4. In-place op on a leaf that requires grad
# --------------------------------------------------------------------------------------------
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_INPLACE = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def test_e4_augmented_assignment_on_leaf() -> None:
    def scenario(T: Any) -> None:
        w = T.ones(3, requires_grad=True)
        w += 1

    raises(scenario, "RuntimeError", LEAF_INPLACE)


def test_e4_add_on_leaf() -> None:
    raises(lambda T: T.ones(3, requires_grad=True).add_(1), "RuntimeError", LEAF_INPLACE)


def test_e4_zero_on_leaf() -> None:
    raises(lambda T: T.ones(3, requires_grad=True).zero_(), "RuntimeError", LEAF_INPLACE)


def test_e4_setitem_on_leaf_is_the_view_variant() -> None:
    # w[0] = 5 writes through a view (select), so torch reports the *view* message.
    def scenario(T: Any) -> None:
        w = T.ones(3, requires_grad=True)
        w[0] = 5

    raises(scenario, "RuntimeError", VIEW_INPLACE)


def test_e4_in_place_on_a_slice_of_a_leaf() -> None:
    raises(lambda T: T.ones(3, requires_grad=True)[:2].add_(1), "RuntimeError", VIEW_INPLACE)


def test_e4_the_same_in_place_ops_under_no_grad_succeed() -> None:
    def scenario(T: Any) -> Any:
        w = leaf(T)
        with T.no_grad():
            w += 1
            w.add_(1)
            w[0] = 5
            w.mul_(2)
        after_updates = w.clone()
        with T.no_grad():
            w.zero_()
        return after_updates, w, w.is_leaf, w.grad_fn

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[0][-1], [10.0, 8.0, 10.0])


def test_e4_a_non_leaf_may_be_modified_in_place() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        h = x * 2
        h.add_(1)
        h.sum().backward()
        return h, x.grad

    assert both(scenario).error is None


# --------------------------------------------------------------------------------------------
# E5. requires_grad on an integer tensor
# --------------------------------------------------------------------------------------------
def test_e5_int_tensor_factory_with_requires_grad() -> None:
    raises(
        lambda T: T.tensor([1, 2], requires_grad=True),
        "RuntimeError",
        "Only Tensors of floating point and complex dtype can require gradients",
    )


def test_e5_int_tensor_requires_grad_method() -> None:
    # The reference file gives the factory's text here; torch 2.13 says lower-case "only" and
    # does not mention complex.
    raises(
        lambda T: T.tensor([1, 2]).requires_grad_(),
        "RuntimeError",
        "only Tensors of floating point dtype can require gradients",
    )


def test_e5_int_tensor_requires_grad_setter() -> None:
    def scenario(T: Any) -> None:
        t = T.tensor([1, 2])
        t.requires_grad = True

    raises(
        scenario,
        "RuntimeError",
        "only Tensors of floating point and complex dtype can require gradients",
    )


def test_e5_requires_grad_setter_needs_a_bool() -> None:
    def scenario(T: Any) -> None:
        t = T.tensor([1.0, 2.0])
        t.requires_grad = 1

    raises(scenario, "RuntimeError", "requires_grad must be a bool")


def test_e5_int_tensor_may_set_requires_grad_false() -> None:
    def scenario(T: Any) -> Any:
        t = T.tensor([1, 2])
        t.requires_grad = False
        return t.requires_grad_(False).requires_grad

    assert both(scenario).value is False


# --------------------------------------------------------------------------------------------
# E6. .numpy() on a tensor that requires grad
# --------------------------------------------------------------------------------------------
def test_e6_numpy_of_tensor_requiring_grad() -> None:
    raises(
        lambda T: T.ones(2, requires_grad=True).numpy(),
        "RuntimeError",
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
    )


def test_e6_numpy_of_a_non_leaf_requiring_grad() -> None:
    raises(lambda T: (leaf(T) * 2).numpy(), "RuntimeError")


def test_e6_detached_numpy_works() -> None:
    assert both(lambda T: leaf(T).detach().numpy().tolist()).value == [1.0, 2.0, 3.0]


# --------------------------------------------------------------------------------------------
# E7. backward of a tensor that has no graph
# --------------------------------------------------------------------------------------------
NO_GRAPH = "element {} of tensors does not require grad and does not have a grad_fn"


def test_e7_backward_without_any_graph() -> None:
    raises(lambda T: T.ones(3).sum().backward(), "RuntimeError", NO_GRAPH.format(0))


def test_e7_backward_of_a_result_computed_under_no_grad() -> None:
    def scenario(T: Any) -> None:
        w = leaf(T)
        with T.no_grad():
            y = (w * 2).sum()
        y.backward()

    raises(scenario, "RuntimeError", NO_GRAPH.format(0))


def test_e7_index_is_the_position_in_the_tensors_list() -> None:
    def scenario(T: Any) -> None:
        x = leaf(T)
        T.autograd.backward([(x * 2).sum(), T.ones(1).sum()])

    raises(scenario, "RuntimeError", NO_GRAPH.format(1))


def test_e7_autograd_grad_without_graph() -> None:
    raises(lambda T: T.autograd.grad(T.ones(3).sum(), leaf(T)), "RuntimeError", NO_GRAPH.format(0))


# --------------------------------------------------------------------------------------------
# E8. .grad of a non-leaf; retain_grad on a tensor that does not require grad
# --------------------------------------------------------------------------------------------
NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)


def test_e8_grad_of_non_leaf_warns_and_returns_none() -> None:
    # torch 2.13 says "for more information." (the reference file quotes "informations"); the
    # warning also carries a "(Triggered internally at ...)" suffix, which is not compared.
    def scenario(T: Any) -> Any:
        x = T.ones(2, requires_grad=True)
        h = x * 2
        h.sum().backward()
        return h.grad

    ref = both(scenario)
    assert ref.value is None
    assert ref.warnings == [("UserWarning", NON_LEAF_GRAD)]


def test_e8_grad_of_non_leaf_warns_before_backward_too() -> None:
    def scenario(T: Any) -> Any:
        return (leaf(T) * 2).grad

    assert both(scenario).warnings == [("UserWarning", NON_LEAF_GRAD)]


def test_e8_no_warning_for_tensors_that_do_not_require_grad() -> None:
    def scenario(T: Any) -> Any:
        return (T.ones(2) * 2).grad, T.ones(2).grad

    assert both(scenario).warnings == []


def test_e8_retain_grad_on_tensor_without_requires_grad() -> None:
    raises(
        lambda T: T.ones(3).retain_grad(),
        "RuntimeError",
        "can't retain_grad on Tensor that has requires_grad=False",
    )


# --------------------------------------------------------------------------------------------
# E9. The `gradient` argument of backward()
# --------------------------------------------------------------------------------------------
def test_e9_gradient_of_the_wrong_shape() -> None:
    raises(
        lambda T: (leaf(T) * 2).backward(T.ones(2)),
        "RuntimeError",
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a "
        "shape of torch.Size([3]).",
    )


def test_e9_gradient_that_could_broadcast_is_still_rejected() -> None:
    raises(lambda T: (leaf(T) * 2).backward(T.ones(1)), "RuntimeError")


def test_e9_gradient_given_as_a_list() -> None:
    # A list is taken as a sequence of gradients (one per output), so torch complains about its
    # first *element*: "but got float" (the reference file's "but got list" needs a nested list).
    raises(
        lambda T: (leaf(T) * 2).backward([1.0, 1.0, 1.0]),
        "TypeError",
        "gradients can be either Tensors or None, but got float",
    )


def test_e9_grad_outputs_holding_a_list() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        return T.autograd.grad((x * 2).sum(), x, grad_outputs=[[1.0]])

    raises(scenario, "TypeError", "gradients can be either Tensors or None, but got list")


def test_e9_gradient_given_as_a_numpy_array() -> None:
    # Iterating the array yields numpy.float64 scalars.
    raises(
        lambda T: (leaf(T) * 2).backward(np.ones(3)),
        "TypeError",
        "gradients can be either Tensors or None, but got float64",
    )


def test_e9_gradient_given_as_a_python_float() -> None:
    raises(
        lambda T: (leaf(T) * 2).sum().backward(1.0),
        "TypeError",
        "'float' object is not iterable",
    )


def test_e9_backward_with_empty_inputs() -> None:
    raises(
        lambda T: (leaf(T) * 2).sum().backward(inputs=[]),
        "RuntimeError",
        "`inputs` argument to `backward()` cannot be empty.",
    )


# --------------------------------------------------------------------------------------------
# E10. dtype of the supplied gradient: real dtypes are cast silently
# --------------------------------------------------------------------------------------------
def test_e10_int_gradient_for_a_float_output_is_cast() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        (x * 2).backward(T.tensor([1, 2, 3]))
        return x.grad

    assert both(scenario).error is None


# --------------------------------------------------------------------------------------------
# E11. autograd.grad inputs
# --------------------------------------------------------------------------------------------
def test_e11_unused_input() -> None:
    # torch 2.13 uses the newer wording with the index, not "One of the differentiated Tensors".
    def scenario(T: Any) -> Any:
        x = T.ones(2, requires_grad=True)
        z = T.ones(2, requires_grad=True)
        return T.autograd.grad((x * 2).sum(), [x, z])

    raises(
        scenario,
        "RuntimeError",
        "The differentiated Tensor at index 1 appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior.",
    )


def test_e11_unused_input_at_index_zero() -> None:
    def scenario(T: Any) -> Any:
        x = T.ones(2, requires_grad=True)
        z = T.ones(2, requires_grad=True)
        return T.autograd.grad((x * 2).sum(), [z, x])

    raises(scenario, "RuntimeError")


def test_e11_input_that_does_not_require_grad() -> None:
    def scenario(T: Any) -> Any:
        x = T.ones(2, requires_grad=True)
        z = T.ones(2)
        return T.autograd.grad((x * 2).sum(), [x, z])

    raises(scenario, "RuntimeError", "One of the differentiated Tensors does not require grad")


def test_e11_materialize_grads_with_allow_unused_false() -> None:
    def scenario(T: Any) -> Any:
        x = T.ones(2, requires_grad=True)
        z = T.ones(2, requires_grad=True)
        return T.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True, allow_unused=False)

    raises(
        scenario,
        "ValueError",
        "Expected allow_unused to be True or not passed when materialize_grads=True, "
        "but got: allow_unused=False.",
    )


# --------------------------------------------------------------------------------------------
# E12. requires_grad of a non-leaf
# --------------------------------------------------------------------------------------------
NON_LEAF_FLAG = "you can only change requires_grad flags of leaf variables."
DETACH_HINT = (
    " If you want to use a computed variable in a subgraph that doesn't require differentiation "
    "use var_no_grad = var.detach()."
)


def test_e12_setting_requires_grad_false_on_non_leaf() -> None:
    def scenario(T: Any) -> None:
        y = leaf(T) * 2
        y.requires_grad = False

    raises(scenario, "RuntimeError", NON_LEAF_FLAG + DETACH_HINT)


def test_e12_setting_requires_grad_true_on_non_leaf() -> None:
    # The detach hint is only added when setting False.
    def scenario(T: Any) -> None:
        y = leaf(T) * 2
        y.requires_grad = True

    raises(scenario, "RuntimeError", NON_LEAF_FLAG)


def test_e12_requires_grad_method_false_on_non_leaf() -> None:
    raises(lambda T: (leaf(T) * 2).requires_grad_(False), "RuntimeError", NON_LEAF_FLAG + DETACH_HINT)


def test_e12_requires_grad_method_true_on_non_leaf_is_a_no_op() -> None:
    def scenario(T: Any) -> Any:
        y = leaf(T) * 2
        return y.requires_grad_() is y, y.requires_grad, y.is_leaf

    assert both(scenario).value == (True, True, False)


# --------------------------------------------------------------------------------------------
# E13. Assigning .grad
# --------------------------------------------------------------------------------------------
def test_e13_grad_of_wrong_type() -> None:
    def scenario(T: Any) -> None:
        t = T.ones(2, requires_grad=True)
        t.grad = [1, 2]

    raises(
        scenario,
        "TypeError",
        "assigned grad expected to be a Tensor or None but got grad of type list",
    )


def test_e13_grad_is_the_tensor_itself() -> None:
    def scenario(T: Any) -> None:
        t = T.ones(2, requires_grad=True)
        t.grad = t

    raises(scenario, "RuntimeError", "can't assign Variable as its own grad")


def test_e13_grad_of_wrong_dtype() -> None:
    # torch 2.13 has a new, longer message (mentions grad_dtype), not the reference file's
    # "attempting to assign a gradient to a tensor that has data of a different type".
    def scenario(T: Any) -> None:
        t = T.ones(2, requires_grad=True)
        t.grad = T.ones(2, dtype=T.float64)

    raises(
        scenario,
        "RuntimeError",
        "attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype 'Float'. "
        "The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can "
        "set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. "
        "Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break "
        "downstream systems that assume they match.",
    )


def test_e13_grad_of_wrong_shape() -> None:
    def scenario(T: Any) -> None:
        t = T.ones(2, requires_grad=True)
        t.grad = T.ones(3)

    raises(
        scenario,
        "RuntimeError",
        "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
        "that the gradient and the tensor are the same size",
    )


def test_e13_valid_grad_assignment_and_deletion() -> None:
    def scenario(T: Any) -> Any:
        t = T.ones(2, requires_grad=True)
        t.grad = T.tensor(np.array([3.0, 4.0], dtype=np.float32))
        assigned = t.grad.clone()
        del t.grad
        return assigned, t.grad

    assert both(scenario).error is None


def test_e13_deleting_data() -> None:
    def scenario(T: Any) -> None:
        t = T.ones(2, requires_grad=True)
        del t.data

    raises(scenario, "RuntimeError", "Deleting tensor data is not allowed. Delete tensor instead!")


def test_e13_assigning_none_to_data() -> None:
    def scenario(T: Any) -> None:
        t = T.ones(2, requires_grad=True)
        t.data = None

    raises(scenario, "TypeError", "Variable data has to be a tensor, but got NoneType")


# --------------------------------------------------------------------------------------------
# E14. matmul / dot shape and dtype errors
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ((2, 3), (4, 5), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
        (
            (3,),
            (4,),
            "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
            "elements, but got 3 and 4 elements respectively",
        ),
        ((), (4,), "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
        ((4,), (), "both arguments to matmul need to be at least 1D, but they are 1D and 0D"),
        ((3,), (4, 5), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
        ((2, 3), (4,), "size mismatch, got input (2), mat (2x3), vec (4)"),
        (
            (2, 2, 3),
            (2, 4, 5),
            "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].",
        ),
    ],
    ids=["2d", "1d-dot", "0d-1d", "1d-0d", "1d-2d", "2d-1d", "batched"],
)
def test_e14_matmul_shape_errors(a: tuple[int, ...], b: tuple[int, ...], message: str) -> None:
    def scenario(T: Any) -> Any:
        return T.ones(a) @ T.ones(b)

    raises(scenario, "RuntimeError", message)


def test_e14_matmul_shape_error_with_requires_grad() -> None:
    # The same check applies when the operands are tracked.
    raises(
        lambda T: T.ones(2, 3, requires_grad=True).matmul(T.ones(4, 5)),
        "RuntimeError",
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
    )


def test_e14_matmul_does_not_promote_dtypes() -> None:
    raises(
        lambda T: T.ones(2, 3) @ T.ones(3, 5, dtype=T.float64),
        "RuntimeError",
        "expected m1 and m2 to have the same dtype, but got: float != double",
    )


def test_e14_dot_does_not_promote_dtypes() -> None:
    raises(
        lambda T: T.ones(3) @ T.ones(3, dtype=T.float64),
        "RuntimeError",
        "dot : expected both vectors to have same dtype, but found Float and Double",
    )


def test_e14_dot_of_2d_tensors() -> None:
    raises(
        lambda T: T.dot(T.ones(2, 2), T.ones(2, 2)),
        "RuntimeError",
        "1D tensors expected, but got 2D and 2D tensors",
    )


# --------------------------------------------------------------------------------------------
# E15. Broadcasting
# --------------------------------------------------------------------------------------------
def test_e15_binary_op_shapes_do_not_broadcast() -> None:
    raises(
        lambda T: T.ones(2, 3) + T.ones(2, 4),
        "RuntimeError",
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
    )


def test_e15_dimension_is_counted_in_the_broadcast_result() -> None:
    raises(lambda T: T.ones(5, 2, 3) * T.ones(4, 3), "RuntimeError")


def test_e15_expand() -> None:
    # Note the double spaces.
    raises(
        lambda T: T.ones(3).expand(2, 4),
        "RuntimeError",
        "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
        "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]",
    )


def test_e15_in_place_op_cannot_grow_its_output() -> None:
    def scenario(T: Any) -> None:
        a = T.ones(3)
        a += T.ones(2, 3)

    raises(scenario, "RuntimeError", "output with shape [3] doesn't match the broadcast shape [2, 3]")


# --------------------------------------------------------------------------------------------
# E16. Scalar conversion
# --------------------------------------------------------------------------------------------
def test_e16_item_of_many_elements() -> None:
    raises(
        lambda T: T.ones(3).item(),
        "RuntimeError",
        "a Tensor with 3 elements cannot be converted to Scalar",
    )


def test_e16_item_of_no_elements() -> None:
    raises(
        lambda T: T.ones(0).item(),
        "RuntimeError",
        "a Tensor with 0 elements cannot be converted to Scalar",
    )


def test_e16_bool_of_many_elements() -> None:
    raises(
        lambda T: bool(T.ones(3)),
        "RuntimeError",
        "Boolean value of Tensor with more than one value is ambiguous",
    )


def test_e16_bool_of_no_elements() -> None:
    raises(
        lambda T: bool(T.ones(0)),
        "RuntimeError",
        "Boolean value of Tensor with no values is ambiguous",
    )


def test_e16_one_element_converts() -> None:
    def scenario(T: Any) -> Any:
        t = T.tensor([[2.5]])
        return t.item(), bool(t), float(t), int(t)

    assert both(scenario).value == (2.5, True, 2.5, 2)


# --------------------------------------------------------------------------------------------
# E19. Miscellaneous autograd
# --------------------------------------------------------------------------------------------
CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak."
)

_ONCE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, warnings
    sys.path.insert(0, sys.argv[2])
    if os.environ.get("RETROGRAD_SHIM_TORCH") == "1":
        import torch
        sys.modules["retrograd"] = torch
    T = __import__(sys.argv[1])
    seen = []
    for _ in range(2):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (x * x).sum().backward(create_graph=True)
        seen.append([(w.category.__name__, str(w.message)) for w in caught])
    print(json.dumps(seen))
    """
)


def _warnings_in_fresh_process(module: str) -> list[list[tuple[str, str]]]:
    root = str(Path(__file__).resolve().parents[1])
    proc = subprocess.run(
        [sys.executable, "-c", _ONCE_SCRIPT, module, root],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return [[(c, clean(m)) for c, m in call] for call in json.loads(proc.stdout)]


def test_e19_backward_with_create_graph_warns_once_per_process() -> None:
    # TORCH_WARN_ONCE: only the first such backward in a process warns. A fresh process per
    # library, because any earlier test in this process may already have used up the "once".
    ours = _warnings_in_fresh_process("retrograd")
    ref = _warnings_in_fresh_process("torch")
    assert ref == [[("UserWarning", CREATE_GRAPH_WARNING)], []]
    assert ours == ref


def test_e19_detach_in_place_of_a_view() -> None:
    def scenario(T: Any) -> None:
        x = leaf(T)
        y = x * 1
        y[:2].detach_()

    raises(
        scenario,
        "RuntimeError",
        "Can't detach views in-place. Use detach() instead. If you are using "
        "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
        "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
        "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
        "torch/optim/optimizer.py as the solution.",
    )


def test_e19_saved_tensor_detached_in_place() -> None:
    def scenario(T: Any) -> None:
        a = leaf(T)
        b = a * 1
        d = b * b  # saves b
        b.detach_()
        d.sum().backward()

    raises(
        scenario,
        "RuntimeError",
        "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_()."
        "This is not supported, please use out-of-place `.detach()` instead",
    )


def test_e19_register_hook_on_tensor_without_requires_grad() -> None:
    raises(
        lambda T: T.ones(3).register_hook(lambda g: g),
        "RuntimeError",
        "cannot register a hook on a tensor that doesn't require gradient",
    )


@pytest.mark.parametrize(
    ("shape", "target", "message"),
    [
        (6, (2, 5), "shape '[2, 5]' is invalid for input of size 6"),
        (6, (4, -1), "shape '[4, -1]' is invalid for input of size 6"),
        (6, (-1, -1), "only one dimension can be inferred"),
    ],
    ids=["size", "inferred", "two-inferred"],
)
def test_e19_reshape_invalid(shape: int, target: tuple[int, ...], message: str) -> None:
    raises(lambda T: T.ones(shape).reshape(*target), "RuntimeError", message)


def test_e19_view_invalid() -> None:
    raises(lambda T: T.ones(3).view(2, 2), "RuntimeError", "shape '[2, 2]' is invalid for input of size 3")


def _dim_error(low: int, high: int, got: int) -> str:
    return f"Dimension out of range (expected to be in range of [{low}, {high}], but got {got})"


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (lambda T: T.ones(2, 3).sum(2), _dim_error(-2, 1, 2)),
        (lambda T: T.ones(2, 3).sum(-3), _dim_error(-2, 1, -3)),
        (lambda T: T.ones(2, 3).mean(2), _dim_error(-2, 1, 2)),
        (lambda T: T.ones(()).sum(1), _dim_error(-1, 0, 1)),
        (lambda T: T.ones(2, 3).transpose(0, 2), _dim_error(-2, 1, 2)),
        (lambda T: T.ones(2, 3).squeeze(2), _dim_error(-2, 1, 2)),
        (lambda T: T.ones(2, 3).unsqueeze(3), _dim_error(-3, 2, 3)),
        (lambda T: T.ones(2, 3).unsqueeze(-4), _dim_error(-3, 2, -4)),
        (lambda T: T.cat([T.ones(2, 3), T.ones(2, 3)], 2), _dim_error(-2, 1, 2)),
        (lambda T: T.stack([T.ones(2), T.ones(2)], 2), _dim_error(-2, 1, 2)),
    ],
    ids=["sum", "sum-neg", "mean", "sum-0d", "transpose", "squeeze", "unsqueeze",
         "unsqueeze-neg", "cat", "stack"],
)
def test_e19_dim_out_of_range(op: Callable[[Any], Any], message: str) -> None:
    raises(op, "IndexError", message)


def test_e19_dim_zero_of_a_0d_tensor_is_allowed() -> None:
    assert both(lambda T: T.ones(()).sum(0)).error is None


def test_e19_cat_of_mismatched_shapes() -> None:
    raises(
        lambda T: T.cat([T.ones(2, 3), T.ones(2, 4)], 0),
        "RuntimeError",
        "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for "
        "tensor number 1 in the list.",
    )


def test_e19_cat_of_different_ranks() -> None:
    raises(
        lambda T: T.cat([T.ones(2, 3), T.ones(3)]),
        "RuntimeError",
        "Tensors must have same number of dimensions: got 2 and 1",
    )


def test_e19_cat_of_empty_list() -> None:
    raises(lambda T: T.cat([]), "ValueError", "torch.cat(): expected a non-empty list of Tensors")


def test_e19_stack_of_mismatched_shapes() -> None:
    raises(
        lambda T: T.stack([T.ones(2, 3), T.ones(2, 4)]),
        "RuntimeError",
        "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1",
    )


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (lambda T: T.ones(3)[5], "index 5 is out of bounds for dimension 0 with size 3"),
        (lambda T: T.ones(3)[-4], "index -4 is out of bounds for dimension 0 with size 3"),
        (lambda T: T.ones(3, 2)[5], "index 5 is out of bounds for dimension 0 with size 3"),
    ],
    ids=["positive", "negative", "2d"],
)
def test_e19_index_out_of_range(op: Callable[[Any], Any], message: str) -> None:
    raises(op, "IndexError", message)


def test_e19_inference_tensor_cannot_be_saved_for_backward() -> None:
    def scenario(T: Any) -> Any:
        with T.inference_mode():
            t = T.ones(3)
        return t * leaf(T)

    raises(
        scenario,
        "RuntimeError",
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
        "inference mode in computation tracked by autograd. To work around this, you can make a "
        "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
        "`torch.inference_mode()`.",
    )


# Ops without a derivative record PyTorch's NotImplemented node: the forward works, backward raises.
def test_heaviside_records_a_not_implemented_node() -> None:
    def scenario(T):
        x = T.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
        y = T.heaviside(x, T.tensor(0.5, dtype=T.float64))
        out = (type(y.grad_fn).__name__, y.grad_fn.name(), y.requires_grad)
        y.sum().backward()
        return out
    assert both(scenario).error == ("RuntimeError", "derivative for aten::heaviside is not implemented")


def test_scatter_with_reduce_records_a_not_implemented_node() -> None:
    def scenario(T):
        x = T.zeros(3, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x.scatter(0, T.tensor([0, 1]), T.ones(2), reduce="add")
        values = (y.grad_fn.name(), y.detach())
        y.sum().backward()
        return values
    assert both(scenario).error == ("RuntimeError", "derivative for aten::scatter is not implemented")


def test_unique_records_a_node_without_derivative() -> None:
    def scenario(T, **kw):
        x = T.tensor(np.array([[1.0, 2.0], [1.0, 2.0]]), requires_grad=True)
        return T.unique(x, **kw)

    for kw in ({}, {"dim": 0}):
        def run(T, kw=kw):
            u = scenario(T, **kw)
            name = u.grad_fn.name()
            u.sum().backward()
            return name
        out = both(run)
        assert out.error is not None and out.error[0] == "NotImplementedError"

    def consecutive(T):
        x = T.tensor(np.array([1.0, 1.0, 2.0]), requires_grad=True)
        u = T.unique_consecutive(x)
        u.sum().backward()
    assert both(consecutive).error[0] == "NotImplementedError"


def test_in_place_on_a_view_returned_by_a_custom_function() -> None:
    def scenario(T):
        class Id(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.view_as(x)

            @staticmethod
            def backward(ctx, g):
                return g

        y = Id.apply(T.ones(3, requires_grad=True) * 1)
        y.mul_(2)
    err = both(scenario).error
    assert err is not None and "created inside a custom Function" in err[1]


@pytest.mark.parametrize("key", ["(Ellipsis, slice(1, None))", "(slice(1, None),)", "0",
                                 "(Ellipsis, 0)", "(0,)", "(0, Ellipsis)", "(None, 0)"])
def test_indexing_a_0d_tensor_errors_like_torch(key):
    def scenario(T):
        return T.tensor(2.0)[eval(key)]  # noqa: S307 - the parametrized key
    both(scenario)


def test_too_many_indices_message():
    both(lambda T: T.zeros(2, 3)[0, 0, 0])


def test_flip_of_a_0d_tensor():
    def scenario(T):
        x = T.tensor(2.0, requires_grad=True)
        y = x.flip(-1)
        y.backward()
        return [y, y.grad_fn.name(), x.grad]
    both(scenario)
