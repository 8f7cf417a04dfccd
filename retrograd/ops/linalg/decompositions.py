"""Decompositions and what is built on them: linalg.qr, linalg.eigh / eigvalsh, linalg.svd /
torch.svd / linalg.svdvals, linalg.pinv / torch.pinverse, linalg.lstsq.

Gradients are PyTorch's (derived in each node's docstring); inputs with repeated eigenvalues or
singular values have no well-defined gradient there, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ... import _warn
from ...autograd.node import Node, SavedOutput
from .._registry import export
from .._util import make_node, needs_grad, wrap
from .solve import (_LinAlgError, _MultiOutputBackward, batch_prefix, check_floating,
                            check_kernel, check_ndim, check_square, diag_embed, eye_like,
                            lapack_layout, mT, multi_output, ns_data, return_type, tname, tril)
from ..._tensor import Tensor
from ..shape.basic import transpose


# ------------------------------------------------------------------ QR
def _qr_backward_tall(ns, q, r, gq, gr):
    """m >= n: gA = [gQ + Q copyltu(M)] R^{-T}, M = R gR^T - gQ^T Q, copyltu(M) the symmetric
    matrix with M's lower triangle."""
    dt = ns_data(q).dtype
    m = None
    if gr is not None:
        m = ns.matmul(r, mT(ns, gr))
    if gq is not None:
        qq = ns.matmul(mT(ns, gq), q)
        m = -qq if m is None else m - qq
    sym = tril(ns, m, dt) + mT(ns, tril(ns, m, dt, -1))
    b = ns.matmul(q, sym)
    if gq is not None:
        b = b + gq
    return ns.solve_triangular(mT(ns, r), b, False, False, False)


class LinalgQrBackward0(_MultiOutputBackward):
    """A = QR. m >= n: see _qr_backward_tall. m < n: A = Q[X|Y] with X square; Q depends on the
    first m columns only and Y = Q^T A_2, so gA_2 = Q gY and the first block is the square case
    with gQ + A_2 gY^T."""
    __slots__ = ("mode",)
    saved_names = ("Q", "R")
    saved_attrs = {"mode": "mode"}

    def check(self, q, r) -> None:
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                               "going to differentiate through linalg.qr.")
        if self.mode == "complete" and q.shape[-2] > r.shape[-1]:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")

    def backward(self, ns, grads, q, r):
        self.check(q, r)
        m, n = q.shape[-2], r.shape[-1]
        gq, gr = grads
        if m >= n:
            return (_qr_backward_tall(ns, q, r, gq, gr),)
        x, y = r[..., :, :m], r[..., :, m:]
        gx = gy = None
        if gr is not None:
            gx, gy = gr[..., :, :m], gr[..., :, m:]
            extra = ns.matmul(ns.matmul(q, y), mT(ns, gy))
            gq = extra if gq is None else gq + extra
        g1 = _qr_backward_tall(ns, q, x, gq, gx)
        g2 = ns.matmul(q, gy) if gy is not None else ns.zeros_like(y)
        return (ns.cat([g1, g2], -1),)

    def jvp(self, ns, tangents, q, r):
        """JVP: m >= n: with X = Q^T tA R^{-1} = Q^T tQ + tR R^{-1} (skew plus upper
        triangular), Ω = tril(X, -1) - tril(X, -1)^T is Q^T tQ, tR = (X - Ω) R and
        tQ = tA R^{-1} - Q (X - Ω). m < n: that for the first m columns, and R's others
        R_2 = Q^T A_2 give tR_2 = Q^T (tA_2 - tQ R_2)."""
        self.check(q, r)
        ta = tangents[0]
        m, n = q.shape[-2], r.shape[-1]
        if m >= n:
            return _qr_jvp_tall(ns, q, r, ta)
        tq, tr1 = _qr_jvp_tall(ns, q, r[..., :, :m], ta[..., :, :m])
        tr2 = ns.matmul(mT(ns, q), ta[..., :, m:] - ns.matmul(tq, r[..., :, m:]))
        return tq, ns.cat([tr1, tr2], -1)


def _qr_jvp_tall(ns, q, r, ta):
    """(tQ, tR) of A = QR, m >= n (see LinalgQrBackward0.jvp)."""
    dt = ns_data(q).dtype
    tar = ns.solve_triangular(r, ta, True, False, False)      # tA R^{-1}
    x = ns.matmul(mT(ns, q), tar)
    low = tril(ns, x, dt, -1)
    x_om = x - low + mT(ns, low)                              # X - Ω
    return tar - ns.matmul(q, x_om), ns.matmul(x_om, r)


_qr_t = return_type("linalg_qr", ("Q", "R"))
_tqr_t = return_type("qr", ("Q", "R"))


@export(torch=False, linalg=True)
def qr(A, mode="reduced", *, out=None):
    a = A._data
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    check_ndim(a, "linalg.qr")
    check_floating(a, "linalg.qr", low=False)
    check_kernel(a, "geqrf_cpu")
    if mode == "r":
        r = np.linalg.qr(a, mode="r") if a.size else np.zeros(a.shape[:-2] + (
            min(a.shape[-2:]), a.shape[-1]), a.dtype)
        q = np.zeros((0,), a.dtype)
    else:
        q, r = np.linalg.qr(a, mode=mode)
    outs = (lapack_layout(q.astype(a.dtype, copy=False)),
            lapack_layout(r.astype(a.dtype, copy=False)))
    return _qr_t(multi_output(LinalgQrBackward0, (A,), outs, (True, True),
                              (("out", 0), ("out", 1)), mode=mode))


_warned_qr = False


@export(torch="qr", method="qr")
def torch_qr(input, some=True, *, out=None):
    global _warned_qr
    if not _warned_qr:
        _warned_qr = True
        _warn.warn(
            "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
            "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
            "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
            "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning)
    return _tqr_t(qr(input, "reduced" if some else "complete"))


# ------------------------------------------------------------------ eigh
class LinalgEighBackward0(_MultiOutputBackward):
    """A = V diag(L) V^T: gA = V (diag(gL) + skew(V^T gV)/E) V^T with skew(X) = (X - X^T)/2 and
    E_ij = L_j - L_i (i != j); the result is symmetric."""
    __slots__ = ()
    saved_names = ("eigenvalues", "eigenvectors")

    def backward(self, ns, grads, lam, v):
        gl, gv = grads
        dt = ns_data(v).dtype
        n = v.shape[-1]
        inner = None
        if gv is not None:
            vg = ns.matmul(mT(ns, v), gv)
            e = ns.unsqueeze_dims(lam, (-2,)) - ns.unsqueeze_dims(lam, (-1,)) + eye_like(ns, n, dt)
            inner = (0.5 * (vg - mT(ns, vg))) / e
        if gl is not None:
            d = diag_embed(ns, gl, dt)
            inner = d if inner is None else inner + d
        return (ns.matmul(v, ns.matmul(inner, mT(ns, v))),)

    def jvp(self, ns, tangents, lam, v):
        """JVP: with P = V^T tA V, tL = diag(P) and tV = V (P / E), E_ij = L_j - L_i off the
        diagonal, (P / E)_ii = 0."""
        p = ns.matmul(mT(ns, v), ns.matmul(tangents[0], v))
        n = v.shape[-1]
        eye = np.eye(n, dtype=bool)
        e = ns.unsqueeze_dims(lam, (-2,)) - ns.unsqueeze_dims(lam, (-1,))
        with np.errstate(divide="ignore", invalid="ignore"):
            x = ns.where(eye, 0.0, p / ns.where(eye, 1.0, e))
        return ns.diagonal(p, 0, -2, -1), ns.matmul(v, x)


_eigh_t = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))


def _eigh(A, uplo):
    a = A._data
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    check_square(a, "linalg.eigh")
    check_kernel(a, "linalg_eigh_cpu")
    lam, v = np.linalg.eigh(a, UPLO=uplo.upper())
    return multi_output(LinalgEighBackward0, (A,), (lam, lapack_layout(v)), (True, True),
                        (("out", 0), ("out", 1)))


@export(torch=False, linalg=True)
def eigh(A, UPLO="L", *, out=None):
    return _eigh_t(_eigh(A, UPLO))


@export(torch=False, linalg=True)
def eigvalsh(A, UPLO="L", *, out=None):
    if not needs_grad(A):
        a = A._data
        if UPLO not in ("L", "U", "l", "u"):
            raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
        check_square(a, "linalg.eigh")
        check_kernel(a, "linalg_eigh_cpu")
        return wrap(np.linalg.eigvalsh(a, UPLO=UPLO.upper()))
    return _eigh(A, UPLO)[0]


# ------------------------------------------------------------------ SVD
class LinalgSvdBackward0(_MultiOutputBackward):
    """A = U diag(S) Vh (PyTorch's gauge-invariant formula, real case):
    gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh, skew(X) = X - X^T,
    E_jk = S_k^2 - S_j^2, plus (I - UU^T) gU S^{-1} Vh when m > n and
    U S^{-1} gVh (I - Vh^T Vh) when m < n. full_matrices: only the first k columns count."""
    __slots__ = ("full_matrices",)
    saved_names = ("S", "U", "Vh")   # PyTorch's order
    saved_attrs = {"full_matrices": "full_matrices",
                   "S_sym_argsize_minus_1": lambda n: n._out_meta[1][0][-1]}

    def backward(self, ns, grads, s, u, vh):
        gu, gs, gvh = grads
        dt = ns_data(s).dtype
        if self.full_matrices:
            k = s.shape[-1]
            u, vh = u[..., :, :k], vh[..., :k, :]
            gu = gu[..., :, :k] if gu is not None else None
            gvh = gvh[..., :k, :] if gvh is not None else None
        m, n = u.shape[-2], vh.shape[-1]
        if gu is None and gvh is None:
            if m >= n:
                return (ns.matmul(u, ns.unsqueeze_dims(gs, (-1,)) * vh),)
            return (ns.matmul(u * ns.unsqueeze_dims(gs, (-2,)), vh),)
        s_row, s_col = ns.unsqueeze_dims(s, (-2,)), ns.unsqueeze_dims(s, (-1,))
        s2 = s * s
        e = ns.unsqueeze_dims(s2, (-2,)) - ns.unsqueeze_dims(s2, (-1,)) + \
            eye_like(ns, s.shape[-1], dt)
        uhgu = vhgv = None
        if gu is not None:
            x = ns.matmul(mT(ns, u), gu)
            uhgu = x - mT(ns, x)
        if gvh is not None:
            x = ns.matmul(vh, mT(ns, gvh))
            vhgv = x - mT(ns, x)
        if uhgu is not None and vhgv is not None:
            ga = (uhgu * s_row + s_col * vhgv) / e
        elif uhgu is not None:
            ga = (uhgu / e) * s_row
        else:
            ga = s_col * (vhgv / e)
        if gs is not None:
            ga = ga + diag_embed(ns, gs, dt)
        if m > n and gu is not None:
            ga = ns.matmul(u, ga)
            gus = gu / s_row
            ga = ga + gus - ns.matmul(u, ns.matmul(mT(ns, u), gus))
            return (ns.matmul(ga, vh),)
        if m < n and gvh is not None:
            ga = ns.matmul(ga, vh)
            sgv = gvh / s_col
            ga = ga + sgv - ns.matmul(ns.matmul(sgv, mT(ns, vh)), vh)
            return (ns.matmul(u, ga),)
        if m >= n:
            return (ns.matmul(u, ns.matmul(ga, vh)),)
        return (ns.matmul(ns.matmul(u, ga), vh),)

    def jvp(self, ns, tangents, s, u, vh):
        """JVP (PyTorch's, real case): with P = U^T tA V, tS = diag(P), X = P - diag(tS) and
        E_jk = S_k^2 - S_j^2 (1 on the diagonal): tU = U (X S + S X^T) / E plus
        (I - UU^T) tA V S^{-1} when m > n; tVh = -(S X + X^T S) / E Vh plus
        S^{-1} U^T tA (I - V Vh) when m < n. full_matrices: the other columns of U (rows of
        Vh) get a zero tangent, as in PyTorch."""
        ta = tangents[0]
        k = s.shape[-1]
        m, n = ta.shape[-2], ta.shape[-1]
        if self.full_matrices:
            u, vh = u[..., :, :k], vh[..., :k, :]
        dt = np.asarray(s).dtype
        v = mT(ns, vh)
        p = ns.matmul(mT(ns, u), ns.matmul(ta, v))
        ts = ns.diagonal(p, 0, -2, -1)
        x = p - diag_embed(ns, ts, dt)
        s2 = s * s
        e = ns.unsqueeze_dims(s2, (-2,)) - ns.unsqueeze_dims(s2, (-1,)) + eye_like(ns, k, dt)
        s_row, s_col = ns.unsqueeze_dims(s, (-2,)), ns.unsqueeze_dims(s, (-1,))
        xs = x * s_row
        tu = ns.matmul(u, (xs + mT(ns, xs)) / e)
        sx = s_col * x
        tvh = ns.matmul(-(sx + mT(ns, sx)) / e, vh)
        with np.errstate(divide="ignore", invalid="ignore"):
            if m > n:
                avs = ns.matmul(ta, v / s_row)
                tu = tu + avs - ns.matmul(u, ns.matmul(mT(ns, u), avs))
                if self.full_matrices:
                    tu = ns.cat([tu, ns.zeros(tu.shape[:-1] + (m - n,), dt)], -1)
            if m < n:
                sua = ns.matmul(mT(ns, u) / s_col, ta)
                tvh = tvh + sua - ns.matmul(ns.matmul(sua, v), vh)
                if self.full_matrices:
                    tvh = ns.cat([tvh, ns.zeros(tvh.shape[:-2] + (n - m, n), dt)], -2)
        return tu, ts, tvh


_svd_t = return_type("linalg_svd", ("U", "S", "Vh"))
_tsvd_t = return_type("svd", ("U", "S", "V"))


def _svd_checks(a: np.ndarray) -> None:
    check_ndim(a, "linalg.svd")
    check_floating(a, "linalg.svd", low=False)
    check_kernel(a, "linalg_svd_cpu")


def _np_svd(a: np.ndarray, full_matrices: bool):
    if a.size == 0:
        m, n = a.shape[-2:]
        k = min(m, n)
        bs = a.shape[:-2]
        um, vn = (m, n) if full_matrices else (k, k)
        u = np.broadcast_to(np.eye(m, um, dtype=a.dtype), bs + (m, um)).copy()
        vh = np.broadcast_to(np.eye(vn, n, dtype=a.dtype), bs + (vn, n)).copy()
        return u, np.zeros(bs + (k,), a.dtype), vh
    m, n = a.shape[-2:]
    try:
        if 3 * n // 2 <= m < 11 * n // 6:
            u, s, vh = _np_svd_qr(a, full_matrices)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    except np.linalg.LinAlgError:
        raise _svd_error(a) from None
    return u.astype(a.dtype, copy=False), s.astype(a.dtype, copy=False), \
        vh.astype(a.dtype, copy=False)


def _np_svd_qr(a: np.ndarray, full_matrices: bool):
    """gesdd's path for tall matrices: A = QR, then the SVD of R (U = Q U_R). NumPy's LAPACK
    takes it from m >= 11n/6 on; the MKL build of PyTorch from m >= 3n/2, and the two paths
    give singular vectors of different signs, so retrograd takes it in between too."""
    n = a.shape[-1]
    if not full_matrices:
        q, r = np.linalg.qr(a)
        ur, s, vh = np.linalg.svd(r)
        return np.matmul(q, ur), s, vh
    q, r = np.linalg.qr(a, mode="complete")
    ur, s, vh = np.linalg.svd(r[..., :n, :])
    u = q.copy()
    u[..., :, :n] = np.matmul(q[..., :, :n], ur)
    return u, s, vh


def _svd_error(a: np.ndarray) -> _LinAlgError:
    bad = ~np.isfinite(a).reshape((-1,) + a.shape[-2:]).all(axis=(-1, -2))
    i = int(np.argmax(bad)) if bad.any() else 0
    return _LinAlgError(f"linalg.svd: {batch_prefix(a.shape[:-2], i)}The algorithm failed to "
                        "converge because the input matrix contained non-finite values.")


def _svd(A, full_matrices):
    a = A._data
    _svd_checks(a)
    u, s, vh = _np_svd(a, full_matrices)
    outs = (lapack_layout(u), s, lapack_layout(vh))
    return multi_output(LinalgSvdBackward0, (A,), outs, (True, True, True),
                        (("out", 1), ("out", 0), ("out", 2)), full_matrices=full_matrices)


@export(torch=False, linalg=True)
def svd(A, full_matrices=True, *, driver=None, out=None):
    return _svd_t(_svd(A, full_matrices))


@export(torch=False, linalg=True)
def svdvals(A, *, driver=None, out=None):
    a = A._data
    if not needs_grad(A):
        _svd_checks(a)
        if a.size == 0:
            return wrap(np.zeros(a.shape[:-2] + (min(a.shape[-2:]),), a.dtype))
        try:
            return wrap(np.linalg.svd(a, compute_uv=False).astype(a.dtype, copy=False))
        except np.linalg.LinAlgError:
            raise _svd_error(a) from None
    return _svd(A, False)[1]


@export(torch="svd", method="svd")
def torch_svd(input, some=True, compute_uv=True, *, out=None):
    """Legacy torch.svd: V (not Vh), reduced unless some=False; compute_uv=False gives zero U
    and V (full size)."""
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{a.ndim} dimensions instead")
    if not compute_uv:
        s = svdvals(input)
        m, n = a.shape[-2:]
        bs = a.shape[:-2]
        return _tsvd_t((wrap(np.zeros(bs + (m, m), a.dtype)), s,
                        wrap(np.zeros(bs + (n, n), a.dtype))))
    u, s, vh = _svd(input, not some)
    return _tsvd_t((u, s, transpose(vh, -2, -1)))


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
    if not needs_grad(A):
        return wrap(out)
    node = make_node(LinalgPinvBackward0, (A,), out)
    t = wrap(out, node)
    node.save(A, SavedOutput(t))
    return t


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
        if gr is not None and ns_data(gr).size:
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
