"""torch.convolution: every convolution (1-3 spatial dims, strided, padded, dilated, grouped,
transposed) is this one op, recorded as PyTorch's ``ConvolutionBackward0``.

The forward is im2col (a strided view of the padded input, copied into a matrix) and one GEMM
per group (ops/nn/_conv_kernels.py). The backward is ``ns.convolution_backward``
(at::convolution_backward without the bias): on the first-order path the NumPy kernels, which
share the gradient's copy between the two gradients; under ``create_graph=True`` (tensor_ns)
the input gradient is a (transposed) convolution again and the weight gradient a convolution of
the input by the output gradient, so double backward records ConvolutionBackward0 nodes and
stays differentiable.

F.conv1d/2d/3d and F.conv_transpose1d/2d/3d (ops/nn/conv_functional.py) check their arguments
as PyTorch does and call ``convolution``.
"""
from __future__ import annotations

import numpy as np

from ..._dispatch import public
from ...autograd.node import Node
from .._registry import export
from .._util import Tensor, record_outputs, u64s
from ...autograd._record import record
from . import _conv_kernels as K
from ..._dtype import from_numpy_dtype
from ..linalg.matmul import _TYPE
from ..._size import format_shape


def _shape(t) -> str:
    return format_shape(int(s) for s in t)


def _input_padding_for(size, grad_size, kernel, stride, padding, dilation) -> tuple:
    """The output_padding under which the transposed convolution of a gradient of spatial
    size ``grad_size`` has spatial size ``size`` (always < stride)."""
    return tuple(s - ((g - 1) * st - 2 * p + d * (k - 1) + 1)
                 for s, g, k, st, p, d in zip(size, grad_size, kernel, stride, padding, dilation))


def transposed_size(in_size, kernel, stride, padding, output_padding, dilation) -> tuple:
    return tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1
                 for s, k, st, p, op, d in zip(in_size, kernel, stride, padding, output_padding,
                                               dilation))


def _crop(t, size):
    """``t`` cut to the spatial ``size`` (a transposed convolution's input gradient when its
    output_padding reached past the stride)."""
    if tuple(t.shape[2:]) == tuple(size):
        return t
    return t[(slice(None), slice(None)) + tuple(slice(0, s) for s in size)]


class ConvolutionBackward0(Node):
    """y = conv(x, w) + b: dL/dx = conv_transpose(grad, w), dL/dw = the correlation of x with
    grad (conv_weight), dL/db = grad summed over batch and space; for a transposed convolution
    the roles of conv and conv_transpose swap."""
    __slots__ = ("stride", "padding", "dilation", "transposed", "output_padding", "groups",
                 "bias_sizes", "args")
    saved_names = ("input", "weight")
    # PyTorch saves the int lists as the caller gave them to at::convolution (one value for all
    # dims stays one value): ``args`` holds them, the other slots the expanded ones
    saved_attrs = {
        "stride": lambda n: u64s(n.args[0]), "padding": lambda n: u64s(n.args[1]),
        "dilation": lambda n: u64s(n.args[2]), "transposed": "transposed",
        "output_padding": lambda n: u64s(n.args[3]), "groups": "groups",
        "bias_sym_sizes_opt": lambda n: n.bias_sizes,
    }

    def backward(self, ns, grad, x, w):
        if not ns.INPLACE:   # create_graph: PyTorch's one node over (grad, input, weight)
            return ns.convolution_backward_all(
                grad, x, w, self.stride, self.padding, self.dilation, self.transposed,
                self.output_padding, self.groups, (self.needs(0), self.needs(1), self.needs(2)),
                self.args)
        gx, gw = ns.convolution_backward(grad, x, w, self.stride, self.padding, self.dilation,
                                         self.transposed, self.groups,
                                         (self.needs(0), self.needs(1)))
        gb = None
        if self.needs(2):
            gb = ns.sum_dims(grad, (0,) + tuple(range(2, grad.ndim)), False)
        return gx, gw, gb

    def jvp(self, ns, tangents, x, w):
        """Bilinear in (x, w), affine in b: dy = conv(dx, w) + conv(x, dw) + db."""
        tx, tw, tb = tangents
        args = (self.stride, self.padding, self.dilation, self.transposed, self.output_padding,
                self.groups)
        out = None
        if tx is not None:
            out = ns.convolution(tx, w, *args)
        if tw is not None:
            t = ns.convolution(x, tw, *args)
            out = t if out is None else out + t
        if tb is not None:
            shape = (1, tb.shape[0]) + (1,) * (len(self._shape) - 2)
            out = ns.expand(ns.reshape(tb, shape), self._shape) if out is None else \
                out + ns.reshape(tb, shape)
        return out


def np_convolution(x, w, stride, padding, dilation, transposed, output_padding, groups):
    """The convolution on NumPy arrays, without bias (numpy_ns.convolution)."""
    if transposed:
        size = transposed_size(x.shape[2:], w.shape[2:], stride, padding, output_padding,
                               dilation)
        return K.conv_transpose(x, w, size, stride, padding, dilation, groups)
    return K.conv(x, w, stride, padding, dilation, groups)


def conv_op(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups,
            args=None, bias_sizes=None):
    """The convolution with arguments already checked and expanded to one int per spatial
    dim; records ConvolutionBackward0 (tensor_ns.convolution calls this too). ``args``: the
    (stride, padding, dilation, output_padding) the caller gave, as the node exposes them;
    ``bias_sizes``: what it exposes as bias_sym_sizes_opt without a bias."""
    stride, padding, dilation = tuple(stride), tuple(padding), tuple(dilation)
    output_padding = tuple(output_padding)
    y = np_convolution(input._data, weight._data, stride, padding, dilation, transposed,
                       output_padding, groups)
    if bias is not None:
        y += bias._data.reshape((1, -1) + (1,) * (y.ndim - 2))
    return record(ConvolutionBackward0, (input, weight, bias), y, (input, weight), stride=stride,
                  padding=padding, dilation=dilation, transposed=bool(transposed),
                  output_padding=output_padding, groups=groups,
                  bias_sizes=(int(bias.shape[0]),) if bias is not None else bias_sizes,
                  args=args if args is not None else (stride, padding, dilation, output_padding))


# -- argument checks, in PyTorch's order (aten/src/ATen/native/Convolution.cpp) ----------------
def _scalar_name(dt) -> str:
    return from_numpy_dtype(dt)._legacy[:-len("Tensor")]


def _expand(value, name: str, dim: int) -> tuple:
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * dim
    if len(value) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} "
                           f"values to match the convolution dimensions, but got {name}="
                           f"{_shape(value)}")
    return value


def uses_mkldnn(xs, ws, dtype, stride, dilation, transposed, output_padding, groups) -> bool:
    """Whether PyTorch's CPU build takes its oneDNN path for these shapes (only its error
    messages differ): float32, and not tiny (ConvParams::use_mkldnn)."""
    if dtype != np.float32:
        return False
    if transposed and any(op >= s for op, s in zip(output_padding, stride)):
        return False
    if len(xs) == 3:        # conv1d runs as a 2-d convolution of height 1
        xs, ws = (xs[0], xs[1], 1, xs[2]), (ws[0], ws[1], 1, ws[2])
    # (PyTorch also asks for a strided, dilated or non-1x1 convolution, a batch of 16 or more,
    # or several threads: the last holds for its CPU default on any multi-core machine)
    return (groups > 1 or (ws[-1] > 3 and ws[-2] > 3) or xs[0] > 1 or
            xs[0] * xs[1] * xs[2] * xs[3] > 20480)


def check_convolution(input, weight, bias, stride, padding, dilation, transposed,
                      output_padding, groups) -> tuple:
    """PyTorch's checks of at::convolution; returns (stride, padding, dilation, output_padding)
    expanded to one int per spatial dim."""
    k = weight.ndim
    if k <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    dim = k - 2
    stride = _expand(stride, "stride", dim)
    padding = _expand(padding, "padding", dim)
    dilation = _expand(dilation, "dilation", dim)
    output_padding = _expand(output_padding, "output_padding", dim)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    xs, ws = tuple(input.shape), tuple(weight.shape)
    if input.ndim != k:
        raise RuntimeError(f"Expected {k}-dimensional input for {k}-dimensional weight "
                           f"{_shape(ws)}, but got {input.ndim}-dimensional input of size "
                           f"{_shape(xs)} instead")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {_shape(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{_shape(ws)}] instead")
    if not transposed:
        if xs[1] != ws[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {_shape(ws)}, expected "
                               f"input{_shape(xs)} to have {ws[1] * groups} channels, but got "
                               f"{xs[1]} channels instead")
        if bias is not None and (bias.ndim != 1 or bias.shape[0] != ws[0]):
            raise RuntimeError(f"Given weight of size {_shape(ws)}, expected bias to be "
                               f"1-dimensional with {ws[0]} elements, but got bias of size "
                               f"{_shape(bias.shape)} instead")
        padded = [xs[2 + i] + 2 * padding[i] for i in range(dim)]
        kern = [dilation[i] * (ws[2 + i] - 1) + 1 for i in range(dim)]
        if any(p < q for p, q in zip(padded, kern)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, kern))}). Kernel size can't be greater "
                "than actual input size")
    else:
        if xs[1] != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {_shape(ws)}, expected "
                               f"input{_shape(xs)} to have {ws[0]} channels, but got {xs[1]} "
                               "channels instead")
        if bias is not None and (bias.ndim != 1 or bias.shape[0] != ws[1] * groups):
            raise RuntimeError(f"Given transposed=1, weight of size {_shape(ws)}, expected bias "
                               f"to be 1-dimensional with {ws[1] * groups} elements, but got "
                               f"bias of size {_shape(bias.shape)} instead")
    if xs[0] and xs[1] and any(s == 0 for s in xs[2:]):
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {_shape(xs)}")
    xd, wd = input._data.dtype, weight._data.dtype
    mkldnn = uses_mkldnn(xs, ws, xd, stride, dilation, transposed, output_padding, groups)
    if xd != wd:
        if mkldnn:
            raise RuntimeError(f"Input type ({input.type()}) and weight type ({weight.type()}) "
                               "should be the same or input should be a MKLDNN tensor and "
                               "weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {_scalar_name(xd)} but found "
                           f"{_scalar_name(wd)}")
    if bias is not None and bias._data.dtype != xd:
        raise RuntimeError(f"Input type ({_TYPE[xd.name]}) and bias type "
                           f"({_TYPE[bias._data.dtype.name]}) should be the same")
    if xd == np.bool_:     # the name of the CPU kernel that refuses it (1-d runs as 2-d)
        if transposed:
            name = f"slow_conv_transpose{max(dim, 2)}d_out_cpu"
        else:
            name = "compute_columns3d" if dim == 3 else "slow_conv2d_cpu"
        raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')
    if transposed:
        out = transposed_size(xs[2:], ws[2:], stride, padding, output_padding, dilation)
        if not mkldnn and any(o >= max(s, d) for o, s, d in zip(output_padding, stride,
                                                                 dilation)):
            ops, sts, dls = output_padding, stride, dilation
            if dim == 1:    # a 1-d transposed convolution runs as a 2-d one of height 1
                ops, sts, dls = (0,) + ops, (1,) + sts, (1,) + dls
            names = ("depth", "height", "width")[-len(ops):]
            parts = [f"output_padding_{n}: {o}" for n, o in zip(names, ops)] + \
                [f"stride_{n}: {v}" for n, v in zip(names, sts)] + \
                [f"dilation_{n}: {v}" for n, v in zip(names, dls)]
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               "but got " + " ".join(parts))
        if mkldnn and any(o < 0 for o in out) or not mkldnn and any(o <= 0 for o in out):
            if mkldnn:
                raise RuntimeError("could not construct a memory descriptor using a format tag")
            raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, xs[2:]))})"
                               f". Calculated output size per channel: "
                               f"({' x '.join(map(str, out))}). Output size is too small")
    return stride, padding, dilation, output_padding


def _as_tensor(x, name: str, pos: int, fn: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def _checked(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups,
             bias_sizes):
    args = (tuple(stride), tuple(padding), tuple(dilation), tuple(output_padding))
    stride, padding, dilation, output_padding = check_convolution(
        input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
    return conv_op(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                   groups, args, bias_sizes)


@export(torch=True, vmap="convolution")
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """torch.convolution: every convolution, checked as PyTorch checks it."""
    _as_tensor(input, "input", 1, "convolution")
    _as_tensor(weight, "weight", 2, "convolution")
    if bias is not None:
        _as_tensor(bias, "bias", 3, "convolution")
    return _checked(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                    groups, None)


@public(name="convolution", vmap="convolution")
def convolution_nd(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                   groups):
    """at::convolution as F.conv2d & co. call it (they pass an empty bias where there is none:
    the node shows bias_sym_sizes_opt (0,) then)."""
    return _checked(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                    groups, (0,))


# -- the backward as one op: what create_graph=True records ------------------------------------
class ConvolutionBackwardBackward0(Node):
    """(gx, gw, gb) = convolution_backward(gO, x, w): gx = conv_transpose(gO, w), gw = the
    correlation of x with gO, gb = gO summed over batch and space; bilinear in (gO, w) and
    (gO, x), so with ggx, ggw, ggb the gradients of the three outputs: d/dgO = conv(ggx, w) +
    conv(x, ggw) + ggb, d/dx = conv_transpose(gO, ggw), d/dw = the correlation of ggx with gO
    (PyTorch's _convolution_double_backward)."""
    __slots__ = ("stride", "padding", "dilation", "transposed", "output_padding", "groups",
                 "args", "num_outputs", "_out_meta")
    saved_names = ("grad_output", "input", "weight")
    saved_attrs = {
        "stride": lambda n: u64s(n.args[0]), "padding": lambda n: u64s(n.args[1]),
        "dilation": lambda n: u64s(n.args[2]), "transposed": "transposed",
        "output_padding": lambda n: u64s(n.args[3]), "groups": "groups",
    }

    def apply(self, ns, grads, as_tensors):
        return self.backward(ns, list(grads), *self.unpack(as_tensors))

    def _conv(self, ns, a, b):
        return ns.convolution(a, b, self.stride, self.padding, self.dilation, self.transposed,
                              self.output_padding, self.groups)

    def _back(self, ns, g, x, w, mask):
        return ns.convolution_backward(g, x, w, self.stride, self.padding, self.dilation,
                                       self.transposed, self.groups, mask)

    def backward(self, ns, grads, go, x, w):
        ggx, ggw, ggb = grads
        g_go = g_x = g_w = None
        if self.needs(0):
            if ggx is not None:
                g_go = self._conv(ns, ggx, w)
            if ggw is not None:
                t = self._conv(ns, x, ggw)
                g_go = t if g_go is None else g_go + t
            if ggb is not None:
                b = ns.reshape(ggb, (1, -1) + (1,) * (len(go.shape) - 2))
                g_go = ns.expand(b, tuple(go.shape)) if g_go is None else g_go + b
        if self.needs(1) and ggw is not None:
            g_x = self._back(ns, go, x, ggw, (True, False))[0]
        if self.needs(2) and ggx is not None:
            g_w = self._back(ns, go, ggx, w, (False, True))[1]
        return g_go, g_x, g_w

    def jvp(self, ns, tangents, go, x, w):
        """Bilinear: d gx = gx(tgO, w) + gx(gO, tw), d gw = gw(tgO, x) + gw(gO, tx),
        d gb = sum(tgO)."""
        tgo, tx, tw = tangents
        outs = []
        for k, (shape, dtype) in enumerate(self._out_meta):
            out = np.zeros(shape, dtype)
            if k == 0:
                if tgo is not None:
                    out = out + self._back(ns, tgo, x, w, (True, False))[0]
                if tw is not None:
                    out = out + self._back(ns, go, x, tw, (True, False))[0]
            elif k == 1:
                if tgo is not None:
                    out = out + self._back(ns, tgo, x, w, (False, True))[1]
                if tx is not None:
                    out = out + self._back(ns, go, tx, w, (False, True))[1]
            elif tgo is not None:
                out = out + tgo.sum(axis=(0,) + tuple(range(2, tgo.ndim)))
            outs.append(out)
        return tuple(outs)


def np_convolution_backward_all(grad, x, w, stride, padding, dilation, transposed, groups,
                                mask):
    """at::convolution_backward on NumPy arrays: (dL/dx, dL/dw, dL/db), None where ``mask``
    asks for no gradient."""
    gx, gw = K.conv_backward(grad, x, w, stride, padding, dilation, transposed, groups,
                             (mask[0], mask[1]))
    gb = grad.sum(axis=(0,) + tuple(range(2, grad.ndim))) if mask[2] else None
    return gx, gw, gb


@public(name="convolution_backward")
def convolution_backward_op(grad, input, weight, stride, padding, dilation, transposed,
                            output_padding, groups, mask, args=None):
    """at::convolution_backward as one op (the create_graph path of ConvolutionBackward0):
    three results, each None where ``mask`` asks for none, outputs of one
    ConvolutionBackwardBackward0 node over (grad, input, weight), as in PyTorch (the bias
    gradient too is connected to input and weight)."""
    outs = np_convolution_backward_all(grad._data, input._data, weight._data, stride, padding,
                                       dilation, transposed, groups, mask)
    stride, padding, dilation = tuple(stride), tuple(padding), tuple(dilation)
    output_padding = tuple(output_padding)
    return record_outputs(ConvolutionBackwardBackward0, (grad, input, weight), outs,
                          (grad, input, weight), stride=stride, padding=padding,
                          dilation=dilation, transposed=bool(transposed),
                          output_padding=output_padding, groups=groups,
                          args=args if args is not None else (stride, padding, dilation,
                                                               output_padding))
