"""linalg.pinv / torch.pinverse and linalg.lstsq, built on the SVD and QR of decompositions.py."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from .._util import wrap
from ...autograd._record import RESULT, record
from .solve import lapack_layout, ns_data, return_type
from ._common import _MultiOutputBackward, check_square, mT, multi_output, tname
from ..._tensor import Tensor
from .decompositions import _np_svd


# ------------------------------------------------------------------ pinv
def _tolerances(a, s_max, atol, rtol, rcond):
    """PyTorch's cut-off max(atol, rtol * sigma_max), broadcast over the batch."""
    if rcond is not None:
        rtol = rcond
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if atol is None or \
            np.all(np.asarray(atol) <= 0) else 0.0
    if atol is None:
        atol = 0.0
    return np.maximum(np.asarray(atol), np.asarray(rtol) * s_max)


def np_pinv(a, atol=None, rtol=None, hermitian=False, rcond=None):
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype)
    with np.errstate(divide="ignore"):
        if hermitian:
            lam, v = np.linalg.eigh(a)
            tol = _tolerances(a, np.abs(lam).max(-1), atol, rtol, rcond)
            keep = np.abs(lam) > tol[..., None]
            inv = np.where(keep, 1 / np.where(keep, lam, 1), 0).astype(a.dtype)
            return np.matmul(v * inv[..., None, :], np.swapaxes(v, -1, -2)).astype(a.dtype)
        u, s, vh = _np_svd(a, False)
        tol = _tolerances(a, s.max(-1), atol, rtol, rcond)
        keep = s > tol[..., None]
        inv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
        return np.matmul(np.swapaxes(vh, -1, -2) * inv[..., None, :],
                         np.swapaxes(u, -1, -2)).astype(a.dtype)


def pinv_backward(ns, g, p, a):
    """d(A^+) = -A^+ dA A^+ + A^+ A^+T dA^T (I - A A^+) + (I - A^+ A) dA^T A^+T A^+, so
    gA = -A^+T g A^+T + (I - A A^+) g^T A^+ A^+T + A^+T A^+ g^T (I - A^+ A)."""
    m, n = a.shape[-2], a.shape[-1]
    pt, gt = mT(ns, p), mT(ns, g)
    if m <= n:
        k = ns.matmul(gt, p)
        kp = ns.matmul(k, pt)
        return (-mT(ns, ns.matmul(p, k)) + kp - ns.matmul(ns.matmul(a, p), kp)
                + ns.matmul(ns.matmul(pt, p), gt - ns.matmul(k, a)))
    k = ns.matmul(p, gt)
    pk = ns.matmul(pt, k)
    return (-mT(ns, ns.matmul(k, p)) + ns.matmul(ns.matmul(gt - ns.matmul(a, k), p), pt) + pk
            - ns.matmul(ns.matmul(pk, p), a))


class LinalgPinvBackward0(Node):
    """See pinv_backward (constant rank)."""
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, a, p):
        return (pinv_backward(ns, grad, p, a),)

    def jvp(self, ns, tangents, a, p):
        """JVP: see pinv_jvp."""
        return pinv_jvp(ns, a, p, tangents[0])


def pinv_jvp(ns, a, p, ta):
    """d(A^+) = -A^+ dA A^+ + A^+ A^+T dA^T (I - A A^+) + (I - A^+ A) dA^T A^+T A^+ (constant
    rank)."""
    tat = mT(ns, ta)
    x = ns.matmul(ns.matmul(p, mT(ns, p)), tat)          # A^+ A^+T dA^T
    y = ns.matmul(tat, ns.matmul(mT(ns, p), p))          # dA^T A^+T A^+
    return (-ns.matmul(p, ns.matmul(ta, p)) + x - ns.matmul(ns.matmul(x, a), p)
            + y - ns.matmul(p, ns.matmul(a, y)))


def _pinv(A, atol=None, rtol=None, hermitian=False, rcond=None):
    a = A._data
    if a.ndim < 2 or a.dtype not in (np.float32, np.float64):
        dims = ", ".join(str(d) for d in a.shape)
        raise RuntimeError(f"linalg.pinv({tname(a)}{{[{dims}]}}): expected a tensor with 2 or "
                           "more dimensions of float, double, cfloat or cdouble types")
    if hermitian:
        check_square(a, "linalg.eigh")
    out = np_pinv(a, atol, rtol, hermitian, rcond)
    return record(LinalgPinvBackward0, (A,), out, (A, RESULT))


@export(torch=False, linalg=True)
def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    return _pinv(A, atol, rtol, hermitian, rcond)


@export(method=True)
def pinverse(input, rcond=1e-15):
    return _pinv(input, rcond=rcond)


# ------------------------------------------------------------------ lstsq
class LinalgLstsqBackward0(_MultiOutputBackward):
    """X = A^+ B (full rank): gB = A^+T gX, gA = pinv_backward(gX B^T). The residuals
    r_k = ||A x_k - b_k||^2 are minimal in x, so only their explicit dependence counts:
    with R = AX - B, gA = 2 (R diag(g_r)) X^T, gB = -2 R diag(g_r)."""
    __slots__ = ("vector",)
    saved_names = ("b", "self", "solution")   # PyTorch's order

    def backward(self, ns, grads, b, a, x):
        gx, gr = grads
        if self.vector:
            b, x = ns.unsqueeze_dims(b, (-1,)), ns.unsqueeze_dims(x, (-1,))
        ga = gb = None
        if gx is not None:
            if self.vector:
                gx = ns.unsqueeze_dims(gx, (-1,))
            p = ns.pinv(a)
            if self.needs(0):
                ga = pinv_backward(ns, ns.matmul(gx, mT(ns, b)), p, a)
            if self.needs(1):
                gb = ns.matmul(mT(ns, p), gx)
        if gr is not None and ns_data(gr).size and not ns.INPLACE:
            # create_graph: PyTorch's terms, gA += (g_r R) X^H * 2 and gB += (g_r * -2) R (each
            # mul.Scalar: MulBackward1), a vector B's terms squeezed one by one
            g_r, res = ns.unsqueeze_dims(gr, (-2,)), ns.matmul(a, x) - b
            if self.needs(0):
                extra = ns.mul_scalar(ns.matmul(g_r * res, mT(ns, x)), 2)
                ga = extra if ga is None else ga + extra
            if self.needs(1):
                extra = ns.mul_scalar(g_r, -2) * res
                if self.vector:
                    extra = ns.squeeze_dim(extra, extra.ndim - 1)
                    gb = None if gb is None else ns.squeeze_dim(gb, gb.ndim - 1)
                return ga, extra if gb is None else gb + extra
        elif gr is not None and ns_data(gr).size:
            rw = (ns.matmul(a, x) - b) * ns.unsqueeze_dims(gr, (-2,))
            if self.needs(0):
                extra = 2 * ns.matmul(rw, mT(ns, x))
                ga = extra if ga is None else ga + extra
            if self.needs(1):
                gb = -2 * rw if gb is None else gb - 2 * rw
        if gb is not None and self.vector:
            gb = ns.squeeze_dim(gb, gb.ndim - 1)
        return ga, gb

    def jvp(self, ns, tangents, b, a, x):
        """JVP: X = A^+ B (full rank): tX = d(A^+) B + A^+ tB; the residuals
        r_k = ||A x_k - b_k||^2, minimal in x: tr_k = 2 (A x_k - b_k) . (tA x_k - tb_k)."""
        ta, tb = tangents
        if self.vector:
            b, x = ns.unsqueeze_dims(b, (-1,)), ns.unsqueeze_dims(x, (-1,))
            tb = None if tb is None else ns.unsqueeze_dims(tb, (-1,))
        p = ns.pinv(a)
        tx = tr = None
        if ta is not None:
            tx = ns.matmul(pinv_jvp(ns, a, p, ta), b)
            tr = ns.matmul(ta, x)
        if tb is not None:
            tx = ns.matmul(p, tb) if tx is None else tx + ns.matmul(p, tb)
            tr = -tb if tr is None else tr - tb
        if self._out_meta[1][0] == (0,):    # no residuals computed
            tres = 0.0
        else:
            tres = 2 * ns.sum_dims((ns.matmul(a, x) - b) * tr, (-2,), False)
        return (ns.squeeze_dim(tx, tx.ndim - 1) if self.vector else tx), tres


_lstsq_t = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


@export(torch=False, linalg=True)
def lstsq(A, B, rcond=None, *, driver=None):
    fn = "torch.linalg.lstsq"
    a, b = A._data, B._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{fn}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {tname(a)} and other's dtype {tname(b)}")
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if b.ndim < 1:
        raise RuntimeError(f"{fn}: other must have at least 1 dimension.")
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if a.ndim < b.ndim or a.ndim - b.ndim > 1:
        raise RuntimeError(f"{fn}: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = b.ndim == a.ndim - 1
    bm = b[..., None] if vector else b
    if a.shape[-2] != bm.shape[-2]:
        raise RuntimeError(f"{fn}: input.size(-2) should match other.size(-2)")
    if driver is not None and driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"{fn}: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           "gelss)")
    driver = driver or "gelsy"
    m, n = a.shape[-2:]
    bs = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    ab = np.broadcast_to(a, bs + a.shape[-2:])
    bb = np.broadcast_to(bm, bs + bm.shape[-2:])
    u, s, vh = _np_svd(ab, False)
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * max(m, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = s > (rcond * s.max(-1, initial=0))[..., None]
        sinv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
    x = np.matmul(np.swapaxes(vh, -1, -2),
                  sinv[..., None] * np.matmul(np.swapaxes(u, -1, -2), bb)).astype(a.dtype)
    rank = keep.sum(-1).astype(np.int64)
    empty = np.zeros((0,), a.dtype)
    residuals = empty
    if m > n and driver != "gelsy" and (driver == "gels" or np.all(rank == n)):
        residuals = (((np.matmul(ab, x) - bb) ** 2).sum(-2)).astype(a.dtype)
    rank_out = np.zeros((0,), np.int64) if driver == "gels" else rank
    sv = s if driver in ("gelsd", "gelss") else empty
    # PyTorch's solution is the top of LAPACK's column-major (max(m, n), k) right-hand side
    buf = lapack_layout(np.zeros(bs + (max(m, n), x.shape[-1]), a.dtype))
    buf[..., :n, :] = x
    x = buf[..., :n, :]
    sol = x[..., 0] if vector else x
    sol_t, res_t = multi_output(LinalgLstsqBackward0, (A, B), (sol, residuals), (True, True),
                                (B, A, ("out", 0)), vector=vector)
    return _lstsq_t((sol_t, res_t, wrap(rank_out), wrap(sv)))
