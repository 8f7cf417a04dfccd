"""Every op of the op table takes Parameters like plain tensors: the same outputs, the same
grad_fn, the same gradients (accumulated into the Parameters), or the same error. Parameter is a
Tensor subclass, and the ops' fast paths must not mistake it for a non-tensor."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from op_db import OP_DB

import retrograd
from retrograd.nn import Parameter


def _run(row, make):
    retrograd.manual_seed(0)
    inputs = [make(retrograd.tensor(a)) for a in row.inputs()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = row.fn(retrograd, *inputs)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            floats = [o for o in outs if isinstance(o, retrograd.Tensor) and o.requires_grad]
            if floats:
                sum(o.sum() for o in floats).backward()
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return ("error", type(e).__name__, str(e))
    return ([(o.grad_fn.name() if o.grad_fn is not None else None, np.array(o.detach().numpy()))
             for o in outs if isinstance(o, retrograd.Tensor)],
            [None if t.grad is None else t.grad.numpy().copy() for t in inputs],
            [type(t).__name__ for t in inputs])


@pytest.mark.parametrize("row", OP_DB, ids=[r.name for r in OP_DB])
def test_op_on_parameters_matches_plain_tensors(row):
    plain = _run(row, lambda t: t.requires_grad_())
    param = _run(row, Parameter)
    if plain[0] == "error":
        assert param == plain
        return
    assert param[2] == ["Parameter"] * len(param[2])
    assert [n for n, _ in param[0]] == [n for n, _ in plain[0]]
    for (_, a), (_, b) in zip(param[0], plain[0]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(param[1], plain[1]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
