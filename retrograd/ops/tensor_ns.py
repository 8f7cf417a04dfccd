"""The formula namespace for ``create_graph=True``: the same names as ``numpy_ns``, built from
retrograd ops, so running a backward formula records a graph (double backward, Hessians)."""
from __future__ import annotations

import numpy as _np

from .indexing.getitem import index_acc, index_fill_zero  # noqa: F401 - part of the namespace
from .linalg.matmul import matmul  # noqa: F401
from .elementwise.compare import where  # noqa: F401
from .elementwise.unary_core import cos, log, sign, sin
from .reduction.basic import sum as _sum
from .shape.basic import expand as _expand
from .shape.basic import flip, permute, reshape, transpose  # noqa: F401
from .shape.basic import squeeze as _squeeze
from .shape.basic import unsqueeze as _unsqueeze
from ._util import wrap as _wrap
from .shape.join import stack as _stack
from .nn.conv import conv_op as _conv_op
from .nn.conv import _crop as _conv_crop, _input_padding_for as _conv_input_padding
from .nn.fold import unfold as _unfold
from .nn.fold import fold as _fold
from .._dispatch import public as _public
from .elementwise.unary_core import exp as _exp
from .elementwise.unary_core import sqrt as _sqrt
from .elementwise.unary_core import tanh as _tanh
from .elementwise.unary_core import sigmoid as _sigmoid
from .elementwise.unary import sinh as _sinh
from .elementwise.unary import cosh as _cosh
from .elementwise.unary import log1p as _log1p
from .elementwise.unary import trunc as _trunc
from .activation.functions import softplus as _softplus
from .elementwise.erfgamma import erf as _erf
from .elementwise.erfgamma import erfinv as _erfinv
from .elementwise.erfgamma import digamma as _digamma
from .elementwise.erfgamma import polygamma as _polygamma
from .shape.join import cat as _cat
from .elementwise.unary_core import abs as _abs
from .reduction.cumulative import cumsum as _cumsum
from .reduction.cumulative import cumprod as _cumprod
from .reduction.cumulative import logcumsumexp as _logcumsumexp
from .linalg.products import linalg_cross as _linalg_cross
from .linalg.solve import inv as _inv
from .linalg.solve import det as _det
from .linalg.solve import solve as _solve
from .linalg.triangular import solve_triangular as _solve_triangular
from .linalg.matrix_functions import matrix_exp as _matrix_exp
from .linalg.pinv_lstsq import pinv as _pinv
from .indexing.scatter import scatter_reduce as _scatter_reduce
from .linalg.decompositions import svd as _svd
from .elementwise.unary import floor as _floor
from .activation.piecewise import masked_backward as _masked_backward
from .nn._linmap import linear_map as _linear_map
from .nn.shuffle import pixel_shuffle as _pixel_shuffle
from .nn.shuffle import pixel_unshuffle as _pixel_unshuffle
from .nn.shuffle import channel_shuffle as _channel_shuffle
from .shape.einsum import einsum as _einsum
from .elementwise.compare import logical_not as _logical_not
from .elementwise.arithmetic import div as _div


# Formulas write into their own temporaries only on the NumPy path (see numpy_ns.INPLACE).
INPLACE = False

def expand(x, shape):
    return _expand(x, tuple(shape))


def unsqueeze_dims(x, dims):
    for d in sorted(d % (x.ndim + len(dims)) for d in dims):
        x = _unsqueeze(x, d)
    return x


def squeeze_dim(x, d):
    return _squeeze(x, d)


def count(mask):
    return _sum(mask)


def const(a):
    return _wrap(a)


def zeros_like(x):
    return _wrap(_np.zeros_like(x._data))


def zeros(shape, dtype):
    return _wrap(_np.zeros(shape, dtype))


def stack(tensors, dim):
    return _stack(tensors, dim)


# -- elementwise and activation families: exp/log/hyperbolic, special functions, dim sums --------
def exp(x):
    return _exp(x)


def sqrt(x):
    return _sqrt(x)


def tanh(x):
    return _tanh(x)


def sigmoid(x):
    return _sigmoid(x)


def sinh(x):
    return _sinh(x)


def cosh(x):
    return _cosh(x)


def log1p(x):
    return _log1p(x)


def trunc(x):
    return _trunc(x)


def softplus(x):
    """log(1 + e^x) (PyTorch's F.softplus: x itself above 20)."""
    return _softplus(x)


def erf(x):
    return _erf(x)


def erfinv(x):
    return _erfinv(x)


def digamma(x):
    return _digamma(x)


def polygamma(n, x):
    return _polygamma(n, x)


def sum_dims(x, dims, keepdim):
    return _sum(x, tuple(dims), keepdim)


def cat(tensors, dim):
    return _cat(list(tensors), dim)


# -- reduction family: scans and abs -------------------------------------------------------------
def abs(x):  # noqa: A001
    return _abs(x)


def cumsum(x, dim):
    return _cumsum(x, dim)


def cumprod(x, dim):
    return _cumprod(x, dim)


def logcumsumexp(x, dim):
    return _logcumsumexp(x, dim)


# -- linalg family: products, solves and decompositions used inside linalg formulas -------------
def cross(a, b, dim):
    return _linalg_cross(a, b, dim=dim)


def inv(a):
    return _inv(a)


def det(a):
    return _det(a)


def solve(a, b):
    """a X = b for matrices b (batched)."""
    return _solve(a, b)


def solve_triangular(a, b, upper, left, unitriangular):
    return _solve_triangular(a, b, upper=upper, left=left, unitriangular=unitriangular)


def matrix_exp(a):
    return _matrix_exp(a)


def pinv(a):
    return _pinv(a)


# -- shape / indexing family: gather/scatter, index_*, masked_*, take/put, roll, rot90, tril/triu,
# diagonal
from .indexing.scatter import gather, scatter, scatter_add  # noqa: E402,F401
from .indexing.select import index_add, index_fill, index_select, put, take  # noqa: E402,F401
from .indexing.masked import masked_fill, masked_scatter, masked_select  # noqa: E402,F401
from .shape.copy import roll, rot90, tril, triu  # noqa: E402,F401
from .shape.views import diagonal  # noqa: E402,F401


def scatter_reduce(x, dim, index, src, reduce, include_self=True):
    return _scatter_reduce(x, dim, index, src, reduce, include_self=include_self)


def svd(a):
    """Reduced SVD: (U, S, Vh)."""
    return tuple(_svd(a, full_matrices=False))


def floor(x):
    return _floor(x)


def masked_backward(name, grad, saved, keep, slope=0.0, **attrs):
    return _masked_backward(name, grad, saved, keep, slope, **attrs)


def linear_map(x, fn, adjoint, name, adjoint_name):
    """``fn(x)`` recorded as the node ``name``, whose backward is ``adjoint``."""
    return _linear_map(x, fn, adjoint, name, adjoint_name)


def pixel_shuffle(x, r):
    return _pixel_shuffle(x, r)


def pixel_unshuffle(x, r):
    return _pixel_unshuffle(x, r)


def channel_shuffle(x, groups):
    return _channel_shuffle(x, groups)
# -- convolutions (ops/nn/conv.py) ----------------------------------------------------------
def convolution(x, w, stride, padding, dilation, transposed, output_padding, groups):
    return _conv_op(x, w, None, stride, padding, dilation, transposed, output_padding, groups)


def conv_weight(x, grad, kernel, stride, padding, dilation, groups):
    """d<grad, conv(x, w)>/dw as a convolution, so that it stays differentiable: the input's
    channels (per group) become the batch, the batch becomes the channels, ``grad`` is the
    kernel, stride and dilation swap; the result is cut to ``kernel``."""
    n, c = x.shape[0], x.shape[1]
    o = grad.shape[1]
    g = groups
    nd = len(kernel)
    sp = tuple(x.shape[2:])
    xs = reshape(x, (n, g, c // g) + sp)
    xs = reshape(permute(xs, (2, 1, 0) + tuple(range(3, 3 + nd))), (c // g, g * n) + sp)
    ws = transpose(grad, 0, 1)                       # (O, N, *L): O/g filters per group
    y = _conv_op(xs, ws, None, dilation, padding, stride, False, (0,) * nd, g)  # (C/g, O, *k')
    if tuple(y.shape[2:]) != tuple(kernel):
        y = y[(slice(None), slice(None)) + tuple(slice(0, k) for k in kernel)]
    return transpose(y, 0, 1)


def convolution_backward(grad, x, w, stride, padding, dilation, transposed, groups, mask):
    """(dL/dx, dL/dw) of convolution(x, w) as convolutions (differentiable): a composite of
    ``convolution`` and ``conv_weight``."""
    nd = len(stride)
    size = tuple(x.shape[2:])
    kernel = tuple(w.shape[2:])
    gx = gw = None
    if transposed:
        if mask[0]:
            gx = _conv_crop(convolution(grad, w, stride, padding, dilation, False, (0,) * nd,
                                        groups), size)
        if mask[1]:
            gw = conv_weight(grad, x, kernel, stride, padding, dilation, groups)
    else:
        if mask[0]:
            op = _conv_input_padding(size, tuple(grad.shape[2:]), kernel, stride, padding,
                                     dilation)
            gx = convolution(grad, w, stride, padding, dilation, True, op, groups)
        if mask[1]:
            gw = conv_weight(x, grad, kernel, stride, padding, dilation, groups)
    return gx, gw


def im2col(x, kernel, dilation, padding, stride):
    return _unfold(x, kernel, dilation, padding, stride)


def col2im(cols, size, kernel, dilation, padding, stride):
    return _fold(cols, size, kernel, dilation, padding, stride)


def einsum(equation, *operands):
    return _einsum(equation, *operands)


# Every function of this namespace is a public op entry point (retrograd/_dispatch.py): a mode
# sees the ops of a differentiable backward pass (forward-over-reverse; vmap over grad).
def logical_not(x):
    return _logical_not(x)


def floor_divide(x, y):
    """div(x, y, rounding_mode='floor'): its gradient is zero (torch.floor_divide has none)."""
    return _div(x, y, rounding_mode="floor")


def _publish(namespace: dict) -> None:
    import types
    for name, fn in list(namespace.items()):
        if isinstance(fn, types.FunctionType) and not name.startswith("_") and \
                fn.__module__.startswith("retrograd.ops"):
            namespace[name] = _public(fn, name)


_publish(globals())
# a composite: modes (forward AD, vmap) see its convolutions, not it
_public(convolution_backward, composite=True)


# -- PyTorch's building blocks of its backward formulas (see numpy_ns: the same names) ---------
from .loss.regression import mul_scalar, div_scalar, add_scalar, sub_scalar  # noqa: E402,F401
from .elementwise.unary import sgn  # noqa: E402,F401
from .shape.basic import t  # noqa: E402,F401


# -- activations family: the backward kernels of the smooth activations, each recorded as
# PyTorch's node (TanhBackwardBackward0, EluBackwardBackward0, ...; see numpy_ns) --------------
from .activation.backward_ops import (  # noqa: E402,F401
    elu_backward, gelu_backward, glu_backward, hardsigmoid_backward, hardswish_backward,
    log_sigmoid_backward, prelu_kernel_backward, rrelu_with_noise_backward, scalar_sub,
    sigmoid_backward, softplus_backward, tanh_backward)
from .elementwise.arithmetic import pow as _pow  # noqa: E402


def pow_scalar(x, exponent):
    """x ** exponent for a Python number (PowBackward0, as x.pow(3) in PyTorch's formulas)."""
    return _pow(x, exponent)


# -- core_elementwise family: the blocks of PyTorch's elementwise backward formulas --------------
from .elementwise.unary import rsqrt as _rsqrt  # noqa: E402


def rsqrt(x):
    return _rsqrt(x)


from .elementwise.arithmetic import reciprocal as _reciprocal  # noqa: E402
from .elementwise.binary import xlogy as _xlogy, xlog1py as _xlog1py  # noqa: E402


def reciprocal(x):
    return _reciprocal(x)


def scalar_div(c, x):
    """``c / x`` for a number c as PyTorch's C++ ``Scalar / Tensor`` computes it: a tensor filled
    with c divided by x (DivBackward0)."""
    return _div(_wrap(_np.full_like(x._data, c)), x)


def div_trunc(x, y):
    """div(x, y, rounding_mode='trunc') (DivBackward2: a zero gradient)."""
    return _div(x, y, rounding_mode="trunc")


def xlogy(x, y):
    return _xlogy(x, y)


def xlog1py(x, y):
    return _xlog1py(x, y)


def const_like(x, values):
    """The constant ``values`` as a tensor of x's dtype (no history)."""
    return _wrap(_np.asarray(values, dtype=x._data.dtype))
from .elementwise.logic import isfinite as _isfinite  # noqa: E402


def isfinite(x):
    return _isfinite(x)


# -- conv_norm family: PyTorch's backward kernels, one node each (see numpy_ns: the same names) --
def convolution_backward_all(grad, x, w, stride, padding, dilation, transposed, output_padding,
                             groups, mask, args):
    """(dL/dx, dL/dw, dL/db) as outputs of one ConvolutionBackwardBackward0 node, as PyTorch
    records at::convolution_backward."""
    from .nn.conv import convolution_backward_op as op
    return op(grad, x, w, stride, padding, dilation, transposed, output_padding, groups, mask,
              args)


def unsqueeze_inplace(x, d):
    """``x.unsqueeze_(d)`` on a temporary the formula made: UnsqueezeBackward1, as PyTorch's
    C++ formulas record it."""
    return x.unsqueeze_(d)


# -- softmax_losses family: PyTorch's backward kernels of softmax, log_softmax and nll_loss -------
from .activation.softmax import softmax_backward_data as _softmax_backward_data  # noqa: E402
from .activation.softmax import log_softmax_backward_data as _log_softmax_backward_data  # noqa
from .loss.nll import nll_loss_backward as _nll_loss_backward  # noqa: E402
from .loss.regression import loss_backward as _loss_backward  # noqa: E402
from .loss.bce import bce_backward as _bce_backward  # noqa: E402
from .loss.bce import soft_margin_backward as _soft_margin_backward  # noqa: E402
from .elementwise.erfgamma import logit as _logit  # noqa: E402
from .activation.functions import logsigmoid as _logsigmoid  # noqa: E402


def softmax_backward_data(grad, y, dim, dims):
    """_softmax_backward_data(grad, y, dim): one SoftmaxBackwardDataBackward0 node."""
    return _softmax_backward_data(grad, y, dim, dims)


def log_softmax_backward_data(grad, y, dim, dims):
    """_log_softmax_backward_data(grad, y, dim): one LogSoftmaxBackwardDataBackward0 node."""
    return _log_softmax_backward_data(grad, y, dim, dims)


def nll_loss_backward(node, grad, x, target, weight, total_weight):
    """nll_loss_backward(grad, x, target, ...): one NllLoss(2D)BackwardBackward0 node over
    (grad, x), connected to x though its derivative there is zero (as PyTorch's)."""
    return _nll_loss_backward(node, grad, x, target, weight, total_weight)


def loss_backward(first, grad, a, b):
    """<loss>_backward(grad, a, b): one <Loss>BackwardBackward0 node over (grad, a, b)
    (``first``: the pointwise loss's node, mse/huber/smooth_l1)."""
    return _loss_backward(first, grad, a, b)


def ones_like(x):
    return _wrap(_np.ones_like(x._data))


def sum_all(x):
    """sum() of every element: SumBackward0."""
    return _sum(x)


def bce_backward(first, grad, x, t, w):
    """binary_cross_entropy_backward(grad, x, t, w): one BinaryCrossEntropyBackwardBackward0
    node over (grad, x, t)."""
    return _bce_backward(first, grad, x, t, w)


def logit(x):
    return _logit(x)


def log_sigmoid(x):
    """F.logsigmoid: LogSigmoidBackward0."""
    return _logsigmoid(x)


def soft_margin_backward(first, grad, x, t):
    """soft_margin_loss_backward(grad, x, t): one SoftMarginLossBackwardBackward0 node over
    (grad, x)."""
    return _soft_margin_backward(first, grad, x, t)


# public entry points (modes see them: forward AD through a double backward, vmap over grad)
softmax_backward_data = _public(softmax_backward_data)
log_softmax_backward_data = _public(log_softmax_backward_data)
nll_loss_backward = _public(nll_loss_backward)
loss_backward = _public(loss_backward)
bce_backward = _public(bce_backward)
soft_margin_backward = _public(soft_margin_backward)


# -- matmul_linalg family: the kernels PyTorch's product and linalg formulas call -----------------
from .linalg.addmm import bmm as _bmm  # noqa: E402
from .shape.copy import diag_embed as _diag_embed  # noqa: E402
from .shape.views import diagonal_backward as _diagonal_backward  # noqa: E402
from .linalg.triangular import cholesky_solve as _cholesky_solve  # noqa: E402
from .linalg.triangular import triangular_solve as _triangular_solve  # noqa: E402
from .indexing.getitem import slice_backward as _slice_backward  # noqa: E402


def bmm(x, y):
    return _bmm(x, y)


def diag_embed(x):
    return _diag_embed(x)


def diagonal_backward(grad, shape, offset, dim1, dim2):
    return _diagonal_backward(grad, shape, offset, dim1, dim2)


def triangular_solve(b, a, upper, transpose, unitriangular):
    return _triangular_solve(b, a, upper, transpose, unitriangular).solution


def cholesky_solve(b, low, upper):
    return _cholesky_solve(b, low, upper)


def linalg_solve(a, b, left):
    return _solve(a, b, left=left)


def slice_backward(grad, shape, index, args):
    return _slice_backward(grad, shape, index, args)


# -- core_reduction_views family: the blocks of var/std's backward (ops/reduction/stats.py) ------
from .reduction.basic import mean as _mean  # noqa: E402


def mean_dims(x, dims, keepdim):
    """x.mean() (MeanBackward0) when dims is None, else x.mean(dims, keepdim) (MeanBackward1)."""
    return _mean(x) if dims is None else _mean(x, tuple(dims), keepdim)


# -- pool_pad_interp: PyTorch's backward kernels of pooling and padding (ops/nn/_linmap.py) -------
# ``fn(grad)`` recorded as PyTorch's backward-kernel node ``cls`` over (grad, x) (an op that modes
# see: forward AD over it uses the node's rule)
from .nn._linmap import backward_kernel as _backward_kernel  # noqa: E402
backward_kernel = _public(_backward_kernel, "backward_kernel")


# -- third-order rows (misc3): in-place building blocks of PyTorch's C++ formulas -------------------
from .inplace import apply_inplace as _apply_inplace  # noqa: E402
from .._dispatch import unwrap as _unwrap  # noqa: E402


def _mul_scalar_inplace(x, c):
    return _apply_inplace(x, _unwrap(mul_scalar), c)


_mul_scalar_inplace.__name__ = "mul_scalar_"
# ``x.mul_(c)`` as PyTorch's C++ formulas call it: mul_.Scalar, MulBackward1 (inside CopySlices
# for a view), whose own backward is mul.Scalar again; public and named in place, so forward AD
# updates x's tangent (and its base's)
mul_scalar_ = _public(_mul_scalar_inplace, "mul_scalar_")
