"""Op-table rows of the smooth activations' backward kernels (retrograd/ops/activation/
backward_ops.py): each row's fn is a first-order gradient taken with ``create_graph=True``, so
its graph holds PyTorch's ``XBackwardBackward0`` node (TanhBackwardBackward0, ...), whose own
backward (gradcheck), third order (gradgradcheck), forward-mode rule and saved values the table
checks."""
from __future__ import annotations

from op_db import M34, OpInfo


def F(T):
    """torch.nn.functional (or retrograd.nn.functional)."""
    return T.nn.functional


def _leaf(x):
    """``x``, made to require grad where it does not (test_double_backward_graph calls each
    row's fn once on plain tensors, for the shapes of its outputs; test_forward_ad on dual
    tensors, whose tangent stays: forward over reverse)."""
    return x if x.requires_grad else x.requires_grad_()


def _grad(f):
    """fn(T, x, v): d<f(x), v>/dx taken with create_graph=True."""
    def fn(T, x, v):
        x = _leaf(x)
        return T.autograd.grad(f(T, x), x, v, create_graph=True)[0]
    return fn


def _grads(f):
    """fn(T, x, w, v): d<f(x, w), v>/d(x, w) taken with create_graph=True."""
    def fn(T, x, w, v):
        x, w = _leaf(x), _leaf(w)
        return T.autograd.grad(f(T, x, w), (x, w), v, create_graph=True)
    return fn


ROWS: list[OpInfo] = [
    OpInfo("tanh_backward", _grad(lambda T, x: x.tanh()), [M34, M34], "TanhBackwardBackward0"),
    OpInfo("sigmoid_backward", _grad(lambda T, x: T.sigmoid(x)), [M34, M34],
           "SigmoidBackwardBackward0"),
    OpInfo("elu_backward", _grad(lambda T, x: F(T).elu(x, 0.7)), [M34, M34],
           "EluBackwardBackward0", avoid=(0.0,)),
    OpInfo("selu_backward", _grad(lambda T, x: T.selu(x)), [M34, M34], "EluBackwardBackward0",
           avoid=(0.0,)),
    # in place: elu_backward of the result (is_result=True), under x * 1's MulBackward0
    OpInfo("elu_inplace_backward", _grad(lambda T, x: F(T).elu(x * 1, 1.5, inplace=True)),
           [M34, M34], "MulBackward0", avoid=(0.0,), extra_nodes=("EluBackwardBackward0",)),
    OpInfo("gelu_backward", _grad(lambda T, x: F(T).gelu(x)), [M34, M34],
           "GeluBackwardBackward0", domain=(-4.0, 4.0)),
    OpInfo("gelu_tanh_backward", _grad(lambda T, x: F(T).gelu(x, approximate="tanh")),
           [M34, M34], "GeluBackwardBackward0", domain=(-4.0, 4.0)),
    OpInfo("softplus_backward", _grad(lambda T, x: F(T).softplus(x, 2.0, 1.0)), [M34, M34],
           "SoftplusBackwardBackward0", avoid=(0.5,)),   # linear above x = threshold / beta
    OpInfo("logsigmoid_backward", _grad(lambda T, x: F(T).logsigmoid(x)), [M34, M34],
           "LogSigmoidBackwardBackward0", domain=(-6.0, 6.0)),
    OpInfo("hardswish_backward", _grad(lambda T, x: F(T).hardswish(x)), [M34, M34],
           "HardswishBackwardBackward0", domain=(-4.0, 4.0), avoid=(-3.0, 3.0)),
    OpInfo("glu_backward", _grad(lambda T, x: F(T).glu(x)), [M34, (3, 2)],
           "GluBackwardBackward0"),
    OpInfo("glu_dim0_backward", _grad(lambda T, x: F(T).glu(x, 0)), [(4, 3), (2, 3)],
           "GluBackwardBackward0"),
    # both gradients (input and weight) come from the one two-output node
    OpInfo("prelu_backward", _grads(lambda T, x, w: F(T).prelu(x, w)), [M34, (4,), M34], "PreluKernelBackwardBackward0", avoid=(0.0,),
           extra_nodes=("SumBackward1", "ViewBackward0")),
    OpInfo("rrelu_eval_backward", _grad(lambda T, x: F(T).rrelu(x, 0.1, 0.3)), [M34, M34],
           "RreluWithNoiseBackwardBackward0", avoid=(0.0,)),
]
