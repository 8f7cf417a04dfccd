"""The formula namespace on the fast path: backward formulas run on NumPy arrays.

Same function names and meanings as ``tensor_ns``; formulas call ``ns.<name>`` and operators
only, so one formula serves both first-order (here) and differentiable (Tensor) backward.
"""
from __future__ import annotations

import numpy as _np

from .indexing.getitem import np_index_acc as _np_index_acc
from .elementwise.unary_core import _sigmoid_array
from .elementwise.unary_core import _sign_array

cos = _np.cos
sin = _np.sin
log = _np.log
matmul = _np.matmul
flip = _np.flip


# Formulas may write into the temporaries they made themselves (never into ``grad`` or a saved
# value): NumPy arrays can be updated in place, the Tensor namespace records a graph instead.
INPLACE = True


def where(cond, a, b):
    return _np.where(cond, a, b)


def expand(x, shape):
    return _np.broadcast_to(x, shape)


def reshape(x, shape):
    return _np.reshape(x, shape)


def transpose(x, d0, d1):
    return _np.swapaxes(x, d0, d1)


def permute(x, dims):
    return _np.transpose(x, dims)


def unsqueeze_dims(x, dims):
    return _np.expand_dims(x, dims)


def squeeze_dim(x, d):
    return _np.squeeze(x, axis=d)


def count(mask):
    return _np.count_nonzero(mask)


def const(a):
    return a


def index_acc(shape, index, values):
    return _np_index_acc(shape, index, _np.asarray(values))


def index_fill_zero(grad, index):
    out = _np.array(grad)
    out[index] = 0
    return out


def zeros_like(x):
    return _np.zeros_like(x)


def zeros(shape, dtype):
    return _np.zeros(shape, dtype)


def stack(arrays, dim):
    return _np.stack(arrays, axis=dim)


# -- elementwise and activation families: exp/log/hyperbolic, special functions, dim sums --------
exp = _np.exp
sqrt = _np.sqrt
tanh = _np.tanh
sinh = _np.sinh
cosh = _np.cosh
log1p = _np.log1p
trunc = _np.trunc


def sigmoid(x):
    return _sigmoid_array(_np.asarray(x))


def softplus(x):
    """log(1 + e^x), without overflow."""
    return _np.logaddexp(0, x)


def erf(x):
    from .elementwise.special_np import erf as kernel   # (loads with its families)
    return kernel(x).astype(_np.asarray(x).dtype, copy=False)


def erfinv(x):
    from .elementwise.special_np import erfinv as kernel   # (loads with its families)
    return kernel(x).astype(_np.asarray(x).dtype, copy=False)


def digamma(x):
    from .elementwise.special_np import digamma as kernel   # (loads with its families)
    return kernel(x).astype(_np.asarray(x).dtype, copy=False)


def polygamma(n, x):
    from .elementwise.special_np import polygamma as kernel
    return kernel(n, x).astype(_np.asarray(x).dtype, copy=False)


def sum_dims(x, dims, keepdim):
    return _np.sum(x, axis=tuple(dims), keepdims=keepdim)


def cat(arrays, dim):
    return _np.concatenate(arrays, axis=dim)


# -- reduction family: scans and abs -------------------------------------------------------------
abs = _np.abs  # noqa: A001


def cumsum(x, dim):
    return _np.cumsum(x, axis=dim)


def cumprod(x, dim):
    return _np.cumprod(x, axis=dim)


def logcumsumexp(x, dim):
    return _np.logaddexp.accumulate(x, axis=dim)


# -- linalg family: products, solves and decompositions used inside linalg formulas -------------
def cross(a, b, dim):
    return _np.cross(a, b, axis=dim)


def inv(a):
    from .linalg._common import np_inv   # (the linalg families load on first use)
    return np_inv(a)


def det(a):
    return _np.asarray(_np.linalg.det(a))


def solve(a, b):
    """a X = b for matrices b (batched)."""
    from .linalg.solve import _np_solve
    return _np_solve(a, b, True)


def solve_triangular(a, b, upper, left, unitriangular):
    from .linalg._common import np_solve_triangular
    return np_solve_triangular(a, b, upper, left, unitriangular)


def matrix_exp(a):
    from .linalg.matrix_functions import np_matrix_exp
    return np_matrix_exp(a)


def pinv(a):
    from .linalg.pinv_lstsq import np_pinv
    return np_pinv(a)


# -- shape / indexing family: gather/scatter, index_*, masked_*, take/put, roll, rot90, tril/triu,
# diagonal (the forward kernels double as these formula functions)
from .indexing.scatter import np_gather as gather, np_scatter as scatter  # noqa: E402,F401
from .indexing.scatter import np_scatter_add as scatter_add, np_scatter_reduce as scatter_reduce  # noqa: E402,F401
from .indexing.select import (np_index_add as index_add, np_index_fill as index_fill,  # noqa: E402,F401
                              np_index_select as index_select, np_put as put, np_take as take)
from .indexing.masked import (np_masked_fill as masked_fill,  # noqa: E402,F401
                              np_masked_scatter as masked_scatter,
                              np_masked_select as masked_select)
from .shape.copy import np_roll as roll, np_rot90 as rot90, np_tril as tril, np_triu as triu  # noqa: E402,F401


def diagonal(x, offset, dim1, dim2):
    return _np.diagonal(x, offset, dim1, dim2)


def svd(a):
    """Reduced SVD: (U, S, Vh)."""
    from .linalg.decompositions import _np_svd
    return _np_svd(_np.asarray(a), False)


def sign(x):
    return _sign_array(_np.asarray(x))


def floor(x):
    return _np.floor(x)


_UINT_OF_SIZE = {2: _np.uint16, 4: _np.uint32, 8: _np.uint64}


def _select_bits(keep, a, b):
    """``where(keep, a, b)`` for large float arrays of one shape and dtype, by bit masks: a
    data-dependent ``np.where`` is branchy (~8x slower on a random mask than a multiply), while
    ``(a & m) | (b & ~m)`` on the float bits is exact for every value (NaN, inf, -0.0).
    None when the fast form does not apply."""
    u = _UINT_OF_SIZE.get(a.dtype.itemsize)
    if u is None or a.dtype.kind != "f" or keep.shape != a.shape or keep.dtype != bool:
        return None
    if b is not None and (b.shape != a.shape or b.dtype != a.dtype):
        return None
    out = _np.empty(a.shape, a.dtype)           # owns its memory (the engine may keep it)
    m = out.view(u)
    _np.copyto(m, keep, casting="unsafe")
    _np.negative(m, out=m)                      # 0 -> 0, 1 -> all ones
    if b is None:                               # b = 0: a's bits where kept
        m &= a.view(u)
        return out
    keep_b = _np.invert(m)
    m &= a.view(u)
    keep_b &= b.view(u)
    m |= keep_b
    return out


def masked_backward(name, grad, saved, keep, slope=0.0, **attrs):
    """The backward of a piecewise-linear activation (see ops/activation/piecewise.py): the
    gradient where ``keep``, else 0 (or ``grad * slope``); a NaN or inf gradient at a masked
    place gives 0, as PyTorch's threshold_backward."""
    grad = _np.asarray(grad)
    if grad.size >= 4096:
        keep = _np.asarray(keep)
        out = _select_bits(keep, grad, grad * grad.dtype.type(slope) if slope else None)
        if out is not None:
            return out
    return _np.where(keep, grad, grad * slope) if slope else _np.where(keep, grad, 0.0)


logical_not = _np.logical_not


def linear_map(x, fn, adjoint, name, adjoint_name):
    """``fn(x)`` for a linear map ``fn`` with adjoint ``adjoint`` (see ops/nn/_linmap.py)."""
    return fn(x)


# (the nn op families below load on first use: ops/nn/__init__.py)
def pixel_shuffle(x, r):
    from .nn.shuffle import _NP, _pixel_shuffle_ns
    return _pixel_shuffle_ns(_NP, x, r)


def pixel_unshuffle(x, r):
    from .nn.shuffle import _NP, _pixel_unshuffle_ns
    return _pixel_unshuffle_ns(_NP, x, r)


def channel_shuffle(x, groups):
    from .nn.shuffle import _NP, _channel_shuffle_ns
    return _channel_shuffle_ns(_NP, x, groups)
# -- convolutions (ops/nn/conv.py): the op without bias, and its weight gradient --------------
def convolution(x, w, stride, padding, dilation, transposed, output_padding, groups):
    from .nn.conv import np_convolution
    return np_convolution(x, w, stride, padding, dilation, transposed, output_padding, groups)


def conv_weight(x, grad, kernel, stride, padding, dilation, groups):
    """d<grad, conv(x, w)>/dw for a weight of spatial size ``kernel``."""
    from .nn._conv_kernels import conv_weight
    return conv_weight(x, grad, tuple(kernel), stride, padding, dilation, groups)


def convolution_backward(grad, x, w, stride, padding, dilation, transposed, groups, mask):
    """(dL/dx, dL/dw) of convolution(x, w) (no bias), each where ``mask`` asks for it (None
    elsewhere): at::convolution_backward without the bias; the kernels share their copy of
    ``grad`` between the two."""
    from .nn._conv_kernels import conv_backward
    return conv_backward(grad, x, w, stride, padding, dilation, transposed, groups, mask)


def im2col(x, kernel, dilation, padding, stride):
    """F.unfold on arrays (ops/nn/fold.py)."""
    from .nn.fold import np_im2col
    return np_im2col(x, kernel, dilation, padding, stride)


def col2im(cols, size, kernel, dilation, padding, stride):
    """F.fold on arrays (ops/nn/fold.py)."""
    from .nn.fold import np_col2im
    return np_col2im(cols, size, kernel, dilation, padding, stride)
def einsum(equation, *operands):
    return _np.einsum(equation, *operands, optimize=len(operands) > 2)


def floor_divide(x, y):
    """Floor division as PyTorch's div(rounding_mode='floor') (1 // -inf = -1, not -0)."""
    return _np.floor_divide(x, y)


# -- PyTorch's building blocks of its backward formulas (create_graph records their nodes) --------
# A formula written with these records what PyTorch's C++ formula records: ``grad * 2`` there is
# mul.Scalar (MulBackward1), ``x.sgn()`` SgnBackward0, ``x.t()`` TBackward0 (``masked_fill``,
# MaskedFillBackward0, is above). On this path they are the plain NumPy expressions.
def mul_scalar(x, c):
    return x * c


def div_scalar(x, c):
    return x / c


def add_scalar(x, c):
    return x + c


def sub_scalar(x, c):
    return x - c


def sgn(x):
    return sign(x)


def t(x):
    return _np.asarray(x).T


# -- activations family: the backward kernels of the smooth activations, as PyTorch's
# (``tanh_backward``, ``elu_backward``, ...); under create_graph ops/activation/backward_ops.py
# records each as its node (TanhBackwardBackward0, EluBackwardBackward0, ...) --------------------
_GELU_SQRT_2_OVER_PI = 0.7978845608028654      # sqrt(2 / pi)
_GELU_INV_SQRT_2PI = 0.3989422804014327        # 1 / sqrt(2 pi)
_GELU_KAPPA = 0.044715


def tanh_backward(grad_output, output):
    return grad_output * (1 - output * output)


def sigmoid_backward(grad_output, output):
    return grad_output * (output * (1 - output))


def elu_backward(grad_output, alpha, scale, input_scale, is_result, self_or_result):
    x = self_or_result
    if is_result:
        return where(x <= 0, grad_output * input_scale * (x + alpha * scale), grad_output * scale)
    with _np.errstate(over="ignore", invalid="ignore"):   # exp overflows where x > 0 (unused)
        return where(x <= 0, grad_output * (input_scale * alpha * scale) * exp(x * input_scale),
                     grad_output * scale)


def gelu_backward(grad_output, x, approximate="none"):
    if approximate == "tanh":
        x2 = x * x
        s = sigmoid(_GELU_SQRT_2_OVER_PI * 2 * (x + _GELU_KAPPA * x2 * x))
        dinner = _GELU_SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * x2)
        return grad_output * (s + 2 * x * s * (1 - s) * dinner)
    with _np.errstate(over="ignore", under="ignore", invalid="ignore"):
        cdf = 0.5 * (1 + erf(x * 0.7071067811865476))
        pdf = _GELU_INV_SQRT_2PI * exp(x * x * -0.5)
        return grad_output * (cdf + x * pdf)


def softplus_backward(grad_output, x, beta, threshold):
    z = x * beta
    return where(z > threshold, grad_output, grad_output * sigmoid(z))


def log_sigmoid_backward(grad_output, x, buffer):
    return grad_output * sigmoid(-x)


def hardswish_backward(grad_output, x):
    return where(x <= -3, 0.0, where(x < 3, grad_output * (x / 3 + 0.5), grad_output))


# PyTorch's hardsigmoid_backward kernel multiplies by ``1.0f / 6.0f``: 1/6 rounded to float32,
# in float64 too (a float64 gradient reads 0.1666666716337204), and half in float32 (opmath)
_ONE_SIXTH = float(_np.float32(1.0 / 6.0))


def hardsigmoid_backward(grad_output, x):
    if grad_output.dtype == _np.float16:
        scaled = (grad_output.astype(_np.float32) * _np.float32(_ONE_SIXTH)).astype(_np.float16)
    else:
        scaled = grad_output * _ONE_SIXTH
    return where((x > -3) & (x < 3), scaled, 0.0)


def glu_backward(grad_output, x, dim):
    h = x.shape[dim] // 2
    lead = (slice(None),) * dim
    a, b = x[lead + (slice(0, h),)], x[lead + (slice(h, None),)]
    s = sigmoid(b)
    return cat([grad_output * s, grad_output * a * s * (1 - s)], dim)


def prelu_kernel_backward(grad_output, x, weight):
    pos = x > 0
    return where(pos, grad_output, weight * grad_output), where(pos, 0.0, x * grad_output)


def rrelu_with_noise_backward(grad_output, x, noise, lower, upper, training):
    if training and upper - lower > 1e-6:
        return grad_output * noise
    return where(x > 0, grad_output, grad_output * ((lower + upper) / 2))


def scalar_sub(c, x):
    return c - x


def pow_scalar(x, exponent):
    return x ** exponent
# -- core_elementwise family: the blocks of PyTorch's elementwise backward formulas --------------
from .elementwise.binary import _xlog  # noqa: E402 - (the forward's kernel)


def rsqrt(x):
    return 1 / _np.sqrt(x)



def reciprocal(x):
    return 1 / x


def scalar_div(c, x):
    """``c / x`` for a number c (PyTorch's C++ ``Scalar / Tensor``)."""
    return c / x


def div_trunc(x, y):
    return _np.trunc(x / y)


def xlogy(x, y):
    return _xlog(_np.log, x, y)


def xlog1py(x, y):
    return _xlog(_np.log1p, x, y)


def const_like(x, values):
    """The constant ``values`` as an array of x's dtype."""
    return _np.asarray(values, dtype=_np.asarray(x).dtype)


isfinite = _np.isfinite
# -- conv_norm family: PyTorch's backward kernels, one node each under create_graph ----------
def convolution_backward_all(grad, x, w, stride, padding, dilation, transposed, output_padding,
                             groups, mask, args):
    """at::convolution_backward with the bias: (dL/dx, dL/dw, dL/db), None where ``mask`` asks
    for none (tensor_ns records them as outputs of one ConvolutionBackwardBackward0)."""
    from .nn.conv import np_convolution_backward_all
    return np_convolution_backward_all(grad, x, w, stride, padding, dilation, transposed, groups,
                                       mask)


def unsqueeze_inplace(x, d):
    """``x.unsqueeze_(d)`` on a temporary the formula made (UnsqueezeBackward1 in tensor_ns)."""
    return _np.expand_dims(x, d)
# -- softmax_losses family: PyTorch's backward kernels of softmax, log_softmax and nll_loss -------
# (on the create_graph path each is one recorded node: SoftmaxBackwardDataBackward0, ...)
def softmax_backward_data(grad, y, dim, dims):
    """y (grad - sum(grad y, dims)): softmax's gradient from its result y."""
    gy = grad * y
    return gy - y * sum_dims(gy, dims, True)


def log_softmax_backward_data(grad, y, dim, dims):
    """grad - exp(y) sum(grad, dims): log_softmax's gradient from its result y."""
    return grad - _np.exp(y) * sum_dims(grad, dims, True)


def nll_loss_backward(node, grad, x, target, weight, total_weight):
    """nll_loss's gradient (``node`` a NllLossBackward0: reduction, ignore_index): its own
    NumPy formula."""
    return node.kernel_value(grad, x, target, weight, total_weight)


def loss_backward(first, grad, a, b):
    """The gradient of a pointwise loss (``first``, its node) for its first input at (a, b)."""
    return first.kernel_value(grad, a, b)


def ones_like(x):
    return _np.ones_like(x)


def sum_all(x):
    """The sum of every element (PyTorch's sum(), SumBackward0; sum_dims is sum(dims))."""
    return _np.sum(x)


def bce_backward(first, grad, x, t, w):
    """binary_cross_entropy's gradient for x (``first``: its node)."""
    return first.kernel_value(grad, x, t, w)


def logit(x):
    return _np.log(x / (1 - x))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    return -(_np.maximum(-x, 0) + _np.log1p(_np.exp(-_np.abs(x))))


def soft_margin_backward(first, grad, x, t):
    """soft_margin_loss's gradient for x (``first``: its node)."""
    return first.kernel_value(grad, x, t)
# -- matmul_linalg family: the kernels PyTorch's product and linalg formulas call -----------------
from .shape.copy import np_diag_embed as _np_diag_embed  # noqa: E402
from .shape.views import np_diagonal_backward as _np_diagonal_backward  # noqa: E402


def bmm(x, y):
    return _np.matmul(x, y)


def diag_embed(x):
    """(..., n) -> (..., n, n) with x on the diagonal."""
    return _np_diag_embed(x)


def diagonal_backward(grad, shape, offset, dim1, dim2):
    """diagonal's backward: zeros of ``shape`` with grad on that diagonal."""
    return _np_diagonal_backward(grad, shape, offset, dim1, dim2)


def triangular_solve(b, a, upper, transpose, unitriangular):
    """The solution of torch.triangular_solve(b, a, ...): op(a) X = b, op the transpose or not."""
    from .linalg._common import np_solve_triangular
    return np_solve_triangular(_np.swapaxes(a, -1, -2) if transpose else a, b, upper != transpose,
                               True, unitriangular)


def cholesky_solve(b, low, upper):
    """torch.cholesky_solve(b, low, upper): (L L^T)^{-1} b (upper: (U^T U)^{-1} b)."""
    from .linalg._common import np_solve_triangular
    lt = _np.swapaxes(low, -1, -2)
    first, second = (lt, low) if upper else (low, lt)
    y = np_solve_triangular(first, b, False, True, False)
    return np_solve_triangular(second, y, True, True, False)


def linalg_solve(a, b, left):
    """torch.linalg.solve(a, b, left=left) for matrices b (batched)."""
    from .linalg.solve import _np_solve
    return _np_solve(a, b, left)


def slice_backward(grad, shape, index, args):
    """slice's backward: zeros of ``shape`` with grad at the slice ``index``."""
    return _np_index_acc(shape, index, grad)
# -- core_reduction_views family: the blocks of var/std's backward (ops/reduction/stats.py) ------
def mean_dims(x, dims, keepdim):
    """x.mean() (dims None) or x.mean(dims, keepdim)."""
    return _np.mean(x, axis=dims, keepdims=keepdim)
# -- pool_pad_interp: PyTorch's backward kernels of pooling and padding (ops/nn/_linmap.py) -------
def backward_kernel(cls, grad, x, fn, adjoint, adjoint_name, src=None, save=None):
    """The gradient ``fn(grad)`` of a pooling / padding op (create_graph records it as the node
    ``cls`` over (grad, x), PyTorch's backward kernel); here only the map itself."""
    return fn(grad)


# -- third-order rows (misc3): in-place building blocks of PyTorch's C++ formulas -------------------
def mul_scalar_(x, c):
    """``x.mul_(c)`` for a number c, into x (a view writes through to its base)."""
    x *= c
    return x
