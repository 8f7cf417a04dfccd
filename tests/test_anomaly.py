"""Anomaly mode (``detect_anomaly``, ``set_detect_anomaly``), scenario by scenario against torch.

Tracebacks: a node's recorded forward traceback ends at the user's line (PyTorch's C++ ops add no
Python frames; retrograd drops its own frames at the end). Where PyTorch's own Python frames
appear (``Function.apply``, ``autograd.grad`` during create_graph), the comparison keeps the
message header and the frames of this file only.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import torch as _torch

import retrograd
from _both import Outcome, assert_same, run

NAN = float("nan")


def anomaly_state(T: Any) -> tuple:
    """(is_anomaly_enabled, is_anomaly_check_nan_enabled): PyTorch has them at the top level
    (torch.is_anomaly_enabled); retrograd's live in retrograd.autograd.anomaly_mode (and at the
    top level once retrograd/__init__.py re-exports them)."""
    mod = T if hasattr(T, "is_anomaly_enabled") else T.autograd.anomaly_mode
    return mod.is_anomaly_enabled(), mod.is_anomaly_check_nan_enabled()


def _rstrip(out: Outcome) -> Outcome:
    # torch's warning text is "...traceback\n (Triggered internally at ...)"; _both.clean drops
    # the suffix with the whitespace before it, so the traceback's final newline goes too.
    out.warnings = [(c, m.rstrip()) for c, m in out.warnings]
    return out


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def _frames_of_this_file(out: Outcome) -> Outcome:
    """Keep each warning's header line and the frames of this test file."""
    def norm(msg: str) -> str:
        head = msg.split(":\n", 1)[0]
        frames = [m.group(0) for m in _FRAME.finditer(msg) if m.group(1) == __file__]
        return head + "|" + "|".join(frames)
    out.warnings = [(c, norm(m)) for c, m in out.warnings]
    return out


def both_anomaly(fn: Callable[[Any], Any], normalise: Callable[[Outcome], Outcome] = _rstrip):
    ours, ref = (normalise(run(fn, lib)) for lib in (retrograd, _torch))
    assert ours.error == ref.error, f"exception differs:\n ours: {ours.error}\n torch: {ref.error}"
    assert ours.warnings == ref.warnings, (
        f"warnings differ:\n ours: {ours.warnings}\n torch: {ref.warnings}")
    assert_same(ours.value, ref.value)
    for lib in (retrograd, _torch):
        assert anomaly_state(lib) == (False, True), "a scenario left anomaly mode on"
    return ref


def leaf(T: Any, values: Any) -> Any:
    return T.tensor(np.asarray(values, dtype=np.float32), requires_grad=True)


# --------------------------------------------------------------------------------------------
# Switching it on and off
# --------------------------------------------------------------------------------------------
def test_detect_anomaly_context_manager_warns_and_restores() -> None:
    def scenario(T: Any) -> Any:
        states = [anomaly_state(T)]
        with T.autograd.detect_anomaly():
            states.append(anomaly_state(T))
            with T.autograd.detect_anomaly(check_nan=False):
                states.append(anomaly_state(T))
            states.append(anomaly_state(T))
        states.append(anomaly_state(T))
        return states

    both_anomaly(scenario)


def test_set_detect_anomaly_acts_at_once_and_as_a_context_manager() -> None:
    def scenario(T: Any) -> Any:
        states = []
        T.autograd.set_detect_anomaly(True)
        states.append(anomaly_state(T))
        T.autograd.set_detect_anomaly(False)
        states.append(anomaly_state(T))
        with T.autograd.set_detect_anomaly(True, check_nan=False):
            states.append(anomaly_state(T))
        states.append(anomaly_state(T))
        return states, type(T.autograd.set_detect_anomaly(False)).__name__

    both_anomaly(scenario)


def test_detect_anomaly_is_not_a_decorator() -> None:
    def scenario(T: Any) -> Any:
        @T.autograd.detect_anomaly()
        def f():
            return 1

    both_anomaly(scenario)


# --------------------------------------------------------------------------------------------
# The forward traceback
# --------------------------------------------------------------------------------------------
def test_nodes_record_their_forward_traceback_only_in_anomaly_mode() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T, [1.0, 2.0])
        plain = dict((x * 2).grad_fn.metadata)
        with T.autograd.set_detect_anomaly(True):
            y = x * 2
            z = y.exp().sum()
        return plain, sorted(y.grad_fn.metadata), y.grad_fn.metadata["traceback_"], \
            z.grad_fn.metadata["traceback_"]

    both_anomaly(scenario)


def test_nan_in_backward_raises_and_shows_the_forward_traceback() -> None:
    def scenario(T: Any) -> Any:
        a = leaf(T, [0.5, 1.0])
        with T.autograd.detect_anomaly():
            y = a * NAN
            y.sum().backward()

    ref = both_anomaly(scenario)
    assert ref.error == ("RuntimeError", "Function 'MulBackward0' returned nan values in its 0th "
                                         "output.")
    assert ref.warnings[1][1].startswith("Error detected in MulBackward0. Traceback of forward "
                                         "call that caused the error:\n")


def test_nan_in_a_later_output_and_from_the_root_gradient() -> None:
    def scenario(T: Any) -> Any:
        a, b = leaf(T, [1.0]), leaf(T, [2.0])
        errors = []
        with T.autograd.set_detect_anomaly(True):
            y = a * b
            try:
                y.backward(T.tensor([NAN]))
            except RuntimeError as e:
                errors.append(str(e))
            c = T.tensor(np.array([1.0], np.float32))
            z = (a * c) * T.tensor(np.array([NAN], np.float32))
            try:
                z.sum().backward()
            except RuntimeError as e:
                errors.append(str(e))
        return errors

    both_anomaly(scenario)


def test_check_nan_false_lets_nan_through() -> None:
    def scenario(T: Any) -> Any:
        a = leaf(T, [0.5, 1.0])
        with T.autograd.detect_anomaly(check_nan=False):
            (a * NAN).sum().backward()
        return a.grad

    both_anomaly(scenario)


def test_nan_from_a_hook_is_reported_for_its_node() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T, [1.0, 1.0])
        with T.autograd.set_detect_anomaly(True):
            y = x * 2
            y.register_hook(lambda g: g * NAN)
            y.sum().backward()

    both_anomaly(scenario)


def test_version_error_hint_changes_in_anomaly_mode() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T, [1.0, 2.0])
        with T.autograd.set_detect_anomaly(True, check_nan=False):
            c = x.clone()
            y = c.exp()
            c2 = y.exp()
            y.add_(1)
            c2.sum().backward()

    ref = both_anomaly(scenario)
    assert ref.error[1].endswith("Hint: the backtrace further above shows the operation that "
                                 "failed to compute its gradient. The variable in question was "
                                 "changed in there or anywhere later. Good luck!")


def test_node_created_outside_anomaly_mode_has_no_traceback() -> None:
    def scenario(T: Any) -> Any:
        a = leaf(T, [0.5])
        y = a * NAN
        with T.autograd.detect_anomaly():
            y.backward()

    both_anomaly(scenario)


def test_error_in_a_custom_backward_shows_where_apply_was_called() -> None:
    def scenario(T: Any) -> Any:
        class Boom(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")

        x = leaf(T, [1.0])
        with T.autograd.set_detect_anomaly(True):
            z = Boom.apply(x)
            has = sorted(z.grad_fn.metadata)
            try:
                z.sum().backward()
            except ValueError as e:
                return has, str(e)

    both_anomaly(scenario, _frames_of_this_file)


def test_double_backward_nodes_name_their_parent() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T, [1.0, 2.0])
        with T.autograd.set_detect_anomaly(True):
            y = (x ** 3).sum()
            (g,) = T.autograd.grad(y, x, create_graph=True)
            meta = g.grad_fn.metadata
            info = (sorted(meta), meta["parent_"].name())
            try:
                g.backward(T.tensor(np.array([NAN, 1.0], np.float32)))
            except RuntimeError as e:
                return info, str(e)

    both_anomaly(scenario, _frames_of_this_file)
