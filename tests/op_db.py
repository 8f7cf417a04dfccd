"""The op table that drives every gradient test in tests/test_ops.py.

Each ``OpInfo`` row is one call pattern of one op. ``fn(T, *tensors)`` receives the module
(``retrograd`` or ``torch``) as ``T``, so the same lambda runs on both libraries. Every
``grad_fn`` / ``extra_nodes`` name below was read off torch 2.13.0 (test_vs_torch re-checks
each one against torch on every run, so the table cannot drift from the reference).

Sampling: inputs are uniform on ``domain``; values closer than ``gap`` to a point in
``avoid`` are redrawn, so finite differences never straddle a kink (abs/relu at 0, clamp
bounds, where/mask thresholds). Ops whose kinks are *ties between elements* (maximum,
max/min, softmax) use ``sample=apart``, which makes every value well separated. Rows with
``numeric=False`` sit on a kink on purpose, to pin torch's tie-breaking choice of subgradient;
finite differences are meaningless there, so they only run the comparisons against torch.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

Shape = tuple[int, ...]
Sampler = Callable[[np.random.Generator, Sequence[Shape]], list[np.ndarray]]


@dataclass(frozen=True, eq=False)
class OpInfo:
    name: str  # unique; the pytest id
    fn: Callable[..., Any]  # fn(T, *tensors) -> Tensor | tuple of Tensors (e.g. max with dim)
    shapes: Sequence[Shape]  # one per float input; every input requires grad
    grad_fn: str  # type(out.grad_fn).__name__ in torch 2.13 (first float output)
    domain: tuple[float, float] = (-2.0, 2.0)  # uniform sampling range
    avoid: tuple[float, ...] = ()  # kinks: sampled values are kept >= gap away from these
    gap: float = 0.1
    sample: Sampler | None = None  # replaces the uniform sampler entirely
    gradgrad: bool = True  # torch supports double backward (true for every row here)
    numeric: bool = True  # False: inputs sit on a kink on purpose, skip finite differences
    atol: float | None = None  # gradcheck / gradgradcheck overrides (None: torch's defaults)
    rtol: float | None = None
    cmp_atol: float = 1e-6  # float32 comparison against torch
    cmp_rtol: float = 1e-5
    extra_nodes: tuple[str, ...] = ()  # Node class names that torch puts deeper in the graph

    @property
    def seed(self) -> int:
        return zlib.crc32(self.name.encode())

    def inputs(self) -> list[np.ndarray]:
        """Deterministic float64 input arrays for this row (cast by the caller)."""
        rng = np.random.default_rng(self.seed)
        if self.sample is not None:
            arrays = [np.asarray(a, dtype=np.float64) for a in self.sample(rng, self.shapes)]
        else:
            arrays = [self._uniform(rng, shape) for shape in self.shapes]
        assert [a.shape for a in arrays] == [tuple(s) for s in self.shapes], self.name
        return arrays

    def _uniform(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        low, high = self.domain
        a = np.asarray(rng.uniform(low, high, shape), dtype=np.float64)
        for _ in range(1000):  # redraw only the offending elements; deterministic per seed
            bad = np.zeros(a.shape, dtype=bool)
            for k in self.avoid:
                bad |= np.abs(a - k) < self.gap
            if not bad.any():
                return a
            a[bad] = rng.uniform(low, high, int(bad.sum()))
        raise AssertionError(f"{self.name}: cannot sample away from {self.avoid}")


def apart(rng: np.random.Generator, shapes: Sequence[Shape], spacing: float = 0.25) -> list[np.ndarray]:
    """All values of all inputs pairwise >= spacing/2 apart: no ties for max/min/maximum."""
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    n = sum(sizes)
    grid = (np.arange(n) - (n - 1) / 2) * spacing
    vals = rng.permutation(grid) + rng.uniform(-spacing / 4, spacing / 4, n)
    out, start = [], 0
    for shape, size in zip(shapes, sizes):
        out.append(vals[start:start + size].reshape(shape))
        start += size
    return out


def fixed(*arrays: Any) -> Sampler:
    """Exact inputs (exactly representable in float32 too), for the tie-breaking rows."""
    return lambda rng, shapes: [np.array(a, dtype=np.float64) for a in arrays]


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


def _softmax(T: Any, x: Any) -> Any:
    e = (x - x.max(1, keepdim=True).values).exp()
    return e / e.sum(1, keepdim=True)


def _max_values_indices(T: Any, x: Any) -> tuple[Any, Any]:
    r = T.max(x, dim=1)  # attribute access on the named tuple, plus the int64 indices
    return r.values, r.indices


POS = (0.5, 2.0)  # log, sqrt, fractional/negative powers, tensor exponents
RED = dict(cmp_atol=1e-5)  # float32 reductions/matmul: summation order differs from torch's
M34, M45, V4, B234 = (3, 4), (4, 5), (4,), (2, 3, 4)
P2 = [M34, M34]

def _setitem_row(x, v, index=1):
    y = x * 1  # a non-leaf copy, so the in-place write is recorded (CopySlices)
    y[index] = v
    return y


OP_DB: list[OpInfo] = [
    # ---------------------------------------------------------------- + - * / **
    OpInfo("add", lambda T, x, y: x + y, P2, "AddBackward0"),
    OpInfo("add_scalar_rhs", lambda T, x: x + 2.5, [M34], "AddBackward0"),
    OpInfo("add_int_scalar_rhs", lambda T, x: x + 2, [M34], "AddBackward0"),  # stays float32
    OpInfo("radd", lambda T, x: 2.5 + x, [M34], "AddBackward0"),
    OpInfo("add_broadcast_row", lambda T, x, y: x + y, [M34, V4], "AddBackward0"),
    OpInfo("add_broadcast_3d", lambda T, x, y: x + y, [(2, 1, 3), (4, 1)], "AddBackward0"),
    OpInfo("add_0d", lambda T, x, y: x + y, [M34, ()], "AddBackward0"),
    OpInfo("add_fn", lambda T, x, y: T.add(x, y), P2, "AddBackward0"),
    OpInfo("sub", lambda T, x, y: x - y, P2, "SubBackward0"),
    OpInfo("sub_scalar_rhs", lambda T, x: x - 2.5, [M34], "SubBackward0"),
    OpInfo("rsub", lambda T, x: 2.5 - x, [M34], "RsubBackward1"),
    OpInfo("rsub_int", lambda T, x: 3 - x, [M34], "RsubBackward1"),
    OpInfo("rsub_alpha", lambda T, x: T.rsub(x, 2.5, alpha=3), [M34], "RsubBackward1"),
    OpInfo("rsub_tensors", lambda T, x, y: T.rsub(x, y, alpha=2), [M34, V4], "RsubBackward0"),
    OpInfo("remainder_scalar", lambda T, x: T.remainder(x, 0.7), [M34], "RemainderBackward0",
           avoid=tuple(0.7 * k for k in range(-3, 4)), gap=0.05),
    OpInfo("remainder_tensors", lambda T, x, y: x % y, [M34, V4], "RemainderBackward1",
           sample=lambda rng, shapes: [rng.uniform(-2, 2, shapes[0]),
                                       rng.choice([-1, 1], shapes[1]) * rng.uniform(0.9, 1.1, shapes[1])]),
    OpInfo("sub_broadcast", lambda T, x, y: x - y, [M34, (3, 1)], "SubBackward0"),
    OpInfo("sub_fn", lambda T, x, y: T.sub(x, y), P2, "SubBackward0"),
    OpInfo("mul", lambda T, x, y: x * y, P2, "MulBackward0"),
    OpInfo("mul_scalar_rhs", lambda T, x: x * 2.5, [M34], "MulBackward0"),
    OpInfo("rmul", lambda T, x: 2.5 * x, [M34], "MulBackward0"),
    OpInfo("mul_broadcast_row", lambda T, x, y: x * y, [M34, V4], "MulBackward0"),
    OpInfo("mul_broadcast_3d", lambda T, x, y: x * y, [(2, 1, 3), (4, 1)], "MulBackward0"),
    OpInfo("mul_0d", lambda T, x, y: x * y, [M34, ()], "MulBackward0"),
    OpInfo("mul_self", lambda T, x: x * x, [M34], "MulBackward0"),  # both grads accumulate in x
    OpInfo("mul_fn", lambda T, x, y: T.mul(x, y), P2, "MulBackward0"),
    OpInfo("div", lambda T, x, y: x / y, P2, "DivBackward0", avoid=(0.0,), gap=0.3),
    OpInfo("div_scalar_rhs", lambda T, x: x / 2.5, [M34], "DivBackward0"),
    # torch computes 2.5 / x as reciprocal(x) * 2.5
    OpInfo("rtruediv", lambda T, x: 2.5 / x, [M34], "MulBackward0", avoid=(0.0,), gap=0.3,
           extra_nodes=("ReciprocalBackward0",)),
    OpInfo("div_broadcast", lambda T, x, y: x / y, [M34, V4], "DivBackward0", avoid=(0.0,), gap=0.3),
    OpInfo("div_fn", lambda T, x, y: T.div(x, y), P2, "DivBackward0", avoid=(0.0,), gap=0.3),
    OpInfo("pow_scalar_2", lambda T, x: x ** 2, [M34], "PowBackward0"),
    OpInfo("pow_scalar_3_int", lambda T, x: x ** 3, [M34], "PowBackward0"),
    OpInfo("pow_scalar_frac", lambda T, x: x ** 2.5, [M34], "PowBackward0", domain=POS),
    OpInfo("pow_scalar_neg", lambda T, x: x ** -1.5, [M34], "PowBackward0", domain=POS),
    OpInfo("pow_scalar_half", lambda T, x: x ** 0.5, [M34], "PowBackward0", domain=POS),
    OpInfo("pow_scalar_0", lambda T, x: x ** 0, [M34], "PowBackward0"),  # gradient is all zeros
    OpInfo("pow_fn_scalar", lambda T, x: T.pow(x, 2), [M34], "PowBackward0"),
    OpInfo("rpow", lambda T, x: 2.5 ** x, [M34], "PowBackward2"),
    OpInfo("rpow_int", lambda T, x: 2 ** x, [M34], "PowBackward2"),
    OpInfo("pow_tensor", lambda T, x, y: x ** y, P2, "PowBackward1", domain=POS),
    OpInfo("pow_tensor_broadcast", lambda T, x, y: x ** y, [M34, V4], "PowBackward1", domain=POS),
    OpInfo("pow_method_tensor", lambda T, x, y: x.pow(y), P2, "PowBackward1", domain=POS),
    # ---------------------------------------------------------------- unary
    OpInfo("neg", lambda T, x: -x, [M34], "NegBackward0"),
    OpInfo("neg_method", lambda T, x: x.neg(), [M34], "NegBackward0"),
    OpInfo("abs", lambda T, x: x.abs(), [M34], "AbsBackward0", avoid=(0.0,)),
    OpInfo("abs_fn", lambda T, x: T.abs(x), [M34], "AbsBackward0", avoid=(0.0,)),
    OpInfo("exp", lambda T, x: x.exp(), [M34], "ExpBackward0"),
    OpInfo("exp_fn", lambda T, x: T.exp(x), [M34], "ExpBackward0"),
    OpInfo("log", lambda T, x: x.log(), [M34], "LogBackward0", domain=POS),
    OpInfo("log_fn", lambda T, x: T.log(x), [M34], "LogBackward0", domain=POS),
    OpInfo("sqrt", lambda T, x: x.sqrt(), [M34], "SqrtBackward0", domain=POS),
    OpInfo("sqrt_fn", lambda T, x: T.sqrt(x), [M34], "SqrtBackward0", domain=POS),
    OpInfo("sin", lambda T, x: x.sin(), [M34], "SinBackward0"),
    OpInfo("sin_fn", lambda T, x: T.sin(x), [M34], "SinBackward0"),
    OpInfo("cos", lambda T, x: x.cos(), [M34], "CosBackward0"),
    OpInfo("cos_fn", lambda T, x: T.cos(x), [M34], "CosBackward0"),
    OpInfo("tanh", lambda T, x: x.tanh(), [M34], "TanhBackward0"),
    OpInfo("tanh_fn", lambda T, x: T.tanh(x), [M34], "TanhBackward0"),
    OpInfo("sigmoid", lambda T, x: x.sigmoid(), [M34], "SigmoidBackward0"),
    OpInfo("sigmoid_fn", lambda T, x: T.sigmoid(x), [M34], "SigmoidBackward0"),
    OpInfo("relu_fn", lambda T, x: T.relu(x), [M34], "ReluBackward0", avoid=(0.0,)),
    OpInfo("relu_method", lambda T, x: x.relu(), [M34], "ReluBackward0", avoid=(0.0,)),
    # ---------------------------------------------------------------- reductions
    OpInfo("sum_all", lambda T, x: x.sum(), [M34], "SumBackward0", **RED),
    OpInfo("sum_fn_all", lambda T, x: T.sum(x), [B234], "SumBackward0", **RED),
    OpInfo("sum_dim", lambda T, x: x.sum(1), [M34], "SumBackward1", **RED),
    OpInfo("sum_dim_neg", lambda T, x: x.sum(dim=-1), [B234], "SumBackward1", **RED),
    OpInfo("sum_dims_tuple", lambda T, x: x.sum((0, 2)), [B234], "SumBackward1", **RED),
    OpInfo("sum_dim_keepdim", lambda T, x: T.sum(x, dim=1, keepdim=True), [M34], "SumBackward1", **RED),
    OpInfo("sum_dims_keepdim", lambda T, x: x.sum(dim=(0, -1), keepdim=True), [B234], "SumBackward1", **RED),
    OpInfo("mean_all", lambda T, x: x.mean(), [M34], "MeanBackward0", **RED),
    OpInfo("mean_fn_all", lambda T, x: T.mean(x), [B234], "MeanBackward0", **RED),
    OpInfo("mean_dim", lambda T, x: x.mean(1), [M34], "MeanBackward1", **RED),
    OpInfo("mean_dim_neg", lambda T, x: x.mean(dim=-1), [B234], "MeanBackward1", **RED),
    OpInfo("mean_dims_tuple", lambda T, x: x.mean((0, 2)), [B234], "MeanBackward1", **RED),
    OpInfo("mean_dim_keepdim", lambda T, x: T.mean(x, dim=0, keepdim=True), [M34], "MeanBackward1", **RED),
    OpInfo("mean_dims_keepdim", lambda T, x: x.mean(dim=(0, -1), keepdim=True), [B234], "MeanBackward1", **RED),
    # ---------------------------------------------------------------- matmul
    OpInfo("matmul_1d_1d", lambda T, x, y: x @ y, [V4, V4], "DotBackward0", **RED),
    OpInfo("matmul_2d_1d", lambda T, x, y: x @ y, [M34, V4], "MvBackward0", **RED),
    OpInfo("matmul_1d_2d", lambda T, x, y: x @ y, [V4, M45], "SqueezeBackward4", **RED,
           extra_nodes=("MmBackward0", "UnsqueezeBackward0")),
    OpInfo("matmul_2d_2d", lambda T, x, y: x @ y, [M34, M45], "MmBackward0", **RED),
    OpInfo("matmul_fn_2d_2d", lambda T, x, y: T.matmul(x, y), [M34, M45], "MmBackward0", **RED),
    OpInfo("matmul_method_2d_2d", lambda T, x, y: x.matmul(y), [M34, M45], "MmBackward0", **RED),
    OpInfo("matmul_3d_3d", lambda T, x, y: x @ y, [B234, (2, 4, 5)], "UnsafeViewBackward0", **RED,
           extra_nodes=("BmmBackward0", "ViewBackward0", "ExpandBackward0")),
    OpInfo("matmul_broadcast_batch", lambda T, x, y: x @ y, [(2, 1, 3, 4), (5, 4, 2)], "UnsafeViewBackward0",
           **RED, extra_nodes=("BmmBackward0", "CloneBackward0", "ExpandBackward0")),
    OpInfo("matmul_3d_1d", lambda T, x, y: x @ y, [B234, V4], "UnsafeViewBackward0", **RED,
           extra_nodes=("MvBackward0", "ViewBackward0")),
    OpInfo("matmul_3d_2d", lambda T, x, y: x @ y, [B234, (4, 2)], "UnsafeViewBackward0", **RED,
           extra_nodes=("MmBackward0", "ViewBackward0")),
    # ---------------------------------------------------------------- views / shapes
    OpInfo("reshape_flat", lambda T, x: x.reshape(-1), [M34], "ViewBackward0"),
    OpInfo("reshape_neg1", lambda T, x: x.reshape(4, -1), [B234], "ViewBackward0"),
    OpInfo("reshape_fn", lambda T, x: T.reshape(x, (2, 6)), [M34], "ViewBackward0"),
    OpInfo("reshape_same", lambda T, x: x.reshape(3, 4), [M34], "ViewBackward0"),
    # a non-contiguous input cannot be viewed: torch copies (clone) then _unsafe_view
    OpInfo("reshape_noncontiguous", lambda T, x: x.T.reshape(-1), [M34], "UnsafeViewBackward0",
           extra_nodes=("CloneBackward0", "PermuteBackward0")),
    OpInfo("view_neg1", lambda T, x: x.view(-1, 2), [M34], "ViewBackward0"),
    OpInfo("view_3d", lambda T, x: x.view(2, 3, 2), [M34], "ViewBackward0"),
    OpInfo("transpose", lambda T, x: x.transpose(0, 1), [M34], "TransposeBackward0"),
    OpInfo("transpose_neg", lambda T, x: x.transpose(-1, -3), [B234], "TransposeBackward0"),
    OpInfo("transpose_fn", lambda T, x: T.transpose(x, 1, 2), [B234], "TransposeBackward0"),
    OpInfo("permute", lambda T, x: x.permute(2, 0, 1), [B234], "PermuteBackward0"),
    OpInfo("permute_neg", lambda T, x: x.permute(-1, 0, 1), [B234], "PermuteBackward0"),
    OpInfo("permute_fn", lambda T, x: T.permute(x, (1, 0)), [M34], "PermuteBackward0"),
    OpInfo("T_2d", lambda T, x: x.T, [M34], "PermuteBackward0"),  # .T is permute, not transpose
    OpInfo("squeeze_all", lambda T, x: x.squeeze(), [(3, 1, 4, 1)], "SqueezeBackward0"),
    OpInfo("squeeze_fn_all", lambda T, x: T.squeeze(x), [(1, 3, 1)], "SqueezeBackward0"),
    OpInfo("squeeze_dim", lambda T, x: x.squeeze(1), [(3, 1, 4)], "SqueezeBackward1"),
    OpInfo("squeeze_dim_neg", lambda T, x: x.squeeze(-2), [(3, 1, 4)], "SqueezeBackward1"),
    OpInfo("squeeze_dim_noop", lambda T, x: x.squeeze(0), [M34], "SqueezeBackward1"),  # size 3: no-op
    OpInfo("unsqueeze_0", lambda T, x: x.unsqueeze(0), [M34], "UnsqueezeBackward0"),
    OpInfo("unsqueeze_neg", lambda T, x: x.unsqueeze(-1), [M34], "UnsqueezeBackward0"),
    OpInfo("unsqueeze_fn", lambda T, x: T.unsqueeze(x, 1), [M34], "UnsqueezeBackward0"),
    OpInfo("expand_new_dim", lambda T, x: x.expand(3, 4), [V4], "ExpandBackward0"),
    OpInfo("expand_neg1", lambda T, x: x.expand(-1, 4), [(3, 1)], "ExpandBackward0"),
    OpInfo("expand_lead_neg1", lambda T, x: x.expand(2, -1, -1), [M34], "ExpandBackward0"),
    # ---------------------------------------------------------------- indexing
    OpInfo("index_int", lambda T, x: x[1], [M34], "SelectBackward0"),
    OpInfo("index_neg_int", lambda T, x: x[-1], [M34], "SelectBackward0"),
    OpInfo("index_int_int", lambda T, x: x[1, -2], [M34], "SelectBackward0"),  # two selects
    OpInfo("index_slice", lambda T, x: x[1:], [M34], "SliceBackward0"),
    OpInfo("index_slice_step", lambda T, x: x[::2], [M34], "SliceBackward0"),
    OpInfo("index_slice_cols", lambda T, x: x[:, 1:3], [M34], "SliceBackward0"),
    OpInfo("index_int_step", lambda T, x: x[1, ::2], [M34], "SliceBackward0", extra_nodes=("SelectBackward0",)),
    OpInfo("index_none", lambda T, x: x[None], [M34], "UnsqueezeBackward0"),
    OpInfo("index_none_slice", lambda T, x: x[:, None, 1:3], [M34], "SliceBackward0",
           extra_nodes=("UnsqueezeBackward0",)),
    OpInfo("index_ellipsis", lambda T, x: x[..., 1], [B234], "SelectBackward0"),
    OpInfo("index_ellipsis_none", lambda T, x: x[..., None], [M34], "UnsqueezeBackward0"),
    OpInfo("index_ellipsis_only", lambda T, x: x[...], [M34], "AliasBackward0"),
    OpInfo("index_tensor_repeat", lambda T, x: x[T.tensor([0, 2, 0])], [M34], "IndexBackward0"),
    OpInfo("index_tensor_2d", lambda T, x: x[T.tensor([[0, 1], [1, 1]])], [M34], "IndexBackward0"),
    OpInfo("index_tensor_pair", lambda T, x: x[T.tensor([0, 1, 0]), T.tensor([2, 3, 2])], [M34],
           "IndexBackward0"),
    OpInfo("index_tensor_cols", lambda T, x: x[:, T.tensor([1, 0, 1])], [M34], "IndexBackward0"),
    OpInfo("index_mask", lambda T, x: x[x > 0], [M34], "IndexBackward0", avoid=(0.0,)),
    OpInfo("index_mask_rows", lambda T, x: x[x[:, 0] > 0], [M34], "IndexBackward0", avoid=(0.0,)),
    # ---------------------------------------------------------------- clamp / max / min / where
    OpInfo("clamp_min", lambda T, x: x.clamp(min=-0.5), [M34], "ClampBackward1", avoid=(-0.5,)),
    OpInfo("clamp_max", lambda T, x: x.clamp(max=0.5), [M34], "ClampBackward1", avoid=(0.5,)),
    OpInfo("clamp_both", lambda T, x: x.clamp(-0.5, 0.5), [M34], "ClampBackward1", avoid=(-0.5, 0.5)),
    OpInfo("clamp_fn", lambda T, x: T.clamp(x, min=-0.5, max=0.5), [M34], "ClampBackward1", avoid=(-0.5, 0.5)),
    OpInfo("clip_fn", lambda T, x: T.clip(x, -0.5, 0.5), [M34], "ClampBackward1", avoid=(-0.5, 0.5)),
    OpInfo("clamp__fn", lambda T, x: T.clamp_(x * 1, -0.5, 0.5), [M34], "ClampBackward1",
           avoid=(-0.5, 0.5), extra_nodes=("MulBackward0",)),
    OpInfo("clip__fn", lambda T, x: T.clip_(x * 1, max=0.5), [M34], "ClampBackward1",
           avoid=(0.5,), extra_nodes=("MulBackward0",)),
    OpInfo("maximum", lambda T, x, y: T.maximum(x, y), P2, "MaximumBackward0", sample=apart),
    OpInfo("maximum_broadcast", lambda T, x, y: T.maximum(x, y), [M34, V4], "MaximumBackward0", sample=apart),
    OpInfo("minimum", lambda T, x, y: T.minimum(x, y), P2, "MinimumBackward0", sample=apart),
    OpInfo("max_all", lambda T, x: x.max(), [M34], "MaxBackward1", sample=apart),
    OpInfo("max_fn_all", lambda T, x: T.max(x), [B234], "MaxBackward1", sample=apart),
    OpInfo("min_all", lambda T, x: x.min(), [M34], "MinBackward1", sample=apart),
    OpInfo("min_fn_all", lambda T, x: T.min(x), [B234], "MinBackward1", sample=apart),
    OpInfo("max_dim", lambda T, x: x.max(dim=1).values, [M34], "MaxBackward0", sample=apart),
    OpInfo("max_fn_dim0", lambda T, x: T.max(x, 0).values, [M34], "MaxBackward0", sample=apart),
    OpInfo("max_dim_keepdim", lambda T, x: x.max(-1, keepdim=True).values, [B234], "MaxBackward0", sample=apart),
    OpInfo("max_dim_values_indices", _max_values_indices, [M34], "MaxBackward0", sample=apart),
    OpInfo("min_dim", lambda T, x: x.min(dim=1).values, [M34], "MinBackward0", sample=apart),
    OpInfo("min_dim_keepdim", lambda T, x: T.min(x, -1, keepdim=True).values, [B234], "MinBackward0", sample=apart),
    OpInfo("min_dim_namedtuple", lambda T, x: T.min(x, dim=0), [M34], "MinBackward0", sample=apart),
    OpInfo("where", lambda T, x, y: T.where(x > 0, x, y), P2, "WhereBackward0", avoid=(0.0,)),
    OpInfo("where_broadcast", lambda T, x, y: T.where(x > 0, x, y), [M34, V4], "WhereBackward0", avoid=(0.0,)),
    OpInfo("where_scalar_other", lambda T, x: T.where(x > 0, x, 0.0), [M34], "WhereBackward0", avoid=(0.0,)),
    OpInfo("where_two_inputs_cond", lambda T, x, y: T.where(x > y, x, y), P2, "WhereBackward0", sample=apart),
    # ---------------------------------------------------------------- cat / stack
    OpInfo("cat_dim0", lambda T, x, y: T.cat([x, y]), [(2, 4), M34], "CatBackward0"),
    OpInfo("cat_dim1", lambda T, x, y: T.cat([x, y], dim=1), [(3, 2), M34], "CatBackward0"),
    OpInfo("cat_neg_dim", lambda T, x, y, z: T.cat((x, y, z), dim=-1), [(3, 2), M34, (3, 1)], "CatBackward0"),
    OpInfo("cat_same_twice", lambda T, x: T.cat([x, x], 1), [M34], "CatBackward0"),
    OpInfo("stack_dim0", lambda T, x, y: T.stack([x, y]), P2, "StackBackward0"),
    OpInfo("stack_dim1", lambda T, x, y, z: T.stack((x, y, z), 1), [M34, M34, M34], "StackBackward0"),
    OpInfo("stack_neg_dim", lambda T, x, y: T.stack([x, y], dim=-1), P2, "StackBackward0"),
    # ---------------------------------------------------------------- composites
    # Ops whose nodes the table above did not reach yet.
    OpInfo("clamp_tensor_min", lambda T, x, lo: x.clamp(lo), [M34, V4], "ClampBackward0", sample=apart),
    OpInfo("clamp_tensor_both", lambda T, x, lo: T.clamp(x, min=lo, max=lo + 1), [M34, V4], "ClampBackward0",
           sample=apart),
    OpInfo("clamp_min_tensor", lambda T, x, lo: T.clamp_min(x, lo), [M34, V4], "ClampMinBackward1",
           sample=apart),
    OpInfo("clamp_max_tensor_method", lambda T, x, hi: x.clamp_max(hi), [M34, M34],
           "ClampMaxBackward1", sample=apart),
    OpInfo("setitem_copyslices", lambda T, x, v: _setitem_row(x, v), [M34, V4], "CopySlices"),
    OpInfo("setitem_index_tensor", lambda T, x, v: _setitem_row(x, v, T.tensor([2, 0])), [M34, V4],
           "IndexPutBackward0"),
    OpInfo("sign", lambda T, x: x.sign(), [M34], "SignBackward0", avoid=(0.0,)),
    OpInfo("clamp_min_fn", lambda T, x: x.clamp_min(0.3), [M34], "ClampMinBackward0", avoid=(0.3,)),
    OpInfo("clamp_max_fn", lambda T, x: T.clamp_max(x, -0.2), [M34], "ClampMaxBackward0", avoid=(-0.2,)),
    # Piecewise constant: zero gradient; inputs kept away from the jumps (x/y near integers).
    OpInfo("div_floor", lambda T, x, y: T.div(x, y, rounding_mode="floor"), [M34, M34], "DivBackward2",
           sample=lambda rng, shapes: [rng.integers(1, 9, s) + 0.5 for s in shapes[:1]] + [np.ones(shapes[1])]),
    OpInfo("div_trunc_scalar", lambda T, x: T.div(x, 2, rounding_mode="trunc"), [M34], "DivBackward2",
           sample=lambda rng, shapes: [rng.integers(-9, 9, shapes[0]) + 0.5]),
    OpInfo("squeeze_dims_tuple", lambda T, x: x.squeeze((1, 2)), [(3, 1, 1, 2)], "SqueezeBackward2"),
    OpInfo("t_2d", lambda T, x: x.t(), [M34], "TBackward0"),
    OpInfo("t_1d", lambda T, x: T.t(x), [V4], "TBackward0"),
    # float64 -> float64 is a no-op (no node), so this row only runs the float32 torch comparison.
    OpInfo("to_double", lambda T, x: x.double(), [M34], "ToCopyBackward0", numeric=False),
    OpInfo("flip", lambda T, x: x.flip(0), [M34], "FlipBackward0"),
    OpInfo("flip_dims", lambda T, x: T.flip(x, (0, -1)), [B234], "FlipBackward0"),
    OpInfo("unbind", lambda T, x: x.unbind(1), [M34], "UnbindBackward0"),
    OpInfo("unbind_one_piece", lambda T, x: T.unbind(x)[1] * 2, [M34], "MulBackward0",
           extra_nodes=("UnbindBackward0",)),
    # The backward of indexing is itself differentiable (double backward of x[idx]).
    OpInfo("index_backward", lambda T, x, v: T.autograd.grad(x[T.tensor([0, 2, 0])], x, v, create_graph=True)[0],
           [M34, M34], "IndexPutImplBackward0", gradgrad=False),  # already a second-order op
    # The backward of the piecewise-linear activations is an op too (PyTorch's XBackwardBackward0:
    # linear in the gradient, connected to the input with a zero derivative).
    OpInfo("relu_backward", lambda T, x, v: T.autograd.grad(x.relu(), x, v, create_graph=True)[0],
           [M34, M34], "ThresholdBackwardBackward0", avoid=(0.0,), gradgrad=False),
    OpInfo("leaky_relu_backward", lambda T, x, v: T.autograd.grad(
        T.nn.functional.leaky_relu(x, 0.2), x, v, create_graph=True)[0],
           [M34, M34], "LeakyReluBackwardBackward0", avoid=(0.0,), gradgrad=False),
    OpInfo("hardtanh_backward", lambda T, x, v: T.autograd.grad(
        T.nn.functional.hardtanh(x, -0.5, 0.5), x, v, create_graph=True)[0],
           [M34, M34], "HardtanhBackwardBackward0", avoid=(-0.5, 0.5), gradgrad=False),
    OpInfo("hardshrink_backward", lambda T, x, v: T.autograd.grad(
        T.nn.functional.hardshrink(x, 0.5), x, v, create_graph=True)[0],
           [M34, M34], "HardshrinkBackwardBackward0", avoid=(-0.5, 0.5), gradgrad=False),
    OpInfo("softshrink_backward", lambda T, x, v: T.autograd.grad(
        T.nn.functional.softshrink(x, 0.5), x, v, create_graph=True)[0],
           [M34, M34], "SoftshrinkBackwardBackward0", avoid=(-0.5, 0.5), gradgrad=False),
    OpInfo("composite_tanh", lambda T, x, y: (x * y + x).tanh().sum(), P2, "SumBackward0", **RED,
           extra_nodes=("TanhBackward0", "AddBackward0", "MulBackward0", "AccumulateGrad")),
    OpInfo("composite_mse", lambda T, x, y: ((x - y) ** 2).mean(), P2, "MeanBackward0", **RED,
           extra_nodes=("PowBackward0", "SubBackward0")),
    OpInfo("composite_mlp", lambda T, x, w, b: T.sigmoid(x @ w + b).sum(), [M34, (4, 2), (2,)], "SumBackward0",
           **RED, extra_nodes=("SigmoidBackward0", "AddBackward0", "MmBackward0")),
    OpInfo("composite_softmax", _softmax, [M34], "DivBackward0", sample=apart, **RED,
           extra_nodes=("SumBackward1", "ExpBackward0", "SubBackward0", "MaxBackward0")),
    OpInfo("composite_logsumexp", lambda T, x: (x - x.max(1, keepdim=True).values).exp().sum(1).log(), [M34],
           "LogBackward0", sample=apart, **RED, extra_nodes=("SumBackward1", "ExpBackward0", "MaxBackward0")),
    OpInfo("composite_diamond", lambda T, x: (lambda h: h * h + h.sin())(x.exp()), [M34], "AddBackward0",
           extra_nodes=("MulBackward0", "SinBackward0", "ExpBackward0")),
    OpInfo("composite_row_norm", lambda T, x: (x * x).sum(1).sqrt(), [M34], "SqrtBackward0", domain=POS, **RED,
           extra_nodes=("SumBackward1", "MulBackward0")),
    OpInfo("composite_gather_mul", lambda T, x, y: (x[T.tensor([0, 0, 2])] * y).sum(0), [M34, M34],
           "SumBackward1", **RED, extra_nodes=("MulBackward0", "IndexBackward0")),
    # ---------------------------------------------------------------- ties (torch's subgradient choice)
    OpInfo("tie_relu_at_zero", lambda T, x: T.relu(x), [(4,)], "ReluBackward0", numeric=False,
           sample=fixed([-1.0, 0.0, 1.0, 0.0])),  # relu'(0) = 0
    OpInfo("tie_abs_at_zero", lambda T, x: x.abs(), [(3,)], "AbsBackward0", numeric=False,
           sample=fixed([-1.0, 0.0, 1.0])),  # sgn(0) = 0
    OpInfo("tie_clamp_at_bounds", lambda T, x: x.clamp(-0.5, 0.5), [(5,)], "ClampBackward1", numeric=False,
           sample=fixed([-1.0, -0.5, 0.0, 0.5, 1.0])),  # bounds are inclusive: gradient 1 there
    OpInfo("tie_maximum", lambda T, x, y: T.maximum(x, y), [(3,), (3,)], "MaximumBackward0", numeric=False,
           sample=fixed([1.0, 2.0, 3.0], [1.0, 3.0, 2.0])),  # equal: gradient split in halves
    OpInfo("tie_minimum", lambda T, x, y: T.minimum(x, y), [(3,), (3,)], "MinimumBackward0", numeric=False,
           sample=fixed([1.0, 2.0, 3.0], [1.0, 3.0, 2.0])),
    OpInfo("tie_max_all", lambda T, x: x.max(), [(2, 3)], "MaxBackward1", numeric=False,
           sample=fixed([[1.0, 3.0, 3.0], [3.0, 2.0, 0.0]])),  # spread evenly over the 3 maxima
    OpInfo("tie_min_all", lambda T, x: x.min(), [(2, 3)], "MinBackward1", numeric=False,
           sample=fixed([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0]])),
    OpInfo("tie_max_dim", lambda T, x: T.max(x, dim=1), [(2, 3)], "MaxBackward0", numeric=False,
           sample=fixed([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])),  # documented: first maximal index
    OpInfo("tie_min_dim", lambda T, x: x.min(0), [(2, 3)], "MinBackward0", numeric=False,
           sample=fixed([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0]])),
]

# Each op family keeps its rows in tests/op_db_<family>.py (a list named ROWS), so that families
# can grow side by side; they are part of the one table.
def _family_rows() -> list[OpInfo]:
    import importlib
    from pathlib import Path
    rows: list[OpInfo] = []
    for path in sorted(Path(__file__).parent.glob("op_db_*.py")):
        rows.extend(importlib.import_module(path.stem).ROWS)
    return rows


OP_DB.extend(_family_rows())
OPS: dict[str, OpInfo] = {row.name: row for row in OP_DB}
assert len(OPS) == len(OP_DB), "op_db row names must be unique"
assert len(OPS) == len(OP_DB), "duplicate row names"

# Rows re-run with one float32 and one float64 input (each way round) against torch.
# mul_0d is the exception to "float64 wins": a 0-d float64 tensor does not promote a
# dimensioned float32 tensor (both are floats; dimensioned tensors take priority).
MIXED_DTYPE_ROWS: tuple[str, ...] = (
    "add", "mul_broadcast_row", "div", "pow_tensor", "maximum", "where", "cat_dim0", "stack_dim0", "mul_0d",
)
