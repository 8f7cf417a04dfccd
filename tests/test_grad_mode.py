"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode, detach, requires_grad_.

Each scenario runs on retrograd and on torch 2.13 and the outcomes must agree. Scenarios return the
observed modes and flags (is_grad_enabled, requires_grad, is_leaf, grad_fn) step by step, so a
difference shows exactly where the two libraries part ways. Every scenario that changes the mode
globally restores it in a ``finally`` so one failure cannot leak into the next test.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

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


def flags(t: Any) -> tuple[bool, bool, str | None]:
    """(requires_grad, is_leaf, grad_fn name) of a tensor."""
    return t.requires_grad, t.is_leaf, None if t.grad_fn is None else t.grad_fn.name()


@pytest.fixture(autouse=True)
def _grad_mode_is_restored() -> Iterator[None]:
    # A failing scenario must not leave grad mode off for the rest of the session.
    yield
    for T in (retrograd, _torch):
        T.set_grad_enabled(True)


# --------------------------------------------------------------------------------------------
# Defaults and no_grad
# --------------------------------------------------------------------------------------------
def test_grad_is_enabled_by_default() -> None:
    assert both(lambda T: (T.is_grad_enabled(), T.is_inference_mode_enabled())).value == (True, False)


def test_no_grad_context() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.no_grad():
            inside = T.is_grad_enabled()
            y = x * 2
        return inside, T.is_grad_enabled(), flags(y), flags(x * 2), y

    ref = both(scenario)
    assert ref.value[:4] == (False, True, (False, True, None), (True, False, "MulBackward0"))


def test_tensor_computed_under_no_grad_is_a_leaf_without_history() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.no_grad():
            y = (x * 2).exp().sum()
        return flags(y), y.grad, y

    assert both(scenario).value[:2] == ((False, True, None), None)


def test_no_grad_result_can_be_turned_into_a_new_leaf() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.no_grad():
            y = x * 2
        y.requires_grad_()
        (y * y).sum().backward()
        return flags(y), y.grad, x.grad

    both(scenario)


def test_factory_functions_with_requires_grad_ignore_no_grad() -> None:
    # torch's documented exception: factories given requires_grad=True still require grad.
    def scenario(T: Any) -> Any:
        with T.no_grad():
            made = [
                T.tensor([1.0, 2.0], requires_grad=True),
                T.ones(2, requires_grad=True),
                T.zeros(2, 3, requires_grad=True),
                T.full((2,), 3.0, requires_grad=True),
                T.randn(2, requires_grad=True),
            ]
            return [flags(t) for t in made]

    assert both(scenario).value == [(True, True, None)] * 5


def test_in_place_update_of_a_leaf_under_no_grad_keeps_it_a_leaf() -> None:
    def scenario(T: Any) -> Any:
        w = leaf(T)
        with T.no_grad():
            w -= 0.5 * T.ones(3)
            w.mul_(2)
        return flags(w), w

    both(scenario)


# --------------------------------------------------------------------------------------------
# Nesting, enable_grad, set_grad_enabled
# --------------------------------------------------------------------------------------------
def test_nested_contexts_restore_the_outer_mode() -> None:
    def scenario(T: Any) -> list[Any]:
        x = leaf(T)
        seen = [T.is_grad_enabled()]
        with T.no_grad():
            seen.append(T.is_grad_enabled())
            with T.enable_grad():
                seen.append((T.is_grad_enabled(), flags(x * 2)))
                with T.no_grad():
                    seen.append(T.is_grad_enabled())
                    with T.set_grad_enabled(True):
                        seen.append(T.is_grad_enabled())
                    seen.append(T.is_grad_enabled())
                seen.append(T.is_grad_enabled())
            seen.append(T.is_grad_enabled())
            with T.set_grad_enabled(False):
                seen.append(T.is_grad_enabled())
            seen.append(T.is_grad_enabled())
        seen.append(T.is_grad_enabled())
        return seen

    assert both(scenario).value == [
        True, False, (True, (True, False, "MulBackward0")), False, True, False, True, False,
        False, False, True,
    ]


def test_enable_grad_inside_no_grad_records_the_graph() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.no_grad():
            with T.enable_grad():
                y = (x * x).sum()
            y.backward()  # backward does not need grad mode
        return flags(y), x.grad

    both(scenario)


def test_set_grad_enabled_as_a_function_takes_effect_immediately() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        try:
            T.set_grad_enabled(False)
            off = (T.is_grad_enabled(), flags(x * 2))
            T.set_grad_enabled(True)
            on = (T.is_grad_enabled(), flags(x * 2))
        finally:
            T.set_grad_enabled(True)
        return off, on

    assert both(scenario).value == ((False, (False, True, None)), (True, (True, False, "MulBackward0")))


def test_set_grad_enabled_as_a_context_manager_restores_previous_mode() -> None:
    # The previous mode is restored, whatever it was; here it is False.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.no_grad():
            with T.set_grad_enabled(True):
                inside = (T.is_grad_enabled(), flags(x * 2))
            after = T.is_grad_enabled()
        with T.set_grad_enabled(False):
            off = T.is_grad_enabled()
        return inside, after, off, T.is_grad_enabled()

    assert both(scenario).value == ((True, (True, False, "MulBackward0")), False, False, True)


def test_set_grad_enabled_function_call_inside_a_context() -> None:
    # A plain call inside a `with` is undone when the `with` exits.
    def scenario(T: Any) -> Any:
        with T.no_grad():
            T.set_grad_enabled(True)
            inside = T.is_grad_enabled()
        return inside, T.is_grad_enabled()

    both(scenario)


# --------------------------------------------------------------------------------------------
# Decorators
# --------------------------------------------------------------------------------------------
def test_no_grad_as_decorator() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)

        @T.no_grad()
        def called() -> Any:
            return T.is_grad_enabled(), flags(x * 2)

        @T.no_grad
        def bare() -> Any:  # torch also accepts the class itself as a decorator
            return T.is_grad_enabled()

        return called(), bare(), T.is_grad_enabled(), called.__name__

    assert both(scenario).value == ((False, (False, True, None)), False, True, "called")


def test_enable_grad_as_decorator_inside_no_grad() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)

        @T.enable_grad()
        def tracked() -> Any:
            return flags(x * 2)

        with T.no_grad():
            return tracked(), T.is_grad_enabled()

    assert both(scenario).value == ((True, False, "MulBackward0"), False)


def test_set_grad_enabled_as_decorator() -> None:
    def scenario(T: Any) -> Any:
        @T.set_grad_enabled(False)
        def off() -> bool:
            return T.is_grad_enabled()

        # Building the decorator must not switch the mode off for the caller.
        return T.is_grad_enabled(), off(), T.is_grad_enabled()

    assert both(scenario).value == (True, False, True)


def test_decorated_function_keeps_its_arguments_and_return_value() -> None:
    def scenario(T: Any) -> Any:
        @T.no_grad()
        def scale(t: Any, *, by: float = 2.0) -> Any:
            return t * by

        return scale(leaf(T), by=3.0)

    both(scenario)


def test_no_grad_on_a_generator_applies_on_every_resume() -> None:
    # The decorator re-enters the mode each time the generator resumes and leaves it on yield, so
    # the caller's mode between two next() calls is the caller's own.
    def scenario(T: Any) -> list[Any]:
        x = leaf(T)

        @T.no_grad()
        def gen() -> Iterator[Any]:
            yield T.is_grad_enabled(), flags(x * 2)
            yield T.is_grad_enabled(), flags(x * 2)

        it = gen()
        seen = [next(it), T.is_grad_enabled(), flags(x * 2), next(it), T.is_grad_enabled()]
        return seen

    assert both(scenario).value == [
        (False, (False, True, None)), True, (True, False, "MulBackward0"),
        (False, (False, True, None)), True,
    ]


def test_enable_grad_on_a_generator_consumed_under_no_grad() -> None:
    def scenario(T: Any) -> list[Any]:
        @T.enable_grad()
        def gen() -> Iterator[bool]:
            yield T.is_grad_enabled()
            yield T.is_grad_enabled()

        with T.no_grad():
            it = gen()
            return [next(it), T.is_grad_enabled(), next(it), T.is_grad_enabled()]

    assert both(scenario).value == [True, False, True, False]


# --------------------------------------------------------------------------------------------
# Exceptions restore the mode
# --------------------------------------------------------------------------------------------
def test_exception_inside_no_grad_restores_the_mode() -> None:
    def scenario(T: Any) -> Any:
        try:
            with T.no_grad():
                raise ValueError("boom")
        except ValueError as e:
            return str(e), T.is_grad_enabled()

    assert both(scenario).value == ("boom", True)


def test_exception_inside_enable_grad_restores_no_grad() -> None:
    def scenario(T: Any) -> Any:
        with T.no_grad():
            try:
                with T.enable_grad():
                    raise KeyError("k")
            except KeyError:
                pass
            return T.is_grad_enabled()

    assert both(scenario).value is False


def test_exception_in_a_decorated_function_restores_the_mode() -> None:
    def scenario(T: Any) -> Any:
        @T.no_grad()
        def fails() -> None:
            raise RuntimeError("inside")

        try:
            fails()
        except RuntimeError as e:
            return str(e), T.is_grad_enabled()

    assert both(scenario).value == ("inside", True)


def test_exception_inside_set_grad_enabled_context() -> None:
    def scenario(T: Any) -> Any:
        try:
            with T.set_grad_enabled(False):
                raise ValueError
        except ValueError:
            return T.is_grad_enabled()

    assert both(scenario).value is True


def test_exception_from_no_grad_propagates_unchanged() -> None:
    # The context manager must not swallow the exception.
    def scenario(T: Any) -> None:
        with T.no_grad():
            raise IndexError("from inside no_grad")

    assert both(scenario).error == ("IndexError", "from inside no_grad")


# --------------------------------------------------------------------------------------------
# inference_mode
# --------------------------------------------------------------------------------------------
def test_inference_mode_context() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        with T.inference_mode():
            modes = (T.is_grad_enabled(), T.is_inference_mode_enabled())
            y = x * 2
            fresh = T.ones(2)
        return modes, flags(y), y.is_inference(), fresh.is_inference(), x.is_inference(), y

    assert both(scenario).value[:5] == ((False, True), (False, True, None), True, True, False)


def test_inference_mode_restores_and_nests() -> None:
    def scenario(T: Any) -> list[Any]:
        seen = []
        with T.inference_mode():
            seen.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
            with T.inference_mode(False):
                seen.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
            seen.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
        seen.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
        with T.no_grad():
            with T.inference_mode(False):
                # Surprising but real: inference_mode(False) turns grad mode *on*, even inside
                # no_grad (it sets grad mode to `not mode`).
                seen.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
        return seen

    assert both(scenario).value == [
        (False, True), (True, False), (False, True), (True, False), (True, False),
    ]


def test_inference_mode_as_decorator() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)

        @T.inference_mode()
        def called() -> Any:
            return T.is_inference_mode_enabled(), T.is_grad_enabled(), flags(x * 2)

        @T.inference_mode
        def bare() -> bool:
            return T.is_inference_mode_enabled()

        return called(), bare(), T.is_inference_mode_enabled()

    assert both(scenario).value == ((True, False, (False, True, None)), True, False)


def test_exception_inside_inference_mode_restores_the_mode() -> None:
    def scenario(T: Any) -> Any:
        try:
            with T.inference_mode():
                raise ValueError
        except ValueError:
            return T.is_grad_enabled(), T.is_inference_mode_enabled()

    assert both(scenario).value == (True, False)


# --------------------------------------------------------------------------------------------
# detach, detach_, requires_grad_
# --------------------------------------------------------------------------------------------
def test_detach_shares_data_with_the_original() -> None:
    # Writing to the detached tensor (under no_grad, and without: it does not require grad) shows
    # in the original, and both see the same version counter.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        d = x.detach()
        before = (flags(d), x._version, d._version)
        with T.no_grad():
            d[0] = 100
        d.add_(1)
        return before, x, d, x._version, d._version

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[1][-1], [101.0, 3.0, 4.0])


def test_detach_of_a_non_leaf_shares_data_and_cuts_the_graph() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        h = x * 2
        d = h.detach()
        with T.no_grad():
            d.mul_(10)
        return flags(d), h, (d * x).sum().grad_fn.name()

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[1][-1], 20 * X3)


def test_detach_in_place_turns_a_non_leaf_into_a_leaf() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        n = x * 2
        before = flags(n)
        returned = n.detach_()
        return before, flags(n), returned is n

    assert both(scenario).value == ((True, False, "MulBackward0"), (False, True, None), True)


def test_detach_in_place_of_a_leaf() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        x.detach_()
        return flags(x)

    assert both(scenario).value == (False, True, None)


def test_requires_grad_method_returns_self() -> None:
    def scenario(T: Any) -> Any:
        t = T.tensor(X3)
        on = t.requires_grad_()
        first = (on is t, flags(t))
        off = t.requires_grad_(False)
        return first, off is t, flags(t)

    assert both(scenario).value == ((True, (True, True, None)), True, (False, True, None))


def test_requires_grad_setter_on_a_leaf() -> None:
    def scenario(T: Any) -> Any:
        t = T.tensor(X3)
        t.requires_grad = True
        (t * 3).sum().backward()
        return flags(t), t.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Grad mode during backward is create_graph, not the caller's mode
# --------------------------------------------------------------------------------------------
def _modes_seen_by_backward(T: Any, calls: list[tuple[str, bool]]) -> list[bool]:
    """Run y.backward in various caller modes; a hook on the non-leaf y records the mode."""
    x = leaf(T)
    y = x * 3
    seen: list[bool] = []
    y.register_hook(lambda g: seen.append(T.is_grad_enabled()))
    s = y.sum()
    for caller, create_graph in calls:
        ctx = T.no_grad() if caller == "no_grad" else T.enable_grad()
        with ctx:
            # retain_graph=True throughout; create_graph=True is checked via autograd.grad so
            # that backward(create_graph=True)'s once-per-process warning is not involved.
            if create_graph:
                T.autograd.grad(s, x, create_graph=True, retain_graph=True)
            else:
                s.backward(retain_graph=True)
    return seen


def test_backward_inside_no_grad_works() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        loss = (x * x).sum()
        with T.no_grad():
            loss.backward()
        return x.grad, T.is_grad_enabled()

    ref = both(scenario)
    np.testing.assert_allclose(ref.value[0][-1], 2 * X3)


def test_grad_mode_during_backward_is_create_graph() -> None:
    calls = [("no_grad", False), ("no_grad", True), ("enable_grad", False), ("enable_grad", True)]
    ref = both(lambda T: _modes_seen_by_backward(T, calls))
    assert ref.value == [False, True, False, True]


def test_autograd_grad_with_create_graph_inside_no_grad_builds_a_graph() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        s = (x ** 3).sum()
        with T.no_grad():
            (g,) = T.autograd.grad(s, x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return g, h

    ref = both(scenario)
    assert ref.value[0][3] is True  # g requires grad
    np.testing.assert_allclose(ref.value[1][-1], 6 * X3)


def test_no_grad_does_not_change_the_gradients_computed() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        loss = (x.exp() * x).sum()
        (g_on,) = T.autograd.grad(loss, x, retain_graph=True)
        with T.no_grad():
            (g_off,) = T.autograd.grad(loss, x)
        return g_on, g_off

    both(scenario)
