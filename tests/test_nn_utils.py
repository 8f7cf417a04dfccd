"""nn.utils against torch: gradient clipping, parameters <-> vector, parametrize (register,
right_inverse, cached, remove, the Parametrized<Class> swap, reprs, state_dict keys, errors),
parametrizations.weight_norm / spectral_norm / orthogonal, and the legacy hook-based
weight_norm / spectral_norm. Pruning is in test_nn_prune.py."""
from __future__ import annotations

import copy
import importlib

import numpy as np
import pytest

from _both import both
from _nn_models import data, set_params


def _linear(T, i=4, o=3, seed=0, bias=True):
    return set_params(T.nn.Linear(i, o, bias=bias), T, seed)


def _with_grads(T, seed=5):
    """Three parameters with gradients (one without), float32."""
    rng = np.random.default_rng(seed)
    ps = []
    for shape in [(3, 4), (5,), (2, 2)]:
        p = T.nn.Parameter(T.tensor(rng.uniform(-1, 1, shape), dtype=T.float32))
        p.grad = T.tensor(rng.uniform(-3, 3, shape), dtype=T.float32)
        ps.append(p)
    ps.append(T.nn.Parameter(T.ones(2)))   # no gradient
    return ps


# ---------------------------------------------------------------------------- clip_grad
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grad_norm(norm_type, max_norm, foreach):
    def f(T):
        ps = _with_grads(T)
        total = T.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, foreach=foreach)
        return total, [p.grad for p in ps]
    both(f)


@pytest.mark.parametrize("case", ["nan", "inf", "nan_no_error", "single_tensor", "no_grads",
                                  "empty_generator", "generator", "deprecated", "float64"])
def test_clip_grad_norm_cases(case):
    def f(T):
        ps = _with_grads(T)
        if case in ("nan", "inf", "nan_no_error"):
            ps[1].grad[2] = float("nan") if case != "inf" else float("inf")
            total = T.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=case != "nan_no_error")
            return total, [p.grad for p in ps]
        if case == "single_tensor":
            return T.nn.utils.clip_grad_norm_(ps[0], 1.0), ps[0].grad
        if case == "no_grads":
            return T.nn.utils.clip_grad_norm_([T.nn.Parameter(T.ones(2))], 1.0)
        if case == "empty_generator":
            return T.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        if case == "generator":
            return T.nn.utils.clip_grad_norm_((p for p in ps), 1.0), [p.grad for p in ps]
        if case == "deprecated":
            return T.nn.utils.clip_grad_norm(ps, 1.0), [p.grad for p in ps]
        ps[0].grad = ps[0].grad.double()   # mixed dtypes: grouped, norms stacked
        return T.nn.utils.clip_grad_norm_(ps, 1.0), [p.grad for p in ps]
    both(f)


def test_get_total_norm_and_clip_grads_with_norm():
    def f(T):
        ps = _with_grads(T)
        grads = [p.grad for p in ps if p.grad is not None]
        total = T.nn.utils.get_total_norm(grads, norm_type=3.0)
        empty = T.nn.utils.get_total_norm([])
        T.nn.utils.clip_grads_with_norm_(ps, 2.0, total)
        return total, empty, [p.grad for p in ps], total.requires_grad
    both(f)


@pytest.mark.parametrize("foreach", [None, True])
def test_clip_grad_value(foreach):
    def f(T):
        ps = _with_grads(T)
        out = T.nn.utils.clip_grad_value_(ps, 1.25, foreach=foreach)
        single = _with_grads(T, seed=6)[0]
        T.nn.utils.clip_grad_value_(single, 0.5)
        return out, [p.grad for p in ps], single.grad
    both(f)


def test_clip_grad_norm_on_a_model_after_backward():
    def f(T):
        m = _linear(T)
        (m(data(T, 2, 4)) ** 2).sum().backward()
        total = T.nn.utils.clip_grad_norm_(m.parameters(), 0.1)
        return total, m.weight.grad, m.bias.grad
    both(f)


# ---------------------------------------------------------------------------- vectors
def test_parameters_to_vector_and_back():
    def f(T):
        m = _linear(T)
        vec = T.nn.utils.parameters_to_vector(m.parameters())
        (vec * vec).sum().backward()
        T.nn.utils.vector_to_parameters(T.arange(15.0), m.parameters())
        return vec, m.weight.grad, m.weight, m.bias, m.weight.requires_grad, \
            type(m.weight).__name__
    both(f)


def test_vector_to_parameters_type_error():
    both(lambda T: T.nn.utils.vector_to_parameters([1.0, 2.0], _linear(T).parameters()))


# ---------------------------------------------------------------------------- parametrize
def _parametrizations(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    class Scale(T.nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def forward(self, X):
            return X * self.s

        def right_inverse(self, A):
            return A / self.s

    class NoInverse(T.nn.Module):
        def forward(self, X):
            return X.exp()

    class Split(T.nn.Module):   # right_inverse returns two tensors: original0, original1
        def forward(self, a, b):
            return a + b

        def right_inverse(self, X):
            return X * 0.25, X * 0.75

    class Reshape(T.nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    return Symmetric, Scale, NoInverse, Split, Reshape


def test_register_parametrization_structure_values_grads():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, Scale, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        before = m.weight.detach().clone()
        P.register_parametrization(m, "weight", Symmetric())
        P.register_parametrization(m, "weight", Scale(2.0))
        out = m(data(T, 2, 3))
        out.sum().backward()
        orig = m.parametrizations.weight.original
        return (str(m), type(m).__name__, type(m).__mro__[1].__name__,
                list(m.state_dict().keys()), [n for n, _ in m.named_parameters()],
                P.is_parametrized(m), P.is_parametrized(m, "weight"),
                P.is_parametrized(m, "bias"), P.type_before_parametrizations(m).__name__,
                m.weight, out, orig, orig.grad, m.bias.grad, before,
                m.weight.grad_fn.name(), type(orig).__name__)
    both(f)


def test_parametrization_assignment_calls_right_inverse():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, Scale, NoInverse, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Symmetric())
        P.register_parametrization(m, "weight", Scale(4.0))
        v = m.parametrizations.weight.original._version
        m.weight = data(T, 3, 3, seed=9)
        after = (m.weight, m.parametrizations.weight.original,
                 m.parametrizations.weight.original._version > v)
        P.register_parametrization(m, "bias", NoInverse())
        try:
            m.bias = T.zeros(3)
        except Exception as e:   # noqa: BLE001 - the message is compared
            return after, (type(e).__name__, str(e))
    both(f)


def test_parametrization_of_a_buffer_and_several_originals():
    def f(T):
        P = T.nn.utils.parametrize
        *_, Split, _ = _parametrizations(T)
        m = _linear(T, 2, 2)
        m.register_buffer("running", T.tensor([1.0, -2.0]))
        P.register_parametrization(m, "running", _parametrizations(T)[1](3.0))
        P.register_parametrization(m, "weight", Split())
        m.weight = T.ones(2, 2)
        return (str(m), list(m.state_dict().keys()), [n for n, _ in m.named_buffers()],
                [n for n, _ in m.named_parameters()], m.running, m.weight,
                m.parametrizations.weight.original0, m.parametrizations.weight.original1,
                m.parametrizations.weight.original1.requires_grad)
    both(f)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, Scale, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Symmetric())
        P.register_parametrization(m, "bias", Scale(2.0))
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        mid = (str(m), type(m).__name__, list(m.state_dict().keys()))
        P.remove_parametrizations(m, "bias", leave_parametrized=leave)
        return (mid, str(m), type(m).__name__, type(m) is T.nn.Linear,
                list(m.state_dict().keys()), m.weight, m.bias, type(m.weight).__name__,
                hasattr(m, "parametrizations"), P.is_parametrized(m))
    both(f)


def test_remove_parametrizations_of_several_originals():
    def f(T):
        P = T.nn.utils.parametrize
        *_, Split, _ = _parametrizations(T)
        m = _linear(T, 2, 2)
        P.register_parametrization(m, "weight", Split())
        try:
            P.remove_parametrizations(m, "weight", leave_parametrized=False)
        except ValueError as e:
            err = str(e)
        P.remove_parametrizations(m, "weight")
        return err, m.weight, type(m.weight).__name__, list(m.state_dict().keys())
    both(f)


def test_cached_computes_once():
    def f(T):
        P = T.nn.utils.parametrize
        calls = []

        class Count(T.nn.Module):
            def forward(self, X):
                calls.append(1)
                return X * 2

        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Count())
        n0 = len(calls)
        with P.cached():
            a = m.weight
            b = m.weight
            same = a is b
        c = m.weight
        return len(calls) - n0, same, c is a, a
    both(f)


@pytest.mark.parametrize("case", ["missing", "shape", "dtype", "remove_missing", "bad_return",
                                  "unsafe_shape", "second_shape", "empty_list"])
def test_parametrize_errors(case):
    def f(T):
        P = T.nn.utils.parametrize
        *_, Reshape = _parametrizations(T)
        m = _linear(T, 2, 2)

        class ToDouble(T.nn.Module):
            def forward(self, X):
                return X.double()

        class NotTensor(T.nn.Module):
            def forward(self, X):
                return 3

        if case == "missing":
            return P.register_parametrization(m, "nope", Reshape())
        if case == "shape":
            return P.register_parametrization(m, "weight", Reshape())
        if case == "dtype":
            return P.register_parametrization(m, "weight", ToDouble())
        if case == "remove_missing":
            return P.remove_parametrizations(m, "weight")
        if case == "bad_return":
            return P.register_parametrization(m, "weight", NotTensor())
        if case == "unsafe_shape":
            P.register_parametrization(m, "weight", Reshape(), unsafe=True)
            return m.weight, str(m), m.parametrizations.weight.unsafe
        if case == "second_shape":
            P.register_parametrization(m, "weight", _parametrizations(T)[1](2.0))
            return P.register_parametrization(m, "weight", Reshape())
        return P.ParametrizationList([], m.weight)
    both(f)


def test_parametrized_module_deepcopy_and_pickle_error():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Symmetric())
        c = copy.deepcopy(m)
        try:
            m.__getstate__()
        except RuntimeError as e:
            err = str(e)
        return type(c).__name__, c.weight, list(c.state_dict()), err
    both(f)


def test_transfer_parametrizations_and_params():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, *_ = _parametrizations(T)
        a = _linear(T, 3, 3)
        P.register_parametrization(a, "weight", Symmetric())
        b = _linear(T, 3, 3, seed=4)
        P.transfer_parametrizations_and_params(a, b)
        return str(b), b.weight, b.parametrizations.weight.original is \
            a.parametrizations.weight.original
    both(f)


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
def _copy_uv(src, dst, names):
    for n in names:
        getattr(dst, n).copy_(getattr(src, n).detach())


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
    with torch.no_grad(), retrograd.no_grad():
        _copy_uv(type("S", (), {"weight_u": retrograd.tensor(mods[torch].weight_u.numpy()),
                                "weight_v": retrograd.tensor(mods[torch].weight_v.numpy())}),
                 mods[retrograd], ("weight_u", "weight_v"))

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


def test_prune_module_importable_like_torch():
    mod = importlib.import_module("retrograd.nn.utils.prune")
    assert mod.L1Unstructured.PRUNING_TYPE == "unstructured"


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
