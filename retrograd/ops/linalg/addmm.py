"""The fused multiply-adds (addmm, addmv, addr, addbmm, baddbmm: beta * input + alpha * product)
and bmm."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from .._util import needs_grad, quiet, quiet_op, wrap
from ...autograd._record import record
from ... import _dtype as D
from .matmul import (BmmBackward0, _TYPE, _fmt, _product, by_columns, col_major, column_product,
                     ger, mm_mat1_grad, mm_mat2_grad, torch_strides)


def _tname(a: np.ndarray) -> str:
    """PyTorch's ScalarType name: Float, Double, Long, ..."""
    return D.from_numpy_dtype(a.dtype)._legacy[:-len("Tensor")]


def _lname(a: np.ndarray) -> str:
    """PyTorch's C++ type name: float, double, long int, ..."""
    return _TYPE[D.from_numpy_dtype(a.dtype).name]


def _not_impl(a: np.ndarray, kernel: str) -> None:
    if a.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _expand_to(x: np.ndarray, target: tuple) -> None:
    """PyTorch's expand() check, for ``input`` of the add* ops."""
    if x.ndim > len(target):
        raise RuntimeError(
            f"expand(torch.{D.from_numpy_dtype(x.dtype)._legacy}{{{_fmt(x.shape)}}}, size="
            f"{_fmt(target)}): the number of sizes provided ({len(target)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({x.ndim})")
    lead = len(target) - x.ndim
    for i, s in enumerate(target[lead:], lead):
        have = x.shape[i - lead]
        if have != s and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {_fmt(target)}.  Tensor sizes: "
                f"{_fmt(x.shape)}")


def _scale(x: np.ndarray, c, name: str, strict: bool):
    """``c * x`` in x's dtype. An integral tensor truncates a float coefficient (addmm, bmm
    family) or rejects it (``strict``: addr), as PyTorch does."""
    if x.dtype.kind in "iu" and isinstance(c, float):
        if strict:
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                               "floating point number.")
        c = int(c)
    return x if c == 1 else x * x.dtype.type(c)


def _addmm_forward(inp: np.ndarray, prod: np.ndarray, beta, alpha, strict=False,
                   zero_alpha_ignores: bool = False) -> np.ndarray:
    """beta * input + alpha * prod; beta = 0 ignores input entirely (NaN and inf too), and so
    does alpha = 0 the product where ``zero_alpha_ignores`` (PyTorch's BLAS-backed addmm, addmv
    and addbmm; its addr and baddbmm multiply, so 0 * inf is NaN there). IEEE results
    (inf - inf = nan) without NumPy's RuntimeWarnings, as PyTorch computes them."""
    if zero_alpha_ignores and alpha == 0 and prod.dtype.kind == "f":
        prod = np.zeros_like(prod)
    with quiet():
        return _addmm_sum(inp, prod, beta, alpha, strict)


def _addmm_sum(inp: np.ndarray, prod: np.ndarray, beta, alpha, strict: bool) -> np.ndarray:
    prod = _scale(prod, alpha, "alpha", strict)
    if beta == 0 or (inp.dtype.kind in "iu" and not strict and int(beta) == 0):
        return prod
    inp = _scale(inp, beta, "beta", strict)
    if inp.dtype == prod.dtype and prod.shape == np.broadcast_shapes(inp.shape, prod.shape):
        prod += inp         # prod is the product just computed (ours): no second buffer
        return prod
    return inp + prod


def _maybe_multiply(t, c):
    """``t * c``, or ``t`` itself when ``c`` is 1 (PyTorch's maybe_multiply: no pass over the
    gradient and, under create_graph, no MulBackward0 node)."""
    return t if not isinstance(c, complex) and c == 1 else t * c


def _scaled(ns, t, c):
    """maybe_multiply under create_graph: ``t * c`` is PyTorch's mul.Scalar (MulBackward1)."""
    return t if not isinstance(c, complex) and c == 1 else ns.mul_scalar(t, c)


class _AddProductBackward(Node):
    """Shared by the add* ops: d(beta*input + alpha*P(a, b)) = beta*grad for input, alpha times
    the product rule for a and b (each op supplies P's two partial products). ``geom``: what
    a subclass needs for its saved sizes (set by the forward)."""
    __slots__ = ("beta", "alpha", "geom")
    saved_attrs = {"alpha": "alpha", "beta": "beta"}

    def backward(self, ns, grad, a, b):
        if not ns.INPLACE:   # create_graph: PyTorch's formulas (see graph_a / graph_b)
            return (_scaled(ns, grad, self.beta) if self.needs(0) else None,
                    _scaled(ns, self.graph_a(ns, grad, b), self.alpha) if self.needs(1) else None,
                    _scaled(ns, self.graph_b(ns, grad, a), self.alpha) if self.needs(2) else None)
        return (_maybe_multiply(grad, self.beta) if self.needs(0) else None,
                _maybe_multiply(self.grad_a(ns, grad, b), self.alpha) if self.needs(1) else None,
                _maybe_multiply(self.grad_b(ns, grad, a), self.alpha) if self.needs(2) else None)

    def jvp(self, ns, tangents, a, b):
        """JVP: beta*tC + alpha*(P(tA, B) + P(A, tB)) (the product rule on P)."""
        tc, ta, tb = tangents
        prod = None if ta is None else self.product(ns, ta, b)
        if tb is not None:
            t = self.product(ns, a, tb)
            prod = t if prod is None else prod + t
        if prod is not None and self.alpha != 1:
            prod = prod * self.alpha
        if tc is not None:
            tc = tc if self.beta == 1 else tc * self.beta
            prod = tc if prod is None else prod + tc
        return prod


def _addmm_strides(node, i: int) -> tuple:
    """mat1/mat2 strides, saved by PyTorch for an operand that needs a gradient."""
    if not node.needs(i + 1):
        return ()
    shape, strides = node.geom[i]
    return torch_strides(shape, strides, node._dtype.itemsize)


class AddmmBackward0(_AddProductBackward):
    """d(beta*C + alpha*A@B): gC = beta*g, gA = alpha * g @ B^T, gB = alpha * A^T @ g.
    ``geom``: ((shape, NumPy strides) of mat1, of mat2)."""
    __slots__ = ()
    saved_names = ("mat1", "mat2")
    saved_attrs = {
        "alpha": "alpha", "beta": "beta",
        "mat1_sym_sizes": lambda n: n.geom[0][0],
        "mat2_sym_sizes": lambda n: n.geom[1][0],
        "mat1_sym_strides": lambda n: _addmm_strides(n, 0),
        "mat2_sym_strides": lambda n: _addmm_strides(n, 1),
    }

    def grad_a(self, ns, grad, b):
        return ns.matmul(grad, ns.transpose(b, -1, -2))

    def graph_a(self, ns, grad, b):   # PyTorch's mm_mat1_backward
        return mm_mat1_grad(ns, grad, b, col_major(self.geom[0][0], _addmm_strides(self, 0)))

    def graph_b(self, ns, grad, a):   # PyTorch's mm_mat2_backward
        return mm_mat2_grad(ns, grad, a, col_major(self.geom[1][0], _addmm_strides(self, 1)))

    def grad_b(self, ns, grad, a):
        shape, strides = self.geom[1]
        if len(shape) == 2 and strides[0] < strides[1]:
            # mat2 is column-major (a weight seen through .t(), as in F.linear): its gradient
            # is computed as (g^T A)^T, laid out like mat2 (PyTorch's mm_mat2_backward), so the
            # weight's own gradient comes out row-major and needs no transposing copy
            return ns.transpose(ns.matmul(ns.transpose(grad, -1, -2), a), -1, -2)
        return ns.matmul(ns.transpose(a, -1, -2), grad)

    def product(self, ns, a, b):
        return ns.matmul(a, b)


class AddbmmBackward0(AddmmBackward0):
    """d(beta*C + alpha*sum_b A_b@B_b): gA_b = alpha * g @ B_b^T, gB_b = alpha * A_b^T @ g.
    ``geom``: the number of batches."""
    __slots__ = ()
    saved_names = ("batch1", "batch2")
    saved_attrs = {
        "alpha": "alpha", "beta": "beta",
        "batch1_sym_argsize_0": "geom",
        "batch1_sym_argsize_1": lambda n: n._shape[0],
        "batch2_sym_argsize_2": lambda n: n._shape[1],
    }

    def grad_b(self, ns, grad, a):
        return ns.matmul(ns.transpose(a, -1, -2), grad)

    def _batched(self, ns, grad):
        return ns.expand(ns.unsqueeze_dims(grad, (0,)), (self.geom,) + tuple(grad.shape))

    def graph_a(self, ns, grad, b):
        return ns.bmm(self._batched(ns, grad), ns.transpose(b, 1, 2))

    def graph_b(self, ns, grad, a):
        return ns.bmm(ns.transpose(a, 1, 2), self._batched(ns, grad))

    def product(self, ns, a, b):
        return ns.sum_dims(ns.matmul(a, b), (0,), False)


class BaddbmmBackward0(AddbmmBackward0):
    """d(beta*C + alpha*A@B) batched: gA = alpha * g @ B^T, gB = alpha * A^T @ g."""
    __slots__ = ()
    saved_attrs = _AddProductBackward.saved_attrs

    def graph_a(self, ns, grad, b):
        return ns.bmm(grad, ns.transpose(b, 1, 2))

    def graph_b(self, ns, grad, a):
        return ns.bmm(ns.transpose(a, 1, 2), grad)

    def product(self, ns, a, b):
        return ns.matmul(a, b)


class AddmvBackward0(_AddProductBackward):
    """d(beta*c + alpha*A@v): gc = beta*g, gA = alpha * outer(g, v), gv = alpha * A^T @ g."""
    __slots__ = ()
    saved_names = ("mat", "vec")

    def grad_a(self, ns, grad, v):
        return ns.unsqueeze_dims(grad, (-1,)) * ns.unsqueeze_dims(v, (0,))

    def grad_b(self, ns, grad, a):
        return ns.matmul(ns.transpose(a, 0, 1), grad)

    def graph_a(self, ns, grad, v):
        return ger(ns, grad, v)

    def graph_b(self, ns, grad, a):
        return ns.matmul(ns.t(a), grad)

    def product(self, ns, a, v):
        return ns.matmul(a, v)


class AddrBackward0(_AddProductBackward):
    """d(beta*C + alpha*outer(u, v)): gC = beta*g, gu = alpha * g @ v, gv = alpha * g^T @ u."""
    __slots__ = ()
    saved_names = ("vec1", "vec2")

    def grad_a(self, ns, grad, v):
        return ns.matmul(grad, v)

    def grad_b(self, ns, grad, u):
        return ns.matmul(ns.transpose(grad, 0, 1), u)

    def graph_a(self, ns, grad, v):
        return ns.matmul(grad, v)

    def graph_b(self, ns, grad, u):
        return ns.matmul(ns.t(grad), u)

    def product(self, ns, u, v):
        return ns.unsqueeze_dims(u, (-1,)) * ns.unsqueeze_dims(v, (0,))


def _add_product(cls, input, a, b, out, beta, alpha, geom=None):
    return record(cls, (input, a, b), out,
                  lambda n: (a if n.needs(2) else None, b if n.needs(1) else None),
                  beta=beta, alpha=alpha, geom=geom)


_PLAIN = frozenset((int, float, bool))


def _product_plus(ab, c) -> np.ndarray:
    """``a @ b + c`` with the sum written into the fresh product (``c`` broadcasts into it), or,
    for a product faster through a column-ordered result (matmul.by_columns: F.linear's float32
    layout at 8-64 rows), the sum writing the row-ordered result from it."""
    a, b = ab
    if by_columns(a, b):
        return np.add(column_product(a, b), c, out=np.empty((a.shape[0], b.shape[1]), a.dtype))
    out = np.matmul(a, b)
    out += c
    return out


def _need_matrix(x: np.ndarray, name: str) -> None:
    if x.ndim != 2:
        raise RuntimeError(f"{name} must be a matrix, got {x.ndim}-D tensor")


@export(method=True, inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return _addmm(input, mat1, mat2, beta, alpha, mat2._data)


def addmm_rows(input, mat1, mat2, mat2_rows):
    """``addmm(input, mat1, mat2)`` with the product taken on ``mat2_rows``, a C-ordered copy of
    ``mat2``'s values that the caller keeps across calls (a recurrent layer's W_hh^T at every
    step: NumPy's product with a transposed operand is 2-3x slower at small batches). The same
    checks, node and saved values as addmm; for callers that have checked no mode is active."""
    return _addmm(input, mat1, mat2, 1, 1, mat2_rows)


def _addmm(input, mat1, mat2, beta, alpha, b_values):
    c, a, b = input._data, mat1._data, mat2._data
    _need_matrix(a, "mat1")
    _need_matrix(b, "mat2")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {b.shape[0]}x{b.shape[1]})")
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_tname(a)} and "
                           f"{_tname(b)}")
    if c.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tname(c)} and "
                           f"{_tname(b)}")
    target = (a.shape[0], b.shape[1])
    if c.shape != target and c.shape != target[1:]:   # F.linear's bias is a row: no check needed
        _expand_to(c, target)
    _not_impl(a, "addmm_impl_cpu_")
    if beta == 1 and alpha == 1 and type(beta) in _PLAIN and type(alpha) in _PLAIN:
        out = quiet_op(_product_plus, (a, b_values), c)     # F.linear's case: one pass
    else:
        out = _addmm_forward(c, quiet_op(np.matmul, a, b_values), beta, alpha,
                             zero_alpha_ignores=True)
    return _add_product(AddmmBackward0, input, mat1, mat2, out, beta, alpha,
                        ((a.shape, a.strides), (b.shape, b.strides)))


@export(method=True, inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    c, a, v = input._data, mat._data, vec._data
    if a.ndim != 2 or v.ndim != 1 or c.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {c.ndim}, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0] or (c.ndim == 1 and c.shape[0] not in (1, a.shape[0])):
        raise RuntimeError(f"size mismatch, got input ({c.shape[0] if c.ndim else 1}), mat "
                           f"({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})")
    if not c.dtype == a.dtype == v.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_tname(c)}, "
                           f"{_tname(a)}, and {_tname(v)}")
    _not_impl(a, "addmv_impl_cpu")
    out = _addmm_forward(c, quiet_op(np.matmul, a, v), beta, alpha, zero_alpha_ignores=True)
    return _add_product(AddmvBackward0, input, mat, vec, out, beta, alpha)


@export(method=True, inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    u, v = vec1._data, vec2._data
    for name, x in (("vec1", u), ("vec2", v)):
        if x.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {x.ndim}-D")
    rt = D.result_type(input, vec1, vec2).np
    c = input._data.astype(rt, copy=False)
    u, v = u.astype(rt, copy=False), v.astype(rt, copy=False)
    _expand_to(c, (u.shape[0], v.shape[0]))
    if rt == np.bool_:
        out = (c & bool(beta) if beta else np.zeros_like(c)) | (np.outer(u, v) & bool(alpha))
        out = np.array(np.broadcast_to(out, (u.shape[0], v.shape[0])))
    else:
        out = _addmm_forward(c, quiet_op(np.outer, u, v), beta, alpha, strict=True)
    return _add_product(AddrBackward0, input, vec1, vec2, out, beta, alpha)


@export(method=True, inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    c, a, b = input._data, batch1._data, batch2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{b.ndim}, "
                         f"{b.ndim - 1}], but got 2)")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{a.shape[0]} and {b.shape[0]}")
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
                           f"{b.shape[1]}x{b.shape[2]})")
    _expand_to(c, (a.shape[1], b.shape[2]))
    if c.dtype != b.dtype or a.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tname(c)} and "
                           f"{_tname(b) if c.dtype != b.dtype else _tname(a)}")
    _not_impl(a, "addbmm_impl_cpu_")
    out = _addmm_forward(c, quiet_op(np.matmul, a, b).sum(0, dtype=a.dtype), beta, alpha,
                         zero_alpha_ignores=True)
    return _add_product(AddbmmBackward0, input, batch1, batch2, out, beta, alpha, a.shape[0])


@export(method=True, inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    c, a, b = input._data, batch1._data, batch2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{b.ndim}, "
                         f"{b.ndim - 1}], but got 2)")
    if c.dtype != a.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_lname(c)}, batch1: "
                           f"{_lname(a)}, batch2: {_lname(b)}")
    _expand_to(c, (a.shape[0], a.shape[1], b.shape[2]))
    _bmm_checks(a, b)
    out = _addmm_forward(c, quiet_op(np.matmul, a, b), beta, alpha)
    return _add_product(BaddbmmBackward0, input, batch1, batch2, out, beta, alpha)


def _bmm_checks(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_tname(a)} but found {_tname(b)}")
    _not_impl(a, "bmm")


@export(method=True, vmap='bmm')
def bmm(input, mat2):
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _bmm_checks(a, b)
    if not needs_grad(input, mat2):
        return wrap(quiet_op(np.matmul, a, b))
    return _product(BmmBackward0, input, mat2)
