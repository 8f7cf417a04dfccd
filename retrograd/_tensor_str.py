"""Tensor printing that reproduces PyTorch's ``repr(tensor)`` character for character.

Self-contained (NumPy + stdlib only) so it can be tested without the rest of retrograd.
The Tensor class hands over its data as an ``np.ndarray`` plus the torch dtype name, and
the autograd suffix (``grad_fn=<...>`` / ``requires_grad=True``); everything else that
torch decides (float layout, sci mode, summarisation, wrapping, ``size=``/``dtype=``
suffixes) is decided here.

All float arithmetic used for layout decisions is done in float64 on purpose: torch
converts to double before computing min/max ratios and formats Python floats, so any
narrower dtype (float16, float32, bfloat16) is widened exactly before use.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Iterable, Iterator

import numpy as np

__all__ = [
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "format_tensor",
    "format_str",
]

FLOAT_DTYPES = frozenset({"float16", "bfloat16", "float32", "float64"})


class _PrintOptions:
    """Module-global print options (torch keeps these global too). A plain class, not a
    dataclass: building a dataclass at import costs more than the rest of this module."""

    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self) -> None:
        self.precision: int = 4
        self.threshold: float = 1000
        self.edgeitems: int = 3
        self.linewidth: int = 80
        self.sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth), as in torch.
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set print options with torch.set_printoptions semantics.

    A profile is applied first and explicit arguments override it. Like torch,
    ``sci_mode`` is always assigned, so omitting it resets it to automatic (None).
    An unknown profile name is silently ignored, as torch does.
    """
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold,
         PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current options as a dict usable as ``**kwargs`` to set_printoptions."""
    return {name: getattr(PRINT_OPTS, name) for name in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change print options (same arguments as set_printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# --------------------------------------------------------------------------- formatter


class _Formatter:
    """Decides one common width/notation for every element of a tensor.

    ``values`` is the flat set of elements torch looks at (only the shown ones when
    the tensor is summarised), which is why widths can differ from a full scan.
    """

    def __init__(self, values: np.ndarray, is_float: bool) -> None:
        self.is_float = is_float
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not is_float:
            # Python's str() of int/bool, e.g. "False" is 5 wide -> " True" padding.
            for v in values.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        self._scan_floats(values.astype(np.float64, copy=False))

    def _scan_floats(self, vals: np.ndarray) -> None:
        """Pick int/sci mode and width from the nonzero finite values only."""
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if vals.size == 0:
            # torch returns early here: int mode, no sci mode, even if sci_mode=True.
            return
        absv = np.abs(vals)
        vmin, vmax = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        prec = PRINT_OPTS.precision
        for v in vals.tolist():
            if self.sci_mode:
                width = len(f"{v:.{prec}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1  # +1 for the trailing "."
            else:
                width = len(f"{v:.{prec}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value: Any) -> str:
        """Format one Python scalar, right-aligned to the common width."""
        if not self.is_float:
            ret = str(value)
        elif self.sci_mode:
            ret = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            ret = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                ret += "."
        else:
            ret = f"{value:.{PRINT_OPTS.precision}f}"
        return ret.rjust(self.max_width)


# ------------------------------------------------------------------------ summarising


def _summarized_values(arr: np.ndarray) -> list[np.ndarray]:
    """Flat chunks of the elements that a summarised print actually shows.

    Mirrors torch's get_summarized_data, quirks included: with edgeitems=0 a 1-d
    tensor keeps every element (``x[-0:]`` is the whole tensor) while an N-d one
    keeps none.
    """
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return [arr.reshape(1)]
    if arr.ndim == 1:
        if arr.shape[0] > 2 * edge:
            return [arr[:edge], arr[-edge:]]
        return [arr]
    if not edge:
        return []
    rows: Iterable[int] = range(arr.shape[0])
    if arr.shape[0] > 2 * edge:
        rows = [*range(edge), *range(arr.shape[0] - edge, arr.shape[0])]
    return [chunk for i in rows for chunk in _summarized_values(arr[i])]


def _make_formatter(arr: np.ndarray, is_float: bool, summarize: bool) -> _Formatter:
    """Build the formatter from the shown elements (all of them when not summarising)."""
    if not summarize:
        return _Formatter(arr.reshape(-1), is_float)
    chunks = _summarized_values(arr)
    flat = np.concatenate(chunks) if chunks else arr.reshape(-1)[:0]
    return _Formatter(flat, is_float)


# -------------------------------------------------------------------------- rendering


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Render a 1-d array, wrapping so that lines fit in linewidth."""
    edge = PRINT_OPTS.edgeitems
    # Each element costs its width plus ", ".
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    if summarize and not edge:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        data = ([fmt.format(v) for v in arr[:edge].tolist()] + [" ..."]
                + [fmt.format(v) for v in arr[-edge:].tolist()])
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nd_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Render any array recursively; sub-blocks are separated by ndim-1 newlines."""
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    edge, n = PRINT_OPTS.edgeitems, arr.shape[0]
    if summarize and n > 2 * edge:
        slices = ([_nd_str(arr[i], indent + 1, summarize, fmt) for i in range(edge)]
                  + ["..."]
                  + [_nd_str(arr[i], indent + 1, summarize, fmt) for i in range(n - edge, n)])
    else:
        slices = [_nd_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(slices) + "]"


def _as_python_ready(arr: np.ndarray, dtype_name: str) -> np.ndarray:
    """Widen floats to float64 so .tolist()/.item() yield exact Python floats."""
    if dtype_name in FLOAT_DTYPES:
        return arr.astype(np.float64, copy=False)
    if dtype_name == "bool":
        return arr.astype(bool, copy=False)
    return arr


def _add_suffixes(text: str, suffixes: Iterable[str], indent: int) -> str:
    """Append ``, suffix`` items, breaking onto a new indented line past linewidth."""
    parts = [text]
    # Torch's arithmetic, kept on purpose: it overcounts the last line by 2 chars,
    # which decides where the suffix wraps.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


# ----------------------------------------------------------------------------- public


def _shape_str(shape: tuple[int, ...]) -> str:
    """``str(tuple)`` of plain ints, e.g. ``(0, 3)`` or ``(5,)``."""
    return str(tuple(int(s) for s in shape))


def format_tensor(
    data: np.ndarray,
    dtype_name: str,
    *,
    suffixes: Iterable[str] = (),
    indent_prefix: str = "tensor(",
    default_dtype: str = "float32",
) -> str:
    """Return torch's ``repr`` of a strided CPU tensor holding ``data``.

    ``dtype_name`` is the torch dtype without ``torch.`` (e.g. ``"float64"``); for
    ``"bfloat16"`` pass the already-rounded values in any float array. ``suffixes``
    are appended after the ``size=``/``dtype=`` items this function adds, which is
    torch's order: pass ``["grad_fn=<MulBackward0>"]`` or ``["requires_grad=True"]``.
    ``default_dtype`` mirrors ``torch.get_default_dtype()`` (a float dtype name).
    """
    arr = np.asarray(data)
    indent = len(indent_prefix)
    extra: list[str] = []
    if arr.size == 0:
        # Torch prints the shape unless it is (0,), and the dtype unless it is the
        # default float dtype (int64/bool included: nothing to infer it from).
        if arr.ndim != 1:
            extra.append("size=" + _shape_str(arr.shape))
        if dtype_name != default_dtype:
            extra.append(f"dtype=torch.{dtype_name}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            extra.append("size=" + _shape_str(arr.shape))
        if dtype_name not in (default_dtype, "int64", "bool"):
            extra.append(f"dtype=torch.{dtype_name}")
        body = _tensor_body(arr, dtype_name, indent)
    return _add_suffixes(indent_prefix + body, [*extra, *suffixes], indent)


def _tensor_body(arr: np.ndarray, dtype_name: str, indent: int) -> str:
    """The bracketed contents of a non-empty tensor, e.g. ``[1., 2.]``."""
    arr = _as_python_ready(arr, dtype_name)
    summarize = arr.size > PRINT_OPTS.threshold
    fmt = _make_formatter(arr, dtype_name in FLOAT_DTYPES, summarize)
    return _nd_str(arr, indent, summarize, fmt)


# torch's str(tensor) is the same text as repr(tensor).
format_str = format_tensor
