"""F.conv1d/2d/3d and F.conv_transpose1d/2d/3d (also torch.conv1d, ...): PyTorch's argument
parsing, unbatched inputs (unsqueeze, convolution, squeeze, as PyTorch records them) and
``padding='same'|'valid'`` (an asymmetric 'same' pads the extra row/column with F.pad first,
as PyTorch does), then ``torch.convolution``."""
from __future__ import annotations

import numpy as np

from ... import _warn
from .._registry import export
from .._util import Tensor
from ..shape.basic import squeeze, unsqueeze
from ..shape.pad import pad as _pad
from .conv import _shape, convolution_nd as convolution
from ..linalg.matmul import _TYPE

_CONV_SIGS = ("(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
              "tuple of ints padding = 0, tuple of ints dilation = 1, int groups = 1)",
              "(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
              "str padding = \"valid\", tuple of ints dilation = 1, int groups = 1)")
_CONV_ARGS = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
_CT_ARGS = ("input", "weight", "bias", "stride", "padding", "output_padding", "groups",
            "dilation")
_warned_same = False    # PyTorch warns once per process (TORCH_WARN_ONCE)


def _ints(v, n: int = 1):
    """An int (repeated ``n`` times, as PyTorch's parser expands it for an n-d op) or a
    sequence of ints as a tuple (None when it is neither)."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    if isinstance(v, (tuple, list)) and all(isinstance(e, (int, np.integer)) and
                                            not isinstance(e, bool) for e in v):
        return tuple(int(e) for e in v)
    return None


def _typename(v) -> str:
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, tuple):
        return "tuple of (" + ", ".join(_typename(e) for e in v) + ")"
    return type(v).__name__


def _invalid(fn: str, args, kwargs) -> TypeError:
    got = [_typename(a) for a in args] + [f"{k}={_typename(v)}" for k, v in kwargs.items()]
    return TypeError(f"{fn}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n" +
                     "".join(f" * {s}\n" for s in _CONV_SIGS))


def _parse_conv(fn: str, dims: int, args: tuple, kwargs: dict) -> dict:
    """PyTorch's parser of conv{1,2,3}d's arguments: TypeError listing both signatures."""
    vals = dict(zip(_CONV_ARGS, args))
    vals.update(kwargs)
    given = {k: v for k, v in kwargs.items()}
    ok = len(args) <= len(_CONV_ARGS) and all(k in _CONV_ARGS for k in kwargs) and \
        not any(k in dict(zip(_CONV_ARGS, args)) for k in kwargs)
    ok = ok and isinstance(vals.get("input"), Tensor) and isinstance(vals.get("weight"), Tensor)
    b = vals.get("bias")
    ok = ok and (b is None or isinstance(b, Tensor))
    out = {"input": vals.get("input"), "weight": vals.get("weight"), "bias": b}
    for name, default in (("stride", 1), ("dilation", 1)):
        v = _ints(vals.get(name, default), dims)
        ok = ok and v is not None
        out[name] = v
    p = vals.get("padding", 0)
    out["padding"] = p if isinstance(p, str) else _ints(p, dims)
    ok = ok and out["padding"] is not None
    g = vals.get("groups", 1)
    ok = ok and isinstance(g, (int, np.integer)) and not isinstance(g, bool)
    out["groups"] = int(g) if ok else g
    if not ok:
        raise _invalid(fn, args, given)
    return out


def _parse_transpose(fn: str, dims: int, args: tuple, kwargs: dict) -> dict:
    vals = dict(zip(_CT_ARGS, args))
    pos = {k: i + 1 for i, k in enumerate(_CT_ARGS[:len(args)])}
    vals.update(kwargs)
    out = {}
    for i, name in enumerate(_CT_ARGS):
        v = vals.get(name, None if name == "bias" else 0 if name in ("padding", "output_padding")
                     else 1)
        where = f" (position {pos[name]})" if name in pos else ""
        if name in ("input", "weight") or (name == "bias" and v is not None):
            if not isinstance(v, Tensor):
                raise TypeError(f"{fn}(): argument '{name}'{where} must be Tensor, not "
                                f"{type(v).__name__}")
        elif name == "groups":
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise TypeError(f"{fn}(): argument 'groups'{where} must be int, not "
                                f"{type(v).__name__}")
            v = int(v)
        elif name != "bias":
            t = _ints(v, dims)
            if t is None:
                raise TypeError(f"{fn}(): argument '{name}'{where} must be tuple of ints, not "
                                f"{type(v).__name__}")
            v = t
        out[name] = v
    return out


def _batchify(input, dims: int, fn: str):
    n = dims + 1
    if input.ndim not in (n, n + 1):
        raise RuntimeError(f"Expected {n}D (unbatched) or {n + 1}D (batched) input to {fn}, but "
                           f"got input of size: {_shape(input.shape)}")
    batched = input.ndim == n + 1
    return (input if batched else unsqueeze(input, 0)), batched


def _conv(fn: str, dims: int, args: tuple, kwargs: dict):
    a = _parse_conv(fn, dims, args, kwargs)
    input, weight, bias = a["input"], a["weight"], a["bias"]
    stride, padding, dilation, groups = a["stride"], a["padding"], a["dilation"], a["groups"]
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({_TYPE[input._data.dtype.name]}) and bias type "
                           f"({_TYPE[bias._data.dtype.name]}) should be the same")
    x, batched = _batchify(input, dims, fn)
    zeros = (0,) * dims
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,)
            zeros = (0,)
        elif padding == "same":
            x, padding = _same(x, weight, stride, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    out = convolution(x, weight, bias, stride, padding, dilation, False, zeros, groups)
    return out if batched else squeeze(out, 0)


def _same(x, weight, stride, dilation):
    """PyTorch's convolution_same: the padding that keeps the size; where left and right
    differ (even kernel, odd dilation) the extra one is added by constant_pad_nd first."""
    global _warned_same
    k = weight.ndim
    dim = k - 2
    if k != x.ndim:
        raise RuntimeError(f"Expected {k}-dimensional input for {k}-dimensional weight "
                           f"{_shape(weight.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{_shape(x.shape)} instead")
    if len(stride) not in (1, dim):
        raise RuntimeError(f"stride cannot broadcast to {dim} dimensions")
    if len(dilation) not in (1, dim):
        raise RuntimeError(f"dilation cannot broadcast to {dim} dimensions")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    left, right = [], []
    for i in range(dim):
        d = dilation[0] if len(dilation) == 1 else dilation[i]
        total = d * (weight.shape[i + 2] - 1)
        left.append(total // 2)
        right.append(total - total // 2)
    if left == right:
        return x, tuple(left)
    if not _warned_same:
        _warned_same = True
        _warn.warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                   "zero-padded copy of the input be created")
    pad_nd = [0] * (2 * dim)
    for i in range(dim):
        delta = right[i] - left[i]
        if delta > 0:
            pad_nd[2 * (dim - 1 - i) + 1] = delta
    return _pad(x, pad_nd), tuple(left)


def _conv_transpose(fn: str, dims: int, args: tuple, kwargs: dict):
    a = _parse_transpose(fn, dims, args, kwargs)
    input, weight, bias = a["input"], a["weight"], a["bias"]
    if bias is not None and bias._data.dtype != input._data.dtype:
        raise RuntimeError(f"Input type ({_TYPE[input._data.dtype.name]}) and bias type "
                           f"({_TYPE[bias._data.dtype.name]}) should be the same")
    x, batched = _batchify(input, dims, fn)
    out = convolution(x, weight, bias, a["stride"], a["padding"], a["dilation"], True,
                      a["output_padding"], a["groups"])
    return out if batched else squeeze(out, 0)


@export(torch=True, functional=True, composite=True)
def conv1d(*args, **kwargs):
    """1-d convolution: (N, C_in, L) or (C_in, L) input, (C_out, C_in/groups, k) weight."""
    return _conv("conv1d", 1, args, kwargs)


@export(torch=True, functional=True, composite=True)
def conv2d(*args, **kwargs):
    """2-d convolution: (N, C_in, H, W) or (C_in, H, W) input."""
    return _conv("conv2d", 2, args, kwargs)


@export(torch=True, functional=True, composite=True)
def conv3d(*args, **kwargs):
    """3-d convolution: (N, C_in, D, H, W) or (C_in, D, H, W) input."""
    return _conv("conv3d", 3, args, kwargs)


@export(torch=True, functional=True, composite=True)
def conv_transpose1d(*args, **kwargs):
    """The transposed 1-d convolution (the gradient of conv1d in its input)."""
    return _conv_transpose("conv_transpose1d", 1, args, kwargs)


@export(torch=True, functional=True, composite=True)
def conv_transpose2d(*args, **kwargs):
    """The transposed 2-d convolution (the gradient of conv2d in its input)."""
    return _conv_transpose("conv_transpose2d", 2, args, kwargs)


@export(torch=True, functional=True, composite=True)
def conv_transpose3d(*args, **kwargs):
    """The transposed 3-d convolution (the gradient of conv3d in its input)."""
    return _conv_transpose("conv_transpose3d", 3, args, kwargs)
