"""Triangular solves and Cholesky: linalg.solve_triangular, torch.triangular_solve (legacy),
linalg.cholesky / cholesky_ex, torch.cholesky (legacy), torch.cholesky_solve."""
from __future__ import annotations

import numpy as np

from ... import _warn
from ... import _dtype as D
from ...autograd.node import Node
from .._registry import export
from .._util import wrap
from ...autograd._record import RESULT, record, record2
from .solve import lapack_layout, ns_data, return_type
from ._common import (_LinAlgError, _MultiOutputBackward, check_floating, check_kernel, check_ndim,
                      check_square, cholesky_unblocked, diag_embed, mT, multi_output, np_cholesky,
                      np_solve_triangular, tname, tril, triu)
from .. import numpy_ns


# ------------------------------------------------------------------ triangular solves
class LinalgSolveTriangularBackward0(Node):
    """AX = B, A triangular: gB = A^{-T} g, gA = -gB X^T projected on A's triangle (strict
    when unitriangular); left=False: XA = B, gB = g A^{-T}, gA = -X^T gB."""
    __slots__ = ("upper", "left", "unitriangular")
    saved_names = ("self", "result")
    saved_attrs = {"left": "left", "unitriangular": "unitriangular", "upper": "upper"}

    def backward(self, ns, grad, a, x):
        gb = ns.solve_triangular(mT(ns, a), grad, not self.upper, self.left, self.unitriangular)
        ga = None
        if self.needs(0):
            ga = -ns.matmul(gb, mT(ns, x)) if self.left else -ns.matmul(mT(ns, x), gb)
            dt = ns_data(ga).dtype
            k = 1 if self.unitriangular else 0
            ga = triu(ns, ga, dt, k) if self.upper else tril(ns, ga, dt, -k)
        return ga, gb if self.needs(1) else None

    def jvp(self, ns, tangents, a, x):
        """JVP: AX = B gives tX = A^{-1} (tB - tA X), XA = B gives tX = (tB - X tA) A^{-1},
        with tA on A's triangle (strict when unitriangular)."""
        ta, tb = tangents
        rhs = tb
        if ta is not None:
            ta = _triangle(ns, ta, self.upper, self.unitriangular)
            d = ns.matmul(ta, x) if self.left else ns.matmul(x, ta)
            rhs = -d if rhs is None else rhs - d
        return ns.solve_triangular(a, rhs, self.upper, self.left, self.unitriangular)


def _triangle(ns, t, upper: bool, strict: bool):
    """The part of t on a triangle (upper or lower; strict: without the diagonal)."""
    dt = np.asarray(t).dtype
    k = 1 if strict else 0
    return triu(ns, t, dt, k) if upper else tril(ns, t, dt, -k)


@export(torch=False, linalg=True)
def solve_triangular(A, B, *, upper=None, left=True, unitriangular=False, out=None):
    if upper is None:
        raise TypeError('linalg_solve_triangular() missing 1 required positional arguments: '
                        '"upper"')
    fn = "linalg.solve_triangular"
    a, b = A._data, B._data
    check_ndim(a, fn, "A")
    check_square(a, fn)
    check_ndim(b, fn, "B")
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    rt = D.result_type(A, B).np
    check_kernel(np.empty(0, rt), "triangular_solve_cpu")
    a, b = a.astype(rt, copy=False), b.astype(rt, copy=False)
    x = lapack_layout(np_solve_triangular(a, b, upper, left, unitriangular))
    return record2(LinalgSolveTriangularBackward0, A, B, x, (A, RESULT), upper=upper, left=left,
                   unitriangular=unitriangular)


class TriangularSolveBackward0(_MultiOutputBackward):
    """Legacy AX = B (transpose: A^T X = B): gB = A^{-T} gX (A^{-1} gX), gA = -gB X^T (-X gB^T)
    on A's triangle, plus the gradient of cloned_coefficient (a copy of A) unprojected."""
    __slots__ = ("upper", "transpose", "unitriangular")
    saved_names = ("A", "self", "solution")   # PyTorch's order
    saved_attrs = {"transpose": "transpose", "unitriangular": "unitriangular", "upper": "upper"}

    def backward(self, ns, grads, a, b, x):
        gx, gm = grads
        ga = gb = None
        if gx is not None and not ns.INPLACE:   # create_graph: PyTorch's triangular_solve
            gb = ns.triangular_solve(gx, a, self.upper, not self.transpose, self.unitriangular)
        elif gx is not None:
            gb = ns.solve_triangular(a if self.transpose else mT(ns, a), gx,
                                     self.upper == self.transpose, True, self.unitriangular)
        if gx is not None:
            if self.needs(1):
                ga = -ns.matmul(x, mT(ns, gb)) if self.transpose else -ns.matmul(gb, mT(ns, x))
                dt = ns_data(ga).dtype
                k = 1 if self.unitriangular else 0
                ga = triu(ns, ga, dt, k) if self.upper else tril(ns, ga, dt, -k)
        if gm is not None and self.needs(1):
            ga = gm if ga is None else ga + gm
        return gb if self.needs(0) else None, ga

    def jvp(self, ns, tangents, a, b, x):
        """JVP: op(A) X = B (op: the transpose or not) gives tX = op(A)^{-1} (tB - op(tA) X)
        with tA on A's triangle; the cloned coefficient's tangent is tA itself."""
        tb, ta = tangents
        rhs = tb
        if ta is not None:
            tt = _triangle(ns, ta, self.upper, self.unitriangular)
            d = ns.matmul(mT(ns, tt) if self.transpose else tt, x)
            rhs = -d if rhs is None else rhs - d
        tx = ns.solve_triangular(mT(ns, a) if self.transpose else a, rhs,
                                 self.upper != self.transpose, True, self.unitriangular)
        return tx, 0.0 if ta is None else ta


_trisolve_t = return_type("triangular_solve", ("solution", "cloned_coefficient"))
_warned_trisolve = False


@export(method=True)
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    global _warned_trisolve
    if not _warned_trisolve:
        _warned_trisolve = True
        _warn.warn(
            "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand "
            "will be removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its "
            "arguments reversed and does not return a copy of one of the inputs.\n"
            "X = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
            "X = torch.linalg.solve_triangular(A, B).", UserWarning)
    b, a = input._data, A._data
    if b.ndim < 2:
        raise RuntimeError("torch.triangular_solve: Expected b to have at least 2 dimensions, "
                           f"but it has {b.ndim} dimensions instead")
    if a.ndim < 2:
        raise RuntimeError("torch.triangular_solve: Expected A to have at least 2 dimensions, "
                           f"but it has {a.ndim} dimensions instead")
    check_square(a, "")
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for triangular_solve: each A matrix is "
                           f"{a.shape[-2]} by {a.shape[-1]} but each b matrix is {b.shape[-2]} "
                           f"by {b.shape[-1]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{tname(b)} and A of type {tname(a)} instead.")
    check_kernel(a, "triangular_solve_cpu")
    bs = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    ab = np.broadcast_to(a, bs + a.shape[-2:])
    t = np.swapaxes(ab, -1, -2) if transpose else ab
    x = np_solve_triangular(t, np.broadcast_to(b, bs + b.shape[-2:]), upper != transpose, True,
                            unitriangular)
    outs = (lapack_layout(x), np.swapaxes(np.swapaxes(ab, -1, -2).copy(), -1, -2))
    res = multi_output(TriangularSolveBackward0, (input, A), outs, (True, True),
                       (A, input, ("out", 0)), upper=upper, transpose=transpose,
                       unitriangular=unitriangular)
    return _trisolve_t(res)


# ------------------------------------------------------------------ Cholesky
class _CholeskyBackward(Node):
    """A = LL^T: gA = L^{-T} Φ(L^T gL) L^{-1}, symmetrised, Φ(X) = tril(X) with its diagonal
    halved (upper: A = U^T U with L = U^T)."""
    __slots__ = ("upper",)
    saved_attrs = {"upper": "upper"}

    def backward(self, ns, grad, low):
        if self.upper:
            low, grad = mT(ns, low), mT(ns, grad)
        dt = ns_data(grad).dtype
        phi = tril(ns, ns.matmul(mT(ns, low), grad), dt)
        if not ns.INPLACE:   # create_graph: PyTorch's (phi + phi.tril(-1).mH()) * 0.5, mul.Scalar
            phi = ns.mul_scalar(phi + mT(ns, tril(ns, phi, dt, -1)), 0.5)
        else:
            phi = 0.5 * (phi + mT(ns, tril(ns, phi, dt, -1)))
        ga = ns.solve_triangular(mT(ns, low), phi, True, True, False)
        return (ns.solve_triangular(low, ga, False, False, False),)

    def jvp(self, ns, tangents, low):
        """JVP: A = LL^T gives tL = L Φ(L^{-1} tA L^{-T}), Φ(X) = tril(X) with its diagonal
        halved (upper: A = U^T U, tU = tL^T with L = U^T)."""
        if self.upper:
            low = mT(ns, low)
        dt = np.asarray(low).dtype
        y = ns.solve_triangular(low, tangents[0], False, True, False)
        y = ns.solve_triangular(mT(ns, low), y, True, False, False)
        y = tril(ns, y, dt) - 0.5 * diag_embed(ns, ns.diagonal(y, 0, -2, -1), dt)
        tl = ns.matmul(low, y)
        return mT(ns, tl) if self.upper else tl


class LinalgCholeskyExBackward0(_CholeskyBackward):
    __slots__ = ()
    saved_names = ("L",)


class CholeskyBackward0(_CholeskyBackward):
    __slots__ = ()
    saved_names = ("result",)


def _cholesky(A, upper, fn, cls):
    a = A._data
    check_square(a, fn)
    if fn == "cholesky":
        check_kernel(a, "cholesky_cpu")
    check_floating(a, fn, low=False)
    check_kernel(a, "cholesky_cpu")
    out = lapack_layout(np_cholesky(a, upper, fn))
    return record(cls, (A,), out, RESULT, upper=upper)


@export(torch=False, linalg="cholesky")
def linalg_cholesky(A, *, upper=False, out=None):
    return _cholesky(A, upper, "linalg.cholesky", LinalgCholeskyExBackward0)


_chol_ex_t = return_type("linalg_cholesky_ex", ("L", "info"))


@export(torch=False, linalg=True)
def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    try:
        low = _cholesky(A, upper, "linalg.cholesky_ex", LinalgCholeskyExBackward0)
        info = np.zeros(A._data.shape[:-2], np.int32)
    except _LinAlgError:
        if check_errors:
            raise
        a = A._data
        flat = (np.swapaxes(a, -1, -2) if upper else a).reshape((-1,) + a.shape[-2:])
        pieces, codes = [], []
        for m in flat:
            part, k = cholesky_unblocked(m)
            pieces.append(part if k else np_cholesky(m, False, "linalg.cholesky_ex"))
            codes.append(k)
        info = np.array(codes, np.int32).reshape(a.shape[:-2])
        res = np.stack(pieces).reshape(a.shape) if pieces else np.zeros(a.shape, a.dtype)
        low = wrap(lapack_layout(np.swapaxes(res, -1, -2) if upper else res))
    return _chol_ex_t((low, wrap(info)))


_warned_cholesky = False


@export(method=True)
def cholesky(input, upper=False, *, out=None):
    global _warned_cholesky
    if not _warned_cholesky:
        _warned_cholesky = True
        _warn.warn(
            "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
            "a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
            "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be "
            "replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
            "equivalent results for all valid (symmetric positive definite) inputs.",
            UserWarning)
    return _cholesky(input, upper, "cholesky", CholeskyBackward0)


class CholeskySolveBackward0(Node):
    """X = (LL^T)^{-1} B: gB = (LL^T)^{-1} g; with C = gB X^T + X gB^T, gL = -C L
    (upper: A = U^T U, gU = -U C)."""
    __slots__ = ("upper",)
    saved_attrs = {"upper": "upper"}
    saved_names = ("input2", "self", "result")   # PyTorch's order

    def backward(self, ns, grad, low, b, x):
        if not ns.INPLACE:   # create_graph: PyTorch's grad.cholesky_solve(input2, upper)
            gb = ns.cholesky_solve(grad, low, self.upper)
        else:
            gb = _chol_solve(ns, grad, low, self.upper)
        gl = None
        if self.needs(1):
            c = ns.matmul(gb, mT(ns, x))
            c = c + mT(ns, c)
            gl = -ns.matmul(low, c) if self.upper else -ns.matmul(c, low)
        return gb if self.needs(0) else None, gl

    def jvp(self, ns, tangents, low, b, x):
        """JVP: X = A^{-1} B with A = LL^T (upper: U^T U) gives tX = A^{-1} (tB - tA X),
        tA = tL L^T + L tL^T (upper: tU^T U + U^T tU)."""
        tb, tl = tangents
        rhs = tb
        if tl is not None:
            p = ns.matmul(mT(ns, tl), low) if self.upper else ns.matmul(tl, mT(ns, low))
            d = ns.matmul(p + mT(ns, p), x)
            rhs = -d if rhs is None else rhs - d
        return _chol_solve(ns, rhs, low, self.upper)


def _chol_solve(ns, b, low, upper):
    """(LL^T)^{-1} b (upper: (U^T U)^{-1} b) with two triangular solves."""
    if upper:
        y = ns.solve_triangular(mT(ns, low), b, False, True, False)
        return ns.solve_triangular(low, y, True, True, False)
    y = ns.solve_triangular(low, b, False, True, False)
    return ns.solve_triangular(mT(ns, low), y, True, True, False)


@export(method=True)
def cholesky_solve(input, input2, upper=False, *, out=None):
    b, low = input._data, input2._data
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions "
                           "instead")
    if low.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {low.ndim} dimensions "
                           "instead")
    check_square(low, "")
    if low.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{low.shape[-2]} by {low.shape[-1]} but each b matrix is "
                           f"{b.shape[-2]} by {b.shape[-1]}")
    if low.dtype != b.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{tname(b)} and A of type {tname(low)} instead.")
    check_kernel(low, "cholesky_solve_cpu")
    x = lapack_layout(_chol_solve(numpy_ns, b, low, upper))
    return record2(CholeskySolveBackward0, input, input2, x, (input2, input, RESULT), upper=upper)
