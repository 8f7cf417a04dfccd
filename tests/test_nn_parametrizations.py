"""nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal) and the legacy hook-based
weight_norm / spectral_norm against torch: printouts, state_dict keys, values, gradients,
power iterations, loading legacy keys, removal, errors, a training loop."""
from __future__ import annotations

import numpy as np
import pytest

from _both import both
from _nn_models import data, set_params


def _linear(T, i=4, o=3, seed=0, bias=True):
    return set_params(T.nn.Linear(i, o, bias=bias), T, seed)


# ---------------------------------------------------------------------------- weight_norm
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_parametrizations_weight_norm(dim):
    def f(T):
        m = _linear(T)
        W = m.weight.detach().clone()
        T.nn.utils.parametrizations.weight_norm(m, dim=dim)
        out = m(data(T, 2, 4))
        (out * out).sum().backward()
        g = m.parametrizations.weight.original0
        v = m.parametrizations.weight.original1
        return (str(m), list(m.state_dict().keys()), m.weight, W, out, g, v, g.grad, v.grad,
                m.weight.grad_fn.name())
    both(f)


def test_weight_norm_loads_legacy_keys_and_removes():
    def f(T):
        legacy = T.nn.utils.weight_norm(_linear(T, seed=3))
        sd = legacy.state_dict()
        m = T.nn.utils.parametrizations.weight_norm(_linear(T))
        result = m.load_state_dict(sd)
        loaded = m.weight
        T.nn.utils.parametrize.remove_parametrizations(m, "weight")
        return (list(sd.keys()), str(result), loaded, legacy.weight, m.weight,
                list(m.state_dict().keys()), str(m))
    both(f)


def test_weight_norm_double_backward_is_torchs():
    """PyTorch's fused weight norm holds the saved norms constant in a differentiable backward;
    retrograd gives the same second derivatives (not the exact ones: torch's gradgradcheck of
    _weight_norm fails, and so does retrograd's, deliberately)."""
    def f(T):
        rng = np.random.default_rng(3)
        v = T.tensor(rng.uniform(-1, 1, (3, 4)), requires_grad=True)
        g = T.tensor(rng.uniform(0.5, 2, (3, 1)), requires_grad=True)
        w = T._weight_norm(v, g, 0)
        gv, gg = T.autograd.grad((w ** 3).sum(), (v, g), create_graph=True)
        (gv.sum() + (gg * gg).sum()).backward()
        exact = T.autograd.gradgradcheck(lambda a, b: T._weight_norm(a, b, 0),
                                         (v.detach().requires_grad_(),
                                          g.detach().requires_grad_()), raise_exception=False)
        return gv, gg, v.grad, g.grad, exact
    both(f)


def test_legacy_weight_norm():
    def f(T):
        m = T.nn.utils.weight_norm(_linear(T), name="weight", dim=1)
        out = m(data(T, 2, 4))
        out.sum().backward()
        keys = list(m.state_dict().keys())
        grads = (m.weight_g.grad, m.weight_v.grad, m.weight_g.shape)
        try:
            T.nn.utils.weight_norm(m)
        except RuntimeError as e:
            twice = str(e)
        T.nn.utils.remove_weight_norm(m)
        try:
            T.nn.utils.remove_weight_norm(m)
        except ValueError as e:
            gone = str(e)
        return str(m), keys, out, grads, twice, list(m.state_dict().keys()), m.weight, gone
    both(f)


# ---------------------------------------------------------------------------- spectral_norm
@pytest.mark.parametrize("dim", [0, 1])
def test_parametrizations_spectral_norm(dim):
    """The random start vectors differ (generators); with torch's u, v copied in, the power
    iterations, the weight and the gradients are torch's."""
    import torch
    import retrograd
    mods = {}
    for T in (torch, retrograd):
        m = set_params(T.nn.Linear(5, 4), T, 0)
        T.nn.utils.parametrizations.spectral_norm(m, n_power_iterations=2, dim=dim)
        mods[T] = m
    with torch.no_grad(), retrograd.no_grad():
        for n in ("_u", "_v"):
            getattr(mods[retrograd].parametrizations.weight[0], n).copy_(
                retrograd.tensor(getattr(mods[torch].parametrizations.weight[0], n).numpy()))

    def f(T):
        m = mods[T]
        sn = m.parametrizations.weight[0]
        out = m(data(T, 3, 5))
        out.sum().backward()
        w_train = m.weight
        m.eval()
        w_eval = m.weight
        return (str(m), list(m.state_dict().keys()), out, w_train, w_eval, sn._u, sn._v,
                m.parametrizations.weight.original.grad, sn.n_power_iterations, sn.dim, sn.eps)
    both(f)


@pytest.mark.parametrize("case", ["iters", "dim", "missing"])
def test_spectral_norm_errors(case):
    def f(T):
        m = _linear(T)
        if case == "iters":
            return T.nn.utils.parametrizations.spectral_norm(m, n_power_iterations=0)
        if case == "dim":
            return T.nn.utils.parametrizations.spectral_norm(m, dim=2)
        return T.nn.utils.parametrizations.spectral_norm(m, name="nope")
    both(f)


def test_spectral_norm_of_a_vector_normalizes_it():
    def f(T):
        m = _linear(T)
        T.nn.utils.parametrizations.spectral_norm(m, "bias")
        return m.bias, list(m.state_dict().keys())
    both(f)


def test_legacy_spectral_norm():
    import torch
    import retrograd
    mods = {}
    for T in (torch, retrograd):
        mods[T] = T.nn.utils.spectral_norm(set_params(T.nn.Linear(5, 4), T, 0))
    with retrograd.no_grad():   # torch's random start vectors, copied in
        for n in ("weight_u", "weight_v"):
            getattr(mods[retrograd], n).copy_(retrograd.tensor(getattr(mods[torch], n).numpy()))

    def f(T):
        m = mods[T]
        out = m(data(T, 3, 5))
        out.sum().backward()
        sd = m.state_dict()
        T.nn.utils.remove_spectral_norm(m)
        return (list(sd.keys()), dict(sd._metadata), out, sd["weight_u"], sd["weight_v"],
                m.weight_orig.grad if hasattr(m, "weight_orig") else None, m.weight,
                list(m.state_dict().keys()), str(m))
    both(f)


# ---------------------------------------------------------------------------- orthogonal
@pytest.mark.parametrize("omap,shape,triv", [
    ("matrix_exp", (3, 3), True), ("cayley", (3, 3), True), ("matrix_exp", (4, 3), True),
    ("cayley", (3, 4), True), ("householder", (3, 3), True), ("householder", (4, 3), True),
    ("householder", (3, 4), True), ("householder", (4, 3), False),
    ("householder", (3, 4), False), ("householder", (3, 3), False), (None, (4, 3), True),
    (None, (3, 3), False)])
def test_orthogonal(omap, shape, triv):
    """With a trivialization of a non-square weight, PyTorch completes the base with random
    columns (its generator, not ours): then only the structure and orthogonality compare."""
    exact = shape[0] == shape[1] or not triv

    def f(T):
        m = set_params(T.nn.Linear(shape[1], shape[0]), T, 0)
        T.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap, use_trivialization=triv)
        W = m.weight
        eye = W @ W.T if shape[0] <= shape[1] else W.T @ W
        out = m(data(T, 2, shape[1]))
        out.sum().backward()
        orig = m.parametrizations.weight.original
        new = T.linalg.qr(data(T, max(shape), max(shape), seed=8))[0][:shape[0], :shape[1]]
        try:
            m.weight = new
            assigned = m.weight
        except NotImplementedError as e:
            assigned = str(e)
        return (str(m), list(m.state_dict().keys()),
                bool((eye - T.eye(min(shape))).abs().max() < 1e-5), W.grad_fn.name(),
                W if exact else None, out if exact else None,
                orig.grad if exact else orig.grad.shape, orig if exact else None,
                assigned if exact or isinstance(assigned, str) else None)
    both(f)


def test_orthogonal_errors():
    def f(T):
        errs = []
        for call in (lambda: T.nn.utils.parametrizations.orthogonal(_linear(T), "bias"),
                     lambda: T.nn.utils.parametrizations.orthogonal(_linear(T), "nope"),
                     lambda: T.nn.utils.parametrizations.orthogonal(_linear(T),
                                                                    orthogonal_map="svd")):
            try:
                call()
            except ValueError as e:
                errs.append(str(e))
        return errs
    both(f)



def test_training_a_parametrized_model():
    """SGD steps on a weight-normed layer and a spectral-normed one (eval: no power iteration),
    then the state dict loaded into fresh parametrized modules."""
    def f(T):
        P = T.nn.utils.parametrizations
        a = P.weight_norm(_linear(T))
        b = P.spectral_norm(_linear(T, 3, 2, seed=1))
        b.eval()
        sn = b.parametrizations.weight[0]
        with T.no_grad():   # the random start vectors are each library's own: the same ones
            sn._u.copy_(T.tensor([0.6, 0.8]))
            sn._v.copy_(T.tensor([0.48, 0.64, 0.6]))
        net = T.nn.Sequential(a, T.nn.Tanh(), b)
        opt = T.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x = data(T, 5, 4)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = (net(x) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        fresh = T.nn.Sequential(P.weight_norm(_linear(T, seed=9)), T.nn.Tanh(),
                                P.spectral_norm(_linear(T, 3, 2, seed=9)))
        res = fresh.load_state_dict(net.state_dict())
        fresh.eval()
        return (losses, list(net.state_dict().keys()), str(res), fresh(x), net(x),
                [n for n, _ in net.named_parameters()])
    both(f)
