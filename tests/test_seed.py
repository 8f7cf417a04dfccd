"""The seed tutorial ("Pytorch Loss Computation", shared/seed/pytorch-loss-computation.txt), snippet by snippet.

Every snippet is written as the tutorial writes it, inside a scenario function whose parameter is
called ``torch``: the scenario runs once with ``torch=retrograd`` and once with the real torch, and
the two outcomes (values, printed text, warnings, exceptions) must agree. Expected values come from
torch at test time; the few values the tutorial itself states (``3``, ``True/True/False``, the
non-scalar error) are asserted on the reference as well, so a drift in torch would be noticed too.
"""
from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch as _torch  # the reference; scenarios get the library under test as their argument

import retrograd

# --------------------------------------------------------------------------------------------
# Comparison helper (the same small helper is repeated in each engine-level test file).
# --------------------------------------------------------------------------------------------
from _both import Outcome, assert_same, both, clean, normalise, run  # noqa: E402,F401


def printed(snippet: Callable[[], None]) -> str:
    """What ``snippet()`` prints to stdout."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        snippet()
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# "code to generate graph above": the x, y, z display
# --------------------------------------------------------------------------------------------
def test_display_of_x_y_z_is_printed_exactly_like_torch() -> None:
    # The tutorial's first program. Its output is compared character for character; only the
    # address in "<MulBackward0 object at 0x7f...>" is masked. Printing z.grad also emits torch's
    # "non-leaf .grad" UserWarning, which both() compares as well.
    def scenario(torch: Any) -> str:
        # Creating the graph
        x = torch.tensor(1.0, requires_grad = True)
        y = torch.tensor(2.0)
        z = x * y

        # Displaying
        def display() -> None:
            for i, name in zip([x, y, z], "xyz"):
                print(f"{name}\ndata: {i.data}\nrequires_grad: {i.requires_grad}\n\
grad: {i.grad}\ngrad_fn: {i.grad_fn}\nis_leaf: {i.is_leaf}\n")

        return printed(display)

    ref = both(scenario)
    # The tutorial's point: z is produced by MulBackward0 and is not a leaf.
    assert "grad_fn: <MulBackward0 object at 0x?>\nis_leaf: False" in ref.value
    assert ref.value.startswith("x\ndata: 1.0\nrequires_grad: True\ngrad: None\ngrad_fn: None\n")


def test_display_warns_once_for_the_non_leaf_grad_access() -> None:
    # Only z is a non-leaf; reading x.grad / y.grad is silent, reading z.grad warns.
    def scenario(torch: Any) -> list[str | None]:
        x = torch.tensor(1.0, requires_grad = True)
        y = torch.tensor(2.0)
        z = x * y
        return [repr(i.grad) for i in (x, y, z)]

    ref = both(scenario)
    assert ref.value == ["None", "None", "None"]
    assert [category for category, _ in ref.warnings] == ["UserWarning"]


# --------------------------------------------------------------------------------------------
# no_grad snippet
# --------------------------------------------------------------------------------------------
def test_no_grad_snippet_prints_true_true_false() -> None:
    def scenario(torch: Any) -> str:
        def snippet() -> None:
            x = torch.tensor(1.0, requires_grad = True)
            # Check if tracking is enabled
            print(x.requires_grad) #True
            y = x * 2
            print(y.requires_grad) #True

            with torch.no_grad():
                # Check if tracking is enabled
                y = x * 2
                print(y.requires_grad) #False

        return printed(snippet)

    assert both(scenario).value == "True\nTrue\nFalse\n"  # stated by the tutorial


# --------------------------------------------------------------------------------------------
# backward() snippet: z = x ** 3
# --------------------------------------------------------------------------------------------
def test_x_cubed_backward_prints_three() -> None:
    def scenario(torch: Any) -> dict[str, Any]:
        x = torch.tensor(1.0, requires_grad = True)
        z = x ** 3

        def snippet() -> None:
            z.backward() #Computes the gradient
            print(x.grad.data) #Prints '3' which is dz/dx

        text = printed(snippet)
        return {"printed": text, "grad": x.grad, "grad_fn": z.grad_fn.name()}

    ref = both(scenario)
    assert ref.value["printed"] == "tensor(3.)\n"
    assert ref.value["grad"][-1] == 3.0  # "Prints '3' which is dz/dx"
    assert ref.value["grad_fn"] == "PowBackward0"


def test_implicit_backward_is_the_same_as_backward_of_tensor_one() -> None:
    # "z.backward() is automatically passed as z.backward(torch.tensor(1.0))"
    def scenario(torch: Any) -> list[Any]:
        grads = []
        for gradient in (None, torch.tensor(1.0)):
            x = torch.tensor(1.0, requires_grad = True)
            z = x ** 3
            z.backward(gradient)
            grads.append(x.grad)
        return grads

    ref = both(scenario)
    assert ref.value[0][-1] == ref.value[1][-1] == 3.0


# --------------------------------------------------------------------------------------------
# Non-scalar outputs need an external gradient
# --------------------------------------------------------------------------------------------
def test_non_scalar_backward_without_gradient_raises() -> None:
    def scenario(torch: Any) -> None:
        x = torch.tensor([0.0,2.0,8.0], requires_grad = True)
        y = torch.tensor([5.0,1.0,7.0], requires_grad = True)
        z = x * y
        z.backward()

    ref = both(scenario)
    # The tutorial quotes this message.
    assert ref.error == ("RuntimeError", "grad can be implicitly created only for scalar outputs")


def test_non_scalar_backward_with_float_tensor_of_ones() -> None:
    def scenario(torch: Any) -> dict[str, Any]:
        x = torch.tensor([0.0,2.0,8.0], requires_grad = True)
        y = torch.tensor([5.0,1.0,7.0], requires_grad = True)
        z = x * y
        z.backward(torch.FloatTensor([1.0, 1.0, 1.0]))
        return {"x.grad": x.grad, "y.grad": y.grad, "z": z}

    ref = both(scenario)
    # d(x*y)/dx = y and d(x*y)/dy = x, element by element.
    np.testing.assert_array_equal(ref.value["x.grad"][-1], [5.0, 1.0, 7.0])
    np.testing.assert_array_equal(ref.value["y.grad"][-1], [0.0, 2.0, 8.0])


def test_float_tensor_constructor() -> None:
    # torch.FloatTensor(list) as the tutorial uses it: float32, no grad, a leaf.
    def scenario(torch: Any) -> Any:
        t = torch.FloatTensor([1.0, 1.0, 1.0])
        return t, t.is_leaf, t.requires_grad, t.grad_fn, repr(t)

    both(scenario)


# --------------------------------------------------------------------------------------------
# Jacobians and vectors: backward(v) computes v^T J
# --------------------------------------------------------------------------------------------
X0 = np.array([1.0, 2.0, 3.0], dtype=np.float32)
V = np.array([0.5, -1.0, 2.0], dtype=np.float32)


def _f(t: Any) -> Any:
    """A vector-valued f: R^3 -> R^3 with a full Jacobian: f_i(x) = x_i^2 * sum(x)."""
    return t ** 2 * t.sum()


def _jacobian_by_hand(x: np.ndarray) -> np.ndarray:
    # d f_i / d x_j = 2 x_i S [i == j] + x_i^2, with S = sum(x)
    return np.diag(2 * x * x.sum()) + (x ** 2)[:, None]


def test_backward_with_v_is_the_vector_jacobian_product() -> None:
    def scenario(torch: Any) -> Any:
        x = torch.tensor(X0, requires_grad=True)
        y = _f(x)
        y.backward(torch.tensor(V))
        return x.grad

    ref = both(scenario)
    ours = run(scenario, retrograd).value
    # The full Jacobian, two independent ways (torch's functional API is used on torch only).
    j_torch = _torch.autograd.functional.jacobian(_f, _torch.tensor(X0)).numpy()
    np.testing.assert_allclose(j_torch, _jacobian_by_hand(X0), rtol=1e-6)
    np.testing.assert_allclose(ref.value[-1], V @ j_torch, rtol=1e-6)
    np.testing.assert_allclose(ours[-1], V @ j_torch, rtol=1e-6)


def test_vector_jacobian_product_of_a_non_square_jacobian() -> None:
    # Y = W X maps R^3 -> R^2, so J = W and v^T J = v^T W (n != m as in the tutorial's notation).
    w = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]], dtype=np.float32)
    v = np.array([2.0, -1.0], dtype=np.float32)

    def scenario(torch: Any) -> Any:
        x = torch.tensor(X0, requires_grad=True)
        y = torch.tensor(w) @ x
        y.backward(torch.tensor(v))
        return x.grad

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[-1], v @ w, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# The training loop the tutorial describes: forward, loss, backward, update with a learning rate
# --------------------------------------------------------------------------------------------
_rng = np.random.default_rng(1234)
DATA_X = _rng.normal(size=(8, 3)).astype(np.float32)
DATA_Y = (DATA_X @ np.array([[2.0], [-1.0], [0.5]]) + 0.3).astype(np.float32)


def _train(torch: Any, reset: str) -> dict[str, Any]:
    """Five steps of the tutorial's loop on a linear model; the graph is rebuilt every step."""
    x, y = torch.tensor(DATA_X), torch.tensor(DATA_Y)
    # 1. model architecture
    w = torch.zeros(3, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr = 0.1
    losses, w_grads, fresh_graph = [], [], []
    previous = None
    for _ in range(5):
        # 2. forward  3. loss
        loss = ((x @ w + b - y) ** 2).mean()
        fresh_graph.append(loss.grad_fn is not previous)  # a new node every iteration (DCG)
        previous = loss.grad_fn
        # 4. backward
        loss.backward()
        losses.append(loss.item())
        w_grads.append(w.grad.clone())
        # 5. update, outside the graph
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if reset == "zero_":
            w.grad.zero_()
            b.grad.zero_()
        else:
            w.grad = None
            b.grad = None
    return {
        "losses": losses,
        "w_grads": w_grads,
        "w": w,
        "b": b,
        "loss_grad_fn": loss.grad_fn.name(),
        "fresh_graph": fresh_graph,
        "leaves": [w.is_leaf, b.is_leaf],
    }


def test_five_training_steps_zeroing_grads_match_torch() -> None:
    ref = both(lambda torch: _train(torch, "zero_"))
    losses = ref.value["losses"]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))  # it learns
    assert ref.value["fresh_graph"] == [True] * 5
    assert ref.value["loss_grad_fn"] == "MeanBackward0"


def test_five_training_steps_setting_grads_to_none_match_torch() -> None:
    ref = both(lambda torch: _train(torch, "none"))
    # Zeroing and resetting to None are the same optimisation.
    assert_same(ref.value["losses"], run(lambda torch: _train(torch, "zero_"), _torch).value["losses"])


def test_without_zeroing_gradients_accumulate_across_iterations() -> None:
    # The reason the loop zeroes the grads: .grad is a running sum over backward calls.
    def scenario(torch: Any) -> list[Any]:
        x, y = torch.tensor(DATA_X), torch.tensor(DATA_Y)
        w = torch.zeros(3, 1, requires_grad=True)
        grads = []
        for _ in range(3):
            ((x @ w - y) ** 2).mean().backward()
            grads.append(w.grad.clone())
        return grads

    ref = both(scenario)
    g1, g2, g3 = (g[-1] for g in ref.value)
    np.testing.assert_allclose(g2, 2 * g1, rtol=1e-6)
    np.testing.assert_allclose(g3, 3 * g1, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# Variable members: data, requires_grad, grad, grad_fn, is_leaf
# --------------------------------------------------------------------------------------------
def test_grad_is_none_without_requires_grad_and_before_backward() -> None:
    def scenario(torch: Any) -> dict[str, Any]:
        plain = torch.tensor(1.0)
        tracked = torch.tensor(1.0, requires_grad=True)
        before = tracked.grad
        (tracked * 2).backward()
        return {"plain": plain.grad, "before": before, "after": tracked.grad}

    ref = both(scenario)
    assert ref.value["plain"] is None and ref.value["before"] is None


def test_is_leaf_rule_1_explicitly_created_tensors() -> None:
    # "x = torch.tensor(1.0) or x = torch.randn(1,1)": created explicitly, hence leaves.
    def scenario(torch: Any) -> list[Any]:
        torch.manual_seed(0)
        made = [
            torch.tensor(1.0),
            torch.randn(1, 1),
            torch.tensor(1.0, requires_grad=True),
            torch.randn(1, 1, requires_grad=True),
        ]
        return [(t.is_leaf, t.requires_grad, t.grad_fn) for t in made]

    ref = both(scenario)
    assert all(is_leaf for is_leaf, _, _ in ref.value)


def test_is_leaf_rule_2_ops_on_tensors_without_requires_grad() -> None:
    def scenario(torch: Any) -> list[Any]:
        a = torch.tensor([1.0, 2.0])
        b = torch.tensor([3.0, 4.0])
        tracked = torch.tensor([1.0, 2.0], requires_grad=True)
        results = [a * b, (a + 1).sum(), a.exp(), tracked * 2]
        return [(t.is_leaf, t.requires_grad, t.grad_fn) for t in results]

    ref = both(scenario)
    # Untracked inputs give leaves; the same op on a tracked input does not.
    assert [is_leaf for is_leaf, _, _ in ref.value] == [True, True, True, False]


def test_is_leaf_rule_3_detach() -> None:
    def scenario(torch: Any) -> list[Any]:
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        d = y.detach()
        return [(t.is_leaf, t.requires_grad, t.grad_fn) for t in (y, d, x.detach())]

    ref = both(scenario)
    assert [is_leaf for is_leaf, _, _ in ref.value] == [False, True, True]


def test_only_leaves_that_require_grad_receive_gradients() -> None:
    # "Only nodes with requires_grad and is_leaf True get gradients."
    def scenario(torch: Any) -> dict[str, Any]:
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        c = torch.tensor([3.0, 4.0])
        h = x * c
        (h * h).sum().backward()
        return {"x": x.grad, "c": c.grad, "h": h.grad}

    ref = both(scenario)  # h.grad also warns (non-leaf); both() compares that warning
    assert ref.value["c"] is None and ref.value["h"] is None
    assert [category for category, _ in ref.warnings] == ["UserWarning"]
