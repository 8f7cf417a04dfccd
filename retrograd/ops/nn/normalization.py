"""Normalization: F.batch_norm, F.layer_norm, F.group_norm (one node each, PyTorch's native
kernels' nodes), and the composites F.instance_norm (through batch norm, as PyTorch builds it)
and F.rms_norm (pow, mean, add, rsqrt, mul: PyTorch 2.13's CPU decomposition).

The NumPy formulas read the saved statistics (ops/nn/norm_backward.py's ``batch_norm_parts``,
``layer_norm_parts``, shared with the double-backward nodes). Under ``create_graph=True`` each
node records what PyTorch records: batch and layer norm their backward kernel as one node
(NativeBatchNormBackwardBackward0, NativeLayerNormBackwardBackward0), group norm PyTorch's
composite formula over its saved statistics, which are outputs of the node itself
(ops/nn/norm_backward.py).
"""
from __future__ import annotations

import math

import numpy as np

from ... import _grad_mode
from ..._size import Size
from ...autograd.node import Node
from ..._dispatch import POINTWISE, public
from .._registry import export
from .._util import make_node, needs_grad, wrap
from ...autograd._record import record
from ..inplace_fill import copy_
from . import norm_backward as _nb
from ..elementwise.arithmetic import mul, pow  # noqa: A004
from ..elementwise.unary import _quiet, rsqrt
from ..reduction.basic import mean as _mean
from ..shape.basic import contiguous, view
from ..shape.copy import repeat
from ..._size import format_shape

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]


def _size(shape) -> str:
    return "torch.Size(" + format_shape(shape) + ")"


_lst = format_shape  # the one shape formatter, in _size.py


def _normalized_grad(ns, gxhat, xhat, rstd, dims, m):
    """The gradient through xhat = (x - mean(x)) * rstd(x), statistics over ``dims``."""
    return rstd * (gxhat - ns.sum_dims(gxhat, dims, True) / m
                   - xhat * (ns.sum_dims(gxhat * xhat, dims, True) / m))


def _normalized_tangent(tx, xhat, rstd, dims):
    """The tangent of xhat along tx (NumPy)."""
    return rstd * (tx - tx.mean(axis=dims, keepdims=True)
                   - xhat * (xhat * tx).mean(axis=dims, keepdims=True))


# -- batch norm ----------------------------------------------------------------------------------

class NativeBatchNormBackward0(Node):
    """y = xhat * w + b, xhat = (x - mean) * invstd over all dims but the channel dim (1).
    Training: dx = invstd * (g' - mean(g') - xhat * mean(g' * xhat)), g' = g * w; evaluation:
    dx = g * w * invstd of the running variance. dw = sum(g * xhat), db = sum(g)."""
    __slots__ = ("training", "eps")
    saved_names = ("input", "running_mean", "running_var", "weight", "result1", "result2")
    saved_attrs = {"training": "training", "eps": "eps"}

    def backward(self, ns, grad, x, rm, rv, w, mean, invstd):
        if not ns.INPLACE:   # create_graph: PyTorch's one NativeBatchNormBackwardBackward0
            return _nb.batch_norm_backward(self, grad, x, w, rm, rv, mean, invstd)
        shape, dims, m, xhat, rstd = _nb.batch_norm_parts(x, rm, rv, mean, invstd,
                                                          self.training, self.eps)
        gx = gw = gb = None
        if self.needs(0):
            gxhat = grad if w is None else grad * ns.reshape(w, shape)
            gx = _normalized_grad(ns, gxhat, xhat, rstd, dims, m) if self.training \
                else gxhat * rstd
        if self.needs(1):
            gw = ns.sum_dims(grad * xhat, dims, False)
        if self.needs(2):
            gb = ns.sum_dims(grad, dims, False)
        return gx, gw, gb

    def jvp(self, ns, tangents, x, rm, rv, w, mean, invstd):
        tx, tw, tb = tangents
        shape, dims, m, xhat, rstd = _nb.batch_norm_parts(x, rm, rv, mean, invstd,
                                                          self.training, self.eps)
        out = np.zeros_like(x)
        if tx is not None:
            dxhat = _normalized_tangent(tx, xhat, rstd, dims) if self.training else tx * rstd
            out = out + (dxhat if w is None else dxhat * w.reshape(shape))
        if tw is not None:
            out = out + xhat * tw.reshape(shape)
        if tb is not None:
            out = out + tb.reshape(shape)
        return out


def _check_features(name: str, n: int, t) -> None:
    if t is not None and t._data.size != n:
        raise RuntimeError(f"{name} should contain {n} elements not {t._data.size}")


def _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    x = input._data
    if x.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(x.ndim, 1)}, "
                         f"{max(x.ndim, 1) - 1}], but got 1)")
    c = x.shape[1]
    if running_mean is not None:
        _check_features("running_mean", c, running_mean)
    elif not training:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if running_var is not None:
        _check_features("running_var", c, running_var)
    elif not training:
        raise RuntimeError("running_var must be defined in evaluation mode")
    _check_features("weight", c, weight)
    _check_features("bias", c, bias)
    shape = (1, c) + (1,) * (x.ndim - 2)
    dims = (0,) + tuple(range(2, x.ndim))
    with _quiet():   # NaN and inf as PyTorch gives them, without NumPy's warnings
        if training:
            mean = x.mean(axis=dims, keepdims=True)
            xc = x - mean
            var = (xc * xc).mean(axis=dims, keepdims=True)
            invstd = 1 / np.sqrt(var + eps)
            xhat = xc * invstd
            save_mean = mean.reshape(c)
            save_invstd = invstd.reshape(c)
        else:
            invstd = 1 / np.sqrt(running_var._data.reshape(shape) + eps)
            xhat = (x - running_mean._data.reshape(shape)) * invstd
            save_mean = save_invstd = np.empty(0, x.dtype)
        out = xhat
        if weight is not None:
            out = out * weight._data.reshape(shape)
        if bias is not None:
            out = out + bias._data.reshape(shape)
        out = np.asarray(out, dtype=x.dtype)
    # saved before the running statistics are updated (saved-tensor hooks see them so)
    res = record(NativeBatchNormBackward0, (input, weight, bias), out,
                 lambda n: (input, running_mean, running_var, weight,
                            wrap(save_mean.astype(x.dtype, copy=False)),
                            wrap(save_invstd.astype(x.dtype, copy=False))),
                 training=bool(training), eps=float(eps))
    if training:
        _update_running(running_mean, running_var, mean, var, momentum, x.size // c if c else 0)
    return res


def _update_running(running_mean, running_var, mean, var, momentum, n) -> None:
    """running = (1 - momentum) * running + momentum * batch statistic (the variance
    unbiased), in place."""
    if running_mean is not None:
        rm = running_mean._data
        rm[...] = (momentum * mean.reshape(rm.shape) + (1 - momentum) * rm).astype(rm.dtype)
    if running_var is not None:
        rv = running_var._data
        unbiased = var * (n / (n - 1)) if n > 1 else np.full_like(var, np.nan)
        rv[...] = (momentum * unbiased.reshape(rv.shape) + (1 - momentum) * rv).astype(rv.dtype)


@export(torch=False, functional=True)
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """F.batch_norm: normalise over every dim but dim 1 (batch statistics when ``training``,
    updating the running estimates with ``momentum``; the running statistics otherwise)."""
    if training:
        size = input.shape
        prod = size[0]
        for s in size[2:]:
            prod *= s
        if prod == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {_size(size)}")
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)


@export(torch="batch_norm")
def torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                     cudnn_enabled):
    """torch.batch_norm: F.batch_norm without its check of the batch size."""
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)


# -- layer norm ----------------------------------------------------------------------------------

class NativeLayerNormBackward0(Node):
    """y = xhat * w + b, xhat = (x - mean) * rstd over the last len(normalized_shape) dims:
    dx = rstd * (g' - mean(g') - xhat * mean(g' * xhat)), g' = g * w; dw = g * xhat and
    db = g, summed over the leading dims (by the engine)."""
    __slots__ = ("normalized_shape", "eps")
    saved_names = ("bias", "input", "weight", "result1", "result2")
    saved_attrs = {"normalized_shape": "normalized_shape"}

    def backward(self, ns, grad, b, x, w, mean, rstd):
        if not ns.INPLACE:   # create_graph: PyTorch's one NativeLayerNormBackwardBackward0
            return _nb.layer_norm_backward(self, grad, x, b, w, mean, rstd)
        _, dims, m, xhat, rstd = _nb.layer_norm_parts(x, mean, rstd, self.normalized_shape)
        gx = None
        if self.needs(0):
            gxhat = grad if w is None else grad * w
            gx = _normalized_grad(ns, gxhat, xhat, rstd, dims, m)
        return (gx, grad * xhat if self.needs(1) else None, grad if self.needs(2) else None)

    def jvp(self, ns, tangents, b, x, w, mean, rstd):
        tx, tw, tb = tangents
        _, dims, m, xhat, rstd = _nb.layer_norm_parts(x, mean, rstd, self.normalized_shape)
        out = np.zeros_like(x)
        if tx is not None:
            dxhat = _normalized_tangent(tx, xhat, rstd, dims)
            out = out + (dxhat if w is None else dxhat * w)
        if tw is not None:
            out = out + xhat * tw
        if tb is not None:
            out = out + tb
        return out


def _normalized_shape(fname: str, normalized_shape) -> tuple:
    if isinstance(normalized_shape, int) and not isinstance(normalized_shape, bool):
        return (normalized_shape,)
    try:
        return tuple(int(s) for s in normalized_shape)
    except TypeError:
        raise TypeError(f"{fname}(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}") from None


def _check_normalized(input, ns: tuple, weight, bias, star: str) -> None:
    shape = tuple(input.shape)
    if not ns or len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={_lst(ns)}, expected input with shape "
                           f"[{star}{', '.join(str(s) for s in ns)}], but got input of size"
                           f"{_lst(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {_lst(t.shape)} and normalized_shape = "
                               f"{_lst(ns)}")


@export(torch=False, functional=True)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """F.layer_norm: normalise over the last len(normalized_shape) dims."""
    if isinstance(normalized_shape, int) and not isinstance(normalized_shape, bool):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        "ints, not int")
    ns = _normalized_shape("layer_norm", normalized_shape)
    _check_normalized(input, ns, weight, bias, "*, ")
    x = input._data
    dims = tuple(range(x.ndim - len(ns), x.ndim))
    with _quiet():
        mean = x.mean(axis=dims, keepdims=True)
        xc = x - mean
        rstd = 1 / np.sqrt((xc * xc).mean(axis=dims, keepdims=True) + eps)
    out = xc * rstd
    if weight is not None:
        out = out * weight._data
    if bias is not None:
        out = out + bias._data
    out = np.asarray(out, dtype=x.dtype)
    return record(NativeLayerNormBackward0, (input, weight, bias), out,
                  lambda n: (bias, input, weight, wrap(mean.astype(x.dtype, copy=False)),
                             wrap(rstd.astype(x.dtype, copy=False))),
                  normalized_shape=ns, eps=float(eps))


@export(torch="layer_norm", composite=True)
def torch_layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05,
                     cudnn_enable=True):
    """torch.layer_norm: F.layer_norm with a (unused) cudnn flag."""
    return layer_norm(input, normalized_shape, weight, bias, eps)


# -- group norm ----------------------------------------------------------------------------------

class NativeGroupNormBackward0(Node):
    """Layer norm of each group of C/G channels (with their spatial extent) of each sample; the
    affine weight and bias are per channel: dw = sum(g * xhat), db = sum(g) over N and space."""
    __slots__ = ("N", "C", "HxW", "group", "eps", "num_outputs", "_out_meta")
    saved_names = ("input", "weight", "result1", "result2")

    # PyTorch's node has three outputs (the result, the mean and rstd, which it saves); only
    # the result's gradient enters the formula, as in PyTorch
    def apply(self, ns, grads, as_tensors):
        if not ns.INPLACE or grads[1] is not None or grads[2] is not None:
            # PyTorch's composite formula (create_graph, or gradients of mean and rstd)
            return _nb.group_norm_backward(ns, self, *grads, *self.unpack(as_tensors))
        if grads[0] is None:
            return (None, None, None)
        return self.backward(ns, grads[0], *self.unpack(as_tensors))
    saved_attrs = {"N": "N", "C": "C", "HxW": "HxW", "group": "group", "eps": "eps"}

    def _parts(self, ns, x, mean, rstd):
        gshape = (self.N, self.group, -1)
        xg = ns.reshape(x, gshape)
        m = (self.C // self.group) * self.HxW
        xhat, rstd = _nb.stats(xg, mean, rstd, (self.N, self.group, 1))
        cshape = (1, self.C) + (1,) * (len(x.shape) - 2)
        return gshape, m, xhat, rstd, cshape

    def backward(self, ns, grad, x, w, mean, rstd):
        gshape, m, xhat, rstd, cshape = self._parts(ns, x, mean, rstd)
        shape = tuple(x.shape)
        dims = (0,) + tuple(range(2, len(shape)))
        gx = gw = gb = None
        if self.needs(0):
            gxhat = grad if w is None else grad * ns.reshape(w, cshape)
            gx = ns.reshape(_normalized_grad(ns, ns.reshape(gxhat, gshape), xhat, rstd, (2,), m),
                            shape)
        if self.needs(1):
            gw = ns.sum_dims(grad * ns.reshape(xhat, shape), dims, False)
        if self.needs(2):
            gb = ns.sum_dims(grad, dims, False)
        return gx, gw, gb

    def jvp(self, ns, tangents, x, w, mean, rstd):
        tx, tw, tb = tangents
        gshape, m, xhat, rstd, cshape = self._parts(ns, x, mean, rstd)
        out = np.zeros_like(x)
        if tx is not None:
            dxhat = _normalized_tangent(tx.reshape(gshape), xhat, rstd, (2,)).reshape(x.shape)
            out = out + (dxhat if w is None else dxhat * w.reshape(cshape))
        if tw is not None:
            out = out + xhat.reshape(x.shape) * tw.reshape(cshape)
        if tb is not None:
            out = out + tb.reshape(cshape)
        return (out, None, None)


@export(torch=False, functional=True)
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """F.group_norm: split the channels into ``num_groups`` groups, normalise each group of each
    sample, then apply the per-channel affine transform."""
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[0], x.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {_lst(x.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != c):
            # (PyTorch prints the weight's shape in both messages, [0] when there is none)
            shown = _lst(weight.shape) if weight is not None else "[0]"
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {shown} and input "
                               f"of shape {_lst(x.shape)}")
    hxw = math.prod(x.shape[2:])
    xg = x.reshape(n, num_groups, -1)
    with _quiet():
        mean = xg.mean(axis=2, keepdims=True)
        xc = xg - mean
        rstd = 1 / np.sqrt((xc * xc).mean(axis=2, keepdims=True) + eps)
    out = (xc * rstd).reshape(x.shape)
    cshape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight._data.reshape(cshape)
    if bias is not None:
        out = out + bias._data.reshape(cshape)
    out = np.asarray(out, dtype=x.dtype)
    if not needs_grad(input, weight, bias):
        return wrap(out)
    node = make_node(NativeGroupNormBackward0, (input, weight, bias), out)
    node.N, node.C, node.HxW, node.group, node.eps = n, c, hxw, int(num_groups), float(eps)
    # the statistics are outputs 1 and 2 of the node, saved as such (the formulas read their
    # values only, and recompute them when differentiable)
    stats = [mean.reshape(n, num_groups).astype(x.dtype, copy=False),
             rstd.reshape(n, num_groups).astype(x.dtype, copy=False)]
    node._shape = node._dtype = None
    node.num_outputs = 3
    node._out_meta = ((out.shape, out.dtype),) + tuple((a.shape, a.dtype) for a in stats)
    saved = []
    for k, a in enumerate(stats, 1):
        t = wrap(a, node)
        t._extra().out_nr = k
        saved.append(t)
    node.save(input, weight, *saved)
    return wrap(out, node)


@export(torch="group_norm", composite=True)
def torch_group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """torch.group_norm: F.group_norm with a (unused) cudnn flag."""
    return group_norm(input, num_groups, weight, bias, eps)


# -- instance norm (composite) --------------------------------------------------------------------

@export(torch=False, functional=True, composite=True)
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """F.instance_norm: torch.instance_norm after checking that there is more than one spatial
    element to take statistics over."""
    if use_input_stats:
        size = tuple(input.shape)
        prod = 1
        for s in size[2:]:
            prod *= s
        if prod == 1:
            raise ValueError("Expected more than 1 spatial element when training, got input "
                             f"size {_size(size)}")
    return torch_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                               momentum, eps, False)


@export(torch="instance_norm", composite=True)
def torch_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                        momentum, eps, cudnn_enabled):
    """torch.instance_norm as PyTorch builds it: batch norm of the input viewed as
    (1, N*C, ...), with weight, bias and running statistics repeated N times; the running
    statistics are then the mean over the batch of the updated copies."""
    shape = list(input.shape)
    b, c = shape[0], shape[1]
    shape[1] = b * c
    shape[0] = 1

    def rep(t):
        return None if t is None else repeat(t, b)
    w, bb, rm, rv = rep(weight), rep(bias), rep(running_mean), rep(running_var)
    out = torch_batch_norm(view(contiguous(input), shape), w, bb, rm, rv, use_input_stats,
                           momentum, eps, False)
    with _grad_mode.no_grad():
        if running_mean is not None:
            copy_(running_mean, _mean(view(rm, b, c), 0))
        if running_var is not None:
            copy_(running_var, _mean(view(rv, b, c), 0))
    return view(out, Size(input.shape))


# -- RMS norm (composite) -------------------------------------------------------------------------

class AddBackward1(Node):
    """x + c for a Python number c (PyTorch's add.Scalar, which its rms_norm calls as add_):
    the gradient passes through."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)

    def jvp(self, ns, tangents):
        return tangents[0]


@public(name="add", vmap=POINTWISE)
def _add_scalar(input, other):
    """``input + other`` recorded as PyTorch's add.Scalar (AddBackward1)."""
    x = input._data
    out = np.asarray(x + np.asarray(other, dtype=x.dtype), dtype=x.dtype)
    return record(AddBackward1, (input,), out)


@export(torch=True, functional=True, composite=True)
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """F.rms_norm: x * rsqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, times
    weight; eps=None is the machine epsilon of the input's dtype. PyTorch 2.13 decomposes it on
    the CPU into pow, mean, add, rsqrt and mul, and so does this."""
    ns = _normalized_shape("rms_norm", normalized_shape)
    _check_normalized(input, ns, weight, None, "*")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    nd = input.ndim
    dims = [nd - i - 1 for i in range(len(ns))]
    r = rsqrt(_add_scalar(_mean(pow(input, 2), dims, True), eps))
    out = mul(input, r)
    if weight is not None:
        out = mul(out, weight)
    return out
