"""What the linalg ops share: LinAlgError, PyTorch's argument checks and messages, LU / Cholesky /
triangular solves on NumPy arrays, formula helpers (eye_like, mT, tril, ...), and the
multi-output nodes of the decompositions."""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ...autograd import node as _node
from ...autograd.node import Node, SavedOutput
from .._registry import export
from .._util import make_node, needs_grad, wrap


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (PyTorch's class is torch._C._LinAlgError)."""


_LinAlgError.__module__ = "torch._C"
export(torch=False, linalg="LinAlgError")(_LinAlgError)
LinAlgError = _LinAlgError


# ------------------------------------------------------------------ checks, PyTorch's messages
def tname(a: np.ndarray) -> str:
    return D.from_numpy_dtype(a.dtype)._legacy[:-len("Tensor")]


def check_ndim(x: np.ndarray, fn: str, arg: str = "A") -> None:
    if x.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {arg} must have at least 2 dimensions.")


def check_square(x: np.ndarray, fn: str, arg: str = "A") -> None:
    check_ndim(x, fn, arg)
    if x.shape[-1] != x.shape[-2]:
        prefix = f"{fn}: " if fn else ""
        raise RuntimeError(f"{prefix}A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")


def check_floating(x: np.ndarray, fn: str, low: bool = True) -> None:
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. "
                           f"Got {tname(x)}")
    if low and x.dtype == np.float16:
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got Half")


def check_kernel(x: np.ndarray, kernel: str) -> None:
    """NumPy's LAPACK has no half (or integer) kernels; neither has PyTorch's CPU backend."""
    if x.dtype.kind != "f" or x.dtype == np.float16:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{tname(x)}\'')


def batch_prefix(batch_shape, flat_index: int) -> str:
    return f"(Batch element {flat_index}): " if len(batch_shape) else ""


# ------------------------------------------------------------------ NumPy kernels
def lu_zero_pivot(a: np.ndarray) -> int:
    """1-based index of the first exactly-zero pivot of LU with partial pivoting (LAPACK's
    getrf ``info``), 0 when there is none. Only run on the error path."""
    u = np.array(a, dtype=np.float64)
    n = u.shape[-1]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        if p != k:
            u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return 0


def singular_error(a: np.ndarray, fn: str) -> _LinAlgError:
    """linalg.inv's error: which batch element, which diagonal element of U is zero."""
    batch = a.shape[:-2]
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        k = lu_zero_pivot(m)
        if k:
            return _LinAlgError(f"{fn}: {batch_prefix(batch, i)}The diagonal element {k} is zero, "
                                "the inversion could not be completed because the input matrix is "
                                "singular.")
    return _LinAlgError(f"{fn}: {batch_prefix(batch, 0)}The diagonal element {a.shape[-1]} is "
                        "zero, the inversion could not be completed because the input matrix is "
                        "singular.")


def np_inv(a: np.ndarray, fn: str = "linalg.inv") -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise singular_error(a, fn) from None


def np_lu_factor(a: np.ndarray):
    """LU with partial pivoting as LAPACK's getrf leaves it: the unit L (below the diagonal) and
    U in one matrix, and the 1-based int32 row swaps; batched. A Python loop over the columns,
    so it only runs where the factorisation is observed (see _LUSavingBackward)."""
    shape = a.shape
    n = shape[-1]
    lu = np.array(a, copy=True).reshape((-1,) + shape[-2:])
    piv = np.empty((lu.shape[0], min(shape[-2:])), np.int32)
    rows = np.arange(lu.shape[0])
    with np.errstate(all="ignore"):
        for k in range(piv.shape[1]):
            p = np.argmax(np.abs(lu[:, k:, k]), axis=1) + k
            piv[:, k] = p + 1
            if (p != k).any():
                row = lu[rows, k]
                lu[rows, k] = lu[rows, p]
                lu[rows, p] = row
            d = lu[:, k, k]
            col = lu[:, k + 1:, k]
            col *= np.where(d != 0, 1 / np.where(d != 0, d, 1), 1)[:, None]  # no scaling at 0
            if k + 1 < n:
                lu[:, k + 1:, k + 1:] -= col[:, :, None] * lu[:, k, None, k + 1:]
    return lu.reshape(shape), piv.reshape(shape[:-2] + piv.shape[-1:])


def _hooks_set() -> bool:
    """Whether saved-tensor hooks are set here (a node saving now gives them its tensors)."""
    return bool(_node._hooks_pushed) and _node._current_hooks() is not None


class _LUSavingBackward(Node):
    """Base of the nodes for which PyTorch saves the LU factorisation of A (det, slogdet,
    solve): A, LU, pivots, then an output, in that order. The formulas do not read LU, and a
    NumPy LU is a Python loop over the columns, so it is computed only where it can be seen:
    when saved-tensor hooks are set at save time (they get LU and pivots in PyTorch's order,
    ``lu_entries``), or when grad_fn._saved_LU / _saved_pivots is read (from the saved A)."""
    __slots__ = ("lu_of_t",)  # PyTorch's det/slogdet factor A^T (same det) when A is contiguous

    def _lu_entry(self, i: int):
        saved = self._saved
        if saved is _node._RELEASED or (saved is not None and saved[i] is None):
            a = self._saved_A._data   # raises once freed or after an in-place change of A
            return wrap(np_lu_factor(np.swapaxes(a, -1, -2) if self.lu_of_t else a)[i - 1])
        return self._value_of_saved(i)

    _saved_LU = property(lambda self: self._lu_entry(1))
    _saved_pivots = property(lambda self: self._lu_entry(2))


def lu_entries(a: np.ndarray, transposed: bool = False) -> tuple:
    """The LU and pivots entries to save: Tensors while saved-tensor hooks are set (they see
    them), else None (computed on demand by _LUSavingBackward)."""
    if not _hooks_set():
        return None, None
    lu, piv = np_lu_factor(np.swapaxes(a, -1, -2) if transposed else a)
    return wrap(lu), wrap(piv)


def cholesky_unblocked(a: np.ndarray):
    """LAPACK's unblocked Cholesky (potf2, lower triangle): (L, info). On failure at order k,
    L holds the factored columns, the failing pivot's value and the untouched input, as
    LAPACK leaves it (what linalg.cholesky_ex returns). Only run on the error path."""
    low = np.tril(a).astype(a.dtype, copy=True)
    n = a.shape[-1]
    with np.errstate(all="ignore"):
        for k in range(n):
            d = low[k, k] - low[k, :k] @ low[k, :k]
            if not d > 0:
                low[k, k] = d
                return low, k + 1
            low[k, k] = np.sqrt(d)
            low[k + 1:, k] = (low[k + 1:, k] - low[k + 1:, :k] @ low[k, :k]) / low[k, k]
    return low, 0


def np_cholesky(a: np.ndarray, upper: bool, fn: str) -> np.ndarray:
    """Lower factor from the lower triangle (upper: from the upper triangle), like LAPACK."""
    src = np.swapaxes(a, -1, -2) if upper else a
    try:
        with np.errstate(invalid="ignore"):
            low = np.linalg.cholesky(src)
        ok = not np.isnan(np.diagonal(low, axis1=-2, axis2=-1)).any()  # LAPACK rejects NaN too
    except np.linalg.LinAlgError:
        ok = False
    if not ok:
        flat = src.reshape((-1,) + src.shape[-2:])
        for i, m in enumerate(flat):
            k = cholesky_unblocked(m)[1]
            if k:
                raise _LinAlgError(
                    f"{fn}: {batch_prefix(src.shape[:-2], i)}The factorization could not be "
                    "completed because the input is not positive-definite (the leading minor of "
                    f"order {k} is not positive-definite).")
        raise _LinAlgError(f"{fn}: The factorization could not be completed because the input "
                           "is not positive-definite.")
    low = low.astype(a.dtype, copy=False)
    return np.swapaxes(low, -1, -2).copy() if upper else low


def _substitute(t: np.ndarray, b: np.ndarray, lower: bool) -> np.ndarray:
    """Forward/back substitution (IEEE inf/nan for a zero diagonal, like LAPACK's trsm)."""
    n = t.shape[-1]
    x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                 np.result_type(t, b))
    order = range(n) if lower else range(n - 1, -1, -1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in order:
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)
            x[..., i, :] = acc / t[..., i, i][..., None]
    return x


def np_solve_triangular(a, b, upper: bool, left: bool = True, unitriangular: bool = False):
    """Solve a X = b (left) or X a = b with the triangle of ``a`` only (batched, broadcast)."""
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        n = t.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    lower = not upper
    if not left:  # X a = b  <=>  a^T X^T = b^T
        t, b, lower = np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2), upper
    diag = np.diagonal(t, axis1=-2, axis2=-1)
    if np.all(diag != 0):
        bs = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
        x = np.linalg.solve(np.broadcast_to(t, bs + t.shape[-2:]),
                            np.broadcast_to(b, bs + b.shape[-2:]))
    else:
        x = _substitute(t, b, lower)
    x = x.astype(np.result_type(a, b), copy=False)
    return x if left else np.swapaxes(x, -1, -2)


# ------------------------------------------------------------------ formula helpers (ns only)
def eye_like(ns, n: int, dtype):
    return ns.const(np.eye(n, dtype=dtype))


def mT(ns, x):
    return ns.transpose(x, -1, -2)


def diag_embed(ns, v, dtype):
    """(..., n) -> (..., n, n) with v on the diagonal."""
    if not ns.INPLACE:   # create_graph: PyTorch's v.diag_embed() (DiagEmbedBackward0)
        return ns.diag_embed(v)
    return ns.unsqueeze_dims(v, (-1,)) * eye_like(ns, v.shape[-1], dtype)


def tril(ns, x, dtype, k: int = 0):
    if not ns.INPLACE:   # create_graph: PyTorch's x.tril(k) (TrilBackward0)
        return ns.tril(x, k)
    return x * ns.const(np.tri(x.shape[-2], x.shape[-1], k, dtype=dtype))


def triu(ns, x, dtype, k: int = 0):
    if not ns.INPLACE:   # create_graph: PyTorch's x.triu(k) (TriuBackward0)
        return ns.triu(x, k)
    return x * ns.const(1 - np.tri(x.shape[-2], x.shape[-1], k - 1, dtype=dtype))


# ------------------------------------------------------------------ several outputs
class _MultiOutputBackward(Node):
    """Base of the decompositions with several differentiable outputs of different shapes.

    One node for all the outputs, as in PyTorch (``U.grad_fn is S.grad_fn``): output ``k`` is
    the node's output ``k`` (``out_nr``), ``_out_meta`` gives each one's shape and dtype, and
    ``backward(ns, grads, *saved)`` receives one gradient (or None) per output. Saved outputs
    are rebuilt for double backward as the node's output ``k``, so second derivatives flow into
    the right output.
    """
    __slots__ = ("num_outputs", "_out_meta", "out_pos")

    def apply(self, ns, grads, as_tensors):
        saved = self.unpack(as_tensors)
        if as_tensors and self.out_pos:
            saved = list(saved)
            for pos, k in self.out_pos:
                t = saved[pos]
                if t is not None and k:
                    t._extra().out_nr = k
        return self.backward(ns, list(grads), *saved)


def multi_output(cls, inputs, outs, diff, saved, **attrs):
    """Wrap ``outs``: the outputs ``k`` with ``diff[k]`` are outputs of one node of class
    ``cls``. ``saved`` lists the saved entries: input Tensors, ``("out", k)`` for output k, or
    Python constants."""
    if not needs_grad(*inputs):
        return tuple(wrap(o) for o in outs)
    outs = [np.asarray(o) for o in outs]
    node = make_node(cls, inputs, outs[0])
    node._shape = node._dtype = None          # per output: _out_meta
    node.num_outputs = len(outs)
    node._out_meta = tuple((o.shape, o.dtype) for o in outs)
    for name, v in attrs.items():
        setattr(node, name, v)
    tensors = []
    for k, o in enumerate(outs):
        if not diff[k]:
            tensors.append(wrap(o))
            continue
        t = wrap(o, node)
        if k:
            t._extra().out_nr = k
        tensors.append(t)
    items, out_pos = [], []
    for pos, s in enumerate(saved):
        if isinstance(s, tuple) and len(s) == 2 and s[0] == "out":
            items.append(SavedOutput(tensors[s[1]]))
            out_pos.append((pos, s[1]))
        else:
            items.append(s)
    node.out_pos = tuple(out_pos)
    node.save(*items)
    return tuple(tensors)


def np_lu_solve_unchecked(a: np.ndarray, b: np.ndarray, adjoint: bool = False) -> np.ndarray:
    """X with A X = B (adjoint: A^T X = B) by LU with partial pivoting (LAPACK's getrf, then
    getrs: row swaps and the two triangular solves), in IEEE arithmetic and without a
    singularity check: a zero pivot gives ±inf and NaN as LAPACK does. PyTorch's slogdet
    backward solves this way, so at a singular matrix its gradient is ±inf/NaN, not an error.
    Batched (real matrices); only run for singular ones (a Python loop over the columns)."""
    lu, piv = np_lu_factor(a)
    lu = lu.reshape((-1,) + a.shape[-2:])
    piv = piv.reshape(lu.shape[0], -1) - 1
    x = np.array(np.broadcast_to(b, a.shape[:-2] + b.shape[-2:]), dtype=a.dtype)
    x = x.reshape((-1,) + b.shape[-2:])
    rows = np.arange(x.shape[0])
    n = a.shape[-1]
    with np.errstate(all="ignore"):
        if not adjoint:        # P L U X = B
            for k in range(n):
                _swap_rows(x, rows, k, piv[:, k])
            for k in range(n):
                x[:, k + 1:] -= lu[:, k + 1:, k, None] * x[:, k, None, :]
            for k in range(n - 1, -1, -1):
                x[:, k] /= lu[:, k, k, None]
                x[:, :k] -= lu[:, :k, k, None] * x[:, k, None, :]
        else:                  # U^T L^T P^T X = B
            for k in range(n):
                x[:, k] -= np.einsum("bi,bij->bj", lu[:, :k, k], x[:, :k])
                x[:, k] /= lu[:, k, k, None]
            for k in range(n - 1, -1, -1):
                x[:, k] -= np.einsum("bi,bij->bj", lu[:, k + 1:, k], x[:, k + 1:])
            for k in range(n - 1, -1, -1):
                _swap_rows(x, rows, k, piv[:, k])
    return x.reshape(a.shape[:-2] + b.shape[-2:])


def _swap_rows(x, rows, k: int, p) -> None:
    row = x[rows, k].copy()
    x[rows, k] = x[rows, p]
    x[rows, p] = row
