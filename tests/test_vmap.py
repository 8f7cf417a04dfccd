"""vmap's batching rules (retrograd/func/_batching.py), compared with torch.func.vmap.

Every case runs ``vmap(f)`` on retrograd and on torch 2.13 (tests/_both.py compares values,
dtypes, shapes, structure, exceptions and warnings) and checks that retrograd ran ``f`` *once,
batched* (``_batching.STATS``): a rule that silently fell back to the per-example loop would still
give the right values, so the path taken is asserted too. The per-example fallback, its
randomness and side-effect semantics, transforms inside vmap (per-sample gradients, batched
Jacobians and Hessians), ``autograd.grad(is_grads_batched=True)`` and the speed-up of the batched
path are tested below the op table.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from _both import assert_same, both, run
from retrograd.func import _batching
from retrograd.func._vmap import per_example

# torch's first forward-AD use loads its JVP decompositions, which warns (torch.jit.script is
# deprecated) once per process: done here, so that scenarios compare only their own warnings.
torch.func.jvp(torch.sin, (torch.zeros(1),), (torch.zeros(1),))

RNG = np.random.default_rng(7)
B = 3
X = RNG.standard_normal((B, 4))           # a batch of vectors
Y = RNG.standard_normal((B, 4))
M = RNG.standard_normal((B, 2, 4))        # a batch of matrices
N = RNG.standard_normal((B, 4, 5))
V4 = RNG.standard_normal(4)               # unbatched operands
W45 = RNG.standard_normal((4, 5))
W24 = RNG.standard_normal((2, 4))
S = RNG.standard_normal(B)                # a batch of scalars
P = np.abs(X) + 0.5                       # positive
IDX = np.array([2, 0, 1])                 # a batch of indices into dim 0 of size 4 / 2
IDX2 = RNG.integers(0, 4, (B, 2))
MASK = X > 0


def strip(T: Any, tree: Any) -> Any:
    """Every tensor as (values, requires_grad); containers kept."""
    if isinstance(tree, T.Tensor):
        return (tree.detach(), tree.requires_grad)
    if isinstance(tree, tuple) and type(tree) is not tuple:   # named tuple / torch.return_types
        return (type(tree).__name__, tuple(strip(T, v) for v in tree))
    if isinstance(tree, (tuple, list)):
        return type(tree)(strip(T, v) for v in tree)
    if isinstance(tree, dict):
        return {k: strip(T, v) for k, v in tree.items()}
    return tree


def tensors(T: Any, args) -> list:
    return [T.tensor(a) if isinstance(a, np.ndarray) else a for a in args]


class Path:
    """Counts the batched and per-example runs of retrograd's vmap inside a block."""

    def __enter__(self):
        self.b0, self.f0 = _batching.STATS["batched"], _batching.STATS["fallback"]
        return self

    def __exit__(self, *exc):
        self.batched = _batching.STATS["batched"] - self.b0
        self.fallback = _batching.STATS["fallback"] - self.f0


def run_both(scenario) -> Path:
    """both(scenario), returning retrograd's path counts."""
    path = Path()

    def wrapped(T):
        if T is retrograd:
            with path:
                return scenario(T)
        return scenario(T)
    both(wrapped)
    return path


# ------------------------------------------------------------------------------- the op table
F = "nn.functional"

CASES = [
    # elementwise, unary and with scalars
    ("sin", lambda T, x: x.sin(), [X], 0),
    ("torch.exp", lambda T, x: T.exp(x), [X], 0),
    ("log", lambda T, x: T.log(x), [P], 0),
    ("tanh_sigmoid_relu", lambda T, x: (T.tanh(x), T.sigmoid(x), T.relu(x), x.relu()), [X], 0),
    ("F.gelu_softplus", lambda T, x: (T.nn.functional.gelu(x),
                                      T.nn.functional.softplus(x, beta=2.0)), [X], 0),
    ("F.leaky_relu_elu", lambda T, x: (T.nn.functional.leaky_relu(x, 0.2),
                                       T.nn.functional.elu(x), T.nn.functional.relu(x)), [X], 0),
    ("pow_scalar", lambda T, x: (x ** 2, x.pow(3), 2 ** x, 1 / x, -x, abs(x)), [X], 0),
    ("clamp", lambda T, x: (x.clamp(-0.5, 0.5), T.clamp(x, min=0.1)), [X], 0),
    ("dtype_conversions", lambda T, x: (x.float(), x.to(T.float32), x.long(), x > 0,
                                        (x > 0).float(), x.type_as(T.ones(1, dtype=T.float32))),
     [X], 0),
    ("clone_contiguous_detach", lambda T, x: (x.clone(), x.contiguous(), x.detach()), [X], 0),
    # binary with broadcasting, comparisons, where
    ("add_unbatched_vector", lambda T, x, v: x + v, [X, V4], (0, None)),
    ("mul_both_batched", lambda T, x, y: x * y, [X, Y], 0),
    ("in_dims_1", lambda T, x, y: x - y, [X, Y.T.copy()], (0, 1)),
    ("broadcast_up", lambda T, x, w: x * w, [X, W24], (0, None)),
    ("scalar_batched", lambda T, s, v: s * v + s, [S, V4], (0, None)),
    ("torch.add_alpha", lambda T, x, y: T.add(x, y, alpha=2.0), [X, Y], 0),
    ("comparisons", lambda T, x, y: (x < y, x == y, x >= 0.1, T.maximum(x, y), T.atan2(x, y)),
     [X, Y], 0),
    ("where", lambda T, x, y: (T.where(x > y, x, y), T.where(x > 0, x, 0.0), x.where(x > 0, y)),
     [X, Y], 0),
    ("addcmul_lerp", lambda T, x, y, v: (T.addcmul(x, y, v, value=0.5), T.lerp(x, y, 0.3)),
     [X, Y, V4], (0, 0, None)),
    ("reflected_plain_left", lambda T, x, v: (v + x, v - x, v * x, v / (x * x + 1), v < x),
     [X, V4], (0, None)),
    # reductions
    ("sum", lambda T, x: (x.sum(), x.sum(0), x.sum(-1, keepdim=True), x.sum((0, 1)),
                          T.sum(x, dim=1)), [M], 0),
    ("mean_prod", lambda T, x: (x.mean(), x.mean(1), x.prod(), x.prod(0)), [M], 0),
    ("amax_amin", lambda T, x: (x.amax(), x.amax(0), T.amin(x, (0, 1)), x.amax(-1, True)),
     [M], 0),
    ("max_min", lambda T, x: (x.max(), x.max(1), x.min(0), T.max(x, dim=0, keepdim=True),
                              x.max(x * 0.5)), [M], 0),
    ("argmax", lambda T, x: (x.argmax(), x.argmax(1), x.argmin(0)), [M], 0),
    ("all_any", lambda T, x: ((x > 0).all(), (x > 0).any(1), T.all(x > -5, 0)), [M], 0),
    ("std_var", lambda T, x: (x.std(), x.std(1), x.var(0, unbiased=False), T.std_mean(x, 1)),
     [M], 0),
    ("logsumexp", lambda T, x: (T.logsumexp(x, 1), x.logsumexp(0, keepdim=True)), [M], 0),
    ("norm", lambda T, x: (x.norm(), x.norm(dim=1), x.norm(p=1, dim=0),
                           T.linalg.vector_norm(x, ord=3, dim=-1)), [M], 0),
    ("median_count_nonzero", lambda T, x: (x.median(), x.median(1), T.count_nonzero(x > 0, 1)),
     [M], 0),
    ("reduce_0d", lambda T, s: (s.sum(), s.sum(0), s.mean(-1), s.max()), [S], 0),
    ("cumsum_cumprod", lambda T, x: (x.cumsum(1), T.cumprod(x, 0), T.logcumsumexp(x, -1)),
     [M], 0),
    ("softmax", lambda T, x: (T.softmax(x, -1), T.log_softmax(x, 0),
                              T.nn.functional.softmax(x, dim=1),
                              T.nn.functional.log_softmax(x, dim=-1)), [M], 0),
    ("sort_topk", lambda T, x: (x.sort(1), T.sort(x, 0, descending=True), x.topk(2),
                                x.argsort(-1)), [M], 0),
    # shape and views
    ("reshape_view", lambda T, x: (x.reshape(-1), x.reshape(4, 2), x.view(8),
                                   T.reshape(x, (2, 2, 2))), [M], 0),
    ("reshape_in_dim_1", lambda T, x: x.reshape(-1),
     [np.ascontiguousarray(M.transpose(1, 0, 2))], 1),
    ("flatten_unflatten", lambda T, x: (x.flatten(), T.flatten(x, 0, 1), x.unflatten(1, (2, 2))),
     [M], 0),
    ("flatten_0d", lambda T, s: s.flatten(), [S], 0),
    ("transpose_t_T_mT", lambda T, x: (x.transpose(0, 1), x.t(), x.T, x.mT, T.transpose(x, -1, 0)),
     [M], 0),
    ("t_of_vector", lambda T, x: x.t(), [X], 0),
    ("permute_movedim", lambda T, x: (x.permute(1, 0), x.permute((1, 0)), T.movedim(x, 0, 1)),
     [M], 0),
    ("unsqueeze_squeeze", lambda T, x: (x.unsqueeze(0), x.unsqueeze(-1), x.unsqueeze(0).squeeze(),
                                        x.unsqueeze(1).squeeze(1), x[None].squeeze(0)), [M], 0),
    ("expand", lambda T, x: (x.expand(2, 4), x.expand(3, -1), T.broadcast_to(x, (2, 2, 4))),
     [X], 0),
    ("expand_as", lambda T, x, m: x.expand_as(m), [X, M], 0),
    ("repeat_tile", lambda T, x: (x.repeat(2, 1), x.repeat(2), T.tile(x, (2,))), [X], 0),
    ("flip_roll_narrow", lambda T, x: (x.flip(0), T.flip(x, (0, 1)), x.roll(1, 1),
                                       x.narrow(1, 1, 2)), [M], 0),
    ("split_chunk_unbind", lambda T, x: (x.split(2, 1), x.chunk(2, 1), x.unbind(0), T.unbind(x, 1)),
     [M], 0),
    ("iterate", lambda T, x: tuple(r * 2 for r in x), [M], 0),
    ("diagonal_tril_triu", lambda T, x: (x.diagonal(), T.diagonal(x, 1, 0, 1), x.tril(),
                                         T.triu(x, 1), T.diag_embed(x[0])), [M], 0),
    ("cat_stack", lambda T, x, y, v: (T.cat([x, y]), T.cat((x, v), 0), T.stack([x, y, v]),
                                      T.stack([x, y], -1), T.stack([v, x], 1)),
     [X, Y.T.copy(), V4], (0, 1, None)),
    ("cat_matrices", lambda T, m, w: T.cat([m, w], dim=1), [M, W24], (0, None)),
    ("pad_one_hot", lambda T, x, i: (T.nn.functional.pad(x, (1, 2)),
                                     T.nn.functional.pad(x, (1, 0, 0, 1), value=2.0),
                                     T.nn.functional.one_hot(i, 5)), [M, IDX2], 0),
    ("like", lambda T, x: (T.zeros_like(x), T.ones_like(x, dtype=T.float32), T.full_like(x, 7.0),
                           x * (x.numel() + x.size(-1) + x.dim() + len(x) + x.shape[1])),
     [M], 0),
    # indexing
    ("basic_indexing", lambda T, x: (x[0], x[:, 1:3], x[..., None], x[1, ::2], x[-1], x[:, -1],
                                     x[None, 0]), [M], 0),
    ("index_unbatched_tensor", lambda T, x, i: (x[i], x[:, i], x[[0, 1]]),
     [M, np.array([1, 0, 1])], (0, None)),
    ("index_mask", lambda T, x, m: x[m], [X, X[0] > 0], (0, None)),
    ("index_batched_tensor", lambda T, x, i: (x.gather(0, i), T.take_along_dim(x, i, 0)),
     [X, IDX2], 0),
    ("embedding_lookup", lambda T, w, i: (w[i], w[i].sum(-1), T.index_select(w, 0, i),
                                          w.index_select(1, i[:1]) + w[i[:1]]),
     [W45, IDX2], (None, 0)),
    ("plain_methods_batched_args", lambda T, w, x: (w.matmul(x), w.mv(x), x.mul(2).add(1),
                                                    w.t().mul(x.unsqueeze(-1)), w.sub(x[:2, None])),
     [W24, X], (None, 0)),
    ("gather_index_select", lambda T, x, i, j: (T.gather(x, 1, i), T.index_select(x, 1, j),
                                                x.index_select(0, j[1:])),
     [M, RNG.integers(0, 2, (B, 2, 3)), np.array([3, 1])], (0, 0, None)),
    ("gather_plain_index", lambda T, x, i: T.gather(x, 0, i), [M, RNG.integers(0, 2, (1, 4))],
     (0, None)),
    ("masked_fill", lambda T, x, m: (x.masked_fill(m, 0.0), T.masked_fill(x, x > 0, -1.0)),
     [X, MASK], 0),
    ("masked_fill_plain_input", lambda T, x, m: T.masked_fill(x, m, 3.0), [V4, MASK], (None, 0)),
    # linear algebra
    ("matmul_vec_vec", lambda T, a, b: (a @ b, T.matmul(a, b), T.dot(a, b)), [X, Y], 0),
    ("matmul_vec_mat", lambda T, a, w: (a @ w, T.matmul(a, w)), [X, W45], (0, None)),
    ("matmul_mat_vec", lambda T, m, v: (m @ v, T.mv(m, v), m.mv(v)), [M, V4], (0, None)),
    ("matmul_mat_mat", lambda T, m, n: (m @ n, T.mm(m, n), m.mm(n)), [M, N], 0),
    ("matmul_plain_left", lambda T, w, x: (w @ x, T.matmul(w, x)), [W24, X], (None, 0)),
    ("matmul_broadcast", lambda T, m, n3: (m @ n3, n3.transpose(-1, -2) @ m.t()),
     [M, RNG.standard_normal((B, 3, 4, 5))], 0),
    ("bmm_outer", lambda T, a, b: (T.bmm(a[None], b[None]), T.outer(a[0], b[:, 0]),
                                   T.outer(a[0], b[0, :2])), [M, N], 0),
    ("einsum", lambda T, m, n, v: (T.einsum("ij,jk->ik", m, n), T.einsum("ij,j", m, v),
                                   T.einsum("ij,jk", m, n), T.einsum("...j,j->...", m, v),
                                   T.einsum("i,i->", v, v + m[0])), [M, N, V4], (0, 0, None)),
    # an MLP and a loss composed from these
    ("mlp_cross_entropy", lambda T, x, y, w1, w2: -T.log_softmax(
        T.tanh(x @ w1) @ w2.t(), -1).gather(-1, y.unsqueeze(-1)).squeeze(-1),
     [X, IDX % 2, W45, RNG.standard_normal((2, 5))], (0, 0, None, None)),
    ("mse", lambda T, x, y, w: ((x @ w - y[:1].sum()) ** 2).mean(), [X, Y, W45], (0, 0, None)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_batching_rule_matches_torch(case):
    name, fn, args, in_dims = case

    def scenario(T: Any) -> Any:
        return strip(T, T.func.vmap(lambda *a: fn(T, *a), in_dims=in_dims)(*tensors(T, args)))
    path = run_both(scenario)
    assert path.fallback == 0, _batching.STATS["last_reason"]
    assert path.batched == 1


@pytest.mark.parametrize("case", CASES[::4], ids=[c[0] for c in CASES[::4]])
def test_batched_equals_per_example(case):
    """The per-example path gives the same results (it is the definition of vmap)."""
    name, fn, args, in_dims = case
    T = retrograd
    f = T.func.vmap(lambda *a: fn(T, *a), in_dims=in_dims)
    batched = f(*tensors(T, args))
    with per_example():
        ref = f(*tensors(T, args))
    flat_b, flat_r = retrograd.func._pytree.tree_flatten(batched)[0], \
        retrograd.func._pytree.tree_flatten(ref)[0]
    for a, b in zip(flat_b, flat_r):
        if isinstance(a, T.Tensor):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
        else:
            assert a == b


def test_vmap_of_an_op_function():
    """vmap(torch.dot): the op captured before the call still dispatches to its rule."""
    def scenario(T):
        return strip(T, [T.func.vmap(T.dot)(T.tensor(X), T.tensor(Y)),
                         T.func.vmap(T.sin)(T.tensor(X)),
                         T.func.vmap(T.nn.functional.relu)(T.tensor(X))])
    path = run_both(scenario)
    assert (path.batched, path.fallback) == (3, 0)


# ------------------------------------------------------------------------------- nesting


def test_nested_vmap():
    def scenario(T):
        vmap = T.func.vmap
        m, n, x = T.tensor(M), T.tensor(N), T.tensor(X)
        return strip(T, [
            vmap(vmap(lambda a: a.sin().sum()))(m),
            vmap(vmap(lambda a, b: a * b, in_dims=(None, 0)), in_dims=(0, None))(x, x),
            vmap(vmap(lambda a, b: a @ b, in_dims=(0, None)), in_dims=(0, 0))(m, n),
            vmap(vmap(lambda a, b: a @ b, in_dims=(None, 1)), in_dims=(0, None))(m, n[0]),
            vmap(lambda a: vmap(lambda r: r * a.sum())(a), in_dims=1)(m),    # closure, outer level
            vmap(vmap(lambda a: a, out_dims=1), out_dims=1)(m),
            vmap(vmap(lambda a, b: T.cat([a, b]), in_dims=(0, None)))(m, x),
            vmap(vmap(lambda a: a.max(0)))(n),
            vmap(lambda a: vmap(lambda i: a[i])(T.tensor([1, 0])))(m),
        ])
    path = run_both(scenario)
    assert path.fallback == 0, _batching.STATS["last_reason"]


def test_output_not_depending_on_the_batch_is_expanded():
    def scenario(T):
        vmap = T.func.vmap
        x = T.tensor(X)
        return strip(T, [vmap(lambda a: T.ones(2, dtype=T.float64))(x),
                         vmap(lambda a: (a.sum(), T.zeros(3)), out_dims=(0, 1))(x),
                         vmap(lambda a: T.zeros(2, dtype=T.float64), out_dims=None)(x),
                         vmap(vmap(lambda a, b: b, in_dims=(0, None)), in_dims=(0, None))(x, x)])
    path = run_both(scenario)
    assert path.fallback == 0, _batching.STATS["last_reason"]


def test_graph_through_a_batched_call():
    def scenario(T):
        x = T.tensor(X, requires_grad=True)
        w = T.tensor(W45, requires_grad=True)
        y = T.func.vmap(lambda r: (T.tanh(r @ w) ** 2).sum() * r[0])(x)
        y.sum().backward()
        gx, = T.autograd.grad((y ** 2).sum(), x, create_graph=True)
        return strip(T, [y, x.grad, w.grad, gx, T.autograd.grad(gx.sum(), w)[0]])
    path = run_both(scenario)
    assert (path.batched, path.fallback) == (1, 0)


# ------------------------------------------------------------------------------- transforms in vmap


def _mlp_loss(T, p, x, y):
    h = T.tanh(x @ p["w1"] + p["b1"])
    logits = h @ p["w2"] + p["b2"]
    return -T.log_softmax(logits, dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)


def _params(T):
    rng = np.random.default_rng(3)
    return {"w1": T.tensor(rng.standard_normal((4, 6))), "b1": T.tensor(rng.standard_normal(6)),
            "w2": T.tensor(rng.standard_normal((6, 3))), "b2": T.tensor(rng.standard_normal(3))}


def test_per_sample_gradients_are_batched():
    ys = np.array([0, 2, 1])

    def scenario(T):
        F = T.func
        p, x, y = _params(T), T.tensor(X), T.tensor(ys)
        loss = lambda p, x, y: _mlp_loss(T, p, x, y)  # noqa: E731
        per_sample = F.vmap(F.grad(loss), in_dims=(None, 0, 0))(p, x, y)
        gv = F.vmap(F.grad_and_value(loss, argnums=(0, 1)), in_dims=(None, 0, 0))(p, x, y)
        mean_grad = F.grad(lambda p: F.vmap(loss, in_dims=(None, 0, 0))(p, x, y).mean())(p)
        return strip(T, [per_sample, gv, mean_grad])
    path = run_both(scenario)
    assert (path.batched, path.fallback) == (3, 0), _batching.STATS["last_reason"]


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd", "hessian", "jvp", "vjp", "grad_grad",
                                       "closure_weights", "requires_grad_outer"])
def test_transforms_inside_vmap(transform):
    def scenario(T):
        F = T.func
        w = T.tensor(W45, requires_grad=transform == "requires_grad_outer")
        x = T.tensor(X)

        def f(a):
            return T.tanh(a @ w) * a.sum()

        if transform == "jacrev":
            out = F.vmap(F.jacrev(f))(x)
        elif transform == "jacfwd":
            out = F.vmap(F.jacfwd(f))(x)
        elif transform == "hessian":
            out = F.vmap(F.hessian(lambda a: f(a).sum()))(x)
        elif transform == "jvp":
            out = F.vmap(lambda a, t: F.jvp(f, (a,), (t,)))(x, x.cos())
        elif transform == "vjp":
            out = F.vmap(lambda a, c: F.vjp(f, a)[1](c))(x, T.tensor(C5))
        elif transform == "grad_grad":
            out = F.vmap(F.grad(lambda a: F.grad(lambda b: (f(b) ** 2).sum())(a).sum()))(x)
        elif transform == "closure_weights":   # the batched value enters through a closure
            out = F.vmap(lambda a: F.grad(lambda v: (T.tanh(a @ v) ** 2).sum())(w))(x)
        else:   # the result stays differentiable w.r.t. the user's tensor
            out = F.vmap(F.grad(lambda a: (f(a) ** 2).sum()))(x)
            out = [out, T.autograd.grad(out.sum(), w)[0]]
        return strip(T, out)
    path = run_both(scenario)
    assert path.fallback == 0, _batching.STATS["last_reason"]


@pytest.mark.parametrize("nesting", ["vmap_vmap_grad", "vmap_grad_vmap", "jacrev_vmap",
                                     "hessian_vmap", "grad_vmap_grad", "vmap_jacrev_vmap"])
def test_nested_transforms(nesting):
    def scenario(T):
        F = T.func
        w = T.tensor(W45)
        m = T.tensor(M)

        def f(a):
            return (T.tanh(a @ w) ** 2).sum()

        if nesting == "vmap_vmap_grad":
            out = F.vmap(F.vmap(F.grad(f)))(m)
        elif nesting == "vmap_grad_vmap":
            out = F.vmap(F.grad(lambda r: F.vmap(f)(r).sum()))(m)
        elif nesting == "jacrev_vmap":
            out = F.jacrev(F.vmap(f))(m[0])
        elif nesting == "hessian_vmap":
            out = F.hessian(lambda r: F.vmap(f)(r).sum())(m[0])
        elif nesting == "grad_vmap_grad":   # differentiate per-sample gradients w.r.t. weights
            out = F.grad(lambda v: F.vmap(F.grad(lambda a, v: (T.tanh(a @ v) ** 2).sum()),
                                          in_dims=(0, None))(m[0], v).pow(2).sum())(w)
        else:
            out = F.vmap(F.jacrev(F.vmap(lambda r: T.sin(r) * r.sum())))(m)
        return strip(T, out)
    path = run_both(scenario)
    assert path.fallback == 0, _batching.STATS["last_reason"]
    assert path.batched > 0


def test_vjp_fn_with_batched_cotangents_runs_per_example():
    """vmap(vjp_fn): the graph was recorded outside the batched call; that takes the per-example
    path (correctly), as does autograd.grad on batched tensors."""
    def scenario(T):
        x = T.tensor(X[0])
        out, vjp_fn = T.func.vjp(lambda a: T.tanh(a) * 2, x)
        jac = T.func.vmap(vjp_fn)(T.eye(4, dtype=T.float64))
        return strip(T, jac)
    path = run_both(scenario)
    assert path.batched == 0 and path.fallback == 1


# ------------------------------------------------------------------------------- the fallback


M33 = RNG.standard_normal((B, 3, 3))
C5 = RNG.standard_normal((B, 5))


def test_fallback_for_ops_without_rules():
    def scenario(T):
        m = T.tensor(M33)
        return strip(T, [T.func.vmap(T.linalg.det)(m),
                         T.func.vmap(lambda a: T.linalg.inv(a).sum(0) + a.sin()[0])(m)])
    path = run_both(scenario)
    assert path.fallback == 2 and path.batched == 0


def test_fallback_does_not_repeat_random_draws():
    T = retrograd
    x = T.tensor(X)

    def f(a):
        noise = T.rand(4)           # drawn in the batched attempt, which is then abandoned
        return T.linalg.det(T.outer(a, a) + T.eye(4)) + noise.sum() * 0 + noise[0]
    T.manual_seed(5)
    out = T.func.vmap(f, randomness="same")(x)
    T.manual_seed(5)
    with per_example():
        ref = T.func.vmap(f, randomness="same")(x)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    after = T.rand(3)
    T.manual_seed(5)
    T.rand(4)
    np.testing.assert_array_equal(after.numpy(), T.rand(3).numpy())


def test_randomness_modes_batched():
    T = retrograd
    x = T.zeros(4, 3)
    with Path() as p:
        same = T.func.vmap(lambda a: a + T.rand(3), randomness="same")(x)
    assert (p.batched, p.fallback) == (1, 0)
    assert bool((same == same[0]).all())
    with Path() as p:
        diff = T.func.vmap(lambda a: a + T.rand(3), randomness="different")(x)
    assert (p.batched, p.fallback) == (0, 1)
    assert not bool((diff == diff[0]).all())
    with pytest.raises(RuntimeError, match="randomness error mode"):
        T.func.vmap(lambda a: a + T.rand(3))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        T.func.vmap(lambda a: a + T.rand_like(a))(x)


def test_no_side_effect_on_tensors_before_falling_back():
    """An in-place op on a batched value falls back before writing; the per-example run then
    modifies the input, as torch's vmap does."""
    def scenario(T):
        x = T.tensor(X)
        acc = T.zeros(4, dtype=T.float64)

        def f(a):
            b = a * 2
            b.add_(1.0)
            return b
        out = T.func.vmap(f)(x)

        def g(a):
            a.mul_(3.0)
            return a.sum()
        s = T.func.vmap(g)(x)
        return strip(T, [out, s, x, acc])
    path = run_both(scenario)
    assert path.fallback == 2


def test_user_exception_handlers_do_not_see_the_signal():
    """NoRule is a BaseException: `except Exception` in user code cannot change the path."""
    T = retrograd

    def f(a):
        try:
            d = T.linalg.det(T.outer(a, a))
        except Exception:  # noqa: BLE001
            d = T.tensor(-1.0, dtype=T.float64)
        return d + a.sum()
    with Path() as p:
        out = T.func.vmap(f)(T.tensor(X))
    assert p.fallback == 1
    ref = torch.func.vmap(lambda a: torch.linalg.det(torch.outer(a, a)) + a.sum())(torch.tensor(X))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-12)


def test_data_dependent_python_runs_per_example():
    T = retrograd
    with Path() as p:
        out = T.func.vmap(lambda a: a * 2 if a.sum() > 0 else a - 1)(T.tensor(X))
    assert p.fallback == 1
    exp = np.stack([r * 2 if r.sum() > 0 else r - 1 for r in X])
    np.testing.assert_allclose(out.numpy(), exp)


def test_errors_inside_a_batched_call_are_the_per_example_errors():
    """A rule's own error would speak of physical shapes: the per-example run raises instead
    (torch's batched rules have messages of their own, which are not reproduced)."""
    T = retrograd
    f = T.func.vmap(lambda a: a @ T.ones(3, dtype=T.float64))
    with per_example():
        with pytest.raises(RuntimeError) as ref:
            f(T.tensor(X))
    with Path() as p:
        with pytest.raises(RuntimeError) as err:
            f(T.tensor(X))
    assert str(err.value) == str(ref.value) and p.fallback == 1
    with pytest.raises(RuntimeError):
        torch.func.vmap(lambda a: a @ torch.ones(3, dtype=torch.float64))(torch.tensor(X))


def test_batch_of_size_zero():
    def scenario(T):
        x = T.zeros(0, 4, dtype=T.float64)
        return strip(T, [T.func.vmap(lambda a: (a * 2).sum())(x),
                         T.func.vmap(lambda a, w: a @ w, in_dims=(0, None))(x, T.tensor(W45))])
    path = run_both(scenario)
    assert path.batched == 2


def test_warnings_of_an_abandoned_attempt_are_dropped():
    import warnings
    T = retrograd

    def f(a):
        warnings.warn("from f")
        return T.linalg.det(T.outer(a, a) + T.eye(4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        T.func.vmap(f)(T.tensor(X))
    assert [str(w.message) for w in caught] == ["from f"] * B

    def g(a):
        warnings.warn("from g")
        return a * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        T.func.vmap(g)(T.tensor(X))
    assert [str(w.message) for w in caught] == ["from g"]


def test_batched_tensor_repr_inside_vmap():
    def scenario(T):
        seen = []

        def f(a):
            seen.append(repr(a))
            seen.append(isinstance(a, T.Tensor))
            seen.append((a.shape, a.dim(), a.dtype, a.requires_grad, a.is_leaf))
            return a
        T.func.vmap(f)(T.tensor(X[:2, :3]))
        return seen
    run_both(scenario)


# ------------------------------------------------------------------------------- batched path


def _per_sample_setup(T, batch=64, d_in=32, hidden=64, classes=10, on_call=lambda: None):
    """vmap(grad(loss)) of a 2-layer MLP and its inputs; ``on_call()`` runs each time the loss
    function itself is called."""
    rng = np.random.default_rng(0)
    p = {"w1": T.tensor(rng.standard_normal((d_in, hidden)) * 0.1),
         "b1": T.tensor(np.zeros(hidden)),
         "w2": T.tensor(rng.standard_normal((hidden, classes)) * 0.1),
         "b2": T.tensor(np.zeros(classes))}
    x = T.tensor(rng.standard_normal((batch, d_in)))
    y = T.tensor(rng.integers(0, classes, batch))

    def loss(p, x, y):
        on_call()
        return _mlp_loss(T, p, x, y)
    f = T.func.vmap(T.func.grad(loss), in_dims=(None, 0, 0))
    return f, p, x, y


def test_per_sample_gradients_take_the_batched_path():
    """Per-sample gradients of a 2-layer MLP over a batch of 64: the batched path runs the
    function once, on the whole batch (one batched run, no fallback to the per-example loop),
    where the loop runs it 64 times; both give the same gradients, and torch's. (How much faster
    the batched path is, benchmarks/bench_vmap.py measures; a timing is not asserted here, since
    it depends on the machine and its load.)"""
    calls = []
    f, p, x, y = _per_sample_setup(retrograd, on_call=lambda: calls.append(1))
    with Path() as path:
        g_batched = f(p, x, y)
    assert (path.batched, path.fallback, len(calls)) == (1, 0, 1), _batching.STATS["last_reason"]
    calls.clear()
    with per_example(), Path() as path:
        g_loop = f(p, x, y)
    assert (path.batched, path.fallback, len(calls)) == (0, 0, 64)
    for k in g_batched:
        np.testing.assert_allclose(g_batched[k].numpy(), g_loop[k].numpy(), rtol=1e-10, atol=1e-12)
    ft, pt, xt, yt = _per_sample_setup(torch)
    ref = ft(pt, xt, yt)
    for k in ref:
        np.testing.assert_allclose(g_batched[k].numpy(), ref[k].numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------- is_grads_batched

GO = RNG.standard_normal((5, 3))


@pytest.mark.parametrize("case", [
    "basic", "identity_jacobian", "two_inputs", "two_outputs", "scalar_output_batched_go",
    "create_graph", "unused", "unused_allowed", "materialize", "retain_graph_default",
    "retain_graph_true", "shape_mismatch", "shape_mismatch_second", "batch_sizes", "scalar_none",
    "zero_dim_go", "none_for_non_differentiable", "not_a_tensor", "dtype_cast", "empty_batch",
    "go_requires_grad",
])
def test_autograd_grad_is_grads_batched(case):
    def scenario(T):
        x = T.tensor(X[0, :3], requires_grad=True)
        w = T.tensor(Y[0, :3], requires_grad=True)
        go = T.tensor(GO)
        grad = T.autograd.grad
        y = T.tanh(x) * w
        if case == "basic":
            return grad(y, x, go, is_grads_batched=True)
        if case == "identity_jacobian":
            return grad(y, x, T.eye(3, dtype=T.float64), is_grads_batched=True)
        if case == "two_inputs":
            return grad(y, [x, w], go, is_grads_batched=True)
        if case == "two_outputs":
            return grad([y, (x ** 2).sum()], [x, w], [go, go[:, 0]], is_grads_batched=True)
        if case == "scalar_output_batched_go":
            return grad(y.sum(), x, go[:, 0], is_grads_batched=True)
        if case == "create_graph":
            g, = grad(y, x, go, is_grads_batched=True, create_graph=True)
            return g, grad(g.sum(), [x, w])
        if case == "unused":
            return grad(x * 2, [x, w], go, is_grads_batched=True)
        if case == "unused_allowed":
            return grad(x * 2, [x, w], go, is_grads_batched=True, allow_unused=True)
        if case == "materialize":
            return grad(x * 2, [x, w], go, is_grads_batched=True, materialize_grads=True)
        if case == "retain_graph_default":
            grad(y, x, go, is_grads_batched=True)
            return grad(y, x, go, is_grads_batched=True)
        if case == "retain_graph_true":
            grad(y, x, go, is_grads_batched=True, retain_graph=True)
            return grad(y, x, go[:2], is_grads_batched=True)
        if case == "shape_mismatch":
            return grad(y, x, T.ones(2, 2, dtype=T.float64), is_grads_batched=True)
        if case == "shape_mismatch_second":
            return grad([y, y], x, [go, T.ones(5, 2, dtype=T.float64)], is_grads_batched=True)
        if case == "batch_sizes":
            return grad([y, y * 2], x, [go, go[:2]], is_grads_batched=True)
        if case == "scalar_none":
            return grad(y.sum(), x, None, is_grads_batched=True)
        if case == "zero_dim_go":
            return grad(y.sum(), x, T.tensor(1.0, dtype=T.float64), is_grads_batched=True)
        if case == "none_for_non_differentiable":
            return grad([y, T.ones(3)], x, [go, None], is_grads_batched=True)
        if case == "not_a_tensor":
            return grad(y, x, [3.0], is_grads_batched=True)
        if case == "dtype_cast":
            return grad(y, x, go.float(), is_grads_batched=True)
        if case == "empty_batch":
            return grad(y, x, go[:0], is_grads_batched=True)
        if case == "go_requires_grad":
            v = go.clone().requires_grad_()
            g, = grad(y, x, v, is_grads_batched=True, create_graph=True)
            return g, grad((g ** 2).sum(), v)
        raise AssertionError(case)
    both(lambda T: strip(T, scenario(T)))


# ------------------------------------------------------------------------------- properties

from hypothesis import given, settings, strategies as st  # noqa: E402

from _examples import examples  # noqa: E402

BINARY = {
    "add": lambda T, a, b: a + b,
    "mul": lambda T, a, b: T.mul(a, b),
    "maximum": lambda T, a, b: T.maximum(a, b),
    "where": lambda T, a, b: T.where(a > b, a, b * 2),
    "atan2": lambda T, a, b: T.atan2(a, b),
}
AFTER = {
    "none": lambda T, y, d: y,
    "sum": lambda T, y, d: y.sum(d) if y.dim() else y.sum(),
    "mean_keepdim": lambda T, y, d: y.mean(d, keepdim=True) if y.dim() else y.mean(),
    "amax": lambda T, y, d: y.amax(d) if y.dim() else y.amax(),
    "softmax": lambda T, y, d: T.softmax(y, d) if y.dim() else y.exp(),
    "flatten": lambda T, y, d: y.flatten(),
    "unsqueeze_cat": lambda T, y, d: T.cat([y.unsqueeze(0), y.unsqueeze(0) * 2]),
    "transpose": lambda T, y, d: y.transpose(0, -1) if y.dim() else y,
    "index": lambda T, y, d: y[..., :1] if y.dim() else y,
}


@st.composite
def vmap_cases(draw):
    batch = draw(st.integers(1, 3))
    shape_a = tuple(draw(st.lists(st.integers(1, 3), max_size=3)))
    k = draw(st.integers(0, len(shape_a)))
    shape_b = tuple(s if draw(st.booleans()) else 1 for s in shape_a[len(shape_a) - k:])
    if draw(st.booleans()):
        shape_a, shape_b = shape_b, shape_a
    dim_a = draw(st.one_of(st.none(), st.integers(0, len(shape_a))))
    dim_b = draw(st.integers(0, len(shape_b))) if dim_a is None else \
        draw(st.one_of(st.none(), st.integers(0, len(shape_b))))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)

    def make(shape, d):
        full = shape if d is None else shape[:d] + (batch,) + shape[d:]
        return rng.standard_normal(full)
    return (make(shape_a, dim_a), make(shape_b, dim_b), (dim_a, dim_b),
            draw(st.sampled_from(sorted(BINARY))), draw(st.sampled_from(sorted(AFTER))),
            draw(st.integers(-1, 0)), draw(st.sampled_from([0, -1])))


@settings(max_examples=examples(60), deadline=None)
@given(vmap_cases())
def test_random_broadcasting_compositions_match_torch(case):
    a, b, in_dims, binary, after, d, out_dim = case

    def scenario(T):
        f = lambda x, y: AFTER[after](T, BINARY[binary](T, x, y), d)  # noqa: E731
        return strip(T, T.func.vmap(f, in_dims=in_dims, out_dims=out_dim)(T.tensor(a),
                                                                         T.tensor(b)))
    path = run_both(scenario)
    assert (path.batched, path.fallback) == (1, 0), _batching.STATS["last_reason"]


UNARY_DIM = {   # op(T, x, d, e) with d, e dims valid for x (x.dim() >= 1)
    "sum": lambda T, x, d, e: x.sum(d),
    "sum_tuple_keepdim": lambda T, x, d, e: x.sum((d, e) if d % x.dim() != e % x.dim() else d,
                                                  keepdim=True),
    "mean": lambda T, x, d, e: T.mean(x, dim=d),
    "amax": lambda T, x, d, e: x.amax(e, keepdim=True),
    "max_dim": lambda T, x, d, e: x.max(d),
    "argmin": lambda T, x, d, e: x.argmin(d),
    "std": lambda T, x, d, e: x.std(d) if x.shape[d] > 1 else x.sum(d),
    "logsumexp": lambda T, x, d, e: T.logsumexp(x, d),
    "cumsum": lambda T, x, d, e: x.cumsum(e),
    "softmax": lambda T, x, d, e: T.log_softmax(x, d),
    "flip": lambda T, x, d, e: x.flip(d),
    "transpose": lambda T, x, d, e: x.transpose(d, e),
    "movedim": lambda T, x, d, e: T.movedim(x, d, e),
    "unsqueeze": lambda T, x, d, e: x.unsqueeze(d).unsqueeze(-1),
    "squeeze": lambda T, x, d, e: x.sum(d, keepdim=True).squeeze(d).squeeze(),
    "narrow": lambda T, x, d, e: x.narrow(d, 0, 1),
    "unbind": lambda T, x, d, e: x.unbind(d),
    "reshape": lambda T, x, d, e: x.reshape(-1).reshape(x.shape[::-1]),
    "flatten": lambda T, x, d, e: x.flatten(min(d % x.dim(), e % x.dim()),
                                            max(d % x.dim(), e % x.dim())),
    "expand": lambda T, x, d, e: x.unsqueeze(d).expand(*([-1] * (d % (x.dim() + 1))), 2,
                                                       *([-1] * (x.dim() - d % (x.dim() + 1)))),
    "repeat": lambda T, x, d, e: x.repeat(*([2] + [1] * x.dim())),
    "permute": lambda T, x, d, e: x.permute(*reversed(range(x.dim()))),
    "getitem": lambda T, x, d, e: x[(slice(None),) * (d % x.dim()) + (0,)][..., None],
    "getitem_slices": lambda T, x, d, e: x[::-1 if False else 2, ..., :1] if x.dim() > 1 else x[1:],
    "chunk_cat": lambda T, x, d, e: T.cat(x.chunk(2, d)[::-1], d),
    "stack": lambda T, x, d, e: T.stack([x, x * 2], e),
}


@st.composite
def unary_cases(draw):
    batch = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    in_dim = draw(st.integers(0, len(shape)))
    full = shape[:in_dim] + (batch,) + shape[in_dim:]
    x = np.random.default_rng(draw(st.integers(0, 2 ** 16))).standard_normal(full)
    d = draw(st.integers(-len(shape), len(shape) - 1))
    e = draw(st.integers(-len(shape), len(shape) - 1))
    return x, in_dim, draw(st.sampled_from(sorted(UNARY_DIM))), d, e


@settings(max_examples=examples(80), deadline=None)
@given(unary_cases())
def test_random_dim_ops_match_torch(case):
    x, in_dim, name, d, e = case

    def scenario(T):
        return strip(T, T.func.vmap(lambda a: UNARY_DIM[name](T, a, d, e), in_dims=in_dim)(
            T.tensor(x)))
    path = run_both(scenario)
    assert (path.batched, path.fallback) == (1, 0), _batching.STATS["last_reason"]


@pytest.mark.parametrize("case", ["jacobian_recipe", "retained", "nested", "unused_none"])
def test_vmap_of_autograd_grad_with_batched_cotangents(case):
    """PyTorch's Jacobian recipe: vmap over autograd.grad of a graph recorded outside vmap, the
    cotangents batched (one batch of VJPs; the graph is freed once, after the last)."""
    def scenario(T: Any) -> Any:
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        z = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        if case == "jacobian_recipe":
            y = x ** 2
            return T.vmap(lambda v: T.autograd.grad(y, x, v))(T.eye(3))
        w = (z * z).sum(1) * T.tensor([1.0, 2.0])
        if case == "retained":
            first = T.vmap(lambda v: T.autograd.grad(w, z, v, retain_graph=True))(T.eye(2))
            return [first, T.autograd.grad(w.sum(), z)]
        if case == "nested":
            inner = T.vmap(lambda v: T.autograd.grad(w, z, v, retain_graph=True))
            return T.vmap(inner)(T.eye(2).expand(3, 2, 2))
        return T.vmap(lambda v: T.autograd.grad(w, (z, x), v, allow_unused=True))(T.eye(2))
    both(scenario)


_WRITES = {
    "add_": lambda T, u, x: u.clone().add_(x), "sub_": lambda T, u, x: u.clone().sub_(x),
    "mul_": lambda T, u, x: u.clone().mul_(x), "div_": lambda T, u, x: u.clone().div_(x),
    "pow_": lambda T, u, x: u.clone().pow_(x), "copy_": lambda T, u, x: u.clone().copy_(x),
    "iadd": lambda T, u, x: u.clone().__iadd__(x), "imul": lambda T, u, x: u.clone().__imul__(x),
    "clamp_": lambda T, u, x: u.clone().clamp_(min=x),
    "masked_fill_": lambda T, u, x: u.clone().masked_fill_(x > 0, 1.0),
    "atan2_": lambda T, u, x: u.clone().atan2_(x), "lerp_": lambda T, u, x: u.clone().lerp_(x, 0.5),
    "batched_self": lambda T, u, x: x.clone().mul_(u),
}


@pytest.mark.parametrize("case", sorted(_WRITES))
def test_inplace_write_of_a_batched_value_into_an_unbatched_tensor(case):
    """PyTorch's vmap refuses it (with one of three messages, by op); a batched self is fine."""
    def scenario(T):
        u = T.ones(3, 1)
        x = T.tensor([[[1.0], [2.0], [3.0]]] * 5)
        return T.vmap(lambda v: _WRITES[case](T, u, v))(x)
    # (values and errors: torch also warns that its fallback for pow_/clamp_/lerp_ is slow,
    # a message about its own missing batching rules that retrograd does not repeat)
    ours, ref = run(scenario, retrograd), run(scenario, torch)
    assert ours.error == ref.error
    assert_same(ours.value, ref.value)


def test_output_keeps_the_ops_grad_fn_when_the_batch_dim_is_in_place():
    def scenario(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]], requires_grad=True)
        outs = [T.vmap(lambda a: a.var(None))(x), T.vmap(lambda a: a.std())(x),
                T.vmap(lambda a: a * 2)(x), T.vmap(lambda a: a.sum(), out_dims=0)(x)]
        # (in_dims=1, out_dims=1 differs: torch's batched tensor keeps its batch dim where it is,
        # retrograd's moves it to the front and back, recording two permutes)
        return [(o, o.grad_fn.name()) for o in outs]
    both(scenario)
