"""What every op's forward shares: wrapping results, building edges, dtype and dim handling."""
from __future__ import annotations

import operator
import weakref

import numpy as np

from .. import _dtype as D
from .._grad_mode import _inference, is_grad_enabled
from .._tensor import Tensor, _Extra

_make = Tensor._make
_inference_enabled = _inference.get
_ndarray = np.ndarray
_asarray = np.asarray
_SCALARS = (int, float, bool)
_f32 = np.dtype(np.float32)


# -- IEEE arithmetic without NumPy's floating-point warnings -------------------------------------
try:  # NumPy >= 2 keeps its error state in a context variable: setting it costs ~0.3 us,
    from numpy._core._ufunc_config import _extobj_contextvar as _EXTOBJ  # np.errstate ~4 us
    with np.errstate(all="ignore"):
        _QUIET_STATE = _EXTOBJ.get()
except (ImportError, AttributeError):  # pragma: no cover - another NumPy layout
    _EXTOBJ = None


class _Quiet:
    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _EXTOBJ.set(_QUIET_STATE)

    def __exit__(self, *exc):
        _EXTOBJ.reset(self._token)


def quiet():
    """``with quiet():`` -- IEEE results (x/0 = inf, inf - inf = nan, overflow to inf) without
    NumPy's RuntimeWarnings, as PyTorch computes them. Cheap enough for the per-op path."""
    if _EXTOBJ is None:  # pragma: no cover
        return np.errstate(all="ignore")
    return _Quiet()


def quiet_op(fn, a, b):
    """``fn(a, b)`` under quiet(), for the hottest ops (add, sub, mul): ~0.6 us, half the cost
    of the with-statement."""
    if _EXTOBJ is None:  # pragma: no cover
        with np.errstate(all="ignore"):
            return fn(a, b)
    token = _EXTOBJ.set(_QUIET_STATE)
    try:
        return fn(a, b)
    finally:
        _EXTOBJ.reset(token)


_U64 = 1 << 64


def u64(v) -> int:
    """An int as PyTorch's nodes expose a saved int64 (``grad_fn._saved_dim``): as given (not
    wrapped), a negative one read back as its unsigned 64-bit twin (-1 -> 2**64 - 1)."""
    v = operator.index(v)
    return v + _U64 if v < 0 else v


def u64s(vs) -> tuple:
    """A sequence of ints as PyTorch exposes a saved int list (see ``u64``)."""
    return tuple(u64(v) for v in vs)


def edge(t: Tensor):
    """(node, output index) that receives the gradient of ``t``; (None, 0) for constants."""
    x = t._x
    if x is None:
        fn = t._grad_fn       # (no view: nothing to regenerate, the slot itself)
        if fn is not None:
            return (fn, 0)
    else:
        fn = t.grad_fn
        if fn is not None:
            return (fn, x.out_nr)
    if t._requires_grad:
        x = t._x
        acc = None if x is None or x.acc is None else x.acc()
        return (acc if acc is not None else t._grad_accumulator(), 0)
    return (None, 0)


def needs_grad1(x: Tensor) -> bool:
    return x._requires_grad and is_grad_enabled()


def needs_grad(*ts) -> bool:
    for t in ts:
        if isinstance(t, Tensor) and t._requires_grad:
            return is_grad_enabled()
    return False


_NO_EDGE = (None, 0)


def make_node(cls, inputs, out: np.ndarray):
    """A node of class ``cls`` whose edges lead to ``inputs`` (Tensors or non-tensors)."""
    if len(inputs) == 1:
        return cls((edge(inputs[0]),), out.shape, out.dtype)
    return cls(tuple(edge(t) if isinstance(t, Tensor) else _NO_EDGE for t in inputs),
               out.shape, out.dtype)


def wrap(out, node=None, vc=None) -> Tensor:
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _make(out, node, node is not None, vc)
    if node is None and _inference_enabled():
        t._extra().inference = True
    return t


# How a view was created (PyTorch's CreationMeta): an in-place op on a view that is not DEFAULT
# raises, see ops/inplace.py.
VIEW_DEFAULT, VIEW_NO_GRAD, VIEW_INFERENCE, VIEW_MULTI_OUTPUT = 0, 1, 2, 3
VIEW_IN_CUSTOM_FUNCTION = 4  # set by autograd.Function for the views it returns
_weakref = weakref.ref


def wrap_view(out, node, base: Tensor, multi_output: bool = False) -> Tensor:
    """A result that shares ``base``'s storage: same version counter, ``_base`` recorded.

    ``_base`` is always the root (views of views chain to it), and the root keeps a weak list of
    its views so that an in-place change of the storage can update their ``grad_fn``. Pieces of
    a function that returns several views (unbind, split) pass ``multi_output=True`` (a node with
    ``num_outputs > 1`` implies it)."""
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _make(out, node, node is not None, base._vc)
    x = t._x = _Extra()
    bx = base._x
    if bx is None or bx.base is None:
        root, prev = base, VIEW_DEFAULT
    else:
        root, prev = bx.base, bx.view_meta
    x.base = root
    if bx is not None and bx.inference:
        x.inference = True  # a view of an inference tensor is one; other views made there are not
    if node is not None:
        meta = VIEW_MULTI_OUTPUT if multi_output or node.num_outputs > 1 else VIEW_DEFAULT
    elif _inference_enabled():
        meta = VIEW_INFERENCE
    elif not is_grad_enabled():
        meta = VIEW_NO_GRAD
    else:
        meta = VIEW_MULTI_OUTPUT if multi_output else VIEW_DEFAULT
    if meta == VIEW_DEFAULT or prev == VIEW_INFERENCE:  # PyTorch's propagate_creation_meta
        meta = prev
    x.view_meta = meta
    if node is None and root._requires_grad:
        t._requires_grad = x.via_base = True  # requires grad through its base, no grad_fn
    rx = root._x
    if rx is None:
        rx = root._x = _Extra()
    x.gen = rx.gen
    if not root._requires_grad:
        rx.views_lazy = False     # (this view must be updated when the root starts to need grad)
    views = rx.views
    if views is None:
        rx.views = [_weakref(t)]
    else:
        views.append(_weakref(t))
        n = len(views)
        if n >= 16 and not n & (n - 1):  # at powers of two: drop the dead (amortised O(1))
            rx.views = [r for r in views if r() is not None]
    return t


def as_tensor_arg(x, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"{name} must be a Tensor, not {type(x).__name__}")


def to_tensor(x, like: Tensor | None = None) -> Tensor:
    """A Python scalar or array-like as a constant Tensor (used where torch accepts scalars)."""
    if isinstance(x, Tensor):
        return x
    from .._creation import tensor
    return tensor(x, dtype=None if like is None else like.dtype)


def wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, with PyTorch's IndexError when it is out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        from .._dispatch import int_arg_error
        raise int_arg_error(dim, f"dim must be an int, not {type(dim).__name__}")
    if dim < lo or dim > hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return dim % ndim if ndim > 0 else 0


def wrap_dims(dim, ndim: int) -> tuple:
    if isinstance(dim, (list, tuple)):
        try:
            dims = tuple(wrap_dim(d, ndim) for d in dim)
        except TypeError as e:
            raise _unpack_error(e, dim) from None
        if len(set(dims)) != len(dims):
            for d in dims:
                if dims.count(d) > 1:
                    raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        return dims
    return (wrap_dim(dim, ndim),)


def _unpack_error(e: TypeError, dims) -> TypeError:
    """A dim list with an element that is not an int, as PyTorch's parser words it (the public
    wrapper names the op and the argument: _dispatch._named)."""
    i = next((i for i, d in enumerate(dims)
              if isinstance(d, bool) or not isinstance(d, (int, np.integer))), 0)
    if not hasattr(e, "_rg_int_arg"):
        return e
    e._rg_int_arg = dims
    e._rg_unpack = (i, type(dims[i]).__name__)
    return e


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
