"""The formula namespace for ``create_graph=True``: the same names as ``numpy_ns``, built from
retrograd ops, so running a backward formula records a graph (double backward, Hessians)."""
from __future__ import annotations

from .indexing.getitem import index_acc, index_fill_zero  # noqa: F401 - part of the namespace
from .linalg.matmul import matmul  # noqa: F401
from .elementwise.arithmetic import cos, log, sign, sin, where  # noqa: F401
from .reduction.basic import sum as _sum
from .shape.basic import expand as _expand
from .shape.basic import flip, permute, reshape, transpose  # noqa: F401
from .shape.basic import squeeze as _squeeze
from .shape.basic import unsqueeze as _unsqueeze
from ._util import wrap as _wrap
from .shape.basic import stack as _stack
from .elementwise.arithmetic import exp as f
from .nn.conv import conv_op
from .nn.fold import unfold
from .nn.fold import fold
from .._dispatch import public


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
    import numpy as np
    return _wrap(np.zeros_like(x._data))


def zeros(shape, dtype):
    import numpy as np
    return _wrap(np.zeros(shape, dtype))


def stack(tensors, dim):
    return _stack(tensors, dim)


# -- elementwise and activation families: exp/log/hyperbolic, special functions, dim sums --------
def exp(x):
    return f(x)


def sqrt(x):
    from .elementwise.arithmetic import sqrt as f
    return f(x)


def tanh(x):
    from .elementwise.arithmetic import tanh as f
    return f(x)


def sigmoid(x):
    from .elementwise.arithmetic import sigmoid as f
    return f(x)


def sinh(x):
    from .elementwise.unary import sinh as f
    return f(x)


def cosh(x):
    from .elementwise.unary import cosh as f
    return f(x)


def log1p(x):
    from .elementwise.unary import log1p as f
    return f(x)


def trunc(x):
    from .elementwise.unary import trunc as f
    return f(x)


def softplus(x):
    """log(1 + e^x) (PyTorch's F.softplus: x itself above 20)."""
    from .activation.functions import softplus as f
    return f(x)


def erf(x):
    from .elementwise.unary import erf as f
    return f(x)


def erfinv(x):
    from .elementwise.unary import erfinv as f
    return f(x)


def digamma(x):
    from .elementwise.unary import digamma as f
    return f(x)


def polygamma(n, x):
    from .elementwise.unary import polygamma as f
    return f(n, x)


def sum_dims(x, dims, keepdim):
    return _sum(x, tuple(dims), keepdim)


def cat(tensors, dim):
    from .shape.basic import cat as f
    return f(list(tensors), dim)


# -- reduction family: scans and abs -------------------------------------------------------------
def abs(x):  # noqa: A001
    from .elementwise.arithmetic import abs as f
    return f(x)


def cumsum(x, dim):
    from .reduction.cumulative import cumsum as f
    return f(x, dim)


def cumprod(x, dim):
    from .reduction.cumulative import cumprod as f
    return f(x, dim)


def logcumsumexp(x, dim):
    from .reduction.cumulative import logcumsumexp as f
    return f(x, dim)


# -- linalg family: products, solves and decompositions used inside linalg formulas -------------
def cross(a, b, dim):
    from .linalg.matmul import linalg_cross as f
    return f(a, b, dim=dim)


def inv(a):
    from .linalg.solve import inv as f
    return f(a)


def det(a):
    from .linalg.solve import det as f
    return f(a)


def solve(a, b):
    """a X = b for matrices b (batched)."""
    from .linalg.solve import solve as f
    return f(a, b)


def solve_triangular(a, b, upper, left, unitriangular):
    from .linalg.solve import solve_triangular as f
    return f(a, b, upper=upper, left=left, unitriangular=unitriangular)


def matrix_exp(a):
    from .linalg.matrix_functions import matrix_exp as f
    return f(a)


def pinv(a):
    from .linalg.decompositions import pinv as f
    return f(a)


# -- shape / indexing family: gather/scatter, index_*, masked_*, take/put, roll, rot90, tril/triu,
# diagonal
from .indexing.scatter import gather, scatter, scatter_add  # noqa: E402,F401
from .indexing.select import index_add, index_fill, index_select, put, take  # noqa: E402,F401
from .indexing.masked import masked_fill, masked_scatter, masked_select  # noqa: E402,F401
from .shape.copy import roll, rot90, tril, triu  # noqa: E402,F401
from .shape.views import diagonal  # noqa: E402,F401


def scatter_reduce(x, dim, index, src, reduce, include_self=True):
    from .indexing.scatter import scatter_reduce as f
    return f(x, dim, index, src, reduce, include_self=include_self)


def svd(a):
    """Reduced SVD: (U, S, Vh)."""
    from .linalg.decompositions import svd as f
    return tuple(f(a, full_matrices=False))


def floor(x):
    from .elementwise.unary import floor as f
    return f(x)


def masked_backward(name, grad, saved, keep, slope=0.0, **attrs):
    from .activation._backward import masked_backward as f
    return f(name, grad, saved, keep, slope, **attrs)


def linear_map(x, fn, adjoint, name, adjoint_name):
    """``fn(x)`` recorded as the node ``name``, whose backward is ``adjoint``."""
    from .nn._linmap import linear_map as f
    return f(x, fn, adjoint, name, adjoint_name)


def pixel_shuffle(x, r):
    from .nn.shuffle import pixel_shuffle as f
    return f(x, r)


def pixel_unshuffle(x, r):
    from .nn.shuffle import pixel_unshuffle as f
    return f(x, r)


def channel_shuffle(x, groups):
    from .nn.shuffle import channel_shuffle as f
    return f(x, groups)
# -- convolutions (ops/nn/conv.py) ----------------------------------------------------------
def convolution(x, w, stride, padding, dilation, transposed, output_padding, groups):
    return conv_op(x, w, None, stride, padding, dilation, transposed, output_padding, groups)


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
    y = conv_op(xs, ws, None, dilation, padding, stride, False, (0,) * nd, g)  # (C/g, O, *k')
    if tuple(y.shape[2:]) != tuple(kernel):
        y = y[(slice(None), slice(None)) + tuple(slice(0, k) for k in kernel)]
    return transpose(y, 0, 1)


def im2col(x, kernel, dilation, padding, stride):
    return unfold(x, kernel, dilation, padding, stride)


def col2im(cols, size, kernel, dilation, padding, stride):
    return fold(cols, size, kernel, dilation, padding, stride)
def einsum(equation, *operands):
    from .shape.einsum import einsum as f
    return f(equation, *operands)


# Every function of this namespace is a public op entry point (retrograd/_dispatch.py): a mode
# sees the ops of a differentiable backward pass (forward-over-reverse; vmap over grad).
def logical_not(x):
    from .elementwise.arithmetic import logical_not as f
    return f(x)


def _publish(namespace: dict) -> None:
    import types
    for name, fn in list(namespace.items()):
        if isinstance(fn, types.FunctionType) and not name.startswith("_") and \
                fn.__module__.startswith("retrograd.ops"):
            namespace[name] = public(fn, name)


_publish(globals())
