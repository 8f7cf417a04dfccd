"""Op-table rows of in-place ops and views (retrograd/ops/inplace.py, retrograd/ops/views.py).

In-place ops run on a non-leaf copy (``x * 1``) so that autograd records them; the row's grad_fn
is the one the tensor holds *after* the in-place op (torch 2.13 names: ``y.mul_(2)`` leaves
MulBackward0, ``zero_`` ZeroBackward0, ``fill_`` FillBackward2/3, ``copy_`` CopyBackwards).
Through a view, the root's grad_fn becomes CopySlices and every view's AsStridedBackward0;
gradients, values and double backward are compared with torch by tests/test_ops.py.
"""
from __future__ import annotations

from op_db import M34, POS, V4, OpInfo

P2 = [M34, M34]


def _nl(x):
    return x * 1  # a non-leaf copy: an in-place op on it is recorded


def _ip(method, *args, **kwargs):
    """fn(T, x): y = x * 1; y.<method>(*args, **kwargs); y."""
    def fn(T, x):
        y = _nl(x)
        getattr(y, method)(*args, **kwargs)
        return y
    return fn


def _ip2(method, *args, **kwargs):
    """fn(T, x, other): y = x * 1; y.<method>(other, *args, **kwargs); y."""
    def fn(T, x, other):
        y = _nl(x)
        getattr(y, method)(other, *args, **kwargs)
        return y
    return fn


def _iop(op):
    def fn(T, x, y):
        z = _nl(x)
        z = op(z, y)
        return z
    return fn


def _iadd(a, b):
    a += b
    return a


def _isub(a, b):
    a -= b
    return a


def _imul(a, b):
    a *= b
    return a


def _idiv(a, b):
    a /= b
    return a


def _copy_then_scale(T, x, y):
    z = _nl(x)
    z.copy_(y)
    return z * 2  # CopyBackwards does not end in a digit: it is checked as an inner node


def _view_inplace_base(T, x, y):
    b = _nl(x)
    b[1:].mul_(y)  # b: CopySlices(MulBackward0 of x, ...)
    return b


def _view_inplace_view(T, x, y):
    b = _nl(x)
    v = b[:, 1:3]
    v.add_(y)
    return v  # AsStridedBackward0 of the new b


def _view_nested(T, x, y):
    b = _nl(x)
    v = b[1:].t()[::2]  # views of views chain to b
    v.mul_(y)
    return b


def _view_twice(T, x, y):
    b = _nl(x)
    v = b[1]
    v.mul_(y)
    v.add_(y)
    return b.sin()


def _view_of_constant(T, x):
    b = T.zeros(3, 4, dtype=x.dtype)  # requires no grad: the in-place op brings the history
    b[1:].add_(x)
    return b


def _base_then_view(T, x, y):
    b = _nl(x)
    v = b[1:]
    b.mul_(y)  # the view's values changed: it is now as_strided of the new b
    return v * 1


def _sibling_view(T, x, y):
    b = _nl(x)
    flat = b.view(-1)
    b[0].mul_(y)
    return flat


def _view_zero(T, x):
    b = _nl(x)
    b.t()[1].zero_()
    return b


def _view_copy(T, x, y):
    b = _nl(x)
    b[:, 0].copy_(y)
    return b.exp()


def _rand(method, *args):
    """fn(T, x): a random fill of a non-leaf copy, then ``y * 0 + x``: torch's values are another
    stream, so the row compares the graph (the fill's node is inside it) and gradients."""
    def fn(T, x):
        y = _nl(x)
        getattr(y, method)(*args)
        return y * 0 + x
    return fn


def _bernoulli_tensor_p(T, x, p):
    y = _nl(x)
    y.bernoulli_(p)
    return y * 0 + x * p


ROWS: list[OpInfo] = [
    # ---------------------------------------------------------------- arithmetic, in place
    OpInfo("add_", _ip2("add_"), P2, "AddBackward0"),
    OpInfo("add__broadcast", _ip2("add_"), [M34, V4], "AddBackward0"),
    OpInfo("add__alpha", _ip2("add_", alpha=2.5), P2, "AddBackward0"),
    OpInfo("add__scalar", _ip("add_", 1.5), [M34], "AddBackward0"),
    OpInfo("sub_", _ip2("sub_"), P2, "SubBackward0"),
    OpInfo("sub__alpha", _ip2("sub_", alpha=3), [M34, V4], "SubBackward0"),
    OpInfo("mul_", _ip2("mul_"), P2, "MulBackward0"),
    OpInfo("mul__scalar", _ip("mul_", 2.5), [M34], "MulBackward0"),
    OpInfo("mul__0d", _ip2("mul_"), [M34, ()], "MulBackward0"),
    OpInfo("div_", _ip2("div_"), P2, "DivBackward0", avoid=(0.0,), gap=0.3),
    OpInfo("div__scalar", _ip("div_", 4.0), [M34], "DivBackward0"),
    OpInfo("pow__scalar", _ip("pow_", 3), [M34], "PowBackward0"),
    OpInfo("pow__tensor", _ip2("pow_"), P2, "PowBackward1", domain=POS),
    # float_power_ computes in float64 and writes back: torch refuses a float32 self, so the
    # rows write into a float64 copy (x.double() is x itself for the float64 checks)
    OpInfo("float_power__scalar", lambda T, x: (x.double() * 1).float_power_(2.5), [M34],
           "PowBackward0", domain=POS, extra_nodes=("MulBackward0",)),
    OpInfo("float_power__tensor", lambda T, x, y: (x.double() * 1).float_power_(y), P2,
           "PowBackward1", domain=POS, extra_nodes=("MulBackward0",)),
    OpInfo("iadd", _iop(_iadd), [M34, V4], "AddBackward0"),
    OpInfo("isub", _iop(_isub), P2, "SubBackward0"),
    OpInfo("imul", _iop(_imul), P2, "MulBackward0"),
    OpInfo("itruediv", _iop(_idiv), P2, "DivBackward0", avoid=(0.0,), gap=0.3),
    # ---------------------------------------------------------------- unary, in place
    OpInfo("neg_", _ip("neg_"), [M34], "NegBackward0"),
    OpInfo("abs_", _ip("abs_"), [M34], "AbsBackward0", avoid=(0.0,)),
    OpInfo("exp_", _ip("exp_"), [M34], "ExpBackward0"),  # saves its result: the tensor itself
    OpInfo("log_", _ip("log_"), [M34], "LogBackward0", domain=POS),
    OpInfo("sqrt_", _ip("sqrt_"), [M34], "SqrtBackward0", domain=POS),
    OpInfo("sin_", _ip("sin_"), [M34], "SinBackward0"),  # saves the value before the op
    OpInfo("cos_", _ip("cos_"), [M34], "CosBackward0"),
    OpInfo("tanh_", _ip("tanh_"), [M34], "TanhBackward0"),
    OpInfo("sigmoid_", _ip("sigmoid_"), [M34], "SigmoidBackward0"),
    OpInfo("relu_", _ip("relu_"), [M34], "ReluBackward0", avoid=(0.0,)),
    OpInfo("clamp_", _ip("clamp_", -0.5, 0.5), [M34], "ClampBackward1", avoid=(-0.5, 0.5)),
    OpInfo("clamp__tensor", _ip2("clamp_"), [M34, V4], "ClampBackward0",
           sample=lambda rng, shapes: [rng.uniform(-2, 2, shapes[0]),
                                       rng.uniform(-2, 2, shapes[1]) + 0.05]),
    OpInfo("sign_", _ip("sign_"), [M34], "SignBackward0", avoid=(0.0,)),
    OpInfo("reciprocal_", _ip("reciprocal_"), [M34], "ReciprocalBackward0", avoid=(0.0,), gap=0.3),
    # ---------------------------------------------------------------- zero_, fill_, copy_
    OpInfo("zero_", _ip("zero_"), [M34], "ZeroBackward0"),
    OpInfo("fill__scalar", _ip("fill_", 1.5), [M34], "FillBackward2"),
    OpInfo("fill__tensor", _ip2("fill_"), [M34, ()], "FillBackward3"),
    OpInfo("copy_", _copy_then_scale, P2, "MulBackward0", extra_nodes=("CopyBackwards",)),
    OpInfo("copy__broadcast", _copy_then_scale, [M34, V4], "MulBackward0",
           extra_nodes=("CopyBackwards",)),
    # ---------------------------------------------------------------- random fills
    *[OpInfo(f"random_fill_{node}", _rand(m, *a), [M34], "AddBackward0",
             extra_nodes=(node, "MulBackward0"))
      for m, a, node in [("uniform_", (), "UniformBackward0"), ("normal_", (), "NormalBackward0"),
                         ("bernoulli_", (0.3,), "BernoulliBackward2"),
                         ("random_", (), "RandomBackward2"), ("random_", (5,), "RandomBackward1"),
                         ("random_", (1, 4), "RandomBackward0"),
                         ("exponential_", (), "ExponentialBackward0"),
                         ("log_normal_", (), "LogNormalBackward0"),
                         ("cauchy_", (), "CauchyBackward0"),
                         ("geometric_", (0.4,), "GeometricBackward0")]],
    OpInfo("bernoulli__tensor_p", _bernoulli_tensor_p, [M34, V4], "AddBackward0", domain=(0.1, 0.9),
           extra_nodes=("BernoulliBackward1",)),
    # ---------------------------------------------------------------- in place through views
    OpInfo("view_inplace_base", _view_inplace_base, [M34, V4], "CopySlices",
           extra_nodes=("MulBackward0",)),
    OpInfo("view_inplace_view", _view_inplace_view, [M34, (3, 2)], "AsStridedBackward0",
           extra_nodes=("CopySlices", "MulBackward0")),
    OpInfo("view_inplace_nested", _view_nested, [M34, (2, 2)], "CopySlices"),
    OpInfo("view_inplace_twice", _view_twice, [M34, V4], "SinBackward0",
           extra_nodes=("CopySlices",)),
    OpInfo("view_inplace_of_constant", _view_of_constant, [(2, 4)], "CopySlices"),
    OpInfo("view_after_base_inplace", _base_then_view, [M34, V4], "MulBackward0",
           extra_nodes=("AsStridedBackward0",)),
    OpInfo("view_sibling_after_inplace", _sibling_view, [M34, V4], "AsStridedBackward0",
           extra_nodes=("CopySlices",)),
    OpInfo("view_zero_", _view_zero, [M34], "CopySlices"),
    OpInfo("view_copy_", _view_copy, [M34, (3,)], "ExpBackward0", extra_nodes=("CopySlices",)),
    # ---------------------------------------------------------------- as_strided
    OpInfo("as_strided", lambda T, x: x.as_strided((2, 2), (1, 3), 1), [M34], "AsStridedBackward0"),
    OpInfo("as_strided_fn", lambda T, x: T.as_strided(x, (3, 2), (2, 1)), [M34],
           "AsStridedBackward0"),
    OpInfo("as_strided_overlapping_out", lambda T, x: x.as_strided((3, 3), (1, 1)), [M34],
           "AsStridedBackward0"),  # output elements share storage: gradients add up
    OpInfo("as_strided_of_transpose", lambda T, x: (x * 1).t().as_strided((2, 3), (1, 4), 2),
           [M34], "AsStridedBackward0"),
    OpInfo("as_strided_of_expanded", lambda T, x: (x * 1).expand(2, 4).as_strided((2, 3), (0, 1)),
           [V4], "AsStridedBackward0"),  # input elements share storage: the gradient is shared
]
