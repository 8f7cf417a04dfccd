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
from .solve import lapack_layout, ns_data, return_type
from ._common import (_LinAlgError, _MultiOutputBackward, batch_prefix, check_floating,
                      check_kernel, check_ndim, check_square, diag_embed, eye_like, mT,
                      multi_output, tname, tril)
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


def _qr_graph_backward(ns, q, r, gq, gr):
    """PyTorch's linalg_qr_backward, as create_graph records it: MH = gR R^H - Q^H gQ; m >= n:
    gA = (Q syminvadj(triu(MH)) + gQ) R^{-H}, syminvadj(X) = X + X^H with its diagonal halved
    in place (CopySlices); m < n: gA = [Q tril(X - X^H) U^{-H} | 0] + Q gR with X = -MH and U
    R's first m columns."""
    m, n = q.shape[-2], r.shape[-1]
    mh = None if gr is None else ns.matmul(gr, mT(ns, r))
    if gq is not None:
        t = ns.matmul(mT(ns, q), gq)
        mh = -t if mh is None else mh - t
    if m >= n:
        sym = ns.triu(mh, 0)
        sym = sym + mT(ns, sym)
        # (the create_graph path only: Tensors) PyTorch's C++ mul_(0.5) is mul_.Scalar:
        # MulBackward1 in the CopySlices, whose own backward is grad * 0.5 (MulBackward1)
        ns.mul_scalar_(sym.diagonal(0, -2, -1), 0.5)
        b = ns.matmul(q, sym)
        if gq is not None:
            b = b + gq
        return ns.solve_triangular(mT(ns, r), b, False, False, False)
    x = -mh
    b = ns.matmul(q, ns.tril(x - mT(ns, x), 0))
    ga = ns.solve_triangular(mT(ns, r[..., :, :m]), b, False, False, False)
    zeros = ns.zeros(tuple(ga.shape[:-1]) + (n - m,), ns_data(q).dtype)
    ga = ns.cat([ga, zeros], -1)
    return ga if gr is None else ga + ns.matmul(q, gr)


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
        if not ns.INPLACE:   # create_graph: PyTorch's formula
            return (_qr_graph_backward(ns, q, r, gq, gr),)
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
        if not ns.INPLACE:   # create_graph: PyTorch's linalg_eig_backward (hermitian)
            return (_eigh_graph_backward(ns, gl, gv, lam, v),)
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


def _eigh_graph_backward(ns, gl, gv, lam, v):
    """PyTorch's formula as create_graph records it: without gV, (V * gL[..., None, :]) V^H;
    otherwise V (X / E) V^H with X = (V^H gV - (V^H gV)^H) * 0.5 (mul.Scalar), E_ij = L_j - L_i
    with ones filled in on its diagonal, and gL copied onto the diagonal of X / E (in place:
    CopySlices, as torch; the create_graph path only, where these are Tensors)."""
    if gv is None:
        return ns.matmul(v * ns.unsqueeze_dims(gl, (-2,)), mT(ns, v))
    vg = ns.matmul(mT(ns, v), gv)
    vg = ns.mul_scalar(vg - mT(ns, vg), 0.5)
    e = ns.unsqueeze_dims(lam, (-2,)) - ns.unsqueeze_dims(lam, (-1,))
    e.diagonal(0, -2, -1).fill_(1.0)
    x = vg.div_(e)     # (in place, as PyTorch's VhgV.div_(Econj): it saves a clone of VhgV)
    if gl is not None:
        x.diagonal(0, -2, -1).copy_(gl)
    return ns.matmul(v, ns.matmul(x, mT(ns, v)))


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
        if self.full_matrices and not ns.INPLACE:   # create_graph: PyTorch's narrow (always a
            k = s.shape[-1]                         # SliceBackward0, even of a whole dim)
            u, vh = u.narrow(-1, 0, k), vh.narrow(-2, 0, k)
            gu = gu.narrow(-1, 0, k) if gu is not None else None
            gvh = gvh.narrow(-2, 0, k) if gvh is not None else None
        elif self.full_matrices:
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
        if not ns.INPLACE:   # create_graph: PyTorch fills E's diagonal in place (CopySlices)
            e = ns.unsqueeze_dims(s2, (-2,)) - ns.unsqueeze_dims(s2, (-1,))
            e.diagonal(0, -2, -1).fill_(1.0)
        else:
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
            gus = gu / (s_row if ns.INPLACE else ns.unsqueeze_dims(s, (-2,)))  # (torch: anew)
            ga = ga + gus - ns.matmul(u, ns.matmul(mT(ns, u), gus))
            return (ns.matmul(ga, vh),)
        if m < n and gvh is not None:
            ga = ns.matmul(ga, vh)
            sgv = gvh / (s_col if ns.INPLACE else ns.unsqueeze_dims(s, (-1,)))
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
