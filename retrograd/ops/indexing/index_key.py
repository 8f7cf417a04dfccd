"""An index key of ``x[key]`` / ``x[key] = v``: conversion to a NumPy key (basic or advanced),
PyTorch's checks and error messages, and the plan of view ops PyTorch applies for the key's
ints, slices and None (``_plan``, ``_basic_plan``, ``_split_key``)."""
from __future__ import annotations

import numpy as np

from ..._warn import warn
from .._util import Tensor


def _sequence_as_tuple(key) -> bool:
    """PyTorch's (and NumPy's) rule for a list key: a tuple of indices if it holds a tensor, a
    sequence, a slice, None or Ellipsis (fewer than 32 items), else the data of an index tensor."""
    return len(key) < 32 and any(isinstance(k, (Tensor, list, tuple, str, slice, np.ndarray))
                                 or k is None or k is Ellipsis for k in key)


def _convert_key(key, ndim: int | None = None):
    """A NumPy index from a PyTorch one; also returns whether it is basic (a view). ``ndim``
    (the indexed tensor's) orders the errors as PyTorch: too many indices before a bad one."""
    if isinstance(key, str) or isinstance(key, list) and _sequence_as_tuple(key):
        # PyTorch reads such a key (a str: a sequence of sequences) as a multidimensional index
        warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
             "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this "
             "will be interpreted as tensor index, x[torch.tensor(seq)], which will result either "
             "in an error or a different result")
        key = tuple(key) if isinstance(key, list) else key
    if not isinstance(key, tuple):
        key = (key,)
    out, basic = [], True
    for k in key:
        if isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind not in "iub" or a.dtype.kind == "i" and a.dtype.itemsize < 4:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.dtype == np.uint8:  # a byte tensor is a mask, as in PyTorch (deprecated there)
                warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                     "torch.bool instead.")
                a = a.astype(np.bool_)
            if a.ndim == 0 and a.dtype.kind in "iu":
                out.append(int(a))
                continue
            out.append(a if a.dtype.kind == "b" else a.astype(np.intp, copy=False))
            basic = False
        elif isinstance(k, (list, np.ndarray)):
            a = np.asarray(k)
            if a.dtype.kind == "f":
                if not isinstance(k, list):
                    raise IndexError("tensors used as indices must be long, int, byte or bool "
                                     "tensors")
                a = a.astype(np.int64)  # PyTorch makes a list into a long index (truncating)
            out.append(a)
            basic = False
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        elif isinstance(k, (int, np.integer)):
            out.append(int(k))
        elif isinstance(k, slice):
            for v in (k.start, k.stop, k.step):
                if v is not None and not isinstance(v, (int, np.integer, Tensor)):
                    raise TypeError("slice indices must be integers or None or have an __index__ "
                                    "method")
            if k.step is not None and int(k.step) <= 0:
                raise ValueError("slice step cannot be zero" if int(k.step) == 0
                                 else "step must be greater than zero")
            s = slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step)))
            out.append(s)
        elif k is None:
            out.append(None)
        elif k is Ellipsis:
            if Ellipsis not in out:  # PyTorch lets a second '...' stand for no dims at all
                out.append(Ellipsis)
        elif isinstance(k, str):  # PyTorch tries to make a tensor of it
            if ndim is not None and _specified_dims(key) > ndim:
                raise IndexError(f"too many indices for tensor of dimension {ndim}")
            raise TypeError("new(): invalid data type 'str'")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got " + type(k).__name__ + ")")
    if basic and Ellipsis not in out:
        out.append(Ellipsis)  # keeps a 0-d result an array view rather than a NumPy scalar
    return tuple(out), basic


def _specified_dims(key: tuple) -> int:
    """How many dims a key indexes, as PyTorch counts them (a bool tensor: its ndim)."""
    n = 0
    for k in key:
        if isinstance(k, Tensor):
            n += k.ndim if k._data.dtype.kind == "b" else 1
        elif not (k is None or k is Ellipsis or isinstance(k, bool)):
            n += 1
    return n


def _check_masks(idx, shape) -> None:
    """PyTorch's error for a boolean mask whose shape does not match the dims it indexes, in
    the shape the key's ints, slices and None leave (they are applied first, as views)."""
    if not any(type(k) is np.ndarray and k.dtype.kind == "b" and k.ndim for k in idx):
        return
    spec = sum(1 if type(k) in (int, slice) else k.ndim if type(k) is np.ndarray and
               k.dtype.kind == "b" else 1 if type(k) is np.ndarray else 0 for k in idx)
    view, masks, od = [], [], 0
    for k in idx:
        if type(k) is int:
            od += 1
        elif type(k) is slice:
            view.append(len(range(*k.indices(shape[od]))) if od < len(shape) else 0)
            od += 1
        elif k is None or type(k) is bool:
            view.append(1)
        elif k is Ellipsis:
            m = max(len(shape) - spec, 0)
            view.extend(shape[od:od + m])
            od += m
        elif k.dtype.kind == "b" and k.ndim:
            masks.append((k, len(view)))
            view.extend(shape[od:od + k.ndim])
            od += k.ndim
        elif k.ndim or k.dtype.kind != "b":
            view.extend(shape[od:od + 1])
            od += 1
    view.extend(shape[od:])
    for mask, p in masks:
        for j, n in enumerate(mask.shape):
            if p + j < len(view) and n != view[p + j]:
                raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not "
                                 f"match the shape of the indexed tensor {list(view)} at index "
                                 f"{p + j}")


def _broadcast_error(idx) -> IndexError:
    shapes = []
    for k in idx:
        if type(k) is np.ndarray:
            shapes += [[int(k.sum())]] * k.ndim if k.dtype.kind == "b" else [list(k.shape)]
    return IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                      f"shapes {', '.join(str(s) for s in shapes)}")


def _index_error(e: IndexError, shape, idx=()) -> IndexError:
    msg = str(e)
    if msg.startswith("shape mismatch: indexing arrays could not be broadcast"):
        return _broadcast_error(idx)
    if msg.startswith("too many indices for array"):   # PyTorch's wording
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return IndexError(msg.replace("axis", "dimension"))


_INT64_MAX = 9223372036854775807


def _plan(idx, shape):
    """How PyTorch applies a key: first its ints, slices and None as views, one at a time, each on
    the result of the previous one (``steps``: ("select", dim, index), ("slice", dim, start, end,
    step) or ("unsqueeze", dim), with the values PyTorch's nodes save), then its index tensors
    to that view (``rest``: the key for it, ``src``: where each entry of ``rest`` comes from in
    ``idx``, -1 for a whole dim, -2 for a bool scalar, which becomes an unsqueeze and the
    positions it selects). In a tuple key, a slice that takes a whole dim is no view at all."""
    spec = 0
    for k in idx:
        t = type(k)
        if t is int or t is slice:
            spec += 1
        elif t is np.ndarray:
            spec += k.ndim if k.dtype.kind == "b" else 1
    steps, rest, src = [], [], []
    dim = od = 0  # dim of the view, dim of x
    for i, k in enumerate(idx):
        t = type(k)
        if t is int:
            steps.append(("select", dim, k))
            od += 1
        elif t is slice:
            start = 0 if k.start is None else k.start
            end = _INT64_MAX if k.stop is None else k.stop
            step = 1 if k.step is None else k.step
            if start != 0 or step != 1 or end < shape[od]:
                steps.append(("slice", dim, start, end, step))
            rest.append(slice(None))
            src.append(-1)
            dim += 1
            od += 1
        elif k is None:
            steps.append(("unsqueeze", dim))
            rest.append(slice(None))
            src.append(-1)
            dim += 1
        elif k is Ellipsis:
            m = len(shape) - spec
            rest.append(Ellipsis)
            src.append(-1)
            dim += m
            od += m
        elif t is bool or k.ndim == 0 and k.dtype.kind == "b":
            steps.append(("unsqueeze", dim))
            rest.append(np.zeros(1 if k else 0, np.intp))
            src.append(-2)
            dim += 1
        else:
            rest.append(k)
            src.append(i)
            m = k.ndim if k.dtype.kind == "b" else 1
            dim += m
            od += m
    return steps, rest, src


def _basic_plan(idx, shape, single: bool = False) -> list:
    """``_plan``'s steps for a key of ints, slices, None and Ellipsis (the hot path of x[key]).
    ``single``: the key is one slice (not a tuple), recorded even when it takes everything."""
    steps = []
    dim = od = 0
    last = len(idx) - 1
    for i, k in enumerate(idx):
        t = type(k)
        if t is int:
            steps.append(("select", dim, k))
            od += 1
        elif t is slice:
            start, end, step = k.start, k.stop, k.step
            if single or (start is not None and start != 0) or (step is not None and step != 1) \
                    or (end is not None and end < shape[od]):
                steps.append(("slice", dim, 0 if start is None else start,
                              _INT64_MAX if end is None else end, 1 if step is None else step))
            dim += 1
            od += 1
        elif k is None:
            steps.append(("unsqueeze", dim))
            dim += 1
        elif i != last:  # Ellipsis
            m = len(shape) - sum(1 for q in idx if q is not None and q is not Ellipsis)
            dim += m
            od += m
    return steps


def _has_view_ops(idx) -> bool:
    """Whether a key has basic parts PyTorch applies as views before advanced indexing (a bool
    scalar, Python or 0-d tensor, is an unsqueeze there)."""
    for k in idx:
        if k is None or isinstance(k, int):
            return True
        if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind == "b":
            return True
        if isinstance(k, slice) and k != slice(None):
            return True
    return False


def _has_int(idx) -> bool:
    return any(isinstance(k, int) and not isinstance(k, bool) for k in idx)


def _split_key(idx):
    """(basic, advanced): PyTorch applies ints, slices and None first (a view), then the tensor
    indices to that view. NumPy differs when ints mix with arrays (x[0, :, [1, 2]])."""
    basic, adv = [], []
    for k in idx:
        if isinstance(k, np.ndarray) or isinstance(k, list):
            a = np.asarray(k)
            n = a.ndim if a.dtype.kind == "b" else 1
            basic.extend([slice(None)] * n)
            adv.append(a)
        elif isinstance(k, bool):
            basic.append(None)
            adv.append(slice(None) if k else slice(0, 0))
        elif isinstance(k, int):
            basic.append(k)
        elif k is None:
            basic.append(None)
            adv.append(slice(None))
        elif k is Ellipsis:
            basic.append(Ellipsis)
            adv.append(Ellipsis)
        else:
            basic.append(k)
            adv.append(slice(None))
    return tuple(basic), tuple(adv)


def flat_positions(shape, idx) -> np.ndarray:
    """For a mixed int/advanced key: the flat position in ``shape`` of each result element."""
    basic, adv = _split_key(idx)
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[basic][adv]
