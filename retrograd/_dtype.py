"""dtypes with PyTorch's names and promotion rules, mapped onto NumPy dtypes.

A retrograd dtype prints as ``torch.float32`` on purpose: scripts written for PyTorch compare
and print dtypes, and the contract is that they print the same thing.
"""
from __future__ import annotations

import numpy as np

__all__ = ["dtype", "float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
           "bool_", "get_default_dtype", "promote_types", "from_numpy_dtype", "result_type",
           "SCALAR_NAMES", "CPP_NAMES"]

# Categories order the "kinds" for promotion: bool < integer < floating.
_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    """A tensor element type: ``retrograd.float32`` and friends."""

    __slots__ = ("name", "np", "category", "itemsize", "is_floating_point", "is_complex",
                 "is_signed", "_legacy")

    def __init__(self, name: str, np_dtype, category: int, legacy: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == _FLOAT
        self.is_complex = False
        self.is_signed = self.np.kind in "fi"
        self._legacy = legacy  # "FloatTensor", used in error messages like torch's

    def __repr__(self) -> str:
        return "torch." + self.name

    __str__ = __repr__

    def __reduce__(self):  # dtypes are singletons, also across copy/pickle
        return (_by_name, (self.name,))

    def to_real(self) -> "dtype":
        return self

    def to_complex(self) -> "dtype":
        raise NotImplementedError("complex dtypes are not supported by retrograd yet")


# The one table of dtype names. Each dtype by its name (torch.<name>), with the two other names
# PyTorch's messages print: the ScalarType name ("Float": "expected scalar type Float", "'Long'"
# in kernel errors; "FloatTensor" is the legacy type) and the C++ type name ("float", "long int",
# "c10::Half": "expected dtype float but got dtype long int").
#              name       NumPy      kind    ScalarType  C++ type
_TABLE = (("float32", np.float32, _FLOAT, "Float", "float"),
          ("float64", np.float64, _FLOAT, "Double", "double"),
          ("float16", np.float16, _FLOAT, "Half", "c10::Half"),
          ("int64", np.int64, _INT, "Long", "long int"),
          ("int32", np.int32, _INT, "Int", "int"),
          ("int16", np.int16, _INT, "Short", "short int"),
          ("int8", np.int8, _INT, "Char", "signed char"),
          ("uint8", np.uint8, _INT, "Byte", "unsigned char"),
          ("bool", np.bool_, _BOOL, "Bool", "bool"))
float32, float64, float16, int64, int32, int16, int8, uint8, bool_ = ALL = tuple(
    dtype(name, np_dtype, kind, scalar + "Tensor") for name, np_dtype, kind, scalar, _ in _TABLE)
_NP_TO_DTYPE = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
# by dtype name ("float32"): PyTorch's ScalarType name ("Float") and C++ type name ("float");
# the C++ names of dtypes retrograd lacks are there too (messages about torch's other dtypes)
SCALAR_NAMES = {row[0]: row[3] for row in _TABLE}
CPP_NAMES = {row[0]: row[4] for row in _TABLE} | {
    "bfloat16": "c10::BFloat16", "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>"}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


_PY_TYPES = {float: float64, int: int64, bool: bool_}


def as_dtype(value, fname: str) -> dtype | None:
    """A ``dtype=`` argument: a dtype, None, or a Python type PyTorch accepts in its place
    (float -> float64, int -> int64, bool -> bool); anything else is PyTorch's TypeError."""
    if value is None or isinstance(value, dtype):
        return value
    if isinstance(value, type) and value in _PY_TYPES:
        return _PY_TYPES[value]
    if value is complex:
        raise NotImplementedError("complex dtypes are not supported by retrograd yet")
    raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not {type(value).__name__}")


def get_default_dtype() -> dtype:
    return float32


def from_numpy_dtype(np_dtype) -> dtype:
    """The retrograd dtype of a NumPy dtype; TypeError like torch.from_numpy for the rest."""
    try:
        return _NP_TO_DTYPE[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only supported "
            "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
            "int8, uint8, and bool.") from None


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: within a category NumPy agrees with PyTorch; across categories the
    higher category's type wins as it is (int64 + float16 -> float16, unlike NumPy)."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return _NP_TO_DTYPE[np.promote_types(a.np, b.np)]


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: PyTorch's casting rule for results written into a tensor (in-place ops,
    out=): no floating value into an integer or bool tensor, no non-bool value into a bool one."""
    for pos, name, d in ((1, "from_", from_), (2, "to", to)):
        if not isinstance(d, dtype):
            raise TypeError(f"can_cast(): argument '{name}' (position {pos}) must be torch.dtype, "
                            f"not {type(d).__name__}")
    return not ((from_.category == _FLOAT and to.category != _FLOAT) or
                (from_.category != _BOOL and to.category == _BOOL))


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10's combine_categories: a lower-priority operand only matters when it is of a
    # higher category (a 0-d float64 tensor makes an int tensor float64, not a float32 one).
    if higher is None:
        return lower
    if lower is None or higher.category == _FLOAT:
        return higher
    if higher.category == _BOOL or lower.category == _FLOAT:
        return promote_types(higher, lower)
    if lower.category > higher.category:
        return lower
    return higher


def _scalar_dtype(value) -> dtype:
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return float32  # the default dtype, as for a "wrapped number" in PyTorch
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


_cache: dict = {}


def result_type(*operands) -> dtype:
    """The dtype PyTorch computes for an elementwise op over tensors and Python scalars.

    Priority: dimensioned tensors, then 0-d tensors, then Python scalars; a lower-priority
    operand changes the result only if it is of a higher category.
    """
    key = tuple((o._data.dtype, o._data.ndim > 0) if hasattr(o, "_data") else type(o)
                for o in operands)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    dim = zero = wrapped = None
    for o, k in zip(operands, key):
        if type(k) is tuple:
            d = _NP_TO_DTYPE[k[0]]
            if k[1]:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = _scalar_dtype(o)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    res = _combine(dim, _combine(zero, wrapped))
    _cache[key] = res
    return res
