"""Matrix functions: linalg.matrix_power (PyTorch's composite of matmuls and inv) and
linalg.matrix_exp (scaling and squaring with a [13/13] Padé approximant; its gradient is the
exponential of a block matrix, so it is differentiable again)."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from ...autograd._record import record1
from ._common import check_floating, check_square, mT, np_lu_solve_unchecked  # noqa: F401
from .matmul import matmul
from .solve import inv
from ..shape.basic import clone

# ------------------------------------------------------------------ matrix_exp
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def np_matrix_exp(a: np.ndarray) -> np.ndarray:
    """exp(A) for (..., n, n): scale by 2^-s so that ||A||_1 <= theta_13, Padé [13/13], square
    s times (Higham 2005), per matrix; computed in float64."""
    dtype = a.dtype
    x = np.asarray(a, dtype=np.float64)
    n = x.shape[-1]
    if x.size == 0:
        return np.array(x, dtype=dtype)
    with np.errstate(all="ignore"):
        norm = np.abs(x).sum(-2).max(-1)
        s = np.where(np.isfinite(norm) & (norm > _THETA13),
                     np.ceil(np.log2(np.where(norm > 0, norm, 1) / _THETA13)), 0).astype(np.int64)
        x = x * np.ldexp(1.0, -s)[..., None, None]
        b = _PADE13
        ident = np.eye(n)
        x2 = x @ x
        x4 = x2 @ x2
        x6 = x4 @ x2
        u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2)
                 + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * ident)
        v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 \
            + b[0] * ident
        try:
            r = np.linalg.solve(v - u, v + u)
        except np.linalg.LinAlgError:  # non-finite input: PyTorch propagates NaN
            r = np.full(x.shape, np.nan)
        for k in range(int(s.max()) if s.size else 0):
            r = np.where((k < s)[..., None, None], r @ r, r)
        return r.astype(dtype)


class LinalgMatrixExpBackward0(Node):
    """d exp(A) is the upper-right block of exp([[A, dA], [0, A]]), so the gradient is the
    upper-right block of exp([[A^T, g], [0, A^T]])."""
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, a):
        n = a.shape[-1]
        at = mT(ns, a)
        if not ns.INPLACE:   # create_graph: PyTorch's linalg_matrix_exp_differential, the
            # blocks copied into zeros in place (a chain of CopySlices; Tensors on this path)
            big = ns.zeros(tuple(a.shape[:-2]) + (2 * n, 2 * n), a._data.dtype)
            big[..., :n, :n].copy_(at)
            big[..., n:, n:].copy_(at)
            big[..., :n, n:].copy_(grad)
            return (ns.matrix_exp(big)[..., :n, n:],)
        top = ns.cat([at, grad], -1)
        bottom = ns.cat([ns.zeros_like(at), at], -1)
        big = ns.matrix_exp(ns.cat([top, bottom], -2))
        return (big[..., :n, n:],)

    def jvp(self, ns, tangents, a):
        """JVP: the upper-right block of exp([[A, tA], [0, A]])."""
        n = a.shape[-1]
        t = tangents[0] + ns.zeros_like(a)   # (the batch of a broadcast tangent)
        top = ns.cat([a, t], -1)
        bottom = ns.cat([ns.zeros_like(a), a], -1)
        return ns.matrix_exp(ns.cat([top, bottom], -2))[..., :n, n:]


@export(method=True, linalg=True)
def matrix_exp(A):
    a = A._data
    check_square(a, "linalg.matrix_exp")
    check_floating(a, "linalg.matrix_exp", low=False)
    out = np_matrix_exp(a)
    return record1(LinalgMatrixExpBackward0, A, out, A)


# ------------------------------------------------------------------ matrix_power
class CopyBackwards(Node):
    """x.copy_(src) with a constant src: the overwritten values get a zero gradient."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad),)

    def name(self) -> str:
        return "torch::autograd::CopyBackwards"


@export(method=True, linalg=True)
def matrix_power(A, n):
    """PyTorch's algorithm (so the same graph): inv for n < 0, then binary powering."""
    a = A._data
    check_square(a, "linalg.matrix_power")
    if n == 0:
        eye = np.array(np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape))
        c = clone(A)
        return record1(CopyBackwards, c, eye)
    if n < 0:
        A = inv(A)
        n = -n
    elif n == 1:
        return clone(A)
    if n == 1:
        return A
    if n == 2:
        return matmul(A, A)
    if n == 3:
        return matmul(matmul(A, A), A)
    z = result = None
    while n > 0:
        bit = n % 2
        n //= 2
        z = A if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result



# ------------------------------------------------------------------ LU solve at a zero pivot
