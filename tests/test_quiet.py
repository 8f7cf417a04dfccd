"""IEEE results without NumPy's warnings on the per-op path (retrograd/_quiet.py): add, sub and mul
run their NumPy call inside a quiet Context; a thread that finds it entered by another falls back
to setting the error state. Compared with PyTorch, which computes these silently."""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch

import retrograd
from retrograd import _quiet

BIG = 3e38


def _ops(T):
    a = T.full((4,), BIG, requires_grad=True)
    b = T.tensor([BIG, -BIG, 0.0, float("inf")])
    y = (a * b + a - b * 2).tanh() * a
    y.sum().backward()
    return y, a.grad


def test_overflow_and_invalid_are_silent_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours, ours_grad = _ops(retrograd)
    ref, ref_grad = _ops(torch)
    np.testing.assert_array_equal(ours.detach().numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(ours_grad.numpy(), ref_grad.numpy())


def test_user_error_state_is_left_alone():
    before = np.geterr()
    retrograd.tensor([BIG]) * retrograd.tensor([BIG])
    assert np.geterr() == before
    with pytest.warns(RuntimeWarning, match="overflow"):
        np.array([BIG], np.float32) * np.array([BIG], np.float32)


def test_fallback_when_the_context_is_entered():
    # what a second thread meets while the first is inside the quiet context (the GIL released
    # by a big ufunc): the same silent result through the fallback
    x = np.array([BIG], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = _quiet.quiet_run(lambda a, b: _quiet.quiet_op(np.multiply, a, b), x, x)
    assert np.isinf(out).all()


def test_an_error_of_the_call_itself_passes_through():
    def boom(a, b):
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="^boom$"):
        _quiet.quiet_op(boom, 1, 2)


def test_threads_share_the_quiet_path():
    a = retrograd.full((300, 300), 1e20)
    ref = torch.full((300, 300), 1e20)
    expected = ((ref @ ref) * ref + ref).numpy()
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(((a @ a) * a + a).numpy())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        work()
        for t in threads:
            t.join()
    assert errors == []
    assert len(results) == 20
    for r in results:
        np.testing.assert_array_equal(r, expected)
