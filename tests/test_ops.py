"""Gradient tests for every op, driven by the table in tests/op_db.py.

For every row: finite-difference gradcheck / gradgradcheck in float64 with retrograd's own
checkers, then a float32 forward/backward and a float64 double backward compared against
torch 2.13 on identical inputs: values, dtypes, shapes, grad_fn names, requires_grad, is_leaf.
Every row's grad_fn and extra_nodes are re-read from torch here, so a wrong table fails even
under RETROGRAD_SHIM_TORCH=1 (where ``retrograd`` *is* torch, and every test must pass).
"""
from __future__ import annotations

import importlib
import pkgutil
import warnings
from typing import Any, Sequence

import numpy as np
import pytest
import torch

import retrograd
from op_db import MIXED_DTYPE_ROWS, OP_DB, OPS, OpInfo

ids = [row.name for row in OP_DB]
NUMERIC_ROWS = [row for row in OP_DB if row.numeric]
GRADGRAD_ROWS = [row for row in NUMERIC_ROWS if row.gradgrad]

# torch.autograd.gradcheck / gradgradcheck defaults
EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3
# float64 double backward vs torch: same math, only rounding differs
DD_ATOL, DD_RTOL = 1e-9, 1e-7

SHIM_REASON = "retrograd is the torch shim (retrograd.__name__ == 'torch'): torch's Node subclasses are C++"


# ------------------------------------------------------------------ helpers


def _rng(row: OpInfo, purpose: int) -> np.random.Generator:
    """Per-row stream for things other than the inputs (grad_outputs, v)."""
    return np.random.default_rng([row.seed, purpose])


def _outputs(out: Any) -> list[Any]:
    """Every output of fn as a list; a named tuple (max/min with dim) is a tuple."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _is_float(lib: Any, t: Any) -> bool:
    return t.dtype in (lib.float32, lib.float64)


def _float_outputs(lib: Any, out: Any) -> list[Any]:
    return [o for o in _outputs(out) if _is_float(lib, o)]


def _np(t: Any) -> np.ndarray:
    # clone first: torch hands some second-order grads back as a ZeroTensor (no storage),
    # which refuses .numpy(); clone materialises it
    return np.array(t.detach().clone().numpy())


def _leaves(lib: Any, arrays: Sequence[np.ndarray], dtypes: Sequence[str]) -> list[Any]:
    return [lib.tensor(a, dtype=getattr(lib, d), requires_grad=True) for a, d in zip(arrays, dtypes)]


def _differentiable(lib: Any, row: OpInfo):
    """fn restricted to its floating outputs, in the calling convention of gradcheck."""

    def f(*xs: Any) -> Any:
        outs = _float_outputs(lib, row.fn(lib, *xs))
        return outs[0] if len(outs) == 1 else tuple(outs)

    return f


def _torch_node_names(out: Any) -> set[str]:
    """Names of every Node reachable from out.grad_fn (the reference graph; torch only)."""
    seen: set[Any] = set()
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(fn for fn, _ in node.next_functions)
    return {type(n).__name__ for n in seen}


def _check_table_against_torch(row: OpInfo, ref_outs: list[Any]) -> None:
    """The row's grad_fn / extra_nodes are what torch really builds."""
    first = _float_outputs(torch, ref_outs)[0]
    assert type(first.grad_fn).__name__ == row.grad_fn, "op_db grad_fn disagrees with torch"
    missing = set(row.extra_nodes) - set().union(*(_torch_node_names(o) for o in _float_outputs(torch, ref_outs)))
    assert not missing, f"op_db extra_nodes not in torch's graph: {sorted(missing)}"


def _compare_output(ours: Any, ref: Any, atol: float, rtol: float) -> None:
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype) == str(ref.dtype)
    assert ours.requires_grad == ref.requires_grad
    assert ours.is_leaf == ref.is_leaf
    if not _is_float(torch, ref):  # indices: exact, and not part of the graph
        assert ours.grad_fn is None and ref.grad_fn is None
        np.testing.assert_array_equal(_np(ours), _np(ref))
        return
    assert type(ours.grad_fn).__name__ == type(ref.grad_fn).__name__
    assert ours.grad_fn.name() == ref.grad_fn.name()
    np.testing.assert_allclose(_np(ours), _np(ref), rtol=rtol, atol=atol)


def _backward(lib: Any, outs: list[Any], gradients: list[np.ndarray]) -> None:
    outs = _float_outputs(lib, outs)
    grads = [lib.tensor(g, dtype=o.dtype) for o, g in zip(outs, gradients)]
    if len(outs) == 1:
        outs[0].backward(grads[0])
    else:
        sum((o * g).sum() for o, g in zip(outs, grads)).backward()


def _compare_with_torch(row: OpInfo, dtypes: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """Forward + backward on the same arrays in both libraries; inputs cast to ``dtypes``."""
    arrays = [a.astype(np.dtype(d)) for a, d in zip(row.inputs(), dtypes)]
    ref_in = _leaves(torch, arrays, dtypes)
    ref_outs = _outputs(row.fn(torch, *ref_in))
    _check_table_against_torch(row, ref_outs)
    our_in = _leaves(retrograd, arrays, dtypes)
    our_outs = _outputs(row.fn(retrograd, *our_in))

    assert len(our_outs) == len(ref_outs)
    for ours, ref in zip(our_outs, ref_outs):
        _compare_output(ours, ref, row.cmp_atol, row.cmp_rtol)

    rng = _rng(row, 1)
    gradients = [rng.standard_normal(tuple(o.shape)).astype(_np(o).dtype) for o in _float_outputs(torch, ref_outs)]
    _backward(torch, ref_outs, gradients)
    _backward(retrograd, our_outs, gradients)
    for i, (ours, ref) in enumerate(zip(our_in, ref_in)):
        assert (ours.grad is None) == (ref.grad is None), f"input {i}"
        if ref.grad is None:
            continue
        assert tuple(ours.grad.shape) == tuple(ref.grad.shape), f"input {i}"
        assert str(ours.grad.dtype) == str(ref.grad.dtype), f"input {i}"
        np.testing.assert_allclose(_np(ours.grad), _np(ref.grad), rtol=row.cmp_rtol, atol=row.cmp_atol,
                                   err_msg=f"grad of input {i}")
    return our_in, our_outs


# ------------------------------------------------------------------ tests


def test_table_is_well_formed():
    for row in OP_DB:
        arity = row.fn.__code__.co_argcount - 1  # minus T
        assert arity == len(row.shapes), row.name
        # Node names look like MulBackward0; CopySlices (x[k] = v) is torch's one exception here.
        assert row.grad_fn == "CopySlices" or (
            row.grad_fn.endswith(tuple("0123456789")) and "Backward" in row.grad_fn), row.name
    assert set(MIXED_DTYPE_ROWS) <= set(OPS)


@pytest.mark.parametrize("row", NUMERIC_ROWS, ids=[r.name for r in NUMERIC_ROWS])
def test_gradcheck(row: OpInfo):
    inputs = _leaves(retrograd, row.inputs(), ["float64"] * len(row.shapes))
    assert retrograd.autograd.gradcheck(_differentiable(retrograd, row), inputs, eps=EPS,
                                        atol=row.atol if row.atol is not None else ATOL,
                                        rtol=row.rtol if row.rtol is not None else RTOL)


@pytest.mark.parametrize("row", GRADGRAD_ROWS, ids=[r.name for r in GRADGRAD_ROWS])
def test_gradgradcheck(row: OpInfo):
    f = _differentiable(retrograd, row)
    inputs = _leaves(retrograd, row.inputs(), ["float64"] * len(row.shapes))
    outs = _outputs(f(*inputs))
    rng = _rng(row, 1)  # explicit grad_outputs: deterministic, and checked too (requires_grad)
    grad_outputs = [retrograd.tensor(rng.standard_normal(tuple(o.shape)), dtype=retrograd.float64,
                                     requires_grad=True) for o in outs]
    assert retrograd.autograd.gradgradcheck(f, inputs, grad_outputs, eps=EPS,
                                            atol=row.atol if row.atol is not None else ATOL,
                                            rtol=row.rtol if row.rtol is not None else RTOL)


@pytest.mark.parametrize("row", GRADGRAD_ROWS, ids=[r.name for r in GRADGRAD_ROWS])
def test_fwd_over_rev(row: OpInfo):
    """Forward-mode AD through the op's differentiable backward (gradgradcheck's
    check_fwd_over_rev: dual inputs and grad_outputs, tangents of the gradients checked against
    finite differences of the gradients; fast mode)."""
    f = _differentiable(retrograd, row)
    inputs = _leaves(retrograd, row.inputs(), ["float64"] * len(row.shapes))
    outs = _outputs(f(*inputs))
    rng = _rng(row, 2)
    grad_outputs = [retrograd.tensor(rng.standard_normal(tuple(o.shape)), dtype=retrograd.float64,
                                     requires_grad=True) for o in outs]
    assert retrograd.autograd.gradgradcheck(f, inputs, grad_outputs, eps=EPS,
                                            atol=row.atol if row.atol is not None else ATOL,
                                            rtol=row.rtol if row.rtol is not None else RTOL,
                                            check_fwd_over_rev=True, check_rev_over_rev=False,
                                            check_undefined_grad=False, fast_mode=True)


@pytest.mark.parametrize("row", OP_DB, ids=ids)
def test_vs_torch(row: OpInfo):
    _compare_with_torch(row, ["float32"] * len(row.shapes))


def _double_backward(lib: Any, row: OpInfo, arrays: list[np.ndarray], gouts: list[np.ndarray],
                     vs: list[np.ndarray]) -> tuple[list[bool], list[np.ndarray], list[np.ndarray]]:
    """First-order grads with create_graph=True, then d(sum(g_i * v_i)) / d(inputs, grad_outputs).

    grad_outputs require grad so the second backward always has a graph (for linear ops the
    first-order grads do not depend on the inputs). A None second-order grad (unused) counts
    as zeros: whether torch materialises it depends on its graph, not on the math.
    """
    inputs = _leaves(lib, arrays, ["float64"] * len(arrays))
    outs = _float_outputs(lib, row.fn(lib, *inputs))
    gos = [lib.tensor(g, dtype=lib.float64, requires_grad=True) for g in gouts]
    firsts = lib.autograd.grad(outs, inputs, grad_outputs=gos, create_graph=True)
    s = sum((g * lib.tensor(v, dtype=lib.float64)).sum() for g, v in zip(firsts, vs))
    wrt = inputs + gos
    # x ** 0: torch's first-order grad is a constant zeros tensor, so there is no graph at all
    seconds = lib.autograd.grad(s, wrt, allow_unused=True) if s.requires_grad else [None] * len(wrt)
    return ([g.requires_grad for g in firsts], [_np(g) for g in firsts],
            [np.zeros(tuple(w.shape)) if g is None else _np(g) for g, w in zip(seconds, wrt)])


@pytest.mark.parametrize("row", [r for r in OP_DB if r.gradgrad], ids=[r.name for r in OP_DB if r.gradgrad])
def test_double_backward_vs_torch(row: OpInfo):
    arrays = row.inputs()
    ref_outs = _float_outputs(torch, row.fn(torch, *[torch.tensor(a) for a in arrays]))
    rng = _rng(row, 2)
    gouts = [rng.standard_normal(tuple(o.shape)) for o in ref_outs]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    ref_rg, ref_first, ref_second = _double_backward(torch, row, arrays, gouts, vs)
    our_rg, our_first, our_second = _double_backward(retrograd, row, arrays, gouts, vs)
    assert our_rg == ref_rg, "requires_grad of the create_graph=True first-order grads"
    for i, (ours, ref) in enumerate(zip(our_first, ref_first)):
        np.testing.assert_allclose(ours, ref, rtol=DD_RTOL, atol=DD_ATOL, err_msg=f"first-order grad {i}")
    for i, (ours, ref) in enumerate(zip(our_second, ref_second)):
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=DD_RTOL, atol=DD_ATOL, err_msg=f"second-order grad {i}")


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def test_every_backward_node_has_a_row():
    if retrograd.__name__ == "torch":
        pytest.skip(SHIM_REASON)
    ops = importlib.import_module("retrograd.ops")
    for mod in pkgutil.walk_packages(ops.__path__, "retrograd.ops."):  # make every Node class exist
        importlib.import_module(mod.name)
    from retrograd.autograd.graph import Node

    nodes = {c.__name__ for c in _all_subclasses(Node)
             if c.__module__.startswith("retrograd.ops") and not c.__name__.startswith("_")}  # _Private: bases
    assert nodes, "no Node subclasses found in retrograd.ops.*"
    covered = {row.grad_fn for row in OP_DB}.union(*(row.extra_nodes for row in OP_DB))
    assert not sorted(nodes - covered), f"backward nodes without an op_db row: {sorted(nodes - covered)}"


# Registered ops that no op_db row calls, each for a stated reason: their results carry no
# gradient. The list is checked both ways (test_every_registered_op_has_a_row): a name here
# must be registered, and must not be called by a row (then it has one, and leaves the list).
NO_ROW: dict[str, tuple[str, ...]] = {
    # bool results: torch records no grad_fn
    "comparisons": ("torch.eq", "torch.ne", "torch.lt"),
    "logical ops": ("torch.logical_and", "torch.logical_or", "torch.logical_xor",
                    "torch.logical_not"),
    "predicates": ("torch.isnan", "torch.isinf", "torch.isfinite", "torch.isposinf",
                   "torch.isneginf", "torch.signbit", "torch.all", "torch.any"),
    # integer results
    "bitwise ops (integer and bool dtypes only)": (
        "torch.bitwise_not", "torch.bitwise_xor", "torch.bitwise_left_shift",
        "torch.bitwise_right_shift"),
    "indices and counts": ("torch.argmax", "torch.argmin", "torch.argsort", "torch.nonzero",
                           "torch.argwhere", "torch.count_nonzero", "nn.functional.one_hot"),
    # torch records a node whose backward raises "the derivative ... is not implemented"
    # (grad_fn NotImplemented, Unique2Backward0, UniqueConsecutiveBackward0): nothing to check
    # numerically; tests/test_registry_vs_torch.py compares the node names
    "no derivative in torch": ("torch.floor_divide", "torch.heaviside", "torch.unique",
                               "torch.unique_consecutive"),
    # not a tensor result, or no autograd at all
    "tensor metadata": ("Tensor.stride", "Tensor.storage_offset", "Tensor.data_ptr",
                        "torch.broadcast_shapes"),
    "DLPack refuses a tensor that requires grad (BufferError, as torch)": ("torch.from_dlpack",),
    # F.embedding(max_norm=...) calls it on weight.detach() under no_grad; torch has no
    # derivative for it (tests/test_nn_embedding.py compares its effect with torch)
    "in-place renormalisation without autograd": ("torch.embedding_renorm_",),
    # mask helpers of nn.MultiheadAttention / Transformer: bool masks become -inf/0 constants
    # (tests/test_nn_attention.py and test_nn_transformer.py run them against torch)
    "attention mask canonicalisation": ("nn.functional._canonical_mask",
                                        "nn.functional._none_or_dtype"),
}


def _registered_ops() -> dict:
    """Every registered op implementation -> its public names ('torch.mv', 'Tensor.mv', ...);
    classes registered beside them (linalg.LinAlgError) are not ops."""
    from retrograd import _dispatch
    from retrograd.ops import _registry as reg

    retrograd.ops.load_families()  # every op registered (some families load on first use)
    tables = [("torch", reg.FUNCTIONS), ("Tensor", reg.METHODS), ("Tensor", reg.INPLACE)]
    tables += [(ns, table) for ns, table in reg.NAMESPACES.items()]
    ops: dict = {}
    for prefix, table in tables:
        for name, fn in table.items():
            if not isinstance(fn, type):   # (the tables hold the public wrappers)
                ops.setdefault(_dispatch.unwrap(fn), []).append(f"{prefix}.{name}")
    return ops


def _ops_called_by_rows(ops: dict) -> set:
    """The registered ops each row's fn calls itself (not the ones they are built from): a
    dispatch mode sees every public op call; an op called while another registered op runs is
    that op's business (a composite's parts), not the row's, and so is one called by a backward
    formula (the formula namespace tensor_ns, when a row differentiates with create_graph)."""
    from retrograd import _dispatch
    from retrograd.ops import tensor_ns

    class Recorder(_dispatch.Mode):
        def __init__(self):
            self.depth, self.called = 0, set()

        def handle(self, op, info, args, kwargs):
            registered = op in ops
            if not registered and op.__module__ != tensor_ns.__name__:
                return _dispatch.PASS  # an operator (x + y): the op it calls is the row's
            if registered and self.depth == 0:
                self.called.add(op)
            self.depth += 1
            try:
                return op(*args, **kwargs)
            finally:
                self.depth -= 1

    rec = Recorder()
    for row in OP_DB:
        xs = _leaves(retrograd, row.inputs(), ["float64"] * len(row.shapes))
        _dispatch.push_mode(rec)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecation notes of torch.qr, ...
                row.fn(retrograd, *xs)
        finally:
            _dispatch.pop_mode(rec)
    return rec.called


def test_every_registered_op_has_a_row():
    """Each registered op (torch.X, Tensor.X, Tensor.X_, torch.linalg/special/nn.functional.X)
    is called directly by some op_db row's fn, so the op table checks its gradients, unless
    NO_ROW says why it has none. (test_every_backward_node_has_a_row checks Node classes; an op
    whose node other ops also make, such as dot's DotBackward0 from matmul, needs this one.)"""
    if retrograd.__name__ == "torch":
        pytest.skip(SHIM_REASON)
    ops = _registered_ops()
    called = _ops_called_by_rows(ops)
    by_name = {name: fn for fn, names in ops.items() for name in names}
    listed = [name for names in NO_ROW.values() for name in names]
    assert len(listed) == len(set(listed)), "a name twice in NO_ROW"
    unknown = sorted(set(listed) - set(by_name))
    assert not unknown, f"NO_ROW names that are not registered ops: {unknown}"
    allowed = {by_name[name] for name in listed}
    has_row = sorted(n for n in listed if by_name[n] in called)
    assert not has_row, f"NO_ROW names that a row calls (remove them from NO_ROW): {has_row}"
    missing = sorted(" / ".join(names) for fn, names in ops.items()
                     if fn not in called and fn not in allowed)
    assert not missing, f"{len(missing)} registered ops without an op_db row: {missing}"


@pytest.mark.parametrize("first64", [True, False], ids=["f64_f32", "f32_f64"])
@pytest.mark.parametrize("name", MIXED_DTYPE_ROWS)
def test_mixed_dtype_promotion(name: str, first64: bool):
    """One float32 and one float64 input: torch's promotion for the output, and each input's
    gradient comes back in that input's own dtype (compared inside _compare_with_torch)."""
    row = OPS[name]
    assert len(row.shapes) == 2
    dtypes = ["float64", "float32"] if first64 else ["float32", "float64"]
    our_in, our_outs = _compare_with_torch(row, dtypes)
    # spelled out as well (torch agrees, or _compare_with_torch would have failed)
    expected = "torch.float32" if name == "mul_0d" and not first64 else "torch.float64"
    assert str(our_outs[0].dtype) == expected
    assert [str(x.grad.dtype) for x in our_in] == [f"torch.{d}" for d in dtypes]
