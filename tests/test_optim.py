"""retrograd.optim against torch.optim: the same parameters, the same loss (gradients from each
library's own autograd), the same optimizer settings; trajectories, state_dict contents, reprs,
errors and hooks compared step by step."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import retrograd

X0 = [-1.2, 1.0, 0.5]
Y0 = [[0.3, -0.7], [1.1, 0.2]]


def _loss(T, x, y):
    """Rosenbrock in x, a weighted quadratic in y and a coupling term: a fixed smooth loss."""
    rosen = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    w = T.tensor([[1.0, 2.0], [3.0, 0.5]], dtype=y.dtype)
    return rosen + (w * y ** 2).sum() + 0.1 * x.sum() * y.sum()


def _params(T, dtype):
    dt = getattr(T, dtype)
    return (T.tensor(X0, dtype=dt, requires_grad=True),
            T.tensor(Y0, dtype=dt, requires_grad=True))


def _run(T, name, kwargs, dtype="float64", steps=20, groups=None):
    """steps optimizer steps; the parameters after each step (NumPy) and the optimizer."""
    x, y = _params(T, dtype)
    params = [x, y] if groups is None else [dict(params=[x], **groups[0]),
                                             dict(params=[y], **groups[1])]
    opt = getattr(T.optim, name)(params, **kwargs)
    sign = -1 if kwargs.get("maximize") else 1     # maximize the negated loss
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        (sign * _loss(T, x, y)).backward()
        opt.step()
        traj.append(np.concatenate([x.detach().numpy().ravel(), y.detach().numpy().ravel()]))
    return np.array(traj), opt


CONFIGS = [
    ("SGD", dict(lr=1e-3)),
    ("SGD", dict(lr=1e-3, momentum=0.9)),
    ("SGD", dict(lr=1e-3, momentum=0.9, dampening=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=1e-3, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=1e-3, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=1e-2, foreach=True)),
    ("Adam", dict(lr=1e-2, fused=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True, alpha=0.9)),
    ("RMSprop", dict(lr=1e-3, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.05)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.05, maximize=True, eps=1e-6)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True, eps=1e-4)),
    ("Adamax", dict(lr=1e-2)),
    ("Adamax", dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(lr=1e-2, maximize=True)),
    ("NAdam", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=1e-2)),
    ("RAdam", dict(lr=1e-3, betas=(0.8, 0.9), weight_decay=0.1)),     # rectified from step 7
    ("RAdam", dict(lr=1e-3, betas=(0.8, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
    ("ASGD", dict(lr=1e-3)),
    ("ASGD", dict(lr=1e-3, t0=5, lambd=1e-2, alpha=0.5, weight_decay=0.1)),
    ("ASGD", dict(lr=1e-3, t0=3, maximize=True)),
    ("Rprop", dict(lr=1e-2)),
    ("Rprop", dict(lr=1e-2, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05))),
    ("Rprop", dict(lr=1e-2, maximize=True)),
    ("Adafactor", dict()),                                   # y is a matrix: factored moments
    ("Adafactor", dict(lr=0.05, weight_decay=0.1, d=2.0, beta2_decay=-0.5)),
    ("Adafactor", dict(eps=(1e-20, 1e-2), maximize=True)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)]


def _state_value(v):
    """A state entry as comparable data: (kind, dtype, shape, values) for tensors."""
    if isinstance(v, (torch.Tensor, retrograd.Tensor)):
        return ("tensor", str(v.dtype), tuple(v.shape), v.detach().numpy().astype(np.float64))
    if isinstance(v, list):
        return [_state_value(e) for e in v]
    return (type(v).__name__, v)


def _assert_same_state(sd_r, sd_t, rtol, atol):
    assert sd_r["param_groups"] == sd_t["param_groups"]
    assert list(sd_r["state"]) == list(sd_t["state"])
    for k, st in sd_t["state"].items():
        sr = sd_r["state"][k]
        assert list(sr) == list(st)
        for key in st:
            a, b = _state_value(sr[key]), _state_value(st[key])
            _assert_close_values(a, b, rtol, atol)


def _assert_close_values(a, b, rtol, atol):
    if isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b)
        for u, v in zip(a, b):
            _assert_close_values(u, v, rtol, atol)
        return
    assert a[:-1] == b[:-1]
    if a[0] == "tensor":
        np.testing.assert_allclose(a[-1], b[-1], rtol=rtol, atol=atol)
    elif isinstance(b[-1], float):
        assert a[-1] == pytest.approx(b[-1], rel=rtol, abs=atol)
    else:
        assert a[-1] == b[-1]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_and_state_match_torch(name, kwargs, dtype):
    tr, opt_r = _run(retrograd, name, kwargs, dtype)
    tt, opt_t = _run(torch, name, kwargs, dtype)
    assert np.isfinite(tt).all() and np.abs(tt).max() < 10     # a run that stays meaningful
    rtol, atol = (1e-9, 1e-12) if dtype == "float64" else (2e-4, 1e-5)
    np.testing.assert_allclose(tr, tt, rtol=rtol, atol=atol)
    _assert_same_state(opt_r.state_dict(), opt_t.state_dict(), rtol, atol)
    assert str(opt_r) == str(opt_t)


@pytest.mark.parametrize("name", sorted({n for n, _ in CONFIGS}))
def test_param_groups_with_their_own_hyperparameters(name):
    groups = [dict(lr=2e-3), dict(lr=5e-3)]
    tr, opt_r = _run(retrograd, name, {}, groups=groups, steps=10)
    tt, opt_t = _run(torch, name, {}, groups=groups, steps=10)
    np.testing.assert_allclose(tr, tt, rtol=1e-9, atol=1e-12)
    _assert_same_state(opt_r.state_dict(), opt_t.state_dict(), 1e-9, 1e-12)
    assert str(opt_r) == str(opt_t)


@pytest.mark.parametrize("name", sorted({n for n, _ in CONFIGS}) + ["LBFGS"])
def test_default_repr_and_state_dict_before_any_step(name):
    def make(T):
        x, y = _params(T, "float32")
        return getattr(T.optim, name)([x, y])
    opt_r, opt_t = make(retrograd), make(torch)
    assert repr(opt_r) == repr(opt_t)
    assert opt_r.defaults == opt_t.defaults
    _assert_same_state(opt_r.state_dict(), opt_t.state_dict(), 0, 0)   # Adagrad: state at init


@pytest.mark.parametrize("name,kwargs", [c for c in CONFIGS if c[0] in
                                         ("SGD", "Adam", "NAdam", "ASGD", "Rprop")
                                         and not c[1].get("maximize")][::2])
def test_state_dict_round_trip_continues_the_same_run(name, kwargs):
    """Save after 5 steps, load into a fresh optimizer, go on: the same as torch doing it."""
    def run(T):
        x, y = _params(T, "float64")
        opt = getattr(T.optim, name)([x, y], **kwargs)
        for _ in range(5):
            opt.zero_grad()
            _loss(T, x, y).backward()
            opt.step()
        sd = copy.deepcopy(opt.state_dict())
        opt2 = getattr(T.optim, name)([x, y], **kwargs)
        opt2.load_state_dict(sd)
        traj = []
        for _ in range(5):
            opt2.zero_grad()
            _loss(T, x, y).backward()
            opt2.step()
            traj.append(np.concatenate([x.detach().numpy().ravel(), y.detach().numpy().ravel()]))
        return np.array(traj), opt2
    tr, opt_r = run(retrograd)
    tt, opt_t = run(torch)
    np.testing.assert_allclose(tr, tt, rtol=1e-9, atol=1e-12)
    _assert_same_state(opt_r.state_dict(), opt_t.state_dict(), 1e-9, 1e-12)


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    for T in (retrograd, torch):
        p64 = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
        opt = T.optim.Adam([p64])
        p64.grad = T.tensor([0.5, -0.5], dtype=T.float64)
        opt.step()
        sd = opt.state_dict()
        p32 = T.tensor([1.0, 2.0], requires_grad=True)
        opt32 = T.optim.Adam([p32])
        opt32.load_state_dict(sd)
        st = opt32.state[p32]
        assert st["exp_avg"].dtype == T.float32 and st["exp_avg_sq"].dtype == T.float32
        assert st["step"].dtype == T.float32 and st["step"].item() == 1.0
        assert opt32.param_groups[0]["params"][0] is p32


def test_sgd_with_parameters_without_grad_and_none_state():
    def run(T):
        x, y = _params(T, "float64")
        opt = T.optim.SGD([x, y], lr=0.1, momentum=0.9)
        x.grad = T.ones(3, dtype=T.float64)
        opt.step()
        opt.step()
        return x.detach().numpy(), y.detach().numpy(), list(opt.state_dict()["state"])
    r, t = run(retrograd), run(torch)
    np.testing.assert_allclose(r[0], t[0])
    np.testing.assert_allclose(r[1], t[1])
    assert r[2] == t[2] == [0]


def test_sgd_without_momentum_keeps_no_state():
    for T in (retrograd, torch):
        x, _ = _params(T, "float32")
        opt = T.optim.SGD([x], lr=0.1)
        x.grad = T.ones(3)
        opt.step()
        assert opt.state_dict()["state"] == {}


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    for T in (retrograd, torch):
        x, y = _params(T, "float64")
        opt = T.optim.Adam([x, y], lr=0.1)
        seen = []

        def closure():
            seen.append(T.is_grad_enabled())
            opt.zero_grad()
            loss = _loss(T, x, y)
            loss.backward()
            return loss
        with T.no_grad():
            loss = opt.step(closure)
        assert seen == [True] and loss.requires_grad
        assert opt.step() is None


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    def run(T):
        x, y = _params(T, "float32")
        opt = T.optim.SGD([x, y])
        _loss(T, x, y).backward()
        opt.zero_grad(set_to_none=set_to_none)
        return [None if p.grad is None else (p.grad.tolist(), p.grad.requires_grad)
                for p in (x, y)]
    assert run(retrograd) == run(torch)


def test_zero_grad_detaches_a_grad_that_has_a_graph():
    for T in (retrograd, torch):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.grad_fn is not None
        T.optim.SGD([x]).zero_grad(set_to_none=False)
        assert x.grad.grad_fn is None and x.grad.tolist() == [0.0, 0.0]


def test_step_updates_parameters_in_place_and_bumps_their_version():
    for T in (retrograd, torch):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        view = x.detach()
        x.grad = T.tensor([1.0, 1.0])
        v0 = x._version
        T.optim.SGD([x], lr=0.5).step()
        assert view.tolist() == [0.5, 1.5] and x._version == v0 + 1
        assert x.requires_grad and x.is_leaf and x.grad_fn is None


# -- LBFGS -------------------------------------------------------------------------------------
def _smooth_loss(T, x, y):
    """A convex loss L-BFGS solves smoothly (Rosenbrock's valley makes its iterates chaotic:
    a 1e-14 change of the start moves torch's own 4th loss by 3e-6)."""
    c = T.tensor([0.5, -1.0, 2.0], dtype=x.dtype)
    w = T.tensor([[1.0, 2.0], [3.0, 0.5]], dtype=y.dtype)
    return ((x - c) ** 2).sum() + 0.1 * (x ** 4).sum() + (w * (y - 1) ** 2).sum() \
        + 0.1 * x.sum() * y.sum()


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, max_iter=5, history_size=3),
                                    dict(line_search_fn="strong_wolfe"),
                                    dict(line_search_fn="strong_wolfe", history_size=2,
                                         max_iter=7)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs_matches_torch(kwargs, dtype):
    def run(T):
        x, y = _params(T, dtype)
        opt = T.optim.LBFGS([x, y], **kwargs)
        losses, traj = [], []

        def closure():
            opt.zero_grad()
            loss = _smooth_loss(T, x, y)
            loss.backward()
            return loss
        # float32: one step; once converged, which iteration stops hinges on rounding noise
        for _ in range(4 if dtype == "float64" else 1):
            losses.append(opt.step(closure).item())
            traj.append(np.concatenate([x.detach().numpy().ravel(), y.detach().numpy().ravel()]))
        return np.array(losses), np.array(traj), opt
    lr, tr, opt_r = run(retrograd)
    lt, tt, opt_t = run(torch)
    rtol, atol = (1e-8, 1e-10) if dtype == "float64" else (1e-3, 1e-4)
    np.testing.assert_allclose(lr, lt, rtol=rtol, atol=atol)
    np.testing.assert_allclose(tr, tt, rtol=rtol, atol=atol)
    _assert_same_state(opt_r.state_dict(), opt_t.state_dict(), rtol, atol)


def test_lbfgs_errors():
    for T in (retrograd, torch):
        x, y = _params(T, "float32")
        with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options"):
            T.optim.LBFGS([{"params": [x]}, {"params": [y]}])
        opt = T.optim.LBFGS([x, y], line_search_fn="backtracking")
        with pytest.raises(RuntimeError, match=r"^only 'strong_wolfe' is supported$"):
            opt.step(lambda: (_loss(T, x, y).backward(), _loss(T, x, y))[1])


# -- Muon (2-D parameters only; Newton-Schulz in bfloat16, emulated) ---------------------------
@pytest.mark.parametrize("kwargs", [dict(lr=0.05), dict(lr=0.05, nesterov=False, momentum=0.8),
                                    dict(lr=0.02, adjust_lr_fn="match_rms_adamw",
                                         weight_decay=0.0),
                                    dict(lr=0.05, ns_steps=3, eps=1e-5)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_muon_matches_torch(kwargs, dtype):
    def run(T):
        dt = getattr(T, dtype)
        x = T.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], dtype=dt, requires_grad=True)
        y = T.tensor([[1.0, -2.0], [0.3, 0.2], [1.5, -0.5]], dtype=dt, requires_grad=True)
        opt = T.optim.Muon([x, y], **kwargs)
        traj = []
        for _ in range(20):
            opt.zero_grad()
            (0.3 * (x ** 2).sum() + (x @ y).sum() + (y ** 4).sum()).backward()
            opt.step()
            traj.append(np.concatenate([x.detach().numpy().ravel(), y.detach().numpy().ravel()]))
        return np.array(traj), opt
    tr, opt_r = run(retrograd)
    tt, opt_t = run(torch)
    # one bfloat16 rounding decided the other way moves a parameter by ~lr * 0.004
    np.testing.assert_allclose(tr, tt, rtol=0, atol=1e-3)
    _assert_same_state(opt_r.state_dict(), opt_t.state_dict(), 0, 1e-3)
    assert str(opt_r) == str(opt_t)


ALL = sorted({n for n, _ in CONFIGS})


@pytest.mark.parametrize("name", ALL)
def test_parameters_joining_late_and_skipping_steps(name):
    """Only some parameters have a gradient at each step: their state is created when they
    first have one (the state_dict's order shows it), the others are left alone."""
    pattern = [(2,), (0, 2), (), (1,), (0, 1, 2), (0,), (1, 2)] * 3

    def run(T):
        ps = [T.tensor(v, dtype=T.float64, requires_grad=True)
              for v in ([1.0, -2.0], [0.5], [[0.3, 0.1], [-0.2, 0.4]])]
        opt = getattr(T.optim, name)([{"params": ps[:2]}, {"params": ps[2:], "lr": 3e-3}])
        traj = []
        for active in pattern:
            opt.zero_grad()
            for i in active:
                ps[i].grad = T.cos(ps[i].detach() * (i + 1)) + 0.1 * ps[i].detach()
            opt.step()
            traj.append(np.concatenate([p.detach().numpy().ravel() for p in ps]))
        return np.array(traj), opt
    tr, opt_r = run(retrograd)
    tt, opt_t = run(torch)
    np.testing.assert_allclose(tr, tt, rtol=1e-9, atol=1e-12)
    _assert_same_state(opt_r.state_dict(), opt_t.state_dict(), 1e-9, 1e-12)
