"""Backward passes in several threads into one leaf lose no update (AccumulateGrad's lock).

Found by the reliability scan: 10 threads backpropagating into one shared leaf gave the exact
sum only some of the time (the accumulation into ``.grad`` is a read-modify-write, and NumPy
releases the GIL inside ``+=``). A tiny switch interval makes the interleavings frequent.
"""
from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import retrograd


@pytest.fixture(params=[None, 1e-6], ids=["default_switches", "switch_every_1us"])
def switch_interval(request):
    old = sys.getswitchinterval()
    if request.param is not None:
        sys.setswitchinterval(request.param)
    yield
    sys.setswitchinterval(old)


@pytest.fixture
def frequent_switches():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _shared_leaf_run(n: int, threads: int, reps: int) -> np.ndarray:
    w = retrograd.zeros(n, requires_grad=True)
    errors = []
    start = threading.Barrier(threads)

    def work():
        try:
            start.wait()
            for _ in range(reps):
                (w * 1.0).sum().backward()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors
    return w.grad.numpy()


def test_threads_backward_into_one_leaf_give_the_exact_sum(switch_interval):
    # 10 threads x 50 backward passes, 100 runs: every run exact. A 20k-element leaf makes
    # NumPy's ``+=`` release the GIL, so without AccumulateGrad's lock ~15% of runs lose an
    # update (measured by removing the lock).
    exact = 0
    for _ in range(100):
        g = _shared_leaf_run(20_000, threads=10, reps=50)
        exact += int((g == 500.0).all())
    assert exact == 100, f"{exact} of 100 runs exact"


def test_modes_are_per_thread(frequent_switches):
    # Threads in different modes at the same time (grad mode, inference mode, saved-tensor
    # hooks, a dual level) each see their own, as in PyTorch; the main thread sees none.
    import torch
    for T in (retrograd, torch):
        fw = T.autograd.forward_ad
        packed: list = []
        enters = {"no_grad": T.no_grad, "inference": T.inference_mode, "enable": T.enable_grad,
                  "dual": fw.dual_level,
                  "hooks": lambda: T.autograd.graph.saved_tensors_hooks(
                      lambda t: packed.append(threading.current_thread().name) or t,
                      lambda t: t)}
        ready, done = threading.Barrier(len(enters) + 1), threading.Barrier(len(enters) + 1)
        seen: dict = {}
        errors = []
        x = T.ones(3, requires_grad=True)

        def run(enter):
            name = threading.current_thread().name
            try:
                with enter():
                    ready.wait(10)
                    y = x.sin()
                    d = fw.make_dual(T.ones(3), T.ones(3)) if name == "dual" else T.ones(3)
                    seen[name] = (T.is_grad_enabled(), T.is_inference_mode_enabled(),
                                  y.requires_grad, fw.unpack_dual(d).tangent is not None)
                    done.wait(10)
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)
        ts = [threading.Thread(target=run, args=(v,), name=k) for k, v in enters.items()]
        for t in ts:
            t.start()
        ready.wait(10)
        main = (T.is_grad_enabled(), T.is_inference_mode_enabled(), x.sin().requires_grad,
                fw.unpack_dual(x).tangent)
        done.wait(10)
        for t in ts:
            t.join(10)
        assert not errors, errors
        assert main == (True, False, True, None), T.__name__
        assert seen == {"no_grad": (False, False, False, False),
                        "inference": (False, True, False, False),
                        "enable": (True, False, True, False),
                        "dual": (True, False, True, True),
                        "hooks": (True, False, True, False)}, T.__name__
        assert packed == ["hooks"], T.__name__


def test_threads_accumulate_into_a_retained_grad(frequent_switches):
    w = retrograd.ones(1000, requires_grad=True)
    h = w * 2
    h.retain_grad()

    def work():
        for _ in range(30):
            h.sum().backward(retain_graph=True)
    ts = [threading.Thread(target=work) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert (h.grad.numpy() == 240.0).all() and (w.grad.numpy() == 480.0).all()
