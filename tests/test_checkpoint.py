"""Activation checkpointing (``utils.checkpoint``) against torch 2.13: values, gradients,
warnings and errors of both variants, and the memory it saves."""
from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import numpy as np
import pytest
import torch as _torch
import torch.utils.checkpoint  # noqa: F401

import retrograd
import retrograd.utils.checkpoint  # noqa: F401
from _both import both

X3 = np.array([0.1, 0.2, 0.3], dtype=np.float32)
W3 = np.array([1.5, -0.5, 2.0], dtype=np.float32)
VARIANTS = [True, False]


def leaves(T: Any) -> Any:
    return (T.tensor(X3, requires_grad=True), T.tensor(W3, requires_grad=True))


def block(a: Any, b: Any) -> Any:
    return (a * b).sin().exp() * b


def ckpt(T: Any) -> Any:
    return T.utils.checkpoint


# --------------------------------------------------------------------------------------------
# Values and gradients
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_checkpoint_gives_the_same_values_and_gradients(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        y = ckpt(T).checkpoint(block, x, w, use_reentrant=use_reentrant)
        y.sum().backward()
        gx, gw = x.grad, w.grad
        x2, w2 = leaves(T)
        block(x2, w2).sum().backward()
        return y, gx, gw, np.allclose(gx.numpy(), x2.grad.numpy()), y.grad_fn.name()

    both(scenario)


def test_use_reentrant_not_passed_warns_and_uses_the_reentrant_variant() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        y = ckpt(T).checkpoint(block, x, w)
        y.sum().backward()
        return y, x.grad, y.grad_fn.name()

    ref = both(scenario)
    assert ref.warnings[0][1].startswith("torch.utils.checkpoint: the use_reentrant parameter")


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_several_outputs_and_only_some_used(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        def two(a):
            return a * 2, a.exp()

        x, _ = leaves(T)
        p, q = ckpt(T).checkpoint(two, x, use_reentrant=use_reentrant)
        (p.sum() + q.sum()).backward()
        first = x.grad.clone()
        x.grad = None
        p, q = ckpt(T).checkpoint(two, x, use_reentrant=use_reentrant)
        q.sum().backward()
        return first, x.grad, p.grad_fn.name()

    both(scenario)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_non_tensor_arguments(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        def f(a, scale, b, name):
            return (a * scale * b).tanh()

        x, w = leaves(T)
        y = ckpt(T).checkpoint(f, x, 3.0, w, "tag", use_reentrant=use_reentrant)
        y.sum().backward()
        return y, x.grad, w.grad

    both(scenario)


def test_keyword_arguments_only_without_reentrant() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        try:
            ckpt(T).checkpoint(block, x, b=w, use_reentrant=True)
        except ValueError as e:
            err = str(e)
        y = ckpt(T).checkpoint(block, x, b=w, use_reentrant=False)
        y.sum().backward()
        return err, x.grad, w.grad

    both(scenario)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_inputs_that_do_not_require_grad(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        y = ckpt(T).checkpoint(block, x.detach(), w.detach(), use_reentrant=use_reentrant)
        return y, y.requires_grad

    both(scenario)


def test_reentrant_checkpoint_without_differentiable_outputs_fails_in_backward() -> None:
    def scenario(T: Any) -> Any:
        x, _ = leaves(T)
        y = ckpt(T).checkpoint(lambda a: a.detach() * 2, x, use_reentrant=True)
        (y * x).sum().backward()

    both(scenario)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_checkpoint_under_no_grad(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        with T.no_grad():
            y = ckpt(T).checkpoint(block, x, w, use_reentrant=use_reentrant)
        return y, y.requires_grad

    both(scenario)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_autograd_grad_and_backward_inputs(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        out = []
        for call in (lambda y, x, w: T.autograd.grad(y.sum(), x),
                     lambda y, x, w: y.sum().backward(inputs=[x])):
            x, w = leaves(T)
            y = ckpt(T).checkpoint(block, x, w, use_reentrant=use_reentrant)
            try:
                out.append((call(y, x, w), x.grad, w.grad))
            except RuntimeError as e:
                out.append(str(e))
        return out

    both(scenario)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_input_modified_in_place_after_the_checkpoint(use_reentrant: bool) -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        xc = x * 1
        y = ckpt(T).checkpoint(block, xc, w, use_reentrant=use_reentrant)
        xc.add_(1)
        y.sum().backward()

    both(scenario)


def test_non_reentrant_double_backward_and_retain_graph() -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        y = ckpt(T).checkpoint(block, x, w, use_reentrant=False)
        (g,) = T.autograd.grad(y.sum(), x, create_graph=True)
        g.sum().backward()
        x2, w2 = leaves(T)
        y2 = ckpt(T).checkpoint(block, x2, w2, use_reentrant=False)
        y2.sum().backward(retain_graph=True)
        y2.sum().backward()
        try:
            y2.sum().backward()
        except RuntimeError as e:
            err = str(e)
        return g, x.grad, w.grad, x2.grad, err

    both(scenario)


def test_nested_non_reentrant_checkpoints() -> None:
    def scenario(T: Any) -> Any:
        C = ckpt(T)

        def outer(a, b):
            return C.checkpoint(block, a, b, use_reentrant=False).cos() * a

        x, w = leaves(T)
        y = C.checkpoint(outer, x, w, use_reentrant=False)
        y.sum().backward()
        return y, x.grad, w.grad

    both(scenario)


def test_context_fn_runs_around_forward_and_recomputation() -> None:
    def scenario(T: Any) -> Any:
        import contextlib
        log = []

        @contextlib.contextmanager
        def tag(name):
            log.append(("enter", name))
            yield
            log.append(("exit", name))

        x, w = leaves(T)
        y = ckpt(T).checkpoint(block, x, w, use_reentrant=False,
                               context_fn=lambda: (tag("forward"), tag("recompute")))
        y.sum().backward()
        try:
            ckpt(T).checkpoint(block, x, w, use_reentrant=True, context_fn=lambda: (None, None))
        except ValueError as e:
            err = str(e)
        return log, x.grad, err

    both(scenario)


def test_recomputation_sees_the_same_random_numbers() -> None:
    def scenario(T: Any) -> Any:
        grads = []
        for use_reentrant in (True, False):
            T.manual_seed(0)
            x, w = leaves(T)
            y = ckpt(T).checkpoint(lambda a: a * T.rand(3) * a, x, use_reentrant=use_reentrant)
            y.sum().backward()
            T.manual_seed(0)
            x2, _ = leaves(T)
            (x2 * T.rand(3) * x2).sum().backward()
            grads.append(np.allclose(x.grad.numpy(), x2.grad.numpy()))
        return grads

    assert both(scenario).value == [True, True]


# --------------------------------------------------------------------------------------------
# Non-determinism checks (non-reentrant)
# --------------------------------------------------------------------------------------------
def flaky(first: Any, later: Any) -> Any:
    calls = [0]

    def f(a):
        calls[0] += 1
        return first(a) if calls[0] == 1 else later(a)
    return f


@pytest.mark.parametrize("case", ["fewer", "more", "metadata"])
def test_recomputation_that_differs_raises_checkpoint_error(case: str) -> None:
    def scenario(T: Any) -> Any:
        C = ckpt(T)
        x, _ = leaves(T)
        if case == "fewer":
            y = C.checkpoint(flaky(lambda a: a.exp().exp(), lambda a: a.exp()), x,
                             use_reentrant=False)
        elif case == "more":
            with C.set_checkpoint_early_stop(False):
                y = C.checkpoint(flaky(lambda a: a.exp(), lambda a: a.exp().exp()), x,
                                 use_reentrant=False)
        else:
            y = C.checkpoint(flaky(lambda a: a.exp(), lambda a: a.reshape(3, 1).exp()), x,
                             use_reentrant=False)
        try:
            y.sum().backward()
        except C.CheckpointError as e:
            return type(e).__name__, isinstance(e, RuntimeError), str(e)

    both(scenario)


def test_determinism_check_none_and_bad_value() -> None:
    def scenario(T: Any) -> Any:
        C = ckpt(T)
        x, _ = leaves(T)
        y = C.checkpoint(flaky(lambda a: a.exp(), lambda a: a.reshape(3, 1).exp()), x,
                         use_reentrant=False, determinism_check="none")
        try:
            C.checkpoint(block, x, x, use_reentrant=False, determinism_check="foo")
        except ValueError as e:
            err = str(e)
        return y, err

    both(scenario)


# --------------------------------------------------------------------------------------------
# checkpoint_sequential
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("use_reentrant", [None, True, False])
def test_checkpoint_sequential(use_reentrant: Any) -> None:
    def scenario(T: Any) -> Any:
        x, w = leaves(T)
        fns = [lambda t: t * 2, lambda t: t.sin(), lambda t: t.exp(), lambda t: t * w,
               lambda t: t.tanh()]
        kw = {} if use_reentrant is None else {"use_reentrant": use_reentrant}
        out = ckpt(T).checkpoint_sequential(fns, 2, x, **kw)
        out.sum().backward()
        try:
            ckpt(T).checkpoint_sequential(fns, 2, x, use_reentrant=False, foo=1)
        except ValueError as e:
            err = str(e)
        return out, x.grad, w.grad, err

    both(scenario)


# --------------------------------------------------------------------------------------------
# Memory: what the graph holds between forward and backward
# --------------------------------------------------------------------------------------------
N = 256 * 1024   # float32 elements: 1 MiB per activation
DEPTH = 8


def deep_block(a: Any) -> Any:
    # Each layer: the mul saves the 1-element weight, the sin saves its 1 MiB input.
    T = retrograd if isinstance(a, retrograd.Tensor) else _torch
    w = T.full((1,), 1.01)
    for _ in range(DEPTH):
        a = (a * w).sin()
    return a


def saved_bytes(root: Any) -> int:
    """NumPy bytes held by the saved slots of the graph's nodes (walking next_functions):
    saved tensors, saved results, and what pack hooks kept (a tensor, or a placeholder)."""
    from retrograd.autograd.node import SavedOutput, _Packed
    arrays: dict = {}

    def add(obj: Any) -> None:
        if isinstance(obj, retrograd.Tensor):
            arrays[id(obj._data)] = obj._data.nbytes
        elif isinstance(obj, SavedOutput):
            arrays[id(obj.data)] = obj.data.nbytes
        elif isinstance(obj, _Packed):
            add(obj.packed)
        elif isinstance(obj, tuple):
            for o in obj:
                add(o)

    seen, stack = set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        saved = node._saved
        if saved:
            add(tuple(saved))
        stack.extend(n for n, _ in node.next_functions)
    return sum(arrays.values())


def held_memory(make: Any) -> tuple:
    """(bytes in saved slots, bytes allocated and still alive) after the forward pass."""
    x = retrograd.ones(N, requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        y = make(x)
        gc.collect()
        alive = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    slots = saved_bytes(y)
    y.sum().backward()
    return slots, alive, x.grad


def test_checkpoint_holds_no_intermediate_activations() -> None:
    C = retrograd.utils.checkpoint
    mib = N * 4
    plain_slots, plain_alive, g_plain = held_memory(deep_block)
    re_slots, re_alive, g_re = held_memory(lambda x: C.checkpoint(deep_block, x,
                                                                  use_reentrant=True))
    nr_slots, nr_alive, g_nr = held_memory(lambda x: C.checkpoint(deep_block, x,
                                                                  use_reentrant=False))
    # Without checkpointing every sin keeps its 1 MiB input: DEPTH MiB between forward and
    # backward.
    assert DEPTH * mib <= plain_slots < (DEPTH + 1) * mib
    assert plain_alive >= DEPTH * mib
    # Reentrant: one node that saved the block's input (the leaf) and nothing else.
    assert re_slots == mib
    # Non-reentrant: the block's nodes exist but hold placeholders; the input is kept by the
    # checkpoint itself.
    assert nr_slots == 0
    # Alive after forward: the output (and a little more), not the intermediates.
    assert re_alive <= 2 * mib and nr_alive <= 2 * mib
    np.testing.assert_allclose(g_re.numpy(), g_plain.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g_nr.numpy(), g_plain.numpy(), rtol=1e-6)


def test_torch_agrees_on_what_is_saved_with_and_without_checkpoint() -> None:
    # Count the tensors the forward packs (saved-tensor hooks see every save) in both libraries:
    # a checkpointed block packs none of its intermediates.
    def scenario(T: Any) -> Any:
        counts = []
        for use_ckpt in (None, True, False):
            n = [0]
            x = T.ones(4, requires_grad=True)
            with T.autograd.graph.saved_tensors_hooks(lambda t: n.__setitem__(0, n[0] + 1) or t,
                                                      lambda p: p):
                if use_ckpt is None:
                    y = deep_block(x)
                else:
                    y = ckpt(T).checkpoint(deep_block, x, use_reentrant=use_ckpt)
            y.sum().backward()
            counts.append(n[0])
        return counts

    assert both(scenario).value == [2 * DEPTH, 1, 1]
