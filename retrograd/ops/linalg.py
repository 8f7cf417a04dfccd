"""matmul and its PyTorch special cases (dot, mv, mm, bmm-like broadcasting).

Without a gradient matmul is one np.matmul; with one it records what PyTorch's _matmul_impl
records (dot, mv, mm, unsqueeze-mm-squeeze_, folded mm/mv, expand-reshape-bmm-_unsafe_view), so
the graph and the saved tensors are PyTorch's."""
from __future__ import annotations

import numpy as np

from .. import _warn
from ..autograd.node import Node
from ._registry import export
from ._util import Tensor, make_node, needs_grad, quiet, quiet_op, u64, wrap

_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
         "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
         "bool": "bool"}


class _MatmulBackward(Node):
    """d(x @ y)/dx = grad @ y^T, d(x @ y)/dy = x^T @ grad; 1-D operands are treated as a row
    (x) or a column (y) and squeezed back. Subclasses fix the saved order (PyTorch's)."""
    __slots__ = ("xdim", "ydim")

    def grads(self, ns, grad, x, y):
        xd, yd = self.xdim, self.ydim
        if xd == 1 and yd == 1:
            return (grad * y if self.needs(0) else None, grad * x if self.needs(1) else None)
        g = grad
        if xd == 1:
            g = ns.unsqueeze_dims(g, (g.ndim - 1,))
        if yd == 1:
            g = ns.unsqueeze_dims(g, (g.ndim,))
        gx = gy = None
        if self.needs(0):
            y2 = y if yd > 1 else ns.unsqueeze_dims(y, (0,))   # (1, k) -> as a (k, 1) transposed
            gx = ns.matmul(g, y2 if yd == 1 else ns.transpose(y2, -1, -2))
            if xd == 1:
                gx = ns.squeeze_dim(gx, gx.ndim - 2)
        if self.needs(1):
            x2 = x if xd > 1 else ns.unsqueeze_dims(x, (1,))   # (k, 1) = x^T for a row x
            gy = ns.matmul(x2 if xd == 1 else ns.transpose(x2, -1, -2), g)
            if yd == 1:
                gy = ns.squeeze_dim(gy, gy.ndim - 1)
        return gx, gy

    def tangent(self, ns, tangents, x, y):
        """JVP: tx @ y + x @ ty (the product rule; matmul treats 1-D operands as above)."""
        tx, ty = tangents
        out = None if tx is None else ns.matmul(tx, y)
        if ty is not None:
            t = ns.matmul(x, ty)
            out = t if out is None else out + t
        return out


class DotBackward0(_MatmulBackward):
    __slots__ = ()
    saved_names = ("self", "tensor")

    def backward(self, ns, grad, x, y):
        return self.grads(ns, grad, x, y)

    def jvp(self, ns, tangents, x, y):
        """JVP: tx . y + x . ty."""
        return self.tangent(ns, tangents, x, y)


class MvBackward0(_MatmulBackward):
    __slots__ = ()
    saved_names = ("self", "vec")

    def backward(self, ns, grad, x, y):
        return self.grads(ns, grad, x, y)

    def jvp(self, ns, tangents, x, y):
        """JVP: tA @ v + A @ tv."""
        return self.tangent(ns, tangents, x, y)


def torch_strides(shape: tuple, strides: tuple, itemsize: int) -> tuple:
    """NumPy byte strides as PyTorch reports them, in elements (see views.torch_strides): a
    size-1 dim NumPy gives a zero stride has the extent of the dims after it; an empty array
    has contiguous strides."""
    if 0 in shape:
        out, acc = [], 1
        for n in reversed(shape):
            out.append(acc)
            acc *= max(n, 1)
        return tuple(reversed(out))
    st = [s // itemsize for s in strides]
    for d in range(len(shape) - 1, -1, -1):
        if shape[d] == 1 and st[d] == 0:
            st[d] = shape[d + 1] * st[d + 1] if d + 1 < len(shape) else 1
    return tuple(st)




def _mm_sizes(node) -> tuple:
    """((n, k), (k, p)) of a 2-D product from its output's shape and the edge of an operand
    that needs a gradient (one of them does)."""
    n, p = node._shape
    a = node.input_shape(0)
    k = a[1] if a is not None else node.input_shape(1)[0]
    return (n, k), (k, p)


def _mm_strides(node, i: int) -> tuple:
    """PyTorch saves an operand's strides when it needs a gradient, () otherwise."""
    if not node.needs(i):
        return ()
    return torch_strides(_mm_sizes(node)[i], node.strides[i], node._dtype.itemsize)


class MmBackward0(_MatmulBackward):
    """PyTorch saves mat2 before self (its formula for self mentions mat2 first); also both
    operands' sizes and, for those that need a gradient, their strides (``strides`` holds the
    NumPy byte strides, converted on access)."""
    __slots__ = ("strides",)
    saved_names = ("mat2", "self")
    saved_attrs = {
        "self_sym_sizes": lambda n: _mm_sizes(n)[0],
        "mat2_sym_sizes": lambda n: _mm_sizes(n)[1],
        "self_sym_strides": lambda n: _mm_strides(n, 0),
        "mat2_sym_strides": lambda n: _mm_strides(n, 1),
    }

    def backward(self, ns, grad, y, x):
        return self.grads(ns, grad, x, y)

    def jvp(self, ns, tangents, y, x):
        """JVP: tx @ y + x @ ty."""
        return self.tangent(ns, tangents, x, y)


class BmmBackward0(MmBackward0):
    __slots__ = ()
    saved_attrs = {}


class SqueezeBackward4(Node):
    """1-D @ 2-D: torch squeezes the (1, p) product in place (squeeze_(0)); the gradient gets
    the dim back."""
    __slots__ = ()
    saved_attrs = {"dim": lambda n: 0, "self_sym_sizes": Node.input_shape}

    def backward(self, ns, grad):
        return (ns.unsqueeze_dims(grad, (0,)),)


def _fmt(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _dtype_error(x: np.ndarray, y: np.ndarray) -> None:
    """matmul's dtype errors, from the kernel each shape pair reaches in PyTorch: dot (1-D @
    1-D), addmv (@ 1-D), bmm (@ batched), addmm (the rest). Bool has none of them."""
    from .._dtype import from_numpy_dtype
    a, b = (from_numpy_dtype(d.dtype)._legacy[:-len("Tensor")] for d in (x, y))
    if y.ndim == 1:
        kernel = "dot" if x.ndim == 1 else "addmv_impl_cpu"
    else:
        kernel = "bmm" if y.ndim > 2 else "addmm_impl_cpu_"
    if x.dtype == y.dtype:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{a}\'')
    if kernel == "dot":
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {a} and "
                           f"{b}")
    if kernel == "addmv_impl_cpu":
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {b}, {a}, "
                           f"and {b}")
    if kernel == "bmm":
        raise RuntimeError(f"expected scalar type {a} but found {b}")
    ca, cb = (_TYPE[from_numpy_dtype(d.dtype).name] for d in (x, y))
    raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {ca} != {cb}")


def _check(x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{x.ndim}D and {y.ndim}D")
    if x.dtype != y.dtype or x.dtype.kind == "b":
        _dtype_error(x, y)
    k1 = x.shape[-1]
    k2 = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k1 == k2:
        return
    if x.ndim == 1 and y.ndim == 1:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
                           f"[{y.shape[0]}] to have the same number of elements, but got "
                           f"{x.shape[0]} and {y.shape[0]} elements respectively")
    if x.ndim <= 2 and y.ndim <= 2:
        if x.ndim == 2 and y.ndim == 1:
            raise RuntimeError(f"size mismatch, got input ({x.shape[0]}), mat ({x.shape[0]}x"
                               f"{x.shape[1]}), vec ({y.shape[0]})")
        a = x.reshape(1, -1) if x.ndim == 1 else x
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {y.shape[0]}x{y.shape[1]})")
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                       f"[{int(np.prod(x.shape[:-2])) if x.ndim > 2 else 1}, {k1}] but got: "
                       f"[{int(np.prod(y.shape[:-2])) if y.ndim > 2 else 1}, {k2}].")


def _product(cls, a, b):
    """One recorded product of PyTorch's matmul (dot, mv, mm, bmm), with its saved operands in
    PyTorch's order."""
    x, y = a._data, b._data
    out = quiet_op(np.matmul, x, y)
    if not needs_grad(a, b):
        return wrap(out)
    node = make_node(cls, (a, b), np.asarray(out))
    node.xdim, node.ydim = x.ndim, y.ndim
    sa = a if node.needs(1) else None
    sb = b if node.needs(0) else None
    if cls is MmBackward0:
        node.strides = (x.strides, y.strides)
        node.save(sb, sa)
    elif cls is BmmBackward0:
        node.save(sb, sa)
    else:
        node.save(sa, sb)
    return wrap(out, node)


def _should_fold(input, other) -> bool:
    """PyTorch's should_fold: a >= 3-D operand times a 1-D/2-D one becomes one mm/mv when the
    small operand requires grad or the big one folds into a matrix without a copy."""
    x, y = input._data, other._data
    larger = x.ndim >= y.ndim
    big = x if larger else np.swapaxes(y, -1, -2)
    if not (big.ndim >= 3 and (y.ndim if larger else x.ndim) <= 2):
        return False
    if needs_grad1(other if larger else input):
        return True
    if x.ndim == 2:
        return False
    if big.size == 0:
        return True
    st = [s // big.itemsize for s in big.strides]
    return all(st[i] == st[i + 1] * big.shape[i + 1] for i in range(big.ndim - 2))


def _matmul_graph(input, other):
    """PyTorch's _matmul_impl on tensors that need a gradient: the same recorded ops (dot, mv,
    unsqueeze-mm-squeeze_, mm, folded mm/mv, or expand-reshape-bmm), hence the same graph and
    the same saved tensors."""
    x, y = input._data, other._data
    xd, yd = x.ndim, y.ndim
    if xd == 2 and yd == 2:
        return _product(MmBackward0, input, other)
    if xd == 1 and yd == 1:
        return _product(DotBackward0, input, other)
    if xd == 2 and yd == 1:
        return _product(MvBackward0, input, other)
    from . import shape as S
    if xd == 1 and yd == 2:
        prod = _product(MmBackward0, S.unsqueeze(input, 0), other)
        out = prod._data[0]
        if prod.grad_fn is None:
            return wrap(out)
        return wrap(out, make_node(SqueezeBackward4, (prod,), out))
    if _should_fold(input, other):
        transpose = yd > xd
        t1 = S.transpose(other, -2, -1) if transpose else input
        t2 = (S.t(input) if xd == 2 else input) if transpose else other
        sizes1 = t1._data.shape
        out_shape = sizes1[:-1]
        folded = int(np.prod(out_shape, dtype=np.int64))
        t1f = S.reshape(t1, (folded, sizes1[-1]))
        if t2._data.ndim == 2:
            out = _unsafe_view(_product(MmBackward0, t1f, t2), out_shape + (t2._data.shape[1],))
            return S.contiguous(S.transpose(out, -2, -1)) if transpose else out
        return _unsafe_view(_product(MvBackward0, t1f, t2), out_shape)
    bt1, bt2 = x.shape[:max(xd - 2, 0)], y.shape[:max(yd - 2, 0)]
    if xd == 3 and yd == 3 and bt1[0] != bt2[0]:
        if bt1[0] == 1 and needs_grad1(input):
            return _matmul_graph(S.squeeze(input, 0), other)
        if bt2[0] == 1 and needs_grad1(other):
            return _matmul_graph(input, S.squeeze(other, 0))
    n = x.shape[-2] if xd > 1 else 1
    m1 = x.shape[-1]
    m2 = y.shape[-2] if yd > 1 else y.shape[0]
    p = y.shape[-1] if yd > 1 else 1
    batch = _batch_shape(bt1, bt2)
    size = int(np.prod(batch, dtype=np.int64))
    t1 = S.reshape(S.expand(input, batch + (n, m1)), (size, n, m1))
    if yd == 1:
        t2 = S.unsqueeze(S.reshape(S.expand(other, batch + (m2,)), (size, m2)), 2)
    else:
        t2 = S.reshape(S.expand(other, batch + (m2, p)), (size, m2, p))
    out_shape = batch + ((n,) if xd > 1 else ()) + ((p,) if yd > 1 else ())
    prod = _product(BmmBackward0, t1, t2)
    if yd == 1:
        prod = S.squeeze(prod, -1)
    return _unsafe_view(prod, out_shape)


def _batch_shape(a: tuple, b: tuple) -> tuple:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        from ._util import broadcast_error
        raise broadcast_error(a, b) from None


@export(torch='matmul', method='matmul', vmap='matmul')
def matmul(input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    x, y = input._data, other._data
    _check(x, y)
    if needs_grad(input, other):
        return _matmul_graph(input, other)
    try:
        return wrap(quiet_op(np.matmul, x, y))
    except ValueError:
        _batch_shape(x.shape[:-2], y.shape[:-2])
        raise


@export(torch='mm', method='mm', vmap='mm')
def mm(input, mat2):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


@export(torch='dot', method='dot', vmap='dot')
def dot(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    return matmul(input, other)


@export(torch='mv', method='mv', vmap='mv')
def mv(input, vec):
    return matmul(input, vec)


# ---------------------------------------------------------------------------------------------
# The rest of the products family: bmm, vdot, add{mm,mv,r,bmm}, baddbmm, tensordot, kron, cross.
# ---------------------------------------------------------------------------------------------
from .. import _dtype as D  # noqa: E402
from ._util import needs_grad1, wrap_dim  # noqa: E402


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


def _addmm_forward(inp: np.ndarray, prod: np.ndarray, beta, alpha, strict=False) -> np.ndarray:
    """beta * input + alpha * prod; beta = 0 ignores input entirely (NaN and inf too). IEEE
    results (inf - inf = nan) without NumPy's RuntimeWarnings, as PyTorch computes them."""
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


class _AddProductBackward(Node):
    """Shared by the add* ops: d(beta*input + alpha*P(a, b)) = beta*grad for input, alpha times
    the product rule for a and b (each op supplies P's two partial products). ``geom``: what
    a subclass needs for its saved sizes (set by the forward)."""
    __slots__ = ("beta", "alpha", "geom")
    saved_attrs = {"alpha": "alpha", "beta": "beta"}

    def backward(self, ns, grad, a, b):
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

    def product(self, ns, a, b):
        return ns.sum_dims(ns.matmul(a, b), (0,), False)


class BaddbmmBackward0(AddbmmBackward0):
    """d(beta*C + alpha*A@B) batched: gA = alpha * g @ B^T, gB = alpha * A^T @ g."""
    __slots__ = ()
    saved_attrs = _AddProductBackward.saved_attrs

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

    def product(self, ns, u, v):
        return ns.unsqueeze_dims(u, (-1,)) * ns.unsqueeze_dims(v, (0,))


def _add_product(cls, input, a, b, out, beta, alpha, geom=None):
    if not needs_grad(input, a, b):
        return wrap(out)
    node = make_node(cls, (input, a, b), out)
    node.beta, node.alpha, node.geom = beta, alpha, geom
    node.save(a if node.needs(2) else None, b if node.needs(1) else None)
    return wrap(out, node)


def _need_matrix(x: np.ndarray, name: str) -> None:
    if x.ndim != 2:
        raise RuntimeError(f"{name} must be a matrix, got {x.ndim}-D tensor")


@export(method=True, inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
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
    _expand_to(c, (a.shape[0], b.shape[1]))
    _not_impl(a, "addmm_impl_cpu_")
    out = _addmm_forward(c, quiet_op(np.matmul, a, b), beta, alpha)
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
    out = _addmm_forward(c, quiet_op(np.matmul, a, v), beta, alpha)
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
    out = _addmm_forward(c, quiet_op(np.matmul, a, b).sum(0, dtype=a.dtype), beta, alpha)
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


class VdotBackward0(Node):
    """d(sum x*y): gx = g*y, gy = g*x (real tensors: no conjugation). PyTorch saves other
    before self."""
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        return (grad * y if self.needs(0) else None, grad * x if self.needs(1) else None)

    def jvp(self, ns, tangents, y, x):
        """JVP: sum(tx*y) + sum(x*ty)."""
        tx, ty = tangents
        out = None if tx is None else ns.matmul(tx, y)
        if ty is not None:
            t = ns.matmul(x, ty)
            out = t if out is None else out + t
        return out


@export(method=True, vmap='dot')
def vdot(input, other):
    x, y = input._data, other._data
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    if x.dtype != y.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_tname(x)} and {_tname(y)}")
    if x.shape != y.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
                           f"[{y.shape[0]}] to have the same number of elements, but got "
                           f"{x.shape[0]} and {y.shape[0]} elements respectively")
    _not_impl(x, "dot")
    out = np.asarray(quiet_op(np.dot, x, y))
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(VdotBackward0, (input, other), out)
    node.save(other if node.needs(0) else None, input if node.needs(1) else None)
    return wrap(out, node)


@export(torch=False, linalg="vecdot")
def vecdot(x, y, *, dim=-1, out=None):
    """PyTorch's composite: vdot for two vectors, else (x * y).sum(dim) (SumBackward1)."""
    from .pointwise import mul
    from .reduction import sum as rsum
    a, b = x._data, y._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_tname(a)} and y of type {_tname(b)} instead")
    if a.dtype.kind != "f":
        raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as input. "
                           f"Got {_tname(a)}")
    if a.ndim == 1 and b.ndim == 1:
        return vdot(x, y)
    return rsum(mul(x, y), dim)


@export(torch=False, linalg="matmul", vmap='matmul')
def linalg_matmul(input, other, *, out=None):
    return matmul(input, other)


# ------------------------------------------------------------------ tensordot, kron (composite)
def _int_list(v, name: str, pos: int) -> list:
    from .._tensor import Tensor as _T
    if isinstance(v, _T):
        v = v._data.tolist()
    if isinstance(v, (int, np.integer)):
        raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple of ints, "
                        f"not int")
    return [int(d) for d in v]


@export()
def tensordot(a, b, dims=2, out=None):
    """PyTorch's composite: sum broadcast dims, permute, reshape, mm, reshape (ViewBackward0)."""
    from . import reduction, shape
    from .._tensor import Tensor as _T
    if isinstance(dims, _T):
        dims = dims._data.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        d1, d2 = list(range(-dims, 0)), list(range(dims))
    else:
        d1, d2 = _int_list(dims[0], "dims_self", 3), _int_list(dims[1], "dims_other", 4)
    if len(d1) != len(d2):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    w1 = [wrap_dim(d, a.ndim) for d in d1]
    w2 = [wrap_dim(d, b.ndim) for d in d2]
    for w in (w1, w2):
        for d in w:
            if w.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    t1, t2 = a, b
    for i, (x, y) in enumerate(zip(w1, w2)):
        s1, s2 = t1._data.shape[x], t2._data.shape[y]
        if s2 == 1:   # the dims as given, as PyTorch passes them on (saved by the nodes)
            t1 = reduction.sum(t1, d1[i], keepdim=True)
        elif s1 == 1:
            t2 = reduction.sum(t2, d2[i], keepdim=True)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in "
                               f"dim {d1[i]} and second has size {s2} in dim {d2[i]}")
    free1 = [d for d in range(a.ndim) if d not in w1]
    free2 = [d for d in range(b.ndim) if d not in w2]
    sh1, sh2 = t1._data.shape, t2._data.shape
    size = int(np.prod([sh1[d] for d in w1], dtype=np.int64))
    out_shape = [sh1[d] for d in free1] + [sh2[d] for d in free2]
    p1 = shape.permute(t1, free1 + d1)
    p2 = shape.permute(t2, d2 + free2)
    m1 = shape.reshape(p1, int(np.prod([sh1[d] for d in free1], dtype=np.int64)), size)
    m2 = shape.reshape(p2, size, int(np.prod([sh2[d] for d in free2], dtype=np.int64)))
    return shape.reshape(mm(m1, m2), out_shape)


def _unsafe_view(t, new_shape):
    """at::_unsafe_view: a reshape recorded as UnsafeViewBackward0 (no shared version counter)."""
    from .shape import UnsafeViewBackward0 as _ShapeUnsafeView
    x = t._data
    out = x.reshape(new_shape)
    if not needs_grad1(t):
        return wrap(out)
    node = make_node(_ShapeUnsafeView, (t,), out)
    node.shape = x.shape
    return wrap(out, node)


@export(method=True)
def kron(input, other):
    """PyTorch's composite: interleave the dims of both, multiply, merge (UnsafeViewBackward0)."""
    from .pointwise import mul
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input._data.shape)
    sb = (1,) * (n - other.ndim) + tuple(other._data.shape)
    ra = [v for s in sa for v in (s, 1)]
    rb = [v for s in sb for v in (1, s)]
    prod = mul(_unsafe_view(input, ra), _unsafe_view(other, rb))
    return _unsafe_view(prod, tuple(x * y for x, y in zip(sa, sb)))


# ------------------------------------------------------------------ cross
class LinalgCrossBackward0(Node):
    """d(x × y): gx = y × g, gy = g × x. PyTorch saves other before self. ``dim``: the dim
    as given (PyTorch's saved value); the formula counts it from the end."""
    __slots__ = ("dim",)
    saved_names = ("other", "self")
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, y, x):
        d = self.dim
        if d >= 0:
            d -= len(self._shape)
        return (ns.cross(y, grad, d) if self.needs(0) else None,
                ns.cross(grad, x, d) if self.needs(1) else None)

    def jvp(self, ns, tangents, y, x):
        """JVP: tx × y + x × ty."""
        d = self.dim
        if d >= 0:
            d -= len(self._shape)
        tx, ty = tangents
        out = None if tx is None else ns.cross(tx, y, d)
        if ty is not None:
            t = ns.cross(x, ty, d)
            out = t if out is None else out + t
        return out


def _cross(input, other, dim, name="linalg.cross"):
    x, y = input._data, other._data
    if x.ndim != y.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, x.ndim)
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. Got "
                           f"{x.shape[d]} and {y.shape[d]}")
    from ._util import check_broadcast
    check_broadcast(x, y)
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x)} but found {_tname(y)}")
    _not_impl(x, "cross")
    out = np.cross(x, y, axis=d)
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(LinalgCrossBackward0, (input, other), out)
    node.dim = dim
    node.save(other if node.needs(0) else None, input if node.needs(1) else None)
    return wrap(out, node)


@export(torch=False, linalg="cross")
def linalg_cross(input, other, *, dim=-1):
    return _cross(input, other, dim)


_warned_cross = False


@export(method=True)
def cross(input, other, dim=None):
    global _warned_cross
    if dim is None:
        if not _warned_cross:
            _warned_cross = True
            _warn.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                       "Please either pass the dim explicitly or simply use "
                       "torch.linalg.cross.\nThe default value of dim will change to agree "
                       "with that of linalg.cross in a future release.", UserWarning)
        sizes = input._data.shape
        dim = next((i for i, s in enumerate(sizes) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _cross(input, other, dim)


from . import linalg_norm  # noqa: E402,F401 - norms and cdist (registered there)
