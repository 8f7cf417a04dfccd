"""What every op's forward shares: dtype and dim handling, broadcasting, operand conversion; and
the graph recording of ``autograd._record`` (``make_node``, ``wrap``, ...), re-exported here."""
from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as D
from .._size import wrap_dim, wrap_dims  # noqa: F401 - re-exported
from .._tensor import Tensor
from .._creation import tensor
from ..autograd._record import (  # noqa: F401 - re-exported for the op modules
    VIEW_DEFAULT, VIEW_IN_CUSTOM_FUNCTION, VIEW_INFERENCE, VIEW_MULTI_OUTPUT, VIEW_NO_GRAD, edge,
    make_node, needs_grad, needs_grad1, wrap, wrap_view)

_ndarray = np.ndarray
_SCALARS = (int, float, bool)
_f32 = np.dtype(np.float32)


def dtype_name(np_dtype) -> str:
    """PyTorch's scalar type name in kernel errors: 'Float', 'Long', ..."""
    return D.SCALAR_NAMES[np.dtype(np_dtype).name]


def not_implemented_for(kernel: str, np_dtype) -> NotImplementedError:
    """The NotImplementedError of a kernel PyTorch has no version of for ``np_dtype``."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(np_dtype)}\'')


from .._quiet import quiet, quiet_op  # noqa: F401,E402 - re-exported for the op modules


_U64 = 1 << 64


def u64(v) -> int:
    """An int as PyTorch's nodes expose a saved int64 (``grad_fn._saved_dim``): as given (not
    wrapped), a negative one read back as its unsigned 64-bit twin (-1 -> 2**64 - 1)."""
    v = operator.index(v)
    return v + _U64 if v < 0 else v


def u64s(vs) -> tuple:
    """A sequence of ints as PyTorch exposes a saved int list (see ``u64``)."""
    return tuple(u64(v) for v in vs)


def as_tensor_arg(x, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"{name} must be a Tensor, not {type(x).__name__}")


def to_tensor(x, like: Tensor | None = None) -> Tensor:
    """A Python scalar or array-like as a constant Tensor (used where torch accepts scalars)."""
    if isinstance(x, Tensor):
        return x
    return tensor(x, dtype=None if like is None else like.dtype)


def broadcast_error(a_shape, b_shape) -> RuntimeError:
    """PyTorch's message for shapes that do not broadcast (first clash from the right)."""
    n = max(len(a_shape), len(b_shape))
    a = (1,) * (n - len(a_shape)) + tuple(a_shape)
    b = (1,) * (n - len(b_shape)) + tuple(b_shape)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                                f"({b[i]}) at non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(a_shape)} and {list(b_shape)} do not broadcast")


def check_broadcast(a: np.ndarray, b) -> None:
    bs = b.shape if type(b) is _ndarray else ()
    if a.shape != bs:
        try:
            np.broadcast_shapes(a.shape, bs)
        except ValueError:
            raise broadcast_error(a.shape, bs) from None


def binary_arrays(a, b, floating: bool = False):
    """Operands of an elementwise op as NumPy values of PyTorch's result dtype.

    ``a``/``b`` are Tensors or Python scalars (at least one a Tensor). Python scalars stay Python
    scalars (NumPy treats them as weak, like PyTorch's wrapped numbers). ``floating`` makes an
    integer result dtype the default float (true division, pow with a float exponent, ...).
    """
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        x, y = a._data, b._data
        if x.dtype is y.dtype and (not floating or x.dtype.kind == "f"):
            if x.shape != y.shape:
                check_broadcast(x, y)
            return x, y
        rt = D.result_type(a, b).np
    else:
        if not ta and type(a) not in _PY_SCALARS:
            a = _scalar_operand(a)
        if not tb and type(b) not in _PY_SCALARS:
            if isinstance(b, np.ndarray):
                return binary_arrays(a, Tensor._make(b), floating)  # torch converts arrays
            b = _scalar_operand(b)
        x = a._data if ta else a
        y = b._data if tb else b
        arr = x if ta else y
        scalar = b if ta else a
        if arr.dtype.kind == "f" and type(scalar) is not bool:
            return x, y  # float tensor with a Python number: the tensor's dtype, NumPy agrees
        rt = D.result_type(a, b).np
    if floating and rt.kind != "f":
        rt = _f32
    if ta and x.dtype != rt:
        x = x.astype(rt)
    if tb and y.dtype != rt:
        y = y.astype(rt)
    if not ta:
        x = float(x) if rt.kind == "f" else _wrap_int(x, rt)
    if not tb:
        y = float(y) if rt.kind == "f" else _wrap_int(y, rt)
    if ta and tb and x.shape != y.shape:
        check_broadcast(x, y)
    return x, y


_PY_SCALARS = (int, float, bool)


def _scalar_operand(v):
    """NumPy scalars act as Python numbers (weak, like PyTorch's wrapped numbers)."""
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        return v.item()
    if isinstance(v, _SCALARS):  # subclasses of int/float
        return float(v) if isinstance(v, float) else int(v)
    raise TypeError(f"unsupported operand type: {type(v).__name__}")


def _wrap_int(v, rt: np.dtype):
    """A Python int outside the integer dtype's range wraps around, as in PyTorch."""
    if type(v) is int and rt.kind in "iu":
        info = np.iinfo(rt)
        if v < info.min or v > info.max:
            return np.array(v & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64).astype(rt)
    return v


def float_array(x: Tensor) -> np.ndarray:
    """The data of ``x`` as floating point (integer inputs of exp, sin, ... become float32)."""
    d = x._data
    return d if d.dtype.kind == "f" else d.astype(_f32)


def record_outputs(cls, inputs, outs, saved, **attrs):
    """``outs`` (arrays, None where not asked for) as the outputs of one ``cls`` node over
    ``inputs`` (PyTorch's multi-output backward kernels: convolution_backward,
    native_batch_norm_backward, ...), ``saved`` saved on it and ``attrs`` set; a tuple of
    Tensors and Nones (plain Tensors when no input requires grad)."""
    if not needs_grad(*inputs):
        return tuple(None if o is None else wrap(o) for o in outs)
    live = [o for o in outs if o is not None]
    node = make_node(cls, inputs, live[0])
    for k, v in attrs.items():
        setattr(node, k, v)
    node._shape = node._dtype = None
    node.num_outputs = len(outs)
    node._out_meta = tuple(((), live[0].dtype) if o is None else (o.shape, o.dtype)
                           for o in outs)
    res = []
    for k, o in enumerate(outs):
        if o is None:
            res.append(None)
            continue
        t = wrap(np.asarray(o), node)
        if k:
            t._extra().out_nr = k
        res.append(t)
    node.save(*saved)
    return tuple(res)
