"""In-place ops through views cost O(1) each however many views of the storage are alive
(issue 12: 100k in-place ops through views took ~7x PyTorch's time, growing quadratically).

The cause: every in-place change of a storage rebuilt, at once, the grad_fn of every live view
of it (one AsStridedBackward0 per view per op). PyTorch regenerates a view's grad_fn when it is
read; so does retrograd now. Work is counted (views regenerated), not timed.
"""
from __future__ import annotations

import numpy as np
import torch

import retrograd
from retrograd.ops import inplace


def _count_regenerations(monkeypatch) -> list:
    calls = [0]
    real = inplace.regenerated_view_node

    def counting(*args):
        calls[0] += 1
        return real(*args)
    monkeypatch.setattr(inplace, "regenerated_view_node", counting)
    return calls


def _rows_modified_in_place(T, n: int):
    w = T.ones(n, 2, requires_grad=True)
    b = w * 1
    rows = [b[i] for i in range(n)]      # n live views of b's storage
    for i, r in enumerate(rows):
        r.mul_(float(i % 3 + 1))
    return w, b, rows


def test_inplace_ops_on_many_live_views_do_linear_work(monkeypatch):
    calls = _count_regenerations(monkeypatch)
    counts = {}
    for n in (100, 400):
        calls[0] = 0
        _rows_modified_in_place(retrograd, n)
        counts[n] = calls[0]
    # one regeneration per op at most (the view written to, whose history is read); rebuilding
    # every live view would be n^2 / 2 (5,000 and 80,000)
    assert counts[100] <= 100 and counts[400] <= 400, counts


def test_views_read_after_other_views_changed_have_torchs_history():
    res = []
    for T in (retrograd, torch):
        w, b, rows = _rows_modified_in_place(T, 6)
        rows[0].add_(rows[5] * 2)
        names = [type(r.grad_fn).__name__ for r in rows] + [type(b.grad_fn).__name__]
        (b * T.arange(12.0).reshape(6, 2)).sum().backward(retain_graph=True)
        g = w.grad.numpy().copy()
        w.grad = None
        (rows[3] * rows[0]).sum().backward()       # through regenerated views
        res.append((names, g, w.grad.numpy(), b.detach().numpy()))
    assert res[0][0] == res[1][0]
    for a, e in zip(res[0][1:], res[1][1:]):
        np.testing.assert_allclose(a, e)


def test_a_view_made_before_its_root_needed_grad_gets_history():
    # the root starts to require grad by an in-place op: every live view must (done at once)
    res = []
    for T in (retrograd, torch):
        b = T.zeros(3, 2)
        rows = [b[i] for i in range(3)]
        w = T.ones(3, 2, requires_grad=True)
        b.add_(w)
        out = [(r.requires_grad, type(r.grad_fn).__name__) for r in rows]
        rows[1].mul_(3.0)   # (PyTorch refuses this one unless rows[1].grad_fn was read first)
        out += [(r.requires_grad, type(r.grad_fn).__name__) for r in rows]
        (rows[0] + rows[1] * 2 + rows[2] * 3).sum().backward()
        res.append((out, w.grad.numpy()))
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[0][1], res[1][1])
