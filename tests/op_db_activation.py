"""Op-table rows of the activation family (retrograd/ops/activation*.py): torch.nn.functional's
activations (with their ``inplace=True`` forms), softmax / log_softmax / softmin, logsumexp,
glu, prelu and rrelu in evaluation mode."""
from __future__ import annotations

from op_db import M34, V4, B234, OpInfo, apart

def F(T):
    """torch.nn.functional (or retrograd.nn.functional)."""
    return T.nn.functional


def grad_of(T, f, x, v):
    """The first-order gradient of f at x for the incoming gradient v, with create_graph=True
    (an input that does not require grad, as in the forward-only comparisons, is made to;
    inside torch.func transforms, which refuse that, autograd.grad then raises as there)."""
    if not x.requires_grad:
        try:
            x.requires_grad_()
        except RuntimeError:
            pass
    return T.autograd.grad(f(x), x, v, create_graph=True)[0]


ROWS: list[OpInfo] = [
    # ---------------------------------------------------------------- relu family
    OpInfo("functional_relu", lambda T, x: F(T).relu(x), [M34], "ReluBackward0", avoid=(0.0,)),
    OpInfo("functional_relu_inplace", lambda T, x: F(T).relu(x * 1, inplace=True), [M34],
           "ReluBackward0", avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("functional_relu_", lambda T, x: F(T).relu_(x * 1), [M34], "ReluBackward0",
           avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("relu6", lambda T, x: F(T).relu6(x), [M34], "HardtanhBackward0",
           domain=(-2.0, 8.0), avoid=(0.0, 6.0)),
    OpInfo("relu6_inplace", lambda T, x: F(T).relu6(x * 1, inplace=True), [M34],
           "HardtanhBackward0", domain=(-2.0, 8.0), avoid=(0.0, 6.0),
           extra_nodes=("MulBackward0",)),
    OpInfo("hardtanh", lambda T, x: F(T).hardtanh(x), [M34], "HardtanhBackward0",
           avoid=(-1.0, 1.0)),
    OpInfo("hardtanh_bounds", lambda T, x: F(T).hardtanh(x, -0.5, 1.5), [M34],
           "HardtanhBackward0", avoid=(-0.5, 1.5)),
    OpInfo("hardtanh_", lambda T, x: F(T).hardtanh_(x * 1), [M34], "HardtanhBackward0",
           avoid=(-1.0, 1.0), extra_nodes=("MulBackward0",)),
    OpInfo("leaky_relu", lambda T, x: F(T).leaky_relu(x), [M34], "LeakyReluBackward0",
           avoid=(0.0,)),
    OpInfo("leaky_relu_slope", lambda T, x: F(T).leaky_relu(x, -0.2), [M34],
           "LeakyReluBackward0", avoid=(0.0,)),
    OpInfo("leaky_relu_inplace", lambda T, x: F(T).leaky_relu(x * 1, 0.2, inplace=True), [M34],
           "LeakyReluBackward1", avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("leaky_relu_", lambda T, x: F(T).leaky_relu_(x * 1, 0.3), [M34],
           "LeakyReluBackward1", avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("rrelu_eval", lambda T, x: F(T).rrelu(x), [M34], "RreluWithNoiseBackward0",
           avoid=(0.0,)),
    OpInfo("torch_rrelu_eval", lambda T, x: T.rrelu(x, 0.1, 0.3), [M34],
           "RreluWithNoiseBackward0", avoid=(0.0,)),
    OpInfo("rrelu_eval_inplace", lambda T, x: F(T).rrelu(x * 1, inplace=True), [M34],
           "RreluWithNoiseBackward1", avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("functional_rrelu_", lambda T, x: F(T).rrelu_(x * 1, 0.2, 0.4), [M34],
           "RreluWithNoiseBackward1", avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("torch_rrelu_", lambda T, x: T.rrelu_(x * 1), [M34], "RreluWithNoiseBackward1",
           avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("prelu", lambda T, x, w: F(T).prelu(x, w), [M34, V4], "PreluKernelBackward0",
           avoid=(0.0,), extra_nodes=("ViewBackward0",)),
    OpInfo("prelu_single_weight", lambda T, x, w: T.prelu(x, w), [M34, (1,)],
           "PreluKernelBackward0", avoid=(0.0,), extra_nodes=("ViewBackward0",)),
    OpInfo("prelu_3d_method", lambda T, x, w: x.prelu(w), [B234, (3,)], "PreluKernelBackward0",
           avoid=(0.0,), extra_nodes=("ViewBackward0",)),
    OpInfo("prelu_1d", lambda T, x, w: F(T).prelu(x, w), [V4, (1,)], "PreluKernelBackward0",
           avoid=(0.0,)),
    # ---------------------------------------------------------------- elu family
    OpInfo("elu", lambda T, x: F(T).elu(x), [M34], "EluBackward0", avoid=(0.0,)),
    OpInfo("elu_alpha", lambda T, x: F(T).elu(x, 0.5), [M34], "EluBackward0", avoid=(0.0,)),
    OpInfo("elu_inplace", lambda T, x: F(T).elu(x * 1, 1.5, inplace=True), [M34],
           "EluBackward1", avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("elu_", lambda T, x: F(T).elu_(x * 1), [M34], "EluBackward1", avoid=(0.0,),
           extra_nodes=("MulBackward0",)),
    OpInfo("selu", lambda T, x: F(T).selu(x), [M34], "EluBackward0", avoid=(0.0,)),
    OpInfo("torch_selu", lambda T, x: T.selu(x), [M34], "EluBackward0", avoid=(0.0,)),
    OpInfo("selu_inplace", lambda T, x: F(T).selu(x * 1, inplace=True), [M34], "EluBackward1",
           avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("torch_selu_", lambda T, x: T.selu_(x * 1), [M34], "EluBackward1", avoid=(0.0,),
           extra_nodes=("MulBackward0",)),
    OpInfo("celu", lambda T, x: F(T).celu(x, 0.7), [M34], "CeluBackward0", avoid=(0.0,)),
    OpInfo("torch_celu", lambda T, x: T.celu(x), [M34], "CeluBackward0", avoid=(0.0,)),
    OpInfo("celu_inplace", lambda T, x: F(T).celu(x * 1, 2.0, inplace=True), [M34],
           "CeluBackward1", avoid=(0.0,), extra_nodes=("MulBackward0",)),
    OpInfo("torch_celu_", lambda T, x: T.celu_(x * 1, 0.5), [M34], "CeluBackward1",
           avoid=(0.0,), extra_nodes=("MulBackward0",)),
    # ---------------------------------------------------------------- smooth activations
    OpInfo("gelu", lambda T, x: F(T).gelu(x), [M34], "GeluBackward0", domain=(-4.0, 4.0)),
    OpInfo("gelu_tanh", lambda T, x: F(T).gelu(x, approximate="tanh"), [M34], "GeluBackward0",
           domain=(-4.0, 4.0)),
    OpInfo("silu", lambda T, x: F(T).silu(x), [M34], "SiluBackward0", domain=(-5.0, 5.0)),
    OpInfo("silu_inplace", lambda T, x: F(T).silu(x * 1, inplace=True), [M34],
           "SiluBackward0", extra_nodes=("MulBackward0",)),
    OpInfo("mish", lambda T, x: F(T).mish(x), [M34], "MishBackward0", domain=(-5.0, 5.0)),
    OpInfo("mish_inplace", lambda T, x: F(T).mish(x * 1, inplace=True), [M34],
           "MishBackward0", extra_nodes=("MulBackward0",)),
    OpInfo("softplus", lambda T, x: F(T).softplus(x), [M34], "SoftplusBackward0",
           domain=(-5.0, 5.0)),
    OpInfo("softplus_beta_threshold", lambda T, x: F(T).softplus(x, 2.0, 1.0), [M34],
           "SoftplusBackward0", avoid=(0.5,)),   # linear above x = threshold / beta
    OpInfo("logsigmoid", lambda T, x: F(T).logsigmoid(x), [M34], "LogSigmoidBackward0",
           domain=(-6.0, 6.0)),
    OpInfo("softsign", lambda T, x: F(T).softsign(x), [M34], "DivBackward0", avoid=(0.0,),
           extra_nodes=("AddBackward0", "AbsBackward0")),
    OpInfo("tanhshrink", lambda T, x: F(T).tanhshrink(x), [M34], "SubBackward0",
           extra_nodes=("TanhBackward0",)),
    # PyTorch has no double backward for hardsigmoid ("derivative for
    # aten::hardsigmoid_backward is not implemented"); retrograd's is 0 almost everywhere
    OpInfo("hardsigmoid", lambda T, x: F(T).hardsigmoid(x), [M34], "HardsigmoidBackward0",
           domain=(-4.0, 4.0), avoid=(-3.0, 3.0), gradgrad=False),
    OpInfo("hardsigmoid_inplace", lambda T, x: F(T).hardsigmoid(x * 1, inplace=True), [M34],
           "HardsigmoidBackward0", domain=(-4.0, 4.0), avoid=(-3.0, 3.0), gradgrad=False,
           extra_nodes=("MulBackward0",)),
    OpInfo("hardswish", lambda T, x: F(T).hardswish(x), [M34], "HardswishBackward0",
           domain=(-4.0, 4.0), avoid=(-3.0, 3.0)),
    OpInfo("hardswish_inplace", lambda T, x: F(T).hardswish(x * 1, inplace=True), [M34],
           "HardswishBackward0", domain=(-4.0, 4.0), avoid=(-3.0, 3.0),
           extra_nodes=("MulBackward0",)),
    # ---------------------------------------------------------------- shrinkage, threshold
    OpInfo("hardshrink", lambda T, x: F(T).hardshrink(x), [M34], "HardshrinkBackward0",
           avoid=(-0.5, 0.5)),
    OpInfo("hardshrink_method", lambda T, x: x.hardshrink(0.8), [M34], "HardshrinkBackward0",
           avoid=(-0.8, 0.8)),
    OpInfo("torch_hardshrink", lambda T, x: T.hardshrink(x, 0.3), [M34], "HardshrinkBackward0",
           avoid=(-0.3, 0.3)),
    OpInfo("softshrink", lambda T, x: F(T).softshrink(x), [M34], "SoftshrinkBackward0",
           avoid=(-0.5, 0.5)),
    OpInfo("softshrink_lambd", lambda T, x: F(T).softshrink(x, 1.2), [M34],
           "SoftshrinkBackward0", avoid=(-1.2, 1.2)),
    OpInfo("threshold", lambda T, x: F(T).threshold(x, 0.1, 20.0), [M34],
           "ThresholdBackward0", avoid=(0.1,)),
    OpInfo("torch_threshold", lambda T, x: T.threshold(x, -0.5, -3.0), [M34],
           "ThresholdBackward0", avoid=(-0.5,)),
    OpInfo("threshold_inplace", lambda T, x: F(T).threshold(x * 1, 0.1, 20.0, inplace=True),
           [M34], "ThresholdBackward1", avoid=(0.1,), extra_nodes=("MulBackward0",)),
    OpInfo("threshold_", lambda T, x: F(T).threshold_(x * 1, 0.5, -1.0), [M34],
           "ThresholdBackward1", avoid=(0.5,), extra_nodes=("MulBackward0",)),
    # ---------------------------------------------------------------- glu
    OpInfo("glu", lambda T, x: F(T).glu(x), [M34], "GluBackward0"),
    OpInfo("glu_dim0", lambda T, x: F(T).glu(x, 0), [(4, 3)], "GluBackward0"),
    OpInfo("glu_3d", lambda T, x: F(T).glu(x, 1), [(2, 4, 3)], "GluBackward0"),
    # ---------------------------------------------------------------- softmax family
    OpInfo("softmax", lambda T, x: F(T).softmax(x, 1), [M34], "SoftmaxBackward0"),
    OpInfo("softmax_dim0", lambda T, x: F(T).softmax(x, dim=0), [M34], "SoftmaxBackward0"),
    OpInfo("softmax_3d", lambda T, x: T.softmax(x, -2), [B234], "SoftmaxBackward0"),
    OpInfo("softmax_method", lambda T, x: x.softmax(-1), [M34], "SoftmaxBackward0"),
    OpInfo("softmax_dtype", lambda T, x: F(T).softmax(x, 1, dtype=T.float64), [M34],
           "SoftmaxBackward0", extra_nodes=("ToCopyBackward0",)),
    OpInfo("special_softmax", lambda T, x: T.special.softmax(x, 0), [V4], "SoftmaxBackward0"),
    OpInfo("softmax_large", lambda T, x: F(T).softmax(x * 300, 1), [M34], "SoftmaxBackward0",
           sample=apart, extra_nodes=("MulBackward0",)),
    OpInfo("log_softmax", lambda T, x: F(T).log_softmax(x, 1), [M34], "LogSoftmaxBackward0"),
    OpInfo("log_softmax_method", lambda T, x: x.log_softmax(0), [B234], "LogSoftmaxBackward0"),
    OpInfo("torch_log_softmax", lambda T, x: T.log_softmax(x, -1), [V4], "LogSoftmaxBackward0"),
    OpInfo("log_softmax_large", lambda T, x: F(T).log_softmax(x * 500, 1), [M34],
           "LogSoftmaxBackward0", extra_nodes=("MulBackward0",)),
    OpInfo("softmin", lambda T, x: F(T).softmin(x, 1), [M34], "SoftmaxBackward0",
           extra_nodes=("NegBackward0",)),
    # the first-order gradients under create_graph: PyTorch's backward kernels as nodes
    OpInfo("softmax_backward", lambda T, x, v: grad_of(T, lambda x: F(T).softmax(x, 1), x, v),
           [M34, M34], "SoftmaxBackwardDataBackward0"),
    OpInfo("softmax_backward_dim0_3d", lambda T, x, v: grad_of(T, lambda x: x.softmax(-3), x, v),
           [B234, B234], "SoftmaxBackwardDataBackward0"),
    OpInfo("log_softmax_backward", lambda T, x, v: grad_of(
        T, lambda x: F(T).log_softmax(x, 1), x, v), [M34, M34], "LogSoftmaxBackwardDataBackward0"),
    OpInfo("log_softmax_backward_3d", lambda T, x, v: grad_of(
        T, lambda x: x.log_softmax(-1), x, v), [B234, B234], "LogSoftmaxBackwardDataBackward0"),
    OpInfo("logsumexp", lambda T, x: T.logsumexp(x, 1), [M34], "LogsumexpBackward0"),
    OpInfo("logsumexp_keepdim", lambda T, x: x.logsumexp(0, keepdim=True), [M34],
           "LogsumexpBackward0"),
    OpInfo("logsumexp_dims", lambda T, x: T.logsumexp(x, (0, 2)), [B234], "LogsumexpBackward0"),
    OpInfo("logsumexp_large", lambda T, x: T.logsumexp(x * 400, -1), [M34],
           "LogsumexpBackward0", extra_nodes=("MulBackward0",)),
    OpInfo("special_logsumexp", lambda T, x: T.special.logsumexp(x, [1], True), [B234],
           "LogsumexpBackward0"),
]

