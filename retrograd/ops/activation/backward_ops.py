"""The backward kernels of the smooth activations as ops of their own, recorded under
``create_graph=True`` as PyTorch records them: ``tanh_backward(grad_output, output)`` is the node
``TanhBackwardBackward0`` over (grad_output, output), and so on for sigmoid, elu (selu, celu),
gelu, softplus, logsigmoid, hardswish, glu, prelu and rrelu.

A first-order backward formula calls ``ns.tanh_backward(grad, result)``: on the NumPy path
(``numpy_ns``) that is the plain expression; in the Tensor namespace (``tensor_ns``) it is the op
below, whose node saves what PyTorch's saves (``_saved_grad_output``, ``_saved_output``, ...) and
whose own backward (third order) and forward-mode rule follow PyTorch's derivatives.yaml entries
for these kernels. hardsigmoid's kernel has no derivative in PyTorch: its gradient taken with
``create_graph=True`` comes from a ``NotImplemented`` node that raises when differentiated.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ...autograd._record import make_node, needs_grad, not_implemented, record2, wrap
from ... import _grad_mode
from ..._dispatch import POINTWISE, forward_hooks, public
from .._util import u64
from ..elementwise.arithmetic import sub as _sub
from ..elementwise.compare import where as _where
from .. import numpy_ns as _N


def _dtype(ns, t):
    """The NumPy dtype of a formula's operand (an array, or a Tensor under create_graph)."""
    return t.dtype if ns.INPLACE else t._data.dtype


def _plus(a, b):
    """a + b where either may be None (a missing tangent)."""
    if a is None:
        return b
    return a if b is None else a + b


# -- tanh, sigmoid ------------------------------------------------------------------------------
class TanhBackwardBackward0(Node):
    """tanh_backward(gO, y) = gO (1 - y^2): d/dgO = 1 - y^2, d/dy = -2 y gO."""
    __slots__ = ()
    saved_names = ("grad_output", "output")

    def backward(self, ns, grad, go, y):
        return (ns.tanh_backward(grad, y) if self.needs(0) else None,
                grad * (ns.mul_scalar(y, -2) * go) if self.needs(1) else None)

    def jvp(self, ns, tangents, go, y):
        """JVP: tanh_backward(t_gO, y) + t_y (-2 y gO)."""
        tg, ty = tangents
        return _plus(None if tg is None else ns.tanh_backward(tg, y),
                     None if ty is None else ty * (-2 * y * go))


def tanh_backward(grad_output, output):
    out = _N.tanh_backward(grad_output._data, output._data)
    return record2(TanhBackwardBackward0, grad_output, output, out, (grad_output, output))


class SigmoidBackwardBackward0(Node):
    """sigmoid_backward(gO, y) = gO y (1 - y): d/dgO = y (1 - y), d/dy = gO (1 - 2 y)."""
    __slots__ = ()
    saved_names = ("grad_output", "output")

    def backward(self, ns, grad, go, y):
        return (ns.sigmoid_backward(grad, y) if self.needs(0) else None,
                grad * go * ns.add_scalar(ns.mul_scalar(y, -2), 1) if self.needs(1) else None)

    def jvp(self, ns, tangents, go, y):
        """JVP: sigmoid_backward(t_gO, y) + t_y gO (1 - 2 y)."""
        tg, ty = tangents
        return _plus(None if tg is None else ns.sigmoid_backward(tg, y),
                     None if ty is None else ty * go * (1 - 2 * y))


def sigmoid_backward(grad_output, output):
    out = _N.sigmoid_backward(grad_output._data, output._data)
    return record2(SigmoidBackwardBackward0, grad_output, output, out, (grad_output, output))


# -- elu, selu, celu ----------------------------------------------------------------------------
class EluBackwardBackward0(Node):
    """elu_backward(gO, x or y): gO scale for x > 0, gO input_scale scale alpha
    exp(input_scale x) otherwise (from the result y: gO input_scale (y + alpha scale)).
    d/dgO is elu_backward itself; d/d(x or y) is nonzero on the negative side only."""
    __slots__ = ("alpha", "scale", "input_scale", "is_result")
    saved_names = ("grad_output", "self_or_result")
    saved_attrs = {"alpha": "alpha", "scale": "scale", "input_scale": "input_scale",
                   "is_result": "is_result"}

    def _args(self):
        return self.alpha, self.scale, self.input_scale, self.is_result

    def backward(self, ns, grad, go, x):
        a, s, i, r = self._args()
        return (ns.elu_backward(grad, a, s, i, r, x) if self.needs(0) else None,
                _elu_double_backward(ns, grad, go, a, s, i, r, x) if self.needs(1) else None)

    def jvp(self, ns, tangents, go, x):
        """JVP: elu_backward(t_gO, x) + elu_double_backward(t_x, gO, x)."""
        a, s, i, r = self._args()
        tg, tx = tangents
        return _plus(None if tg is None else ns.elu_backward(tg, a, s, i, r, x),
                     None if tx is None else _elu_double_backward(ns, tx, go, a, s, i, r, x))


def _elu_double_backward(ns, grad, go, alpha, scale, input_scale, is_result, x):
    negative = ns.const(((x < 0) if ns.INPLACE else (x._data < 0)).astype(_dtype(ns, grad)))
    scaled = ns.mul_scalar(grad * go, input_scale)
    if is_result:
        return scaled * negative
    return ns.elu_backward(scaled, alpha, scale, input_scale, False, x) * negative


def elu_backward(grad_output, alpha, scale, input_scale, is_result, self_or_result):
    out = _N.elu_backward(grad_output._data, alpha, scale, input_scale, is_result,
                          self_or_result._data)
    return record2(EluBackwardBackward0, grad_output, self_or_result, out,
                   (grad_output, self_or_result), alpha=alpha, scale=scale,
                   input_scale=input_scale, is_result=bool(is_result))


# -- gelu ---------------------------------------------------------------------------------------
_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))
_KAPPA = 0.044715


class GeluBackwardBackward0(Node):
    """gelu_backward(gO, x) = gO gelu'(x): d/dgO = gelu'(x), d/dx = gO gelu''(x)."""
    __slots__ = ("approximate",)
    saved_names = ("grad_output", "self")
    saved_attrs = {"approximate": "approximate"}

    def backward(self, ns, grad, go, x):
        return (ns.gelu_backward(grad, x, self.approximate) if self.needs(0) else None,
                _gelu_double_backward(ns, grad, go, x, self.approximate)
                if self.needs(1) else None)

    def jvp(self, ns, tangents, go, x):
        """JVP: gelu_backward(t_gO, x) + t_x gO gelu''(x)."""
        tg, tx = tangents
        return _plus(None if tg is None else ns.gelu_backward(tg, x, self.approximate),
                     None if tx is None else _gelu_double_backward(ns, tx, go, x,
                                                                   self.approximate))


def _gelu_double_backward(ns, grad, go, x, approximate):
    """grad gO gelu''(x). Exact: gelu'' = (2 - x^2) phi(x). Tanh form, gelu = f (1 + tanh u)
    with f = x/2, u = b (x + k x^3): gelu'' = g h + f h g' + f g h' with g = 1 - tanh^2 u,
    h = u' = b (1 + 3 k x^2), g' = -2 sech^2(u) tanh(u) h, h' = 6 k b x (the ops PyTorch's
    formula records, in its order)."""
    if approximate == "tanh":
        b = _SQRT_2_OVER_PI
        u = ns.mul_scalar(x + ns.mul_scalar(ns.pow_scalar(x, 3), _KAPPA), b)
        t = ns.tanh(u)
        sech = _filled(ns, u, 1) / ns.cosh(u)
        f = ns.mul_scalar(x, 0.5)
        g = ns.scalar_sub(1, t * t)
        h = ns.mul_scalar(ns.add_scalar(ns.mul_scalar(x, 3 * _KAPPA) * x, 1), b)
        f_prime_gh = ns.mul_scalar(ns.mul_scalar(g, 0.5) * h, 2)
        g_prime = ns.mul_scalar(sech, 2) * (-sech * t) * h
        h_prime = ns.mul_scalar(ns.mul_scalar(x, 6 * _KAPPA), b)
        second = f_prime_gh + f * h * g_prime + f * g * h_prime
        return grad * go * second
    x2 = x * x
    pdf = ns.mul_scalar(ns.exp(ns.mul_scalar(x2, -0.5)), _INV_SQRT_2PI)
    return grad * go * (ns.mul_scalar(pdf, 2) - x2 * pdf)


def _filled(ns, like, c):
    """A constant of ``like``'s shape and dtype filled with ``c`` (a C++ formula's ``c / t``
    divides such a tensor: DivBackward0 over (None, t))."""
    return ns.const(np.full_like(like if ns.INPLACE else like._data, c))


def gelu_backward(grad_output, self, approximate="none"):
    out = _N.gelu_backward(grad_output._data, self._data, approximate)
    return record2(GeluBackwardBackward0, grad_output, self, out, (grad_output, self),
                   approximate=approximate)


# -- softplus, logsigmoid -----------------------------------------------------------------------
class SoftplusBackwardBackward0(Node):
    """softplus_backward(gO, x) = gO sigmoid(beta x) (gO above the threshold): d/dgO is itself,
    d/dx = gO beta sigmoid'(beta x) below the threshold."""
    __slots__ = ("beta", "threshold")
    saved_names = ("grad_output", "self")
    saved_attrs = {"beta": "beta", "threshold": "threshold"}

    def backward(self, ns, grad, go, x):
        b, t = self.beta, self.threshold
        return (ns.softplus_backward(grad, x, b, t) if self.needs(0) else None,
                _softplus_double_backward(ns, grad * go, x, b, t) if self.needs(1) else None)

    def jvp(self, ns, tangents, go, x):
        """JVP: softplus_backward(t_gO, x) + softplus_double_backward(t_x gO, x)."""
        b, t = self.beta, self.threshold
        tg, tx = tangents
        return _plus(None if tg is None else ns.softplus_backward(tg, x, b, t),
                     None if tx is None else _softplus_double_backward(ns, tx * go, x, b, t))


def _softplus_double_backward(ns, grad, x, beta, threshold):
    z = ns.mul_scalar(x, beta)
    below = ns.const(((z < threshold) if ns.INPLACE else (z._data < threshold))
                     .astype(_dtype(ns, grad)))
    return ns.mul_scalar(ns.sigmoid_backward(grad, ns.sigmoid(z)) * below, beta)


def softplus_backward(grad_output, self, beta, threshold):
    out = _N.softplus_backward(grad_output._data, self._data, beta, threshold)
    return record2(SoftplusBackwardBackward0, grad_output, self, out, (grad_output, self),
                   beta=beta, threshold=threshold)


class LogSigmoidBackwardBackward0(Node):
    """log_sigmoid_backward(gO, x, buffer) = gO sigmoid(-x): d/dgO is itself,
    d/dx = gO s (s - 1), s = sigmoid(x). ``buffer`` is read, not differentiated."""
    __slots__ = ()
    saved_names = ("buffer", "grad_output", "self")   # (PyTorch's order: by name)

    def backward(self, ns, grad, buffer, go, x):
        return (ns.log_sigmoid_backward(grad, x, buffer) if self.needs(0) else None,
                _log_sigmoid_double_backward(ns, grad * go, x) if self.needs(1) else None)

    def jvp(self, ns, tangents, buffer, go, x):
        """JVP: log_sigmoid_backward(t_gO, x) + t_x gO s (s - 1)."""
        tg, tx = tangents
        return _plus(None if tg is None else ns.log_sigmoid_backward(tg, x, buffer),
                     None if tx is None else _log_sigmoid_double_backward(ns, tx * go, x))


def _log_sigmoid_double_backward(ns, grad, x):
    s = ns.sigmoid(x)
    return grad * ns.sub_scalar(s, 1) * s


def log_sigmoid_backward(grad_output, self, buffer):
    out = _N.log_sigmoid_backward(grad_output._data, self._data, buffer._data)
    return record2(LogSigmoidBackwardBackward0, grad_output, self, out,
                   (buffer, grad_output, self))


# -- hardswish, hardsigmoid ---------------------------------------------------------------------
class HardswishBackwardBackward0(Node):
    """hardswish_backward(gO, x) = gO (0 for x < -3, x/3 + 1/2 up to 3, 1 above): d/dgO is
    itself, d/dx = gO / 3 for -3 < x < 3."""
    __slots__ = ()
    saved_names = ("grad_output", "self")

    def backward(self, ns, grad, go, x):
        return (ns.hardswish_backward(grad, x) if self.needs(0) else None,
                _hardswish_double_backward(ns, grad * go, x) if self.needs(1) else None)

    def jvp(self, ns, tangents, go, x):
        """JVP: hardswish_backward(t_gO, x) + t_x gO / 3 on (-3, 3)."""
        tg, tx = tangents
        return _plus(None if tg is None else ns.hardswish_backward(tg, x),
                     None if tx is None else _hardswish_double_backward(ns, tx * go, x))


def _hardswish_double_backward(ns, grad, x):
    inside = ns.const(((x > -3) & (x < 3)) if ns.INPLACE else ((x._data > -3) & (x._data < 3)))
    return ns.where(inside, ns.div_scalar(grad, 3.0), ns.zeros((), _dtype(ns, grad)))


def hardswish_backward(grad_output, self):
    out = _N.hardswish_backward(grad_output._data, self._data)
    return record2(HardswishBackwardBackward0, grad_output, self, out, (grad_output, self))


def hardsigmoid_backward(grad_output, self):
    """PyTorch has no derivative for hardsigmoid_backward: a NotImplemented node (over the
    inputs that require grad) that raises when differentiated.

    Inside a dual level (forward AD) or a JVP computed as a double VJP (func.jvp) the gradient
    stays differentiable instead: those differentiate it in grad_output (PyTorch has a forward
    formula for hardsigmoid and needs none of this)."""
    if forward_hooks() is not None or _grad_mode.double_vjp.get():
        inside = wrap((self._data > -3) & (self._data < 3))
        return _where(inside, grad_output * _N._ONE_SIXTH, 0.0)
    out = np.asarray(_N.hardsigmoid_backward(grad_output._data, self._data))
    if needs_grad(grad_output, self):
        return wrap(out, not_implemented("hardsigmoid_backward", (grad_output, self), out))
    return wrap(out)


# -- glu ----------------------------------------------------------------------------------------
class GluBackwardBackward0(Node):
    """glu_backward(gO, x, dim) = cat(gO s, gO a s (1 - s)) for the halves a, b of x, s =
    sigmoid(b): linear in gO, and its derivative in x (PyTorch's glu_double_backward)."""
    __slots__ = ("dim", "given_dim")
    saved_names = ("grad_output", "self")
    saved_attrs = {"dim": lambda n: u64(n.given_dim)}

    def backward(self, ns, grad, go, x):
        d = self.dim
        return (_glu_double_backward_grad_output(ns, grad, x, d) if self.needs(0) else None,
                _glu_double_backward(ns, grad, go, x, d) if self.needs(1) else None)

    def jvp(self, ns, tangents, go, x):
        """JVP: glu_backward(t_gO, x) + the derivative in x applied to t_x."""
        d = self.dim
        tg, tx = tangents
        return _plus(None if tg is None else ns.glu_backward(tg, x, d),
                     None if tx is None else _glu_double_backward(ns, tx, go, x, d))


def _halves(x, d):
    h = x.shape[d] // 2
    lead = (slice(None),) * d
    return x[lead + (slice(0, h),)], x[lead + (slice(h, None),)]


def _glu_double_backward_grad_output(ns, grad, x, d):
    """The adjoint of gO -> glu_backward(gO, x) applied to ``grad``: the two halves of
    grad * glu_backward(1, x), added."""
    shape = list(x.shape)
    shape[d] //= 2
    dtype = _dtype(ns, x)
    tmp = grad * ns.glu_backward(ns.const(np.ones(shape, dtype)), x, d)
    lo, hi = _halves(tmp, d)
    return lo + hi


def _glu_double_backward(ns, grad, go, x, d):
    """d/dx of <grad, glu_backward(gO, x)>: with s = sigmoid(b), s' = s (1 - s),
    first half gb gO s', second half ga gO s' + gb a gO s' (1 - 2 s)."""
    a, b = _halves(x, d)
    ga, gb = _halves(grad, d)
    s = ns.sigmoid(b)
    one_minus_s = ns.scalar_sub(1, s)
    ds = s * one_minus_s
    first = gb * go * ds
    second_order = ds * one_minus_s - s * ds
    second = gb * a * go * second_order + ga * go * ds
    return ns.cat([first, second], d)


def glu_backward(grad_output, self, dim):
    d = int(dim) % self.ndim
    out = _N.glu_backward(grad_output._data, self._data, d)
    return record2(GluBackwardBackward0, grad_output, self, out, (grad_output, self), dim=d,
                   given_dim=int(dim))


# -- prelu --------------------------------------------------------------------------------------
class PreluKernelBackwardBackward0(Node):
    """_prelu_kernel_backward(gO, x, w) = (gO for x > 0 else w gO, 0 for x > 0 else x gO): two
    outputs, linear in gO; the input's gradient is linear in w, the weight's in x."""
    __slots__ = ()
    saved_names = ("grad_output", "self", "weight")
    num_outputs = 2

    def apply(self, ns, grads, as_tensors):
        go, x, w = self.unpack(as_tensors)
        gx, gw = grads[0], grads[1]
        pos = ns.const(x >= 0 if ns.INPLACE else x._data >= 0)
        zero = ns.zeros((), _dtype(ns, gx if gx is not None else gw))
        d_go = d_x = d_w = None
        if self.needs(0):
            if gx is None:
                d_go = ns.where(pos, zero, gw * x)
            elif gw is None:
                d_go = ns.where(pos, gx, gx * w)
            else:
                d_go = ns.where(pos, gx, gx * w + gw * x)
        if self.needs(1):
            d_x = ns.zeros_like(x) if gw is None else ns.where(pos, zero, go * gw)
        if self.needs(2):
            d_w = ns.zeros_like(x) if gx is None else ns.where(pos, zero, go * gx)
        return d_go, d_x, d_w

    def jvp(self, ns, tangents, go, x, w):
        """JVP: (where(x >= 0, t_gO, t_gO w + gO t_w), where(x >= 0, 0, gO t_x + t_gO x))."""
        tg, tx, tw = (t if t is not None else 0 for t in tangents)
        pos = x >= 0
        return ns.where(pos, tg, tg * w + go * tw), ns.where(pos, 0, go * tx + tg * x)


def prelu_kernel_backward(grad_output, self, weight):
    gx, gw = _N.prelu_kernel_backward(grad_output._data, self._data, weight._data)
    gx, gw = np.asarray(gx), np.asarray(gw)
    inputs = (grad_output, self, weight)
    if not needs_grad(*inputs):
        return wrap(gx), wrap(gw)
    node = make_node(PreluKernelBackwardBackward0, inputs, gx)
    node.save(grad_output, self, weight)
    tx, tw = wrap(gx, node), wrap(gw, node)
    tw._extra().out_nr = 1
    return tx, tw


# -- rrelu --------------------------------------------------------------------------------------
class RreluWithNoiseBackwardBackward0(Node):
    """rrelu_with_noise_backward(gO, x, noise): gO noise in training, leaky_relu's backward
    with slope (lower + upper) / 2 in evaluation. Linear in gO; its derivative in x is zero but
    recorded (PyTorch: zeros_like(grad)); ``noise`` is not differentiated."""
    __slots__ = ("lower", "upper", "training")
    saved_names = ("noise", "self")   # (PyTorch's order: by name)
    saved_attrs = {"lower": "lower", "upper": "upper", "training": "training"}

    def _args(self):
        return self.lower, self.upper, self.training

    def backward(self, ns, grad, noise, x):
        return (ns.rrelu_with_noise_backward(grad, x, noise, *self._args())
                if self.needs(0) else None,
                ns.zeros_like(grad) if self.needs(1) else None)

    def jvp(self, ns, tangents, noise, x):
        """JVP: rrelu_with_noise_backward(t_gO, x, noise)."""
        tg = tangents[0]
        return x * 0 if tg is None else ns.rrelu_with_noise_backward(tg, x, noise,
                                                                     *self._args())


def rrelu_with_noise_backward(grad_output, self, noise, lower, upper, training):
    out = _N.rrelu_with_noise_backward(grad_output._data, self._data, noise._data, lower, upper,
                                       training)
    return record2(RreluWithNoiseBackwardBackward0, grad_output, self, out, (noise, self),
                   lower=lower, upper=upper, training=training)


def scalar_sub(c, x):
    """``c - x`` as PyTorch's C++ formulas compute it (a tensor filled with c, minus x:
    SubBackward0 over (None, x))."""
    return _sub(wrap(np.full_like(x._data, c)), x)


# Public entry points (retrograd/_dispatch.py): forward AD and vmap see these ops when a
# differentiable backward runs them.
tanh_backward = public(tanh_backward, "tanh_backward", vmap=POINTWISE)
sigmoid_backward = public(sigmoid_backward, "sigmoid_backward", vmap=POINTWISE)
elu_backward = public(elu_backward, "elu_backward", vmap=POINTWISE)
gelu_backward = public(gelu_backward, "gelu_backward", vmap=POINTWISE)
softplus_backward = public(softplus_backward, "softplus_backward", vmap=POINTWISE)
log_sigmoid_backward = public(log_sigmoid_backward, "log_sigmoid_backward", vmap=POINTWISE)
hardswish_backward = public(hardswish_backward, "hardswish_backward", vmap=POINTWISE)
hardsigmoid_backward = public(hardsigmoid_backward, "hardsigmoid_backward", vmap=POINTWISE)
glu_backward = public(glu_backward, "glu_backward")
prelu_kernel_backward = public(prelu_kernel_backward, "prelu_kernel_backward")
rrelu_with_noise_backward = public(rrelu_with_noise_backward, "rrelu_with_noise_backward",
                                   vmap=POINTWISE)
scalar_sub = public(scalar_sub, "scalar_sub")
