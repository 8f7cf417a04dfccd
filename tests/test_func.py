"""retrograd.func (torch.func): grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd,
hessian, vmap, functional_call, compared with torch 2.13's torch.func scenario by scenario
(tests/_both.py: values, dtypes, shapes, structure of returned containers, exception types and
messages, warnings). Results are compared with ``requires_grad`` but without ``grad_fn`` names:
which node ends a transform's result is an implementation detail of either library.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from _both import both
from op_db import OP_DB, OpInfo

# torch's first forward-AD use loads its JVP decompositions, which warns (torch.jit.script is
# deprecated) once per process: done here, so that scenarios compare only their own warnings.
torch.func.jvp(torch.sin, (torch.zeros(1),), (torch.zeros(1),))

RNG = np.random.default_rng(1234)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((4, 2))
V3 = np.array([0.5, -1.0, 2.0])
V2 = np.array([1.0, 2.0])


def strip(T: Any, tree: Any) -> Any:
    """Every tensor as (values, requires_grad); containers kept (their types are compared)."""
    if isinstance(tree, T.Tensor):
        return (tree.detach(), tree.requires_grad)
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return (type(tree).__name__, tuple(strip(T, v) for v in tree))
    if isinstance(tree, (tuple, list)):
        return type(tree)(strip(T, v) for v in tree)
    if isinstance(tree, dict):
        return {k: strip(T, v) for k, v in tree.items()}
    return tree


def t(T: Any, a: Any, requires_grad: bool = False) -> Any:
    return T.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------------------- grad


@pytest.mark.parametrize("argnums", [0, 1, -1, (0, 1), (1,)])
def test_grad_argnums(argnums: Any):
    def scenario(T: Any) -> Any:
        f = lambda x, y: (x.sin() * y).sum() + (x * x).sum()  # noqa: E731
        return strip(T, T.func.grad(f, argnums=argnums)(t(T, V3), t(T, V3[::-1].copy())))
    both(scenario)


def test_grad_and_value_with_aux_and_kwargs():
    def scenario(T: Any) -> Any:
        def f(x, scale=1.0, *, shift):
            y = (x * scale + shift).exp()
            return y.sum(), {"y": y, "pair": (x.cos(), y.max())}
        gv = T.func.grad_and_value(f, has_aux=True)
        return strip(T, [gv(t(T, V3), 2.0, shift=0.5), T.func.grad(f, has_aux=True)(t(T, V3), shift=1.0)])
    both(scenario)


def test_grad_of_pytree_inputs():
    def scenario(T: Any) -> Any:
        def loss(params, x):
            h = (x @ params["w"] + params["b"]).tanh()
            return (h ** 2).mean() + params["extra"][0].sum() * 0.1
        params = {"w": t(T, B), "b": t(T, V2), "extra": [t(T, V3)]}
        return strip(T, T.func.grad(loss)(params, t(T, A)))
    both(scenario)


@pytest.mark.parametrize("case", ["plain", "input_requires_grad", "closure_requires_grad",
                                  "outer_no_grad", "independent", "inner_no_grad"])
def test_grad_requires_grad_and_no_grad_semantics(case: str):
    def scenario(T: Any) -> Any:
        x = t(T, V3, requires_grad=case == "input_requires_grad")
        w = t(T, [3.0, 4.0, -1.0], requires_grad=case == "closure_requires_grad")

        def f(x):
            if case == "independent":
                return w.sum()
            if case == "inner_no_grad":
                with T.no_grad():
                    c = x ** 2
                return (x * c).sum() + (x * x).sum()
            return (x * x * w).sum()
        if case == "outer_no_grad":
            with T.no_grad():
                g = T.func.grad(f)(x)
        else:
            g = T.func.grad(f)(x)
        res = [strip(T, g)]
        if g.requires_grad:  # differentiable, and correctly so
            src = x if case == "input_requires_grad" else w
            res.append(T.autograd.grad(g.sum(), src)[0])
        return res
    both(scenario)


@pytest.mark.parametrize("case", [
    "non_scalar", "not_a_tensor", "aux_not_a_pair", "aux_not_tensors", "int_input",
    "float_input", "argnum_out_of_range", "argnums_empty", "argnums_duplicate", "argnums_type",
    "argnum_type", "inplace_on_input",
])
def test_grad_errors(case: str):
    def scenario(T: Any) -> Any:
        x = t(T, V3)
        g = T.func.grad
        if case == "non_scalar":
            return g(lambda x: x * x)(x)
        if case == "not_a_tensor":
            return g(lambda x: 1.0)(x)
        if case == "aux_not_a_pair":
            return g(lambda x: x.sum(), has_aux=True)(x)
        if case == "aux_not_tensors":
            return g(lambda x: (x.sum(), 1), has_aux=True)(x)
        if case == "int_input":
            return g(lambda x: x.sum())(T.tensor([1, 2]))
        if case == "float_input":
            return g(lambda x: x.sum())(1.0)
        if case == "argnum_out_of_range":
            return g(lambda x: x.sum(), argnums=2)(x)
        if case == "argnums_empty":
            return g(lambda x: x.sum(), argnums=())(x)
        if case == "argnums_duplicate":
            return g(lambda x, y: x.sum(), argnums=(0, 0))(x, x)
        if case == "argnums_type":
            return g(lambda x: x.sum(), argnums=[0])(x)
        if case == "argnum_type":
            return g(lambda x: x.sum(), argnums=(0.0,))(x)
        if case == "inplace_on_input":
            return g(lambda x: x.add_(1).sum())(x.clone())
        raise AssertionError(case)
    assert both(scenario).error is not None


def test_grad_of_grad_and_nesting_without_perturbation_confusion():
    def scenario(T: Any) -> Any:
        G = T.func.grad
        x = t(T, 1.5)
        d3 = G(G(G(lambda x: x ** 4 + x.sin())))(x)
        # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x : the inner derivative must not see the outer x
        mixed = G(lambda x: x * G(lambda y: x * y)(x))(x)
        return strip(T, [d3, mixed])
    both(scenario)


# ------------------------------------------------------------------------------- vjp


def test_vjp_outputs_and_cotangents():
    def scenario(T: Any) -> Any:
        x, y = t(T, A), t(T, B)
        out, fn = T.func.vjp(T.matmul, x, y)
        ct = t(T, np.arange(6.0).reshape(3, 2))
        first = fn(ct)
        second = fn(ct * 2)  # vjp_fn can be called again
        out2, fn2 = T.func.vjp(lambda x: {"s": x.sin(), "pair": (x.cos(), x.sum())}, t(T, V3))
        v = fn2({"s": T.ones(3, dtype=T.float64), "pair": (t(T, V3), t(T, 2.0))})
        return strip(T, [out, first, second, out2, v])
    both(scenario)


def test_vjp_has_aux_and_requires_grad():
    def scenario(T: Any) -> Any:
        w = t(T, V3, requires_grad=True)
        out, fn, aux = T.func.vjp(lambda x: (x * w, {"a": x.exp()}), t(T, V3), has_aux=True)
        g = fn(t(T, [1.0, 0.0, 2.0]))
        ct = t(T, [1.0, 1.0, 1.0], requires_grad=True)
        g2 = fn(ct)
        with T.no_grad():
            g3 = fn(ct)
        return strip(T, [out, aux, g, g2, g3, fn(ct, create_graph=False)])
    both(scenario)


@pytest.mark.parametrize("case", ["structure", "int_output", "not_tensors", "empty", "shape",
                                  "aux_not_a_pair"])
def test_vjp_errors(case: str):
    def scenario(T: Any) -> Any:
        x = t(T, V3)
        if case == "structure":
            _, fn = T.func.vjp(lambda x: (x, x * 2), x)
            return fn(T.ones(3))
        if case == "int_output":
            return T.func.vjp(lambda x: x.argmax(), x)
        if case == "not_tensors":
            return T.func.vjp(lambda x: (x, 1.0), x)
        if case == "empty":
            return T.func.vjp(lambda x: (), x)
        if case == "shape":
            _, fn = T.func.vjp(lambda x: x * 2, x)
            return fn(T.ones(2, dtype=T.float64))
        if case == "aux_not_a_pair":
            return T.func.vjp(lambda x: x, x, has_aux=True)
        raise AssertionError(case)
    assert both(scenario).error is not None


# ------------------------------------------------------------------------------- jvp


def test_jvp_values_structure_and_aux():
    def scenario(T: Any) -> Any:
        x, y = t(T, A), t(T, B)
        tx, ty = t(T, A[::-1].copy()), t(T, B * 2)
        r1 = T.func.jvp(T.matmul, (x, y), (tx, ty))
        r2 = T.func.jvp(lambda x: {"a": x.exp(), "b": [x.sum(), x.max()]}, (t(T, V3),), (t(T, V3[::-1].copy()),))
        r3 = T.func.jvp(lambda x: (x.sin(), {"aux": x * 2}), (t(T, V3),), (T.ones(3, dtype=T.float64),),
                        has_aux=True)
        r4 = T.func.jvp(lambda x: T.zeros(2, dtype=T.float64) + 1, (t(T, V3),), (t(T, V3),))  # independent: zeros
        return strip(T, [r1, r2, r3, r4])
    both(scenario)


@pytest.mark.parametrize("case", ["plain", "primal_requires_grad", "tangent_requires_grad",
                                  "closure_requires_grad"])
def test_jvp_requires_grad(case: str):
    def scenario(T: Any) -> Any:
        x = t(T, V3, requires_grad=case == "primal_requires_grad")
        v = t(T, [1.0, 0.5, -1.0], requires_grad=case == "tangent_requires_grad")
        w = t(T, [2.0, 1.0, 0.0], requires_grad=case == "closure_requires_grad")
        out, tan = T.func.jvp(lambda x: (x * x * w).exp(), (x,), (v,))
        res = [strip(T, (out, tan))]
        if tan.requires_grad:
            src = {"primal_requires_grad": x, "tangent_requires_grad": v,
                   "closure_requires_grad": w}[case]
            res.append(T.autograd.grad(tan.sum(), src)[0])
        return res
    both(scenario)


@pytest.mark.parametrize("case", ["not_tuple", "structure", "empty", "not_tensors", "strict",
                                  "shape", "int_primal", "aux_not_a_pair", "output_not_tensor"])
def test_jvp_errors(case: str):
    def scenario(T: Any) -> Any:
        x = t(T, V3)
        jvp = T.func.jvp
        if case == "not_tuple":
            return jvp(lambda x: x, x, (x,))
        if case == "structure":
            return jvp(lambda x, y: x, (x, x), (x,))
        if case == "empty":
            return jvp(lambda: T.ones(1), (), ())
        if case == "not_tensors":
            return jvp(lambda x: x, (1.0,), (1.0,))
        if case == "strict":
            return jvp(lambda x: T.ones(3), (x,), (x,), strict=True)
        if case == "shape":
            return jvp(lambda x: x, (x,), (T.ones(2, dtype=T.float64),))
        if case == "int_primal":
            return jvp(lambda x: x, (T.tensor([1, 2]),), (T.ones(2),))
        if case == "aux_not_a_pair":
            return jvp(lambda x: x, (x,), (x,), has_aux=True)
        if case == "output_not_tensor":
            return jvp(lambda x: 1.0, (x,), (x,))
        raise AssertionError(case)
    assert both(scenario).error is not None


def test_jvp_strict_passes_for_dependent_outputs():
    def scenario(T: Any) -> Any:
        return strip(T, T.func.jvp(lambda x: (x * 3, x.sum()), (t(T, V3),), (t(T, V3),), strict=True))
    both(scenario)


JVP_ROWS = [r for r in OP_DB if r.numeric]


@pytest.mark.parametrize("row", JVP_ROWS, ids=[r.name for r in JVP_ROWS])
def test_jvp_of_every_op(row: OpInfo):
    """func.jvp (graph-based: whole-function double-vjp) of each op-table row, float64, against
    torch.func.jvp on the same inputs and tangents; where torch has no forward formula, or its
    formula disagrees with finite differences, against finite differences."""
    arrays = row.inputs()
    rng = np.random.default_rng([row.seed, 11])
    tangents = [rng.standard_normal(a.shape) for a in arrays]

    def f_of(T: Any):
        def f(*xs):
            outs = row.fn(T, *xs)
            outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
            return tuple(o for o in outs if o.dtype in (T.float32, T.float64))
        return f

    def run(T: Any):
        return T.func.jvp(f_of(T), tuple(T.tensor(a) for a in arrays), tuple(T.tensor(v) for v in tangents))

    def finite_differences(ours):
        eps = 1e-6
        f = f_of(retrograd)
        plus = f(*[retrograd.tensor(a + eps * v, requires_grad=True) for a, v in zip(arrays, tangents)])
        minus = f(*[retrograd.tensor(a - eps * v, requires_grad=True) for a, v in zip(arrays, tangents)])
        for o, p, m in zip(ours[1], plus, minus):
            np.testing.assert_allclose(o.numpy(), (p.detach().numpy() - m.detach().numpy()) / (2 * eps),
                                       rtol=1e-4, atol=1e-5)

    try:
        ref = run(torch)
    except (RuntimeError, NotImplementedError) as err:
        # torch has no forward formula for the op (cdist, ...), or the row calls autograd.grad
        # on its input (index_backward): inside torch.func.jvp the input does not require grad,
        # inside retrograd's (a graph-based jvp) it does, so ours computes the forward-over-
        # reverse product (rows that make their input require grad first meet torch's
        # "requires_grad_() ... inside of a function being transformed" instead). Either way
        # ours is checked against finite differences instead.
        assert "does not require grad" in str(err) or "forward AD" in str(err) or \
            "inside of a function being transformed" in str(err)
        if retrograd.__name__ == "torch":
            pytest.skip("retrograd is the torch shim")
        finite_differences(run(retrograd))
        return
    ours = run(retrograd)
    for o, r in zip(ours[0] + ours[1], ref[0] + ref[1]):
        assert tuple(o.shape) == tuple(r.shape) and str(o.dtype) == str(r.dtype)
        assert not o.requires_grad and not r.requires_grad
    np.testing.assert_allclose(np.concatenate([o.numpy().ravel() for o in ours[0]]),
                               np.concatenate([r.numpy().ravel() for r in ref[0]]), rtol=1e-12, atol=1e-12)
    fd_ok = True
    for i, (o, r) in enumerate(zip(ours[1], ref[1])):
        if not np.allclose(o.numpy(), r.numpy(), rtol=1e-7, atol=1e-9):
            fd_ok = False
    if not fd_ok:  # only where torch's own forward formula is off (see test_forward_ad.py)
        finite_differences(ours)


# ------------------------------------------------------------------------------- linearize


def test_linearize():
    """Values only: torch's linearize traces with make_fx, which warns; retrograd's does not."""
    outs = []
    for T in (retrograd, torch):
        x = t(T, V3)
        out, fn = T.func.linearize(lambda x: (x.sin() * x, x.sum()), x)
        j1 = fn(t(T, [1.0, 0.0, 0.0]))
        j2 = fn(t(T, V3))
        errs = []
        for bad in (T.ones(2, dtype=T.float64), T.ones(3, dtype=T.float32)):
            try:
                fn(bad)
            except RuntimeError as e:
                errs.append(str(e))
        outs.append(([o.numpy() for o in out], [j.numpy() for j in j1], [j.numpy() for j in j2], errs))
    (o1, a1, b1, e1), (o2, a2, b2, e2) = outs
    for ours, ref in zip(o1 + a1 + b1, o2 + a2 + b2):
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
    assert e1 == e2 and len(e1) == 2


# ------------------------------------------------------------------------------- jacobians


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobians(jac: str):
    def scenario(T: Any) -> Any:
        J = getattr(T.func, jac)
        x, y = t(T, A[:2, :3]), t(T, V3)
        f = lambda x, y: (x @ y, {"s": (x * x).sum(), "e": y.exp()})  # noqa: E731
        return strip(T, [J(f)(x, y), J(f, argnums=1)(x, y), J(f, argnums=(0, 1))(x, y),
                         J(T.sin)(t(T, 0.3)), J(lambda p: p["a"] * p["b"].sum())({"a": y, "b": x}),
                         J(lambda x: (x.sin(), x.cos()), has_aux=True)(y)])
    both(scenario)


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobians_requires_grad(jac: str):
    def scenario(T: Any) -> Any:
        x = t(T, V3, requires_grad=True)
        j = getattr(T.func, jac)(lambda x: x * x.sum())(x)
        return [strip(T, j), T.autograd.grad(j.sum(), x)[0],
                strip(T, getattr(T.func, jac)(lambda x: x.exp())(t(T, V3)))]
    both(scenario)


def test_jacobian_errors():
    for T in (retrograd, torch):
        with pytest.raises(ValueError, match="chunk_size"):
            T.func.jacrev(T.sin, chunk_size=0)
        bad = T.func.jacfwd(T.sin, randomness="x")  # checked when called
        with pytest.raises(RuntimeError, match="randomness"):
            bad(T.ones(2))

    def scenario(T: Any) -> Any:
        return T.func.jacfwd(lambda x: x * T.rand(3, dtype=T.float64))(t(T, V3))
    assert both(scenario).error is not None


def test_hessian_and_composed_jacobians():
    def scenario(T: Any) -> Any:
        F = T.func
        f = lambda x: (x.sin() * x.pow(3)).sum() + (x[0] * x[1]).exp()  # noqa: E731
        g = lambda x, y: (x * y.exp()).sum()  # noqa: E731
        x, y = t(T, V3), t(T, [0.1, -0.2, 0.3])
        return strip(T, [F.hessian(f)(x), F.jacrev(F.jacrev(f))(x), F.jacfwd(F.jacfwd(f))(x),
                         F.jacrev(F.jacfwd(f))(x), F.hessian(g, argnums=(0, 1))(x, y),
                         F.jvp(F.grad(f), (x,), (y,)),
                         F.jvp(lambda x: F.grad(lambda z: (x * z * z).sum())(x), (x,), (y,))])
    both(scenario)


# ------------------------------------------------------------------------------- vmap


def test_vmap_in_dims_and_out_dims():
    def scenario(T: Any) -> Any:
        vmap = T.func.vmap
        x = t(T, np.arange(24.0).reshape(2, 3, 4))
        m = t(T, A)
        return strip(T, [
            vmap(lambda a: a.sum(0))(x),
            vmap(lambda a: a @ m.t(), in_dims=1)(x),
            vmap(lambda a, b: a * b, in_dims=(0, None))(m, t(T, [1.0, 2.0, 3.0, 4.0])),
            vmap(lambda a: a.exp(), in_dims=-1, out_dims=1)(x),
            vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(m),
            vmap(lambda a: a * 2, out_dims=-1)(x),
            vmap(lambda p: p["u"] + p["v"][0], in_dims=({"u": 0, "v": (1,)},))(
                {"u": m, "v": (m.t().contiguous(),)}),
            vmap(lambda a, k: a * k, in_dims=(0, None))(m, 3.0),
            vmap(lambda a, *, scale: a * scale)(m, scale=2.0),
            vmap(lambda a: {"x": a, "y": [a.max()]})(m),
            vmap(vmap(lambda a: a.sum()))(x),
            vmap(vmap(lambda a, b: a * b, in_dims=(None, 0)), in_dims=(0, None))(m, m),
            vmap(lambda a: T.zeros(2, dtype=T.float64), out_dims=None)(m),
            vmap(lambda a: (a.sum(), 1.5), out_dims=(0, None))(m),
            vmap(T.dot)(m, m),
        ])
    both(scenario)


def test_vmap_keeps_the_graph():
    def scenario(T: Any) -> Any:
        x = t(T, A, requires_grad=True)
        w = t(T, B, requires_grad=True)
        y = T.func.vmap(lambda r: (r @ w).tanh())(x)
        y.sum().backward()
        return y.detach(), y.requires_grad, x.grad, w.grad
    both(scenario)


@pytest.mark.parametrize("case", [
    "in_dims_structure", "batch_sizes", "in_dim_range", "returns_float", "non_tensor_mapped",
    "in_dims_none", "out_dims_none_batched", "random_error", "randomness_value", "in_dims_str",
    "out_dims_structure", "out_dim_range", "no_inputs", "in_dims_float", "nothing_mapped",
    "chunk_size", "out_dims_type",
])
def test_vmap_errors(case: str):
    def scenario(T: Any) -> Any:
        vmap = T.func.vmap
        x = T.ones(2, dtype=T.float64)

        def named(a, b=None):
            return a
        return {
            "in_dims_structure": lambda: vmap(lambda a, b: a + b, in_dims=(0,))(x, x),
            "batch_sizes": lambda: vmap(lambda a, b: a.sum() + b.sum())(x, T.ones(3)),
            "in_dim_range": lambda: vmap(lambda a: a, in_dims=1)(x),
            "returns_float": lambda: vmap(lambda a: 1.0)(x),
            "non_tensor_mapped": lambda: vmap(lambda a: a)(1.0),
            "in_dims_none": lambda: vmap(lambda a: a, in_dims=None)(x),
            "out_dims_none_batched": lambda: vmap(lambda a: a * 2, out_dims=None)(T.arange(2.0)),
            "random_error": lambda: vmap(lambda a: a * T.rand(2))(x),
            "randomness_value": lambda: vmap(lambda a: a, randomness="foo")(x),
            "in_dims_str": lambda: vmap(named, in_dims="a")(x),
            "out_dims_structure": lambda: vmap(named, out_dims=(0, 1))(x),
            "out_dim_range": lambda: vmap(named, out_dims=2)(x),
            "no_inputs": lambda: vmap(named)(),
            "in_dims_float": lambda: vmap(named, in_dims=0.5)(x),
            "nothing_mapped": lambda: vmap(named, in_dims=(None,))(x),
            "chunk_size": lambda: vmap(named, chunk_size=0)(x),
            "out_dims_type": lambda: vmap(named, out_dims="x")(x),
        }[case]()
    assert both(scenario).error is not None


def test_vmap_randomness_modes():
    def scenario(T: Any) -> Any:
        T.manual_seed(0)
        same = T.func.vmap(lambda a: a + T.rand(3), randomness="same")(T.zeros(4, 3))
        diff = T.func.vmap(lambda a: a + T.rand(3), randomness="different")(T.zeros(4, 3))
        # (the random values themselves differ between the libraries by design)
        return (same.shape, bool((same == same[0]).all()), bool((diff == diff[0]).all()),
                bool(((same >= 0) & (same < 1)).all()))
    both(scenario)


# ------------------------------------------------------------------------------- per-sample grads


def test_per_sample_gradients_of_a_linear_model():
    xs = RNG.standard_normal((5, 4))
    ys = RNG.standard_normal((5, 2))

    def scenario(T: Any) -> Any:
        params = {"w": t(T, B), "b": t(T, V2)}

        def loss(p, x, y):
            pred = x @ p["w"] + p["b"]
            return ((pred - y) ** 2).mean()

        per_sample = T.func.vmap(T.func.grad(loss), in_dims=(None, 0, 0))(params, t(T, xs), t(T, ys))
        losses = T.func.vmap(loss, in_dims=(None, 0, 0))(params, t(T, xs), t(T, ys))
        # the mean of the per-sample gradients is the gradient of the mean loss
        full = T.func.grad(lambda p: T.func.vmap(loss, in_dims=(None, 0, 0))(p, t(T, xs), t(T, ys)).mean())(params)
        return strip(T, [per_sample, losses, full,
                         T.func.vmap(T.func.jacrev(loss), in_dims=(None, 0, 0))(params, t(T, xs), t(T, ys))])
    ref = both(scenario)
    per_sample, _, full, _ = ref.value
    np.testing.assert_allclose(per_sample["w"][0][-1].mean(0), full["w"][0][-1], rtol=1e-12)


# ------------------------------------------------------------------------------- functional_call


class Lin:
    """A module-like object for retrograd (which has no nn.Module yet): tensors as attributes,
    listed by named_parameters/named_buffers, called like a module."""

    def __init__(self, T: Any, w: np.ndarray, b: np.ndarray):
        self.weight = t(T, w, requires_grad=True)
        self.bias = t(T, b, requires_grad=True)
        self.scale = t(T, 2.0)

    def named_parameters(self, remove_duplicate: bool = True):
        return [("weight", self.weight), ("bias", self.bias)]

    def named_buffers(self, remove_duplicate: bool = True):
        return [("scale", self.scale)]

    def __call__(self, x):
        return (x @ self.weight.t() + self.bias) * self.scale


class Net:
    def __init__(self, T: Any):
        self.lin = Lin(T, B.T.copy(), V2)

    def named_parameters(self, remove_duplicate: bool = True):
        return [("lin." + n, p) for n, p in self.lin.named_parameters()]

    def named_buffers(self, remove_duplicate: bool = True):
        return [("lin." + n, p) for n, p in self.lin.named_buffers()]

    def __call__(self, x):
        return self.lin(x).relu()


def _torch_net() -> Any:
    class Lin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.tensor(B.T.copy()))
            self.bias = torch.nn.Parameter(torch.tensor(V2))
            self.register_buffer("scale", torch.tensor(2.0, dtype=torch.float64))

        def forward(self, x):
            return (x @ self.weight.t() + self.bias) * self.scale

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = Lin()

        def forward(self, x):
            return self.lin(x).relu()
    return Net()


def _net(T: Any) -> Any:
    return _torch_net() if T is torch else Net(T)


def test_functional_call():
    xs = RNG.standard_normal((5, 4))
    ys = RNG.standard_normal((5, 2))

    def scenario(T: Any) -> Any:
        net = _net(T)
        F = T.func
        params = {"lin.weight": t(T, B.T * 0.5), "lin.bias": t(T, [0.1, -0.2])}
        out = F.functional_call(net, params, (t(T, xs),))
        out_kw = F.functional_call(net, (params, {"lin.scale": t(T, 3.0)}), args=(), kwargs={"x": t(T, xs)})
        orig = net(t(T, xs))   # the originals are back

        def loss(p, x, y):
            return ((F.functional_call(net, p, (x,)) - y) ** 2).sum()
        g = F.grad(loss)(params, t(T, xs), t(T, ys))
        per_sample = F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, t(T, xs), t(T, ys))
        return strip(T, [out, out_kw, orig, g, per_sample])
    both(scenario)


@pytest.mark.parametrize("case", ["strict_missing", "strict_unexpected", "repeated", "not_dicts",
                                  "bad_type"])
def test_functional_call_errors(case: str):
    def scenario(T: Any) -> Any:
        net = _net(T)
        F = T.func
        x = t(T, A)
        w = t(T, B.T.copy())
        if case == "strict_missing":
            return F.functional_call(net, {"lin.weight": w}, (x,), strict=True)
        if case == "strict_unexpected":
            return F.functional_call(net, {"lin.weight": w, "lin.bias": t(T, V2), "lin.scale": t(T, 1.0),
                                           "nope": w}, (x,), strict=True)
        if case == "repeated":
            return F.functional_call(net, ({"lin.weight": w}, {"lin.weight": w}), (x,))
        if case == "not_dicts":
            return F.functional_call(net, ({"lin.weight": w}, 3), (x,))
        if case == "bad_type":
            return F.functional_call(net, 3, (x,))
        raise AssertionError(case)
    ref = both(scenario)
    assert ref.error is not None


# ------------------------------------------------------------------------------- levels


@pytest.mark.parametrize("case", ["grad_grad_other_arg", "jacrev_grad_other_arg", "grad_jvp",
                                  "grad_vjp_other_arg", "jacfwd_grad_other_arg",
                                  "user_tensor_still_differentiable"])
def test_inner_level_inputs_do_not_make_results_differentiable(case):
    """A result that reaches an inner (returned) transform's own inputs only is not
    differentiable, as in torch where an outer level never sees an inner level's inputs."""
    def scenario(T: Any) -> Any:
        F = T.func
        a, w = t(T, V3), t(T, [0.3, -0.2, 0.9], requires_grad=case == "user_tensor_still_differentiable")
        h = lambda a, v: (T.tanh(a * v) ** 2).sum()  # noqa: E731
        if case in ("grad_grad_other_arg", "user_tensor_still_differentiable"):
            out = F.grad(lambda v: F.grad(h)(a, v * w).pow(2).sum())(w * 2)
        elif case == "jacrev_grad_other_arg":
            out = F.jacrev(lambda v: F.grad(h)(a, v))(w)
        elif case == "grad_jvp":
            out = F.grad(lambda v: F.jvp(lambda b: h(b, v), (a,), (a.cos(),))[1])(w)
        elif case == "grad_vjp_other_arg":
            out = F.grad(lambda v: F.vjp(lambda b: T.tanh(b * v), a)[1](a.sin())[0].sum())(w)
        else:
            out = F.jacfwd(lambda v: F.grad(h)(a, v))(w)
        res = [strip(T, out)]
        if out.requires_grad:
            res.append(T.autograd.grad(out.sum(), w)[0])
        return res
    both(scenario)
