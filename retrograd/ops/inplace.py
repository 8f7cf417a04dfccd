"""In-place ops: ``add_``, ``mul_``, ``zero_``, ``fill_``, ``copy_``, ``x[k] = v``, ``x += y``, ...

Every in-place op bumps the tensor's version counter (shared with its views and ``detach()``
aliases), so a saved tensor that was modified is caught at backward with PyTorch's error. When a
graph is being recorded, the op runs out of place on a snapshot of the old value and the tensor
adopts the result's grad_fn (it becomes a non-leaf); otherwise NumPy writes straight into the
storage.

Views (PyTorch's "rebase_history"). An in-place op on a view ``v`` of a root ``b`` records its
node ``fn`` (say MulBackward0) inside a ``CopySlices`` node that becomes ``b``'s grad_fn: its
gradient for the old ``b`` is the incoming gradient with the positions ``v`` covers replaced by
what ``fn`` gives for the old ``v`` there; ``fn``'s other inputs get the rest of ``fn``'s
gradients. Whenever the storage changes in place (through the root or any view), every live view
of the root gets a new grad_fn, ``AsStridedBackward0`` of the root's current grad_fn: its values
now come from the root's new history. Views that may not see such a change (made in no_grad or
inference mode, or returned with others by unbind/split) raise PyTorch's errors instead.
"""
from __future__ import annotations

import weakref

import numpy as np

from .. import _grad_mode
from ..autograd.node import ERR_BACKWARD_TWICE, Node, SavedOutput, _forward_name
from ..autograd import node as _N
from ..autograd.node import _ACC_SEQ_BASE, _next_seq
from ..autograd._saved import _current_hooks
from .indexing import getitem as _indexing
from .indexing.copy_slices import CopySlices as _SetitemCopySlices
from ._util import (VIEW_DEFAULT, VIEW_INFERENCE, VIEW_MULTI_OUTPUT, VIEW_NO_GRAD, Tensor,
                    broadcast_error, edge, needs_grad)
from .shape.strided import (_InvalidViewGradFn, _ptr, partial_overlap, positions,
                            regenerated_view_node, view_positions, writable_alias)
from .._dtype import from_numpy_dtype, result_type
from .._tensor import attach
from .._dispatch import active_modes, unwrap
from .._quiet import quiet_op
from .elementwise import arithmetic as P
from .. import _dtype as D
from .shape.basic import CloneBackward0

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_ERROR = ("a view of a leaf Variable that requires grad is being used in an in-place "
                       "operation.")
_OVERLAP_ERROR = ("unsupported operation: more than one element of the written-to tensor refers "
                  "to a single memory location. Please clone() the tensor before performing the "
                  "operation.")
_is_grad_enabled = _grad_mode.is_grad_enabled
_inference_enabled = _grad_mode._inference.get


# -- checks -------------------------------------------------------------------------------------
def _view_rebase_message(fn, out_nr: int, meta: int, indirect: bool) -> str:
    """PyTorch's handle_view_on_rebase message for a view that may not be modified in place."""
    modified = "its base or another view of its base has been" if indirect else "is being"
    if meta in (VIEW_INFERENCE, VIEW_NO_GRAD) or fn is None:
        if fn is not None:
            prefix = (f"Output {out_nr} of {_forward_name(fn.name())} is a view of a view which "
                      "was created in")
        else:
            prefix = "A view was created in"
        if meta == VIEW_INFERENCE:
            msg = f"{prefix} inference mode and {modified} modified inplace in normal mode."
        else:
            msg = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        msg = f"Output {out_nr} of {_forward_name(fn.name())} is a view and {modified} modified " \
              "inplace."
    if meta == 4:  # VIEW_IN_CUSTOM_FUNCTION
        msg += (" This view was created inside a custom Function (or because an input was "
                "returned as-is) and the autograd logic to handle view+inplace would override the "
                "custom backward associated with the custom Function, leading to incorrect "
                "gradients. This behavior is forbidden. You can fix this by cloning the output of "
                "the custom Function.")
    elif meta == VIEW_MULTI_OUTPUT:
        msg += (" This view is the output of a function that returns multiple views. Such "
                "functions do not allow the output views to be modified inplace. You should "
                "replace the inplace operation by an out-of-place one.")
    else:
        block = "inference_mode" if meta == VIEW_INFERENCE else "no_grad"
        msg += (" Given that this use case is ambiguous and error-prone, it is forbidden. You can "
                "clarify your code by moving both the view and the inplace either both inside the "
                f"{block} block (if you don't want the inplace to be tracked) or both outside (if "
                "you want the inplace to be tracked).")
    return msg


_INFERENCE_INPLACE_ERROR = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone "
    "to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details.")


def check_inplace(t: Tensor, *others) -> None:
    """PyTorch's check_inplace: only when grad mode is on and some input requires grad; before
    it, in any grad mode, an inference tensor may be written only in inference mode."""
    x = t._x
    if x is not None and x.inference and not _inference_enabled():
        raise RuntimeError(_INFERENCE_INPLACE_ERROR)
    if not _is_grad_enabled():
        return
    if not t._requires_grad:
        for o in others:
            if isinstance(o, Tensor) and o._requires_grad:
                break
        else:
            return
    x = t._x
    if x is not None and x.base is not None:
        fn = t.grad_fn
        if type(fn) is _InvalidViewGradFn:
            fn = fn.orig
        if x.view_meta != VIEW_DEFAULT:
            raise RuntimeError(_view_rebase_message(fn, x.out_nr, x.view_meta, False))
        if t._requires_grad and x.base.grad_fn is None:
            raise RuntimeError(_VIEW_OF_LEAF_ERROR)
    if t._requires_grad and t.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR)


# -- writing ------------------------------------------------------------------------------------
def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """c10::canCast: a result may go into an output of a lower category only from bool; within
    a category any cast goes (int16 into uint8 wraps, as in PyTorch)."""
    order = "biuf"
    return dst.kind == src.kind or order.index(src.kind) <= order.index(dst.kind) or \
        {src.kind, dst.kind} == {"i", "u"}


def _fits(small: tuple, shape: tuple) -> bool:
    """An operand of shape ``small`` broadcasts to ``shape`` without growing it."""
    n = len(small)
    return n <= len(shape) and all(a == 1 or a == b for a, b in zip(small, shape[len(shape) - n:]))


def check_fits(shape: tuple, other: tuple) -> None:
    """PyTorch's errors for writing an operand of shape ``other`` into a tensor of ``shape``:
    it must broadcast to ``shape`` without growing it."""
    if other == shape or _fits(other, shape):
        return
    try:
        full = np.broadcast_shapes(other, shape)
    except ValueError:
        raise broadcast_error(shape, other) from None
    raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast "
                       f"shape {list(full)}")


def _write(t: Tensor, data, check_dtype: bool = True, overlap_ok: bool = False) -> None:
    """Copy ``data`` (broadcast, cast) into ``t``'s storage, with PyTorch's errors.
    ``overlap_ok``: fill_/zero_ may write an expanded tensor (every alias gets the same value)."""
    x = t._data
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    check_fits(x.shape, data.shape)
    if check_dtype and data.dtype != x.dtype and not can_cast(data.dtype, x.dtype):
        raise _cast_error(data.dtype, x.dtype)
    if not x.flags.writeable or (0 in x.strides and _zero_stride_overlap(x)):
        if not overlap_ok and _zero_stride_overlap(x):
            raise RuntimeError(_OVERLAP_ERROR)
        x = writable_alias(x)  # expanded arrays are read-only in NumPy, their memory is not
        if x is None:
            raise RuntimeError("this tensor's memory is a read-only NumPy array (retrograd cannot "
                               "write to it); clone() the tensor first")
    if data.dtype == x.dtype:     # no cast, no floating-point warning (errstate costs µs)
        np.copyto(x, data)
        return
    with np.errstate(over="ignore", invalid="ignore"):
        np.copyto(x, data, casting="unsafe")


def can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's canCast: a floating result does not go into an integer or bool tensor, nor a
    non-bool one into a bool tensor; any other cast is allowed (uint8 += int64 wraps)."""
    return not ((src.kind == "f" and dst.kind != "f") or (src.kind != "b" and dst.kind == "b"))


def _cast_error(src: np.dtype, dst: np.dtype) -> RuntimeError:
    return RuntimeError(f"result type {_name(from_numpy_dtype(src))} can't be cast to the "
                        f"desired output type {_name(from_numpy_dtype(dst))}")


# The binary ops whose result dtype is the operands' promoted dtype (the default float for the
# ``floating`` ones when it is integral): an in-place form checks that it fits ``self`` before
# the kernel runs, so a kernel that refuses the promoted dtype does not speak first (PyTorch).
_PROMOTING = frozenset(("add", "sub", "mul", "floor_divide", "remainder", "fmod", "pow",
                        "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                        "bitwise_right_shift", "fmax", "fmin", "maximum", "minimum", "nextafter",
                        "hypot", "clamp_min", "clamp_max"))
_FLOATING = frozenset(("div", "atan2", "copysign", "xlogy"))
_TENSOR_ONLY = frozenset(("atan2", "hypot", "nextafter", "fmax", "fmin", "maximum", "minimum"))


def _check_result_fits(t: Tensor, name: str, args, kwargs) -> None:
    x = t._data
    if x.dtype.kind == "f" or not args or (name not in _PROMOTING and name not in _FLOATING):
        return   # (a floating self takes any result: the common case costs one test)
    other = args[0]
    if not isinstance(other, Tensor) and (name in _TENSOR_ONLY or
                                          not isinstance(other, (bool, int, float))):
        return  # the op's own TypeError comes first
    if name == "sub" and (x.dtype.kind == "b" or (isinstance(other, Tensor) and
                                                  other._data.dtype.kind == "b")):
        return  # sub's own error about bool tensors comes first
    rt = result_type(t, other).np
    if name in _FLOATING and rt.kind != "f" and kwargs.get("rounding_mode") is None:
        rt = np.dtype(np.float32)
    if rt != x.dtype and not can_cast(rt, x.dtype):
        if name in ("clamp_min", "clamp_max") and not isinstance(other, Tensor):
            # clamp's check with a number names the C++ type
            raise RuntimeError(f"result type {_name(result_type(t, other))} can't be cast to the "
                               f"desired output type {D.CPP_NAMES[t.dtype.name]}")
        raise _cast_error(rt, x.dtype)


def _zero_stride_overlap(x: np.ndarray) -> bool:
    """PyTorch's has_internal_overlap == YES: some dim of size > 1 has stride 0 (expand)."""
    return any(s == 0 and n > 1 for n, s in zip(x.shape, x.strides))


def _name(d) -> str:
    return D.SCALAR_NAMES[d.name]


# -- views: rebase and regeneration -------------------------------------------------------------
class CopySlices(_SetitemCopySlices):
    """An in-place op ``fn`` on a view, recorded on the root: the root's old values outside the
    view pass the gradient through; inside the view, ``fn``'s gradient for its input replaces
    it. ``fn``'s other inputs get ``fn``'s other gradients (next_functions[1:] are fn's)."""
    __slots__ = ("fn", "overlapping", "geom")

    def apply(self, ns, grads, as_tensors):
        if self.overlapping:  # PyTorch copies fn's gradient into an expanded slice: it refuses
            raise RuntimeError(_OVERLAP_ERROR)
        if self._saved == ():
            raise RuntimeError(ERR_BACKWARD_TWICE)
        if as_tensors and self.geom is not None:
            return self._apply_graph(ns, grads[0])
        grad, idx = grads[0], self.index
        res = self.fn.apply(ns, [grad[idx]], as_tensors)
        g0 = res[0]
        if g0 is not None and self.needs(0):
            g0 = ns.index_fill_zero(grad, idx) + ns.index_acc(self._shape, idx, g0)
        else:
            g0 = None
        return (g0,) + tuple(res[1:])

    def _apply_graph(self, ns, grad):
        """The create_graph path, as PyTorch's CopySlices::apply: the gradient copied into a
        new tensor of the root's shape, fn run on a clone of its slice (as_strided with the
        view's geometry), fn's gradient for the view copied back into that slice in place
        (so the result's grad_fn is a CopySlices over fn's gradient)."""
        size, stride, offset = self.geom
        result = Tensor._make(np.empty(self._shape, grad._data.dtype), None, False)
        result.copy_(grad)
        grad_slice = result.as_strided(size, stride, offset)
        res = self.fn.apply(ns, [grad_slice.clone()], True)
        g0 = res[0]
        if g0 is not None and self.needs(0):
            grad_slice.copy_(g0)
            g0 = result
        else:
            g0 = None
        return (g0,) + tuple(res[1:])

    def release(self) -> None:
        # A second backward through this node raises PyTorch's error (see apply). fn's own saved
        # values are not freed here: a differentiable backward may have reached fn directly (the
        # result an in-place op on a view saved is rebuilt with fn as its grad_fn), and fn frees
        # them itself when it runs, or goes with this node.
        if self._saved is not None and self._saved != ():
            self._saved = ()


def _move_retain(t: Tensor, old, new) -> None:
    """A tensor that retains its grad keeps doing so through its new grad_fn (PyTorch)."""
    if old is not None and old._x is not None and old._x.retain_refs:
        old._x.retain_refs = [(r, n) for r, n in old._x.retain_refs if r() is not t]
    nx = new._extra()
    if nx.retain_refs is None:
        nx.retain_refs = []
    nx.retain_refs.append((weakref.ref(t), 0))


def _set_grad_fn(t: Tensor, node) -> None:
    x = t._x
    if x is not None:
        if x.retains_grad:
            _move_retain(t, t._grad_fn, node)
        x.out_nr = 0
    t._grad_fn = node
    t._requires_grad = True


def regenerate_views(root: Tensor) -> None:
    """The storage of ``root`` changed in place: every live view that takes part in autograd gets
    its grad_fn from the root's current history (AsStridedBackward0), or, if it may not see such
    a change, one that raises PyTorch's error. As in PyTorch this happens when the view's
    grad_fn is next read (``Tensor.grad_fn`` calls ``refresh_view``): here the root's count of
    changes goes up, so an in-place op does not cost one node per live view. Only when some
    view does not require grad yet (the root just started to) are they all updated now."""
    rx = root._x
    refs = None if rx is None else rx.views
    if not refs or not root._requires_grad:
        return  # (a view has a grad_fn only if its root requires grad)
    rx.gen += 1
    if rx.views_lazy:
        return
    alive, root_edge = [], None
    for r in refs:
        v = r()
        if v is None:
            continue
        alive.append(r)
        root_edge = _regenerate_view(v, root, root_edge)
    rx.views = alive
    rx.views_lazy = True


def refresh_view(v: Tensor) -> None:
    """``v``'s grad_fn after in-place changes of its storage (see regenerate_views)."""
    vx = v._x
    root = vx.base
    if v._vc is not root._vc:
        return   # a copy sharing a view's extra state (an in-place op's snapshot): as it is
    if root._requires_grad:
        _regenerate_view(v, root, None)
    else:
        vx.gen = root._x.gen


def _regenerate_view(v: Tensor, root: Tensor, root_edge):
    vx = v._x
    vx.gen = root._x.gen
    old = v._grad_fn
    if vx.view_meta != VIEW_DEFAULT:
        orig = old.orig if type(old) is _InvalidViewGradFn else old
        node = _InvalidViewGradFn((), v._data.shape, v._data.dtype)
        node.orig = orig
        node.message = _view_rebase_message(orig, vx.out_nr, vx.view_meta, True)
    else:
        if root_edge is None:
            root_edge = edge(root)
        node = regenerated_view_node(v, root, root_edge)
    _set_grad_fn(v, node)
    vx.via_base = False
    return root_edge


def bump_version(t: Tensor) -> None:
    """Record an in-place change of ``t``'s storage that autograd did not record."""
    t._vc[0] += 1
    x = t._x
    if x is not None:
        if x.base is not None:
            regenerate_views(x.base)
        elif x.views:
            regenerate_views(t)


def _view_geometry(r: np.ndarray, v: np.ndarray, pos: np.ndarray):
    """(sizes, strides, offset) in elements of the view ``v`` within a C-contiguous tensor of
    the root's shape (what ``as_strided`` on a fresh tensor of that shape needs), from the
    view's flat positions ``pos`` in the root; None where they are no such geometry (then the
    gradient goes by positions)."""
    isz = r.itemsize
    if r.flags.c_contiguous and all(s >= 0 and s % isz == 0 for s in v.strides):
        return v.shape, tuple(s // isz for s in v.strides), (_ptr(v) - _ptr(r)) // isz
    if pos.size == 0:
        return None
    offset = int(pos.flat[0])
    strides = tuple(int(pos[(0,) * k + (1,) + (0,) * (v.ndim - k - 1)]) - offset if n > 1 else 0
                    for k, n in enumerate(v.shape))
    if any(s < 0 for s in strides) or not np.array_equal(positions(v.shape, strides, offset),
                                                          pos):
        return None
    return v.shape, strides, offset


def _rebase(view: Tensor, fn) -> None:
    root = view._x.base
    r = root._data
    node = CopySlices((edge(root),) + tuple(fn.next_functions[1:]), r.shape, r.dtype)
    node.fn = fn
    v = view._data
    node.overlapping = 0 in v.strides and _zero_stride_overlap(v)
    pos = view_positions(r, v)
    node.index = np.unravel_index(pos, r.shape)
    node.geom = _view_geometry(r, v, pos)
    node._saved, node._versions = (None,), (None,)  # released with fn's (see release)
    _set_grad_fn(root, node)
    regenerate_views(root)


def finish_inplace(t: Tensor, result: Tensor, op_name: str | None = None,
                   overlap_ok: bool = False) -> Tensor:
    """Make ``t`` hold ``result`` (values and grad_fn), bumping its version. ``op_name``: the
    op, when its result may carry no history although an input requires grad."""
    _write(t, result._data, overlap_ok=overlap_ok)
    node = result.grad_fn
    if node is None:
        if op_name is None:
            bump_version(t)
            return t
        node = _NotDifferentiable((edge(t),), t._data.shape, t._data.dtype)
        node.op = op_name
    t._vc[0] += 1
    if node._saved:  # a saved result must follow t's storage and version from now on
        for s in node._saved:
            if type(s) is SavedOutput and s.data is result._data:
                s.data, s.version, s.saved_version = t._data, t._vc, t._vc[0]
        node._versions = tuple(
            s.saved_version if type(s) is SavedOutput else v
            for s, v in zip(node._saved, node._versions))
    node._shape, node._dtype = t._data.shape, t._data.dtype
    x = t._x
    if x is not None and x.base is not None:
        _rebase(t, node)
        return t
    _set_grad_fn(t, node)
    if x is not None and x.views:
        regenerate_views(t)
    return t


class _NotDifferentiable(Node):
    """An in-place op whose out-of-place form records no gradient: backward through it raises
    (as PyTorch does for ops without a derivative) instead of silently using stale history."""
    __slots__ = ("op",)

    def apply(self, ns, grads, as_tensors):
        raise RuntimeError(f"derivative for aten::{self.op}_ is not implemented")


def _snapshot(t: Tensor) -> Tensor:
    """``t``'s current value and history, as the input of the out-of-place op."""
    s = Tensor._make(t._data.copy(), t.grad_fn, t._requires_grad)
    s._x = t._x
    return s


def _saved_as_clone(s: Tensor, fn, seq: int) -> None:
    """PyTorch's in-place ops save a clone of ``self`` taken before the op where the formula reads
    the original (``sin_``, ``mul_`` by a tensor, ``hardtanh_``, ...): a create_graph backward
    then reaches CloneBackward0 through it. The snapshot ``s`` the op ran on is that copy; when a
    node the op recorded (``fn``, the result's, and those below it with a sequence number from
    ``seq`` on) saved it, it becomes the clone's result (the nodes' edges keep leading to the
    old history). (Under saved-tensor hooks, see ``_run_on_clone``.)"""
    stack = [fn]
    while stack:
        n = stack.pop()
        saved = n._saved
        if type(saved) is tuple:
            for v in saved:
                if v is s:
                    e = edge(s)
                    if e[0] is not None:
                        data = s._data
                        s._grad_fn = CloneBackward0((e,), data.shape, data.dtype)
                        s._x = None
                    return
        for m, _ in n.next_functions:
            if m is not None and seq <= m._seq < _ACC_SEQ_BASE:
                stack.append(m)


def _run_on_clone(s: Tensor, op, args, kwargs, seq: int) -> Tensor:
    """``op(s, ...)`` under saved-tensor hooks: a pack hook must see what PyTorch's sees, the clone
    (CloneBackward0 over the old history), so ``s`` is made the clone before the op; the edges
    the op's nodes then have to it are led past it, to the old history (PyTorch's nodes take the
    edges of ``self`` itself)."""
    e = edge(s)
    data = s._data
    clone = CloneBackward0((e,), data.shape, data.dtype)
    s._grad_fn = clone
    s._x = None
    res = op(s, *args, **kwargs)
    fn = res._grad_fn
    stack = [fn] if fn is not None and fn._seq > seq else []
    while stack:
        n = stack.pop()
        nf = n.next_functions
        for m, _ in nf:
            if m is clone:
                n.next_functions = tuple(e if m is clone else (m, k) for m, k in nf)
            elif m is not None and seq <= m._seq < _ACC_SEQ_BASE:
                stack.append(m)
    return res


def _check_partial_overlap(t: Tensor, others) -> None:
    x = t._data
    for o in others:
        if isinstance(o, Tensor) and o is not t and partial_overlap(x, o._data):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                               "written-to tensor refer to a single memory location. Please "
                               "clone() the tensor before performing the operation.")




def _fused(t: Tensor, op, other) -> bool:
    """``t op= other`` as one NumPy ufunc writing into ``t``'s storage (``p -= lr * g`` under
    no_grad: one pass instead of computing the result, then copying it in). Taken only when the
    out-of-place op would give an array of ``t``'s own dtype and shape from ``t``'s own array and
    ``other`` unconverted (so the values are the same) and no mode (forward AD, vmap) is
    active; otherwise False and the general path runs."""
    ufunc = _FUSED.get(op)
    x = t._data
    if (ufunc is None or x.dtype.kind != "f" or not x.flags.writeable or active_modes()
            or (0 in x.strides and _zero_stride_overlap(x))):
        return False
    if type(other) is Tensor:
        y = other._data
        if y.dtype is not x.dtype or (y.shape != x.shape and not _fits(y.shape, x.shape)):
            return False
    elif type(other) is float or type(other) is int:
        y = other
    else:
        return False
    quiet_op(ufunc, x, y)
    return True


def apply_inplace(t: Tensor, op, *args, **kwargs) -> Tensor:
    """Run ``op(t, *args)`` and write the result into ``t``."""
    others = args + tuple(kwargs.values()) if kwargs else args
    check_inplace(t, *others)
    if others:
        _check_partial_overlap(t, others)
    _check_result_fits(t, op.__name__, args, kwargs)
    try:
        if needs_grad(t, *others) and t._data.dtype.kind == "f":
            s = _snapshot(t)
            seq = _next_seq()
            if _N._hooks_pushed and s._requires_grad and _current_hooks() is not None:
                return finish_inplace(t, _run_on_clone(s, op, args, kwargs, seq), op.__name__)
            res = op(s, *args, **kwargs)
            fn = res._grad_fn
            if fn is not None and s._requires_grad and fn._seq > seq:
                _saved_as_clone(s, fn, seq)
            return finish_inplace(t, res, op.__name__)
        if len(args) == 1 and not kwargs and _fused(t, op, args[0]):
            bump_version(t)
            return t
        with _grad_mode.no_grad():
            res = op(t, *args, **kwargs)
    except TypeError as e:  # the method's own argument is 'other' at position 1, not 2
        msg = str(e)
        head = f"{op.__name__}(): argument 'other' (position 2)"
        if not msg.startswith(head):
            raise
        raise TypeError(f"{op.__name__}_(): argument 'other' (position 1)"
                        f"{msg[len(head):]}") from None
    _write(t, res._data)
    bump_version(t)
    return t


def _into(ufunc):
    def run(a, b):
        ufunc(a, b, out=a)
    return run


_FUSED = {f: _into(u) for op, u in ((P.add, np.add), (P.sub, np.subtract), (P.mul, np.multiply))
          for f in (op, unwrap(op))}   # the operator's op (``p -= g``) and the method's (``sub_``)

attach(refresh_view, "_refresh_view")   # Tensor.grad_fn regenerates a stale view's node
