"""The graph that a create_graph=True backward records, op by op, against torch 2.13.

``test_ops.test_double_backward_vs_torch`` checks second-order *values*, with grad_outputs that
require grad (so a graph always exists). This checks the *graph* a user sees when the incoming
gradient is a constant (``y.sum()``'s, or a loss's): for every row of the op table, each
first-order gradient taken with ``create_graph=True`` must

- require grad exactly when torch's does (torch connects a backward kernel such as
  ``max_pool2d_with_indices_backward`` to its saved input even where that derivative is zero:
  a second ``autograd.grad`` then gives zeros, where a gradient without a graph raises);
- reach the same set of node names (``TanhBackwardBackward0``, ``TBackward0``, ...);
- give the same second-order gradients of ``sum(g * v)``.

Rows that still differ are listed in ``KNOWN`` with what differs; they run as strict xfails,
so a row that comes to match must leave the list. The list is the worklist of this graph's
fidelity; the values of these rows are right (test_ops checks them).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from op_db import OP_DB
from test_ops import _float_outputs, _leaves, _np

# row name -> what differs (names: ours | torch's)
KNOWN: dict[str, str] = {
    # --- activations -----------------------------------------------------------------------------

    # --- softmax_losses --------------------------------------------------------------------------

    # --- conv_norm -------------------------------------------------------------------------------

    # --- pool_pad_interp -------------------------------------------------------------------------

    # --- matmul_linalg ---------------------------------------------------------------------------
    # deliberate: det * A^{-T} (LinalgInvExBackward0) stays accurate near a singular matrix,
    # where PyTorch's solve of A^H X = diag(g det)^T returns noise (test_singular_gradients.py)
    'linalg_det': "grad 0 nodes ['LinalgInvExBackward0'] | ['DiagEmbedBackward0', 'ExpandBackward0', 'LinalgSolveExBackward0']",
    'det_batched': "grad 0 nodes ['LinalgInvExBackward0'] | ['DiagEmbedBackward0', 'ExpandBackward0', 'LinalgSolveExBackward0']",

    # --- core_elementwise ------------------------------------------------------------------------

    # --- core_reduction_views --------------------------------------------------------------------
}


def _names(t: Any) -> frozenset:
    seen: set = set()
    names: set = set()
    stack = [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        name = n.name()
        if "AccumulateGrad" not in name:
            names.add(name)
        stack.extend(f for f, _ in n.next_functions)
    return frozenset(names)


def _graph(lib: Any, row, arrays, gouts, vs):
    inputs = _leaves(lib, arrays, ["float64"] * len(arrays))
    outs = _float_outputs(lib, row.fn(lib, *inputs))
    gos = [lib.tensor(g, dtype=lib.float64) for g in gouts]
    firsts = lib.autograd.grad(outs, inputs, grad_outputs=gos, create_graph=True,
                               allow_unused=True)
    graphs = [None if g is None else (g.requires_grad, _names(g) if g.requires_grad else None)
              for g in firsts]
    terms = [(g * lib.tensor(v, dtype=lib.float64)).sum() for g, v in zip(firsts, vs)
             if g is not None and g.requires_grad]
    seconds = None
    if terms:
        got = lib.autograd.grad(sum(terms), inputs, allow_unused=True)
        seconds = [np.zeros(a.shape) if g is None else _np(g) for g, a in zip(got, arrays)]
    return graphs, seconds


def difference(row) -> str | None:
    """What differs between retrograd's create_graph graph and torch's for ``row``, or None."""
    arrays = row.inputs()
    # (inputs that require grad: some rows take a gradient inside fn)
    ref_outs = _float_outputs(torch, row.fn(torch, *_leaves(torch, arrays, ["float64"] * len(arrays))))
    rng = np.random.default_rng([row.seed, 7])
    gouts = [rng.standard_normal(tuple(o.shape)) for o in ref_outs]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _graph(torch, row, arrays, gouts, vs)
        try:
            ours = _graph(retrograd, row, arrays, gouts, vs)
        except Exception as e:  # noqa: BLE001 - reported as the difference
            return f"raises {type(e).__name__}: {e}"
    out = []
    for i, (a, b) in enumerate(zip(ours[0], ref[0])):
        if (a is None) != (b is None) or (a is not None and a[0] != b[0]):
            out.append(f"grad {i} requires_grad {a and a[0]} | {b and b[0]}")
        elif a is not None and a[1] != b[1]:
            out.append(f"grad {i} nodes {sorted(a[1] - b[1])} | {sorted(b[1] - a[1])}")
    if (ours[1] is None) != (ref[1] is None):
        out.append("second-order gradient exists in one library only")
    elif ours[1] is not None:
        for i, (a, b) in enumerate(zip(ours[1], ref[1])):
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-7, atol=1e-9, equal_nan=True):
                out.append(f"second-order grad {i} values")
    return "; ".join(out) or None


ROWS = [r for r in OP_DB if r.gradgrad]


@pytest.mark.parametrize("row", [pytest.param(r, marks=pytest.mark.xfail(
    strict=True, reason=KNOWN[r.name])) if r.name in KNOWN else r for r in ROWS],
    ids=[r.name for r in ROWS])
def test_create_graph_graph_matches_torch(row):
    diff = difference(row)
    assert diff is None, diff


if __name__ == "__main__":   # print the current differences as KNOWN entries
    for r in ROWS:
        d = difference(r)
        if d is not None:
            print(f"    {r.name!r}: {d!r},")
