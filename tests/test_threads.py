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


@pytest.fixture
def frequent_switches():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _shared_leaf_run(n: int, threads: int, reps: int) -> np.ndarray:
    w = retrograd.zeros(n, requires_grad=True)
    errors = []

    def work():
        try:
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


def test_threads_backward_into_one_leaf_give_the_exact_sum(frequent_switches):
    for _ in range(10):
        g = _shared_leaf_run(100_000, threads=10, reps=50)
        assert (g == 500.0).all(), f"lost updates: min {g.min()}, expected 500"


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
