"""torch.linalg: inverses, determinants and solvers (inv, inv_ex, det, slogdet, logdet, solve,
solve_ex). The machinery the linalg ops share (checks, LinAlgError, LU, multi-output nodes) is in
``_common.py``; QR, eigh and SVD in ``decompositions.py``, pinv and lstsq in ``pinv_lstsq.py``,
matrix_power and matrix_exp in ``matrix_functions.py``.

Forwards use NumPy's LAPACK wrappers; every backward formula is written with ``ns.*`` so that
double backward works (the solves and inverses in the formulas are these very ops).

Several differentiable outputs (eigh, svd, qr, triangular_solve): the engine sizes the gradient
it hands a node by the node's single ``_shape``, so outputs of different shapes cannot share one
node yet. Each differentiable output gets its own node of PyTorch's class (``siblings`` links
them); the gradient is linear in the output gradients, so the sum over the siblings is exactly
the one-node gradient.

Triangular solves and Cholesky are in ``triangular.py``.
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
from ...autograd._record import RESULT, record, record2
from ._common import (_LinAlgError, _LUSavingBackward, batch_prefix, check_floating,  # noqa: F401
                      check_kernel, check_ndim, check_square, lu_entries, lu_zero_pivot, mT,
                      np_inv, singular_error, tname, np_lu_solve_unchecked)


from ..reduction.minmax import _return_type as return_type  # noqa: E402 - torch.return_types.*


# ------------------------------------------------------------------ inverse
class LinalgInvExBackward0(Node):
    """d(A^{-1}) = -A^{-1} dA A^{-1}: gA = -A^{-T} g A^{-T}."""
    __slots__ = ()
    saved_names = ("inverse",)

    def backward(self, ns, grad, inv):
        if not ns.INPLACE:   # create_graph: PyTorch's -inverse.mH() @ (grad @ inverse.mH())
            return (-ns.matmul(mT(ns, inv), ns.matmul(grad, mT(ns, inv))),)
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
    return record(LinalgInvExBackward0, (input,), out, RESULT)


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
    """d det(A) = det(A) tr(A^{-1} dA) = tr(adj(A) dA): gA = g det(A) A^{-T}, and g adj(A)^T
    where A is exactly singular (det = 0). PyTorch's first-order backward and forward mode
    give 0 there (det 0 times a perturbed inverse), a wrong gradient: det is a polynomial, its
    gradient is the adjugate everywhere, and PyTorch's own differentiable backward
    (create_graph) uses it. Here all three paths use it (a deliberate difference)."""
    __slots__ = ()
    saved_names = ("A", "LU", "pivots", "result")

    def backward(self, ns, grad, a, lu, pivots, det):
        if not ns.INPLACE and a.shape[-1] <= 1:   # create_graph: PyTorch's cases of empty
            if 0 in a.shape:                       # matrices (zeros, no graph) and of 1x1
                return (ns.zeros_like(a),)         # ones (grad itself)
            return (ns.expand(ns.unsqueeze_dims(grad, (-1, -2)), tuple(a.shape)),)
        if np.any(ns_data(det) == 0):
            return (adjugate_grad(ns, grad, a),)
        # (PyTorch's create_graph formula solves A^H X = diag(g det)^T instead: near a singular
        # matrix that solve returns noise where det * A^{-T} stays accurate, and PyTorch's own
        # LU only falls back to its singular formula at an exact zero pivot)
        scale = ns.unsqueeze_dims(grad * det, (-1, -2))
        return (scale * mT(ns, ns.inv(a)),)

    def jvp(self, ns, tangents, a, lu, pivots, det):
        """JVP: det(A) tr(A^{-1} tA), tr(adj(A) tA) = sum(adj(A)^T * tA) where A is exactly
        singular (see backward)."""
        if np.any(det == 0):
            adj_t = adjugate_grad(ns, np.ones(det.shape, det.dtype), a)
            return ns.sum_dims(adj_t * tangents[0], (-2, -1), False)
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
    return record(LinalgDetBackward0, (A,), out,
                  lambda n: (A, *lu_entries(a, n.lu_of_t), RESULT), lu_of_t=a.flags.c_contiguous)


class LinalgSlogdetBackward0(_LUSavingBackward):
    """log|det A|: d = tr(A^{-1} dA), gA = g A^{-T}; the sign is locally constant (no grad)."""
    __slots__ = ()
    saved_names = ("A", "LU", "pivots", "sign")
    num_outputs = 2

    def apply(self, ns, grads, as_tensors):
        g = grads[1]
        if g is None:
            return (None,)
        a, _, _, sign = self.unpack(as_tensors)
        if as_tensors:   # PyTorch's differentiable formula: A^T X = diag(g) (at a singular A,
            #              linalg.solve's error)
            d = ns.expand(ns.unsqueeze_dims(g, (-1,)), tuple(a.shape[:-1]))
            return (ns.solve(mT(ns, a), mT(ns, ns.diag_embed(d))),)
        if np.any(sign == 0):
            return (_singular_logdet_grad(g, a, self.lu_of_t),)
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


def _singular_logdet_grad(g, a, lu_of_t: bool):
    """g A^{-T} as PyTorch's first-order slogdet backward computes it (A^T X = diag(g) solved
    with the LU factors of A^T, or of A when A is not contiguous, without a singularity
    check): ±inf and NaN where A is singular, not an error. Nonsingular matrices of a batch
    get g A^{-T} as usual."""
    n = a.shape[-1]
    d = np.asarray(g, a.dtype)[..., None, None] * np.eye(n, dtype=a.dtype)
    if lu_of_t:
        return np_lu_solve_unchecked(np.swapaxes(a, -1, -2), d)
    return np_lu_solve_unchecked(a, d, adjoint=True)


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
        if not ns.INPLACE:   # create_graph: PyTorch's linalg_solve(A^H, g, left)
            gb = ns.linalg_solve(mT(ns, a), grad, self.left)
            ga = None
            if self.needs(0):
                ga = -ns.matmul(gb, mT(ns, x)) if self.left else -ns.matmul(mT(ns, x), gb)
        elif self.left:
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
    return record2(LinalgSolveExBackward0, A, B, x, lambda n: (A, *lu_entries(a), RESULT),
                   left=left, vector=vector, lu_of_t=False)


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
