"""``grad_fn._saved_*`` against torch 2.13 for every op-table row: the names ``dir(grad_fn)``
lists (graph viewers such as torchviz find saved values that way) and their values — tensors
(values, dtype, shape), sizes, dims, flags, scalars — for every node of the row's graph.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from op_db import OP_DB, OpInfo

# row name -> why a saved value differs from torch's there
KNOWN: dict[str, str] = {
    "mkldnn_rnn_layer": "_saved_result3 is the kernel's workspace: oneDNN's layout in torch "
                        "(28672 values here), the gate activations and cell states in retrograd",
    "mkldnn_rnn_layer_reverse": "_saved_result3 is the kernel's workspace (see mkldnn_rnn_layer)",
}

# rows whose torch kernel runs in float32 only (oneDNN's fused LSTM layer): run in float32
FLOAT32_ONLY = {"mkldnn_rnn_layer", "mkldnn_rnn_layer_reverse"}

# rrelu in eval mode: torch saves ``noise`` made by empty_like and never written (uninitialised
# memory); only its shape and dtype are compared
UNINITIALISED = {"rrelu_eval", "torch_rrelu_eval", "rrelu_eval_inplace", "functional_rrelu_",
                 "torch_rrelu_", "rrelu_eval_backward"}

# eigen/singular vectors among the saved values: their signs are not unique, and torch's LAPACK
# (MKL) and NumPy's (OpenBLAS) choose differently for these inputs; compared up to sign
SIGN_FREE = {"linalg_eigh_upper_batched", "linalg_eigvalsh", "matrix_norm_nuc_keepdim_dims"}


def _value(T: Any, v: Any) -> Any:
    """A saved value as plain, comparable data."""
    if isinstance(v, T.Tensor):
        a = v.detach().numpy()
        flat = np.round(a.astype(np.float64).reshape(-1), 5).tolist()
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape),
                tuple("nan" if x != x else x for x in flat) if a.size < 200
                else round(float(np.nansum(np.abs(a.astype(np.float64)))), 3))
    if isinstance(v, (tuple, list)):
        return tuple(_value(T, x) for x in v)
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return "nan" if math.isnan(v) else round(v, 6)
    if isinstance(v, T.dtype):
        return str(v)
    return type(v).__name__


def _unsigned(v: Any) -> Any:
    if isinstance(v, tuple) and len(v) == 4 and v[0] == "tensor" and isinstance(v[3], tuple):
        return v[:3] + (tuple(abs(x) if isinstance(x, float) else x for x in v[3]),)
    return v


def _nodes(T: Any, row: OpInfo) -> list:
    """Every node of the row's graph (depth first from each floating output), with its saved
    values: [(name, {saved name: value})]."""
    dtype = T.float32 if row.name in FLOAT32_ONLY else T.float64
    ts = [T.tensor(a, dtype=dtype, requires_grad=True) for a in row.inputs()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = row.fn(T, *ts)
    outs = out if isinstance(out, (tuple, list)) else [out]
    seen, result = set(), []
    stack = [o.grad_fn for o in reversed(outs) if isinstance(o, T.Tensor) and o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen or node.name().startswith("torch::autograd::AccumulateGrad"):
            continue
        seen.add(node)
        saved = {}
        for name in dir(node):
            if name.startswith("_saved_"):
                try:
                    saved[name] = _value(T, getattr(node, name))
                except Exception as e:  # noqa: BLE001 - the error is part of the comparison
                    saved[name] = ("error", type(e).__name__)
        result.append((node.name(), saved))
        stack.extend(n for n, _ in reversed(node.next_functions) if n is not None)
    return result


@pytest.mark.parametrize("row", OP_DB, ids=[r.name for r in OP_DB])
def test_saved_attributes_like_torch(row: OpInfo):
    ref = _nodes(torch, row)
    ours = _nodes(retrograd, row)
    if row.name in UNINITIALISED or row.name in SIGN_FREE:
        def fix(nodes):
            out = []
            for name, saved in nodes:
                saved = dict(saved)
                if row.name in UNINITIALISED and "_saved_noise" in saved:
                    saved["_saved_noise"] = saved["_saved_noise"][:3]
                if row.name in SIGN_FREE:
                    saved = {k: _unsigned(v) for k, v in saved.items()}
                out.append((name, saved))
            return out
        ours, ref = fix(ours), fix(ref)
    if row.name in KNOWN:
        assert ours != ref, f"{row.name} now matches torch: remove it from KNOWN"
        return
    assert [n for n, _ in ours] == [n for n, _ in ref], "graphs differ"
    for (name, a), (_, b) in zip(ours, ref):
        assert sorted(a) == sorted(b), f"{name}: saved names\n ours:  {sorted(a)}\n torch: {sorted(b)}"
        for k in b:
            assert a[k] == b[k], f"{name}.{k}:\n ours:  {a[k]}\n torch: {b[k]}"
