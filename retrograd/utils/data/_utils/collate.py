"""default_collate and default_convert: samples → batches, by the type of the first sample, with
PyTorch's dtypes (float → float64, int → int64, bool → bool, NumPy keeps its dtype) and messages.
``default_collate_fn_map`` is open for extension, as in torch.utils.data._utils.collate."""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Callable

import numpy as np

from .... import _dtype as D
from ...._creation import as_tensor, from_numpy, tensor
from ...._tensor import Tensor
from ....ops.shape import join as _shape

# NumPy dtypes that hold strings or objects: no tensor for them ('S' bytes, 'a', 'U', 'O').
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")


def _numpy_tensor(data) -> Tensor:
    """``torch.as_tensor`` of a NumPy array or scalar: its dtype kept (a batch of np.int32
    scalars is int32), its memory shared, and from_numpy's checks (negative strides are
    PyTorch's ValueError, a read-only array its warning)."""
    arr = np.asarray(data)
    if arr.dtype in D._NP_TO_DTYPE:
        return from_numpy(arr)
    return as_tensor(arr)  # a dtype retrograd lacks (uint16, ...): converted


def default_convert(data):
    """Turn each NumPy array (and NumPy scalar) inside ``data`` into a Tensor, leaving everything
    else as it is; containers are rebuilt around the converted elements."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and \
                np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return _numpy_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as in PyTorch
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(elem, converted: dict):
    # The batch keeps the sample's mapping type where it can be copied or built from a dict.
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(converted)
            return clone
        return type(elem)(converted)
    except TypeError:
        return converted


def _rebuild_sequence(elem, converted: list):
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, value in enumerate(converted):
                clone[i] = value
            return clone
        return type(elem)(converted)
    except TypeError:
        return converted


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` (a list of samples) by the type of its first sample: a function of
    ``collate_fn_map`` for that type (exact type first, then the first key it is an instance
    of), else mappings, namedtuples and sequences element by element."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: collate([d[key] for d in batch],
                                                    collate_fn_map=collate_fn_map)
                                       for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if not all(len(e) == elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # a list, as in PyTorch
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map: dict | None = None):
    return _shape.stack(batch, 0)  # looked up per call: the public, mode-aware entry point


def collate_numpy_array_fn(batch, *, collate_fn_map: dict | None = None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([_numpy_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map: dict | None = None):
    return _numpy_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map: dict | None = None):
    return tensor(batch, dtype=D.float64)


def collate_int_fn(batch, *, collate_fn_map: dict | None = None):
    # bool is an int: a batch of bools becomes a bool tensor; [1, 2.5] a float32 one, as in torch.
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map: dict | None = None):
    return batch


default_collate_fn_map: dict[type | tuple, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch: tensors are stacked along a new first dimension,
    NumPy arrays and numbers become tensors, strings stay a list, and mappings, namedtuples,
    tuples and lists are collated field by field (tuples come back as lists)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
