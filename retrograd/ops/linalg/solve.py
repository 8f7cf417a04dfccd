"""torch.linalg: inverses, determinants, solvers and Cholesky; the shared machinery of the
decompositions (checks, LinAlgError, multi-output nodes). QR, eigh, SVD, pinv and lstsq are in
``decomposition_spectral.py``; matrix_power and matrix_exp in ``decomposition_matrix.py``.

Forwards use NumPy's LAPACK wrappers; every backward formula is written with ``ns.*`` so that
double backward works (the solves and inverses in the formulas are these very ops).

Several differentiable outputs (eigh, svd, qr, triangular_solve): the engine sizes the gradient
it hands a node by the node's single ``_shape``, so outputs of different shapes cannot share one
node yet. Each differentiable output gets its own node of PyTorch's class (``siblings`` links
them); the gradient is linear in the output gradients, so the sum over the siblings is exactly
the one-node gradient.

Triangular solves and Cholesky are in ``decomposition_triangular.py``.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd import node as _node
from ...autograd.node import Node, SavedOutput
from .._registry import export
from .._util import make_node, needs_grad, wrap
from ..elementwise.compare import where
from .._util import broadcast_error


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

    def __getattr__(self, name: str):
        if name == "_saved_LU" or name == "_saved_pivots":
            i = 1 if name == "_saved_LU" else 2
            saved = self._saved
            if saved is _node._RELEASED or (saved is not None and saved[i] is None):
                a = self._saved_A._data   # raises once freed or after an in-place change of A
                return wrap(np_lu_factor(np.swapaxes(a, -1, -2) if self.lu_of_t else a)[i - 1])
        return Node.__getattr__(self, name)


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
    return ns.unsqueeze_dims(v, (-1,)) * eye_like(ns, v.shape[-1], dtype)


def tril(ns, x, dtype, k: int = 0):
    return x * ns.const(np.tri(x.shape[-2], x.shape[-1], k, dtype=dtype))


def triu(ns, x, dtype, k: int = 0):
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


from ..reduction.basic import _return_type as return_type  # noqa: E402 - torch.return_types.*


# ------------------------------------------------------------------ inverse
class LinalgInvExBackward0(Node):
    """d(A^{-1}) = -A^{-1} dA A^{-1}: gA = -A^{-T} g A^{-T}."""
    __slots__ = ()
    saved_names = ("inverse",)

    def backward(self, ns, grad, inv):
        it = mT(ns, inv)
        return (-ns.matmul(it, ns.matmul(grad, it)),)

    def jvp(self, ns, tangents, inv):
        """JVP: -A^{-1} tA A^{-1}."""
        return -ns.matmul(inv, ns.matmul(tangents[0], inv))


def lapack_layout(x: np.ndarray) -> np.ndarray:
    """``x`` laid out as PyTorch's LAPACK results are: each matrix column-major (strides
    (..., 1, m)), so that stride() and the strides later ops save are PyTorch's."""
    if x.ndim < 2:
        return x
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(x, -1, -2)), -1, -2)


def _inv_node(input, out):
    out = lapack_layout(out)
    if not needs_grad(input):
        return wrap(out)
    node = make_node(LinalgInvExBackward0, (input,), out)
    t = wrap(out, node)
    node.save(SavedOutput(t))
    return t


def _inv_checks(a: np.ndarray, fn: str = "linalg.inv") -> None:
    check_square(a, fn)
    check_floating(a, fn)


@export(torch=False, linalg=True)
def inv(A, *, out=None):
    a = A._data
    _inv_checks(a)
    return _inv_node(A, np_inv(a))


@export(method=True)
def inverse(input, *, out=None):
    return inv(input)


_inv_ex_t = return_type("linalg_inv_ex", ("inverse", "info"))


@export(torch=False, linalg=True)
def inv_ex(A, *, check_errors=False, out=None):
    a = A._data
    _inv_checks(a)
    batch = a.shape[:-2]
    try:
        res = np.linalg.inv(a)
        info = np.zeros(batch, np.int32)
    except np.linalg.LinAlgError:
        if check_errors:
            raise singular_error(a, "linalg.inv_ex") from None
        flat = a.reshape((-1,) + a.shape[-2:])
        info = np.array([lu_zero_pivot(m) for m in flat], np.int32).reshape(batch)
        with np.errstate(all="ignore"):
            res = np.stack([np.linalg.inv(m) if not k else np.full(m.shape, np.nan, m.dtype)
                            for m, k in zip(flat, info.ravel())]).reshape(a.shape)
    return _inv_ex_t((_inv_node(A, res), wrap(info)))


# ------------------------------------------------------------------ determinants
class LinalgDetBackward0(_LUSavingBackward):
    """d det(A) = det(A) tr(A^{-1} dA): gA = g det(A) A^{-T}. Like PyTorch, a first-order
    backward gives 0 for an exactly singular A (det = 0 times a perturbed inverse), while a
    differentiable backward (create_graph) uses the adjugate there (see adjugate_grad)."""
    __slots__ = ()
    saved_names = ("A", "LU", "pivots", "result")

    def backward(self, ns, grad, a, lu, pivots, det):
        singular = ns_data(det) == 0
        if isinstance(det, Tensor) and np.any(singular):
            return (adjugate_grad(ns, grad, a),)
        if np.any(singular):
            eye = np.eye(a.shape[-1], dtype=ns_data(a).dtype)
            a = ns.where(ns.const(singular[..., None, None]), ns.const(eye), a)
        scale = ns.unsqueeze_dims(grad * det, (-1, -2))
        return (scale * mT(ns, ns.inv(a)),)

    def jvp(self, ns, tangents, a, lu, pivots, det):
        """JVP: det(A) tr(A^{-1} tA). 0 where A is exactly singular, as in PyTorch (whose formula
        perturbs the zero pivots; the derivative there is tr(adj(A) tA), which the
        differentiable backward gives): the trace is taken with I in place of such an A."""
        singular = det == 0
        if np.any(singular):
            a = ns.where(singular[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a)
        return det * _trace(ns, ns.solve(a, tangents[0]))


def _trace(ns, x):
    return ns.sum_dims(ns.diagonal(x, 0, -2, -1), (-1,), False)


def ns_data(x) -> np.ndarray:
    """The NumPy values behind a formula operand (for branching only, never for the math)."""
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def adjugate_grad(ns, g, a):
    """g * adj(A)^T for any square A (PyTorch's singular-case formula): with A = U S Vh,
    adj(A)^T = det(U) det(Vh) U diag(prod_{j != i} S_j) Vh; the products exclude one factor
    through a forward and a reversed cumulative product (no division, so zeros are fine)."""
    u, s, vh = ns.svd(a)
    sign = np.linalg.det(ns_data(u)) * np.linalg.det(ns_data(vh))  # ±1, locally constant
    gs = ns.unsqueeze_dims(g * ns.const(np.asarray(sign, dtype=ns_data(s).dtype)), (-1,))
    ones = ns.zeros_like(s[..., :1]) + 1
    before = ns.cumprod(ns.cat([ones, s[..., :-1]], -1), -1)
    after = ns.flip(ns.cumprod(ns.cat([ones, ns.flip(s[..., 1:], (-1,))], -1), -1), (-1,))
    d = gs * before * after
    return ns.matmul(u * ns.unsqueeze_dims(d, (-2,)), vh)


def _det_checks(a: np.ndarray, fn: str) -> None:
    check_square(a, fn)
    check_floating(a, fn, low=False)
    check_kernel(a, "lu_cpu")


@export(method=True, linalg=True)
def det(A, *, out=None):
    a = A._data
    _det_checks(a, "linalg.det")
    with np.errstate(all="ignore"):
        out = np.asarray(np.linalg.det(a))
    if not needs_grad(A):
        return wrap(out)
    node = make_node(LinalgDetBackward0, (A,), out)
    node.lu_of_t = a.flags.c_contiguous
    t = wrap(out, node)
    node.save(A, *lu_entries(a, node.lu_of_t), SavedOutput(t))
    return t


class LinalgSlogdetBackward0(_LUSavingBackward):
    """log|det A|: d = tr(A^{-1} dA), gA = g A^{-T}; the sign is locally constant (no grad)."""
    __slots__ = ()
    saved_names = ("A", "LU", "pivots", "sign")
    num_outputs = 2

    def apply(self, ns, grads, as_tensors):
        g = grads[1]
        if g is None:
            return (None,)
        a = self.unpack(as_tensors)[0]
        return (ns.unsqueeze_dims(g, (-1, -2)) * mT(ns, ns.inv(a)),)

    def jvp(self, ns, tangents, a, lu, pivots, sign):
        """JVP: (0 for the sign, tr(A^{-1} tA) for log|det A|; NaN where A is singular, as in
        PyTorch)."""
        t = tangents[0]
        singular = sign == 0
        if np.any(singular):
            a = ns.where(singular[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a)
            return ns.zeros_like(sign), ns.where(singular, np.nan, _trace(ns, ns.solve(a, t)))
        return ns.zeros_like(sign), _trace(ns, ns.solve(a, t))


_slogdet_t = return_type("slogdet", ("sign", "logabsdet"))
_lslogdet_t = return_type("linalg_slogdet", ("sign", "logabsdet"))


def _slogdet(A, fn: str, rtype):
    a = A._data
    check_square(a, fn)
    check_floating(a, fn)
    with np.errstate(all="ignore"):
        sign, logabs = np.linalg.slogdet(a)
    sign, logabs = np.asarray(sign), np.asarray(logabs)
    sign = np.where(np.isnan(logabs), 0, sign).astype(a.dtype)  # PyTorch: sgn(NaN) = 0
    if not needs_grad(A):
        return rtype((wrap(sign), wrap(logabs)))
    node = make_node(LinalgSlogdetBackward0, (A,), sign)
    node.lu_of_t = a.flags.c_contiguous
    s, la = wrap(sign, node), wrap(logabs, node)
    s._extra().out_nr, la._extra().out_nr = 0, 1
    node.save(A, *lu_entries(a, node.lu_of_t), SavedOutput(s))
    return rtype((s, la))


@export(method=True)
def slogdet(input):
    return _slogdet(input, "linalg.slogdet", _slogdet_t)


@export(torch=False, linalg="slogdet")
def linalg_slogdet(A, *, out=None):
    return _slogdet(A, "linalg.slogdet", _lslogdet_t)


@export(method=True)
def logdet(input):
    """PyTorch's composite: where(sign == -1, nan, logabsdet) (WhereBackward0)."""
    a = input._data
    check_square(a, "logdet")
    check_floating(a, "logdet")
    sign, logabs = _slogdet(input, "logdet", _slogdet_t)
    nan = wrap(np.asarray(np.nan, dtype=a.dtype))
    return where(wrap(sign._data == -1), nan, logabs)


# ------------------------------------------------------------------ solve
class LinalgSolveExBackward0(_LUSavingBackward):
    """AX = B: gB = A^{-T} g, gA = -gB X^T (left=False: XA = B, gB = g A^{-T}, gA = -X^T gB);
    a vector B (…, n) is a column."""
    __slots__ = ("left", "vector")
    saved_names = ("A", "LU", "pivots", "result")
    saved_attrs = {"left": "left"}

    def backward(self, ns, grad, a, lu, pivots, x):
        if self.vector:
            grad = ns.unsqueeze_dims(grad, (-1,))
            x = ns.unsqueeze_dims(x, (-1,))
        if self.left:
            gb = ns.solve(mT(ns, a), grad)
            ga = -ns.matmul(gb, mT(ns, x)) if self.needs(0) else None
        else:
            gb = mT(ns, ns.solve(a, mT(ns, grad)))
            ga = -ns.matmul(mT(ns, x), gb) if self.needs(0) else None
        if self.vector:
            gb = ns.squeeze_dim(gb, gb.ndim - 1)
        return ga, gb if self.needs(1) else None

    def jvp(self, ns, tangents, a, lu, pivots, x):
        """JVP: AX = B gives tX = A^{-1} (tB - tA X); XA = B gives tX = (tB - X tA) A^{-1}."""
        ta, tb = tangents
        if self.vector:
            x = ns.unsqueeze_dims(x, (-1,))
            tb = None if tb is None else ns.unsqueeze_dims(tb, (-1,))
        rhs = tb
        if ta is not None:
            d = ns.matmul(ta, x) if self.left else ns.matmul(x, ta)
            rhs = -d if rhs is None else rhs - d
        tx = ns.solve(a, rhs) if self.left else mT(ns, ns.solve(mT(ns, a), mT(ns, rhs)))
        return ns.squeeze_dim(tx, tx.ndim - 1) if self.vector else tx


def _solve_checks(a: np.ndarray, b: np.ndarray, left: bool, fn: str = "linalg.solve"):
    check_ndim(a, fn, "A")
    check_square(a, fn)
    check_floating(a, fn, low=False)
    if b.ndim < 1:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{fn}: Expected A and B to have the same dtype, but found A of type "
                           f"{tname(a)} and B of type {tname(b)} instead")
    check_kernel(a, "lu_cpu")
    n = a.shape[-1]
    vector = left and (b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]))
    bm = b[..., None] if vector else b
    if bm.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    k = bm.shape[-2] if left else bm.shape[-1]
    if k != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {bm.shape[-2]}x{bm.shape[-1]})")
    try:
        np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    except ValueError:
        raise broadcast_error(a.shape[:-2], bm.shape[:-2]) from None
    return vector, bm


def _np_solve(a, bm, left, fn="torch.linalg.solve"):
    bs = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    aa = np.broadcast_to(a, bs + a.shape[-2:])
    try:
        if left:
            return np.linalg.solve(aa, np.broadcast_to(bm, bs + bm.shape[-2:]))
        return np.swapaxes(np.linalg.solve(np.swapaxes(aa, -1, -2),
                                           np.swapaxes(np.broadcast_to(bm, bs + bm.shape[-2:]),
                                                       -1, -2)), -1, -2)
    except np.linalg.LinAlgError:
        flat = aa.reshape((-1,) + a.shape[-2:])
        i = next((i for i, m in enumerate(flat) if lu_zero_pivot(m)), 0)
        raise _LinAlgError(f"{fn}: {batch_prefix(bs, i)}The solver failed because the input "
                           "matrix is singular.") from None


@export(torch=False, linalg=True)
def solve(A, B, *, left=True, out=None):
    a, b = A._data, B._data
    vector, bm = _solve_checks(a, b, left)
    x = _np_solve(a, bm, left)
    if vector:
        x = x[..., 0]
    # PyTorch's layouts: column-major (a batch of vectors too, its last two dims taken as a
    # matrix); a right solve is the transpose of a column-major result
    x = lapack_layout(x) if left else np.ascontiguousarray(x)
    if not needs_grad(A, B):
        return wrap(x)
    node = make_node(LinalgSolveExBackward0, (A, B), x)
    node.left, node.vector = left, vector
    node.lu_of_t = False
    t = wrap(x, node)
    node.save(A, *lu_entries(a), SavedOutput(t))
    return t


_solve_ex_t = return_type("linalg_solve_ex", ("result", "info"))


@export(torch=False, linalg=True)
def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    a = A._data
    try:
        x = solve(A, B, left=left)
        info = np.zeros(a.shape[:-2], np.int32)
    except _LinAlgError:
        if check_errors:
            raise
        vector, bm = _solve_checks(a, B._data, left)
        bs = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
        flat_a = np.broadcast_to(a, bs + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
        flat_b = np.broadcast_to(bm, bs + bm.shape[-2:]).reshape((-1,) + bm.shape[-2:])
        codes = [lu_zero_pivot(m) for m in flat_a]
        res = np.stack([_np_solve(m, r, left) if not k else np.full(r.shape, np.nan, a.dtype)
                        for m, r, k in zip(flat_a, flat_b, codes)]).reshape(bs + bm.shape[-2:])
        info = np.array(codes, np.int32).reshape(bs)
        x = wrap(res[..., 0] if vector else res)
    return _solve_ex_t((x, wrap(info)))
