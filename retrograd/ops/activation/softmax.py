"""softmax, log_softmax, softmin, logsumexp (stable: the maximum is subtracted first) and glu.
Part of ``activation``."""
from __future__ import annotations


import numpy as np

from ... import _warn
from ...autograd.node import Node
from ..elementwise import arithmetic as P
from ..elementwise import unary_core as P_unary_core
from .._registry import REDUCTION, dims, export
from ..._size import int_arg_error, is_int
from .._util import u64, wrap_dim, wrap_dims
from ...autograd._record import RESULT, record1, record2
from .functions import _tensor
from .._util import Tensor
from ..._quiet import quiet_op
from ..elementwise.unary import _quiet, not_implemented_for
from ..shape.basic import to_dtype
from ... import _dtype as D
from .. import numpy_ns

_MISSING = object()
_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _missing_dim(fn: str) -> TypeError:
    return TypeError(f'{fn}() missing 1 required positional arguments: "dim"')


def _given_dim(node) -> int:
    return u64(node.dim)


# -- softmax, log_softmax -----------------------------------------------------------------------
def _in_float32(node, ns, grad, y) -> tuple:
    """A float16 node's backward on NumPy in float32, rounded once (PyTorch's CPU kernels)."""
    return (node.backward(ns, grad.astype(np.float32), y.astype(np.float32))[0]
            .astype(np.float16),)


class SoftmaxBackward0(Node):
    """d softmax/dx: y (g - sum(g y, dim)) with y the saved result."""
    __slots__ = ("dim", "dims")      # dim: as given; dims: the wrapped dim the formula reads
    saved_names = ("result",)
    saved_attrs = {"dim": _given_dim}

    def backward(self, ns, grad, y):
        if ns.INPLACE and y.ndim:       # the same on NumPy with two temporaries, not three
            if y.dtype is _F16:
                return _in_float32(self, ns, grad, y)
            gy = np.multiply(grad, y)
            ys = np.multiply(y, _sum(gy, self.dims, None, None, True))
            gy -= ys
            return (gy,)
        if not ns.INPLACE:   # PyTorch's kernel, recorded: SoftmaxBackwardDataBackward0
            return (ns.softmax_backward_data(grad, y, self.dim, self.dims),)
        gy = grad * y
        return (gy - y * ns.sum_dims(gy, self.dims, True),)

    def jvp(self, ns, tangents, y):
        """JVP: y (t - sum(y t, dim))."""
        t = tangents[0]
        return y * (t - ns.sum_dims(y * t, self.dims, True))


class LogSoftmaxBackward0(Node):
    """d log_softmax/dx: g - exp(y) sum(g, dim) with y the saved result."""
    __slots__ = ("dim", "dims")
    saved_names = ("result",)
    saved_attrs = {"dim": _given_dim}

    def backward(self, ns, grad, y):
        if ns.INPLACE and y.ndim:    # g - exp(y) sum(g, dim) in one temporary
            if y.dtype is _F16:
                return _in_float32(self, ns, grad, y)
            e = np.exp(y)
            e *= _sum(grad, self.dims, None, None, True)
            np.subtract(grad, e, out=e)
            return (e,)
        if not ns.INPLACE:   # PyTorch's kernel, recorded: LogSoftmaxBackwardDataBackward0
            return (ns.log_softmax_backward_data(grad, y, self.dim, self.dims),)
        return (grad - ns.exp(y) * ns.sum_dims(grad, self.dims, True),)

    def jvp(self, ns, tangents, y):
        """JVP: t - sum(softmax(x) t, dim), softmax(x) = exp(y)."""
        t = tangents[0]
        return t - ns.sum_dims(ns.exp(y) * t, self.dims, True)


# -- the backward kernels of softmax and log_softmax, as ops (create_graph) -----------------------
# PyTorch computes the gradient of softmax with the kernel ``_softmax_backward_data(grad_output,
# output, dim, input_dtype)`` (``_log_softmax_backward_data`` for log_softmax), itself an op:
# under create_graph the first-order gradient is its result, one node over (grad_output,
# output). The values are the NumPy formulas of the first-order nodes above.
class SoftmaxBackwardDataBackward0(Node):
    """f(g, y) = y (g - sum(g y, dim)): df/dg^T u = f(u, y);
    df/dy^T u = g u - sum(y g, dim) u - g sum(y u, dim) (PyTorch's softmax_double_backward)."""
    __slots__ = ("dim", "dims")
    saved_names = ("grad_output", "output")
    saved_attrs = {"dim": _given_dim}

    def backward(self, ns, grad, g, y):
        d = self.dims
        return (ns.softmax_backward_data(grad, y, self.dim, d) if self.needs(0) else None,
                g * grad - ns.sum_dims(y * g, d, True) * grad - g * ns.sum_dims(y * grad, d, True)
                if self.needs(1) else None)

    def jvp(self, ns, tangents, g, y):
        """JVP: f(tg, y) + tg-free part ty g - ty sum(g y) - y sum(g ty), f as above."""
        tg, ty = tangents
        d = self.dims
        out = None if tg is None else ns.softmax_backward_data(tg, y, self.dim, d)
        if ty is not None:
            t = ty * g - ty * ns.sum_dims(g * y, d, True) - y * ns.sum_dims(g * ty, d, True)
            out = t if out is None else out + t
        return out


class LogSoftmaxBackwardDataBackward0(Node):
    """f(g, y) = g - exp(y) sum(g, dim): df/dg^T u = u - sum(u exp(y), dim);
    df/dy^T u = -sum(g, dim) exp(y) u."""
    __slots__ = ("dim", "dims")
    saved_names = ("grad_output", "output")
    saved_attrs = {"dim": _given_dim}

    def backward(self, ns, grad, g, y):
        d = self.dims
        return (grad - ns.sum_dims(grad * ns.exp(y), d, True) if self.needs(0) else None,
                -ns.sum_dims(g, d, True) * ns.exp(y) * grad if self.needs(1) else None)

    def jvp(self, ns, tangents, g, y):
        """JVP: tg - exp(y) sum(tg, dim) - exp(y) ty sum(g, dim)."""
        tg, ty = tangents
        d = self.dims
        e = ns.exp(y)
        out = None if tg is None else tg - e * ns.sum_dims(tg, d, True)
        if ty is not None:
            t = -(e * ty) * ns.sum_dims(g, d, True)
            out = t if out is None else out + t
        return out


def _backward_data(cls, first, grad, output, dim, dims):
    """``first``'s NumPy formula on (grad, output), recorded as ``cls`` over them."""
    node = first.__new__(first)
    node.dim, node.dims = dim, dims
    out = first.backward(node, numpy_ns, grad._data, output._data)[0]
    return record2(cls, grad, output, out, (grad, output), dim=dim, dims=dims)


def softmax_backward_data(grad_output, output, dim, dims):
    """(tensor_ns.softmax_backward_data, the public entry point, calls it)"""
    return _backward_data(SoftmaxBackwardDataBackward0, SoftmaxBackward0, grad_output, output,
                          dim, dims)


def log_softmax_backward_data(grad_output, output, dim, dims):
    """(tensor_ns.log_softmax_backward_data, the public entry point, calls it)"""
    return _backward_data(LogSoftmaxBackwardDataBackward0, LogSoftmaxBackward0, grad_output,
                          output, dim, dims)


_max = np.maximum.reduce
_sum = np.add.reduce


def _rows_short(x: np.ndarray, d: int) -> bool:
    """A 2-D array reduced along dim 1 with rows shorter than its column count ((128, 10)
    logits): NumPy runs a reduction or a row broadcast as one inner loop per row, so the
    forward goes faster on the transposed copy, along whole columns (~2x at (128, 10), a loss
    on long rows; the backward, with its copies of grad and result, does not gain)."""
    return d == 1 and x.ndim == 2 and x.shape[1] < x.shape[0]


def _log_softmax_np(x: np.ndarray, d: int) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) along d of a non-empty float32/64 array, in 6 NumPy
    calls on one fresh result and one temporary (8 with the transposed copies of short rows);
    the result is C-contiguous, as PyTorch's for any input."""
    if x.shape[d] == 1:     # x - x: 0, NaN where x is +-inf or NaN (the same as below)
        return np.subtract(x, x, order="C")
    if _rows_short(x, d):
        xt = np.ascontiguousarray(x.T)
        z = xt - _max(xt, 0)
        s = _sum(np.exp(z), 0)
        z -= np.log(s, out=s)
        return np.ascontiguousarray(z.T)
    z = np.subtract(x, _max(x, d, None, None, True), order="C")   # (contiguous, as PyTorch's)
    s = _sum(np.exp(z), d, None, None, True)
    z -= np.log(s, out=s)
    return z


def _softmax_np(x: np.ndarray, d: int) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along d, in place on one fresh array."""
    if x.shape[d] == 1:     # exp(x - x): 1, NaN where x is +-inf or NaN (the same as below)
        z = np.subtract(x, x, order="C")
        return np.exp(z, out=z)
    if _rows_short(x, d):
        xt = np.ascontiguousarray(x.T)
        z = xt - _max(xt, 0)
        np.exp(z, out=z)
        z /= _sum(z, 0)
        return np.ascontiguousarray(z.T)
    z = np.subtract(x, _max(x, d, None, None, True), order="C")   # (contiguous, as PyTorch's)
    np.exp(z, out=z)
    z /= _sum(z, d, None, None, True)
    return z


def _softmax(input, dim, dtype, log: bool):
    if dtype is None and type(dim) is int and isinstance(input, Tensor):
        # the common case (a non-empty float32/64 tensor, an int dim in range): without the
        # general path's checks and conversions
        x = input._data
        nd = x.ndim
        if nd and -nd <= dim < nd and x.size and (x.dtype is _F32 or x.dtype is _F64):
            d = dim + nd if dim < 0 else dim
            res = record1(LogSoftmaxBackward0 if log else SoftmaxBackward0, input,
                          quiet_op(_log_softmax_np if log else _softmax_np, x, d), RESULT)
            node = res._grad_fn
            if node is not None:
                node.dim = dim
                node.dims = (d,)
            return res
    if dtype is not None:
        _tensor(input, "log_softmax" if log else "softmax")
        input = to_dtype(input, D.as_dtype(dtype, "log_softmax" if log else "softmax"))
    x = _tensor(input, "log_softmax" if log else "softmax")
    nd = x.ndim
    # the common case (an int dim in range) without wrap_dim's checks
    d = dim % nd if type(dim) is int and -nd <= dim < nd else wrap_dim(dim, nd)
    dt = x.dtype
    if dt.kind != "f":
        last = "_lastdim" if d == nd - 1 or nd == 0 else ""
        raise not_implemented_for(f"{'log_' if log else ''}softmax{last}_kernel_impl", dt)
    dims = (d,) if nd else ()
    if x.size == 0:
        out = x.copy()
    else:
        if dt is _F16:
            x = x.astype(np.float32)
        with _quiet():     # in place on one temporary: x - max, exp, / sum (ufunc reductions:
            # the same as .max/.sum without their Python wrappers)
            if nd:
                z = x - np.maximum.reduce(x, axis=d, keepdims=True)
            else:
                z = np.subtract(x, x, out=np.empty((), x.dtype))  # x - max(x), 0-d
            if log:
                z -= np.log(np.add.reduce(np.exp(z), axis=dims, keepdims=True))
            else:
                np.exp(z, out=z)
                z /= np.add.reduce(z, axis=dims, keepdims=True)
        out = z if z.dtype is dt else z.astype(dt)
    cls = LogSoftmaxBackward0 if log else SoftmaxBackward0
    res = record1(cls, input, out, RESULT)
    node = res._grad_fn
    if node is not None:            # (not record1's **attrs: no keyword dict per call)
        node.dim = dim
        node.dims = dims
    return res


@export(method=True, special=True, vmap='softmax')
def softmax(input, dim=_MISSING, dtype=None):
    if dim is _MISSING:
        raise _missing_dim("softmax")
    return _softmax(input, dim, dtype, False)


@export(method=True, special=True, vmap='softmax')
def log_softmax(input, dim=_MISSING, dtype=None):
    if dim is _MISSING:
        raise _missing_dim("log_softmax")
    return _softmax(input, dim, dtype, True)


def _implicit_dim(name: str, ndim: int, stacklevel: int) -> int:
    _warn.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
               "include dim=X as an argument.", UserWarning)
    return 0 if ndim in (0, 1, 3) else 1


def _not_tensor(input, dim, name: str) -> None:
    """F.softmax/F.log_softmax call ``input.dim()`` or ``input.<name>(...)``: a non-tensor gets
    Python's AttributeError, as in PyTorch."""
    getattr(input, "dim" if dim is None else name)


@export(torch=False, functional="softmax", vmap='softmax')
def _functional_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if not isinstance(input, Tensor):
        _not_tensor(input, dim, "softmax")
    if dim is None:
        dim = _implicit_dim("softmax", _tensor(input, "softmax").ndim, _stacklevel)
    return _softmax(input, dim, dtype, False)


@export(torch=False, functional="log_softmax", vmap='softmax')
def _functional_log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if not isinstance(input, Tensor):
        _not_tensor(input, dim, "log_softmax")
    if dim is None:
        dim = _implicit_dim("log_softmax", _tensor(input, "log_softmax").ndim, _stacklevel)
    return _softmax(input, dim, dtype, True)


@export(torch=False, functional=True, vmap='softmax')
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x): PyTorch records NegBackward0 under SoftmaxBackward0."""
    if dim is None:
        dim = _implicit_dim("softmin", _tensor(input, "softmin").ndim, _stacklevel)
    return _softmax(P_unary_core.neg(input), dim, dtype, False)


# -- logsumexp ----------------------------------------------------------------------------------
class LogsumexpBackward0(Node):
    """d log(sum(exp(x), dim))/dx = exp(x - result), the result broadcast back over dim."""
    __slots__ = ("dim", "keepdim", "given_dim")   # dim: the wrapped dims the formula reads
    saved_names = ("self", "result")
    saved_attrs = {"dim": lambda n: tuple(u64(d) for d in n.given_dim), "keepdim": "keepdim"}

    def backward(self, ns, grad, x, result):
        if not self.keepdim and self.dim:
            grad = ns.unsqueeze_dims(grad, self.dim)
            result = ns.unsqueeze_dims(result, self.dim)
        with _quiet():
            return (grad * ns.exp(x - result),)

    def jvp(self, ns, tangents, x, result):
        """JVP: sum(exp(x - result) t, dim)."""
        if not self.keepdim and self.dim:
            result = ns.unsqueeze_dims(result, self.dim)
        with _quiet():
            return ns.sum_dims(ns.exp(x - result) * tangents[0], self.dim, self.keepdim)


@export(method=True, special=True, vmap=REDUCTION)
def logsumexp(input, dim=_MISSING, keepdim=False):
    if dim is _MISSING:
        raise _missing_dim("logsumexp")
    x = _tensor(input, "logsumexp")
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' (position 2) must be tuple of ints, not "
                        "NoneType")
    if not is_int(dim) and not isinstance(dim, (list, tuple)):
        raise int_arg_error(dim, "expected ints", "tuple of ints")
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        dims = tuple(range(x.ndim))
    else:
        dims = wrap_dims(dim, x.ndim) if x.ndim else (wrap_dims(dim, 0) and ())
    with _quiet():
        if x.size == 0:
            m = np.zeros([1 if i in dims else n for i, n in enumerate(x.shape)], x.dtype)
        else:
            m = np.max(x, axis=dims, keepdims=True)
            m = np.where(np.isinf(m), x.dtype.type(0), m)
        out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
    if not keepdim and dims:
        out = np.squeeze(out, axis=dims)
    out = np.asarray(out, dtype=x.dtype)
    return record1(LogsumexpBackward0, input, out, (input, RESULT), dim=dims, keepdim=bool(keepdim),
                   given_dim=dim if isinstance(dim, (list, tuple)) else (dim,))


# -- glu ----------------------------------------------------------------------------------------
class GluBackward0(Node):
    """glu(x) = a sigmoid(b) for the halves a, b of x along dim: d/da = sigmoid(b),
    d/db = a sigmoid(b) (1 - sigmoid(b))."""
    __slots__ = ("dim", "given_dim")
    saved_names = ("self",)
    saved_attrs = {"dim": lambda n: u64(n.given_dim)}

    def backward(self, ns, grad, x):
        d = self.dim
        if not ns.INPLACE:   # create_graph: PyTorch's glu_backward kernel (GluBackwardBackward0)
            return (ns.glu_backward(grad, x, self.given_dim),)
        h = x.shape[d] // 2
        a = x[(slice(None),) * d + (slice(0, h),)]
        b = x[(slice(None),) * d + (slice(h, None),)]
        s = ns.sigmoid(b)
        return (ns.cat([grad * s, grad * a * s * (1 - s)], d),)

    def jvp(self, ns, tangents, x):
        """JVP: ta sigmoid(b) + a sigmoid(b) (1 - sigmoid(b)) tb for the halves of x and t."""
        d, t = self.dim, tangents[0]
        h = x.shape[d] // 2
        lo, hi = (slice(None),) * d + (slice(0, h),), (slice(None),) * d + (slice(h, None),)
        s = ns.sigmoid(x[hi])
        return s * (t[lo] + x[lo] * (1 - s) * t[hi])


@export(torch=False, functional=True, vmap=dims('dim'))
def glu(input, dim=-1):
    x = _tensor(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    if x.dtype.kind != "f":
        raise not_implemented_for("glu_cpu", x.dtype)
    a = x[(slice(None),) * d + (slice(0, n // 2),)]
    b = x[(slice(None),) * d + (slice(n // 2, None),)]
    out = a * P_unary_core._sigmoid_array(b)
    return record1(GluBackward0, input, out, input, dim=d, given_dim=int(dim))
