"""Dispatch state is per thread, and the dispatch is built without generated code.

Modes (forward AD's dual level, vmap's batched run), tangent tables and vmap levels live in
ContextVars (retrograd/_dispatch.py, autograd/forward_ad.py, func/_batching.py): two threads
use them independently, as PyTorch's thread-local grad mode. And the wrappers every public op
entry point goes through are closures made when the op is declared: no ``exec``/``eval`` in the
package, no rewriting of other modules.
"""
from __future__ import annotations

import ast
import pathlib
import threading

import numpy as np

import retrograd
from retrograd import _dispatch

PACKAGE = pathlib.Path(retrograd.__file__).parent


def _in_threads(*fns):
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)
        return run
    threads = [threading.Thread(target=guard(f)) for f in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_two_threads_each_open_their_own_dual_level():
    fwd = retrograd.autograd.forward_ad
    barrier = threading.Barrier(2, timeout=30)
    results = {}

    def worker(name, scale):
        def run():
            with fwd.dual_level():
                x = fwd.make_dual(retrograd.tensor([1.0, 2.0]), retrograd.tensor([scale, scale]))
                barrier.wait()          # both levels are open now
                y = (x * x).sin()
                barrier.wait()
                results[name] = fwd.unpack_dual(y).tangent.numpy().copy()
        return run

    _in_threads(worker("a", 1.0), worker("b", 3.0))
    xs = np.array([1.0, 2.0], dtype=np.float32)
    expected = np.cos(xs * xs) * 2 * xs
    np.testing.assert_allclose(results["a"], expected, rtol=1e-6)
    np.testing.assert_allclose(results["b"], 3 * expected, rtol=1e-6)


def test_a_dual_level_in_one_thread_is_not_seen_by_another():
    fwd = retrograd.autograd.forward_ad
    opened, checked = threading.Event(), threading.Event()
    seen = {}

    def owner():
        with fwd.dual_level():
            fwd.make_dual(retrograd.tensor([1.0]), retrograd.tensor([1.0]))
            opened.set()
            checked.wait(30)

    def other():
        opened.wait(30)
        seen["modes"] = _dispatch.active_modes()
        seen["hooks"] = _dispatch.forward_hooks()
        # this thread may open its own level while the other one is open
        with fwd.dual_level():
            d = fwd.make_dual(retrograd.tensor([2.0]), retrograd.tensor([1.0]))
            seen["tangent"] = fwd.unpack_dual(d * 3).tangent.item()
        checked.set()

    _in_threads(owner, other)
    assert seen["modes"] == () and seen["hooks"] is None and seen["tangent"] == 3.0


def test_vmap_levels_are_per_thread():
    from retrograd.func import _batching
    barrier = threading.Barrier(2, timeout=30)
    levels = {}

    def worker(name, n):
        def run():
            def f(x):
                barrier.wait()                   # both vmaps are running batched now
                levels[name] = _batching.active()
                return x.sin() * 2
            out = retrograd.vmap(f)(retrograd.ones(n, 3))
            levels[name + "_shape"] = tuple(out.shape)
        return run

    _in_threads(worker("a", 4), worker("b", 5))
    assert len(levels["a"]) == 1 and len(levels["b"]) == 1 and levels["a"] != levels["b"]
    assert levels["a_shape"] == (4, 3) and levels["b_shape"] == (5, 3)
    assert _batching.active() == ()


def test_no_generated_code_in_the_package():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("exec", "eval", "compile"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders


def test_public_entry_points_are_the_declared_wrappers():
    """``@export`` returns the wrapper: the op's module and torch.X hold the same object, and it
    dispatches; Tensor.X holds its method twin (same op and info; only its argument errors
    count positions as for a method)."""
    from retrograd.ops.elementwise import arithmetic as pointwise
    assert retrograd.mul is pointwise.mul
    assert retrograd.Tensor.mul is _dispatch.method_form(retrograd.mul)
    assert retrograd.Tensor.mul is not retrograd.mul
    assert _dispatch.unwrap(retrograd.Tensor.mul) is _dispatch.unwrap(retrograd.mul)
    assert retrograd.Tensor.mul._rg_info is retrograd.mul._rg_info
    assert _dispatch.unwrap(retrograd.mul) is not retrograd.mul
    assert _dispatch.unwrap(retrograd.Tensor.__mul__) is not retrograd.Tensor.__mul__
    assert _dispatch.unwrap(retrograd.nn.functional.relu) is not retrograd.nn.functional.relu
