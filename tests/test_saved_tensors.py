"""What each op saves for backward, as saved-tensor hooks see it, against torch 2.13: for every
op-table row, the sequence of tensors given to ``pack_hook`` (shape, dtype, whether it has a
grad_fn, its first value) while the row's function runs, and the sequence given to
``unpack_hook`` during one backward.

This is observable behaviour (``saved_tensors_hooks`` users such as offloading or counting hooks
see it), so it follows PyTorch's order: for a binary op that is usually ``other`` before
``self``, the order in which PyTorch's derivative formulas mention them.

``KNOWN`` lists the rows that still differ and why; a row listed there that matches fails (so the
list only shrinks).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from op_db import OP_DB, OpInfo

# row name -> why retrograd saves something else than torch there
KNOWN: dict[str, str] = {
    "mkldnn_rnn_layer": "result3 is the kernel's workspace: oneDNN's layout in torch, the gate "
                        "activations and cell states in retrograd",
    "mkldnn_rnn_layer_reverse": "result3 is the kernel's workspace (see mkldnn_rnn_layer)",
}

# rows whose torch kernel runs in float32 only (oneDNN's fused LSTM layer): run in float32
FLOAT32_ONLY = {"mkldnn_rnn_layer", "mkldnn_rnn_layer_reverse"}

# rows where torch saves a tensor it never writes (rrelu in eval mode saves ``noise`` made by
# empty_like: uninitialised memory): their values are not compared, only what is saved
UNINITIALISED = {"rrelu_eval", "torch_rrelu_eval", "rrelu_eval_inplace", "functional_rrelu_",
                 "torch_rrelu_", "rrelu_eval_backward"}

# rows whose saved tensors include eigen/singular vectors: their signs are not unique, and
# torch's LAPACK (MKL) and NumPy's (OpenBLAS) choose differently for these inputs; values are
# compared up to sign
SIGN_FREE = {"linalg_eigh_upper_batched", "linalg_eigvalsh", "matrix_norm_nuc_keepdim_dims"}


def _record(T: Any, row: OpInfo) -> tuple:
    """(packs, unpacks) of one run of the row: forward, then a backward of the sum of its
    floating outputs."""
    dtype = T.float32 if row.name in FLOAT32_ONLY else T.float64
    ts = [T.tensor(a, dtype=dtype, requires_grad=True) for a in row.inputs()]
    packs, unpacks = [], []

    def describe(x: Any) -> tuple:
        first = None
        if x.numel():
            v = x.detach().reshape(-1)[0]
            first = round(float(v), 6) if x.dtype.is_floating_point else int(v)
            if first != first:
                first = "nan"   # compared as equal
        return (tuple(x.shape), str(x.dtype).split(".")[-1], x.grad_fn is not None, first)

    def pack(x: Any) -> Any:
        packs.append(describe(x))
        return x

    def unpack(x: Any) -> Any:
        unpacks.append(describe(x))
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with T.autograd.graph.saved_tensors_hooks(pack, unpack):
            out = row.fn(T, *ts)
        outs = out if isinstance(out, (tuple, list)) else [out]
        outs = [o for o in outs if isinstance(o, T.Tensor) and o.dtype == dtype
                and o.requires_grad]
        if outs:
            total = outs[0].sum()
            for o in outs[1:]:
                total = total + o.sum()
            total.backward()
    return packs, unpacks


@pytest.mark.parametrize("row", OP_DB, ids=[r.name for r in OP_DB])
def test_saved_tensors_like_torch(row: OpInfo):
    ref = _record(torch, row)
    ours = _record(retrograd, row)
    if row.name in UNINITIALISED:
        ours = tuple([e[:3] for e in seq] for seq in ours)
        ref = tuple([e[:3] for e in seq] for seq in ref)
    if row.name in SIGN_FREE:
        def unsigned(e: tuple) -> tuple:
            return e[:3] + (abs(e[3]) if isinstance(e[3], float) else e[3],)
        ours = tuple([unsigned(e) for e in seq] for seq in ours)
        ref = tuple([unsigned(e) for e in seq] for seq in ref)
    if row.name in KNOWN:
        assert ours != ref, f"{row.name} now matches torch: remove it from KNOWN"
        return
    assert ours[0] == ref[0], f"packed:\n ours:  {ours[0]}\n torch: {ref[0]}"
    assert ours[1] == ref[1], f"unpacked:\n ours:  {ours[1]}\n torch: {ref[1]}"
