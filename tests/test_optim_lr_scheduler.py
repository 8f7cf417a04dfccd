"""retrograd.optim.lr_scheduler against torch.optim.lr_scheduler: the lr (and momentum) of
every group after each of 60 steps, state_dict contents and round trips, warnings, errors."""
from __future__ import annotations

import copy
import importlib
import math
import re
import warnings

import pytest
import torch

import retrograd

_ADDR = re.compile(r"0x[0-9a-fA-F]+")
STEPS = 60


def _optimizer(T, kind="SGD", groups=2):
    ps = [T.ones(2, requires_grad=True) for _ in range(groups)]
    lrs = [0.1, 0.03, 0.5][:groups]
    params = [{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)]
    if kind == "SGD":
        return T.optim.SGD(params, lr=0.1, momentum=0.9)
    if kind == "Adam":
        return T.optim.Adam(params, lr=0.1)
    return getattr(T.optim, kind)(params, lr=0.1)


def _snapshot(opt, sched):
    groups = [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]
    return groups, list(sched.get_last_lr())


class _Scale:
    """A callable object: its __dict__ is what a scheduler's state_dict keeps."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base ** x


SCHEDULERS = {
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), _Scale(0.9)]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.9 if e % 3 else 1.05),
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "StepLR-default-gamma": lambda S, o: S.StepLR(o, 4),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[5, 15, 15, 30], gamma=0.3),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=10),
    "ConstantLR-default": lambda S, o: S.ConstantLR(o),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=25),
    "LinearLR-default": lambda S, o: S.LinearLR(o),
    "LinearLR-decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                              total_iters=40),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=30, power=2.0),
    "PolynomialLR-default": lambda S, o: S.PolynomialLR(o),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=12, eta_min=1e-3),
    "CosineAnnealingLR-long": lambda S, o: S.CosineAnnealingLR(o, T_max=50),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7),
    "CosineAnnealingWarmRestarts-mult": lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=1e-3),
    "CyclicLR": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], 4,
                                                    step_size_down=7, mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, 0.01, 0.1, 6, mode="exp_range",
                                                  gamma=0.97, base_momentum=0.7,
                                                  max_momentum=0.95),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, 5, scale_fn=_Scale(0.99),
                                                 scale_mode="iterations",
                                                 cycle_momentum=False),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=STEPS + 1),
    "OneCycleLR-linear": lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], epochs=7,
                                                   steps_per_epoch=9, pct_start=0.25,
                                                   anneal_strategy="linear"),
    "OneCycleLR-three-phase": lambda S, o: S.OneCycleLR(o, 1.0, total_steps=STEPS + 5,
                                                        three_phase=True, div_factor=10.0,
                                                        final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(o, 0.3, total_steps=STEPS + 1,
                                                        cycle_momentum=False),
    "SequentialLR": lambda S, o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=10),
                                                    S.ExponentialLR(o, 0.9)], milestones=[10]),
    "SequentialLR-three": lambda S, o: S.SequentialLR(o, [S.ConstantLR(o, 0.5, 5),
                                                          S.StepLR(o, 4, 0.5),
                                                          S.CosineAnnealingLR(o, 10)],
                                                      milestones=[8, 30]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.2, 6),
                                                         S.ExponentialLR(o, 0.95)]),
    "ChainedScheduler-with-optimizer": lambda S, o: S.ChainedScheduler(
        [S.StepLR(o, 5, 0.7), S.LinearLR(o, 0.5, 1.0, 10)], optimizer=o),
}
KINDS = {"CyclicLR-exp_range": "Adam", "OneCycleLR-three-phase": "Adam"}


def _sequence(T, name, steps=STEPS):
    opt = _optimizer(T, KINDS.get(name, "SGD"))
    sched = SCHEDULERS[name](T.optim.lr_scheduler, opt)
    out = [_snapshot(opt, sched)]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(_snapshot(opt, sched))
    return out, sched


def _plain_state(sd):
    """A scheduler state_dict as comparable data (floats exact, nested dicts recursed)."""
    if isinstance(sd, dict):
        return {k: _plain_state(v) for k, v in sd.items()}
    if isinstance(sd, (list, tuple)):
        return type(sd)(_plain_state(v) for v in sd)
    return sd


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_and_state_dict_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # the right call order warns about nothing
        r, sched_r = _sequence(retrograd, name)
        t, sched_t = _sequence(torch, name)
    assert r == t
    assert _plain_state(sched_r.state_dict()) == _plain_state(sched_t.state_dict())


@pytest.mark.parametrize("name", ["LambdaLR-per-group", "StepLR", "MultiStepLR", "LinearLR",
                                  "CosineAnnealingLR", "CosineAnnealingWarmRestarts-mult",
                                  "CyclicLR-scale_fn", "OneCycleLR", "SequentialLR-three",
                                  "ChainedScheduler", "PolynomialLR", "ConstantLR"])
def test_state_dict_round_trip(name):
    """Save after 20 steps, load into a new scheduler (and optimizer), step on: as torch."""
    def run(T):
        _, sched = _sequence(T, name, steps=20)
        sd = copy.deepcopy(sched.state_dict())
        opt_sd = copy.deepcopy(sched.optimizer.state_dict())
        opt = _optimizer(T, KINDS.get(name, "SGD"))
        new = SCHEDULERS[name](T.optim.lr_scheduler, opt)
        new.load_state_dict(sd)
        opt.load_state_dict(opt_sd)
        out = []
        for _ in range(25):
            opt.step()
            new.step()
            out.append(_snapshot(opt, new))
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run(retrograd) == run(torch)


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2),
    dict(threshold_mode="abs", threshold=0.05, patience=1, cooldown=3),
    dict(mode="max", threshold_mode="abs", threshold=0.01, patience=0, min_lr=[0.02, 0.01]),
    dict(factor=0.3, patience=3, min_lr=0.005, eps=1e-3),
]
METRICS = [1.0, 0.9, 0.85, 0.86, 0.849, 0.87, 0.88, 0.85, 0.7, 0.71, 0.72, 0.73, 0.74,
           0.69, 0.75] * 4


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau(kwargs):
    def run(T):
        opt = _optimizer(T)
        sched = T.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        out = []
        for i, m in enumerate(METRICS):
            opt.step()
            sched.step(T.tensor(m) if i % 2 else m)
            out.append((_snapshot(opt, sched), sched.num_bad_epochs, sched.cooldown_counter,
                        sched.best, sched.in_cooldown))
        sd = sched.state_dict()
        again = T.optim.lr_scheduler.ReduceLROnPlateau(opt)
        again.load_state_dict(copy.deepcopy(sd))
        again.step(0.1)
        return out, sd, _snapshot(opt, again), again.mode, again.threshold_mode
    assert run(retrograd) == run(torch)


def _outcome(fn, T):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value, error = fn(T), None
        except Exception as e:  # noqa: BLE001 - compared with torch's
            value, error = None, (type(e).__name__, _ADDR.sub("0x?", str(e)))
    return value, error, [(w.category.__name__, str(w.message)) for w in caught]


def both(fn):
    r, t = _outcome(fn, retrograd), _outcome(fn, torch)
    assert r == t
    return t


def test_warning_when_the_scheduler_steps_before_the_optimizer():
    def fn(T):
        opt = _optimizer(T)
        sched = T.optim.lr_scheduler.StepLR(opt, 2)
        sched.step()
        sched.step()
        opt.step()
        sched.step()
        return sched.get_last_lr()
    _, _, caught = both(fn)
    assert len(caught) == 1 and "Detected call of `lr_scheduler.step()` before" in caught[0][1]


def test_warning_when_optimizer_step_was_replaced():
    def fn(T):
        opt = _optimizer(T)
        sched = T.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step = lambda closure=None: None
        opt.step()
        sched.step()
        return sched.get_last_lr()
    _, _, caught = both(fn)
    assert len(caught) == 1 and "has been overridden after learning rate" in caught[0][1]


def test_no_warning_for_a_second_scheduler_on_the_same_optimizer():
    def fn(T):
        opt = _optimizer(T)
        s1 = T.optim.lr_scheduler.StepLR(opt, 2)
        s2 = T.optim.lr_scheduler.ExponentialLR(opt, 0.9)
        opt.step()
        s1.step()
        s2.step()
        return s1.get_last_lr(), s2.get_last_lr()
    assert both(fn)[2] == []


def test_get_lr_outside_step_warns_and_epoch_argument_is_deprecated():
    def fn(T):
        opt = _optimizer(T)
        sched = T.optim.lr_scheduler.StepLR(opt, 3, gamma=0.5)
        opt.step()
        lrs = sched.get_lr()
        sched.step(7)                        # closed form
        cos = T.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
        cos.step(4)
        return lrs, sched.get_last_lr(), cos.get_last_lr()
    _, _, caught = both(fn)
    assert [c[1][:25] for c in caught] == ["To get the last learning ",
                                           "The epoch parameter in `s",
                                           "The epoch parameter in `s"]


@pytest.mark.parametrize("name,epochs", [
    ("StepLR", [3, 8, 2, 20]), ("MultiStepLR", [4, 5, 16, 40]), ("ConstantLR", [3, 10, 11]),
    ("LinearLR", [0, 5, 30, 12]), ("ExponentialLR", [5, 2, 9]), ("PolynomialLR", [4, 31, 10]),
    ("CosineAnnealingLR", [3, 12, 30]), ("CosineAnnealingWarmRestarts-mult", [0, 2.5, 4, 17, 40]),
    ("LambdaLR", [3, 9]),
])
def test_step_with_an_epoch_uses_the_closed_form(name, epochs):
    def fn(T):
        opt = _optimizer(T)
        sched = SCHEDULERS[name](T.optim.lr_scheduler, opt)
        out = []
        for e in epochs:
            opt.step()
            sched.step(e)
            out.append(_snapshot(opt, sched))
        return out
    assert both(fn)[1] is None


def test_resuming_with_last_epoch():
    def fn(T):
        opt = _optimizer(T)
        T.optim.lr_scheduler.StepLR(opt, 3)
        sched = T.optim.lr_scheduler.StepLR(opt, 3, last_epoch=5)
        opt.step()
        sched.step()
        return _snapshot(opt, sched), sched.last_epoch
    assert both(fn)[1] is None


def test_tensor_lr_is_updated_in_place():
    def fn(T):
        p = T.ones(2, requires_grad=True)
        lr = T.tensor(0.1)
        opt = T.optim.SGD([p], lr=lr)
        sched = T.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step()
        sched.step()
        return opt.param_groups[0]["lr"] is lr, lr.item(), repr(sched.get_last_lr())
    assert both(fn)[0][0] is True


SCHEDULER_ERRORS = {
    "ConstantLR factor": lambda S, o: S.ConstantLR(o, factor=1.5),
    "LinearLR start": lambda S, o: S.LinearLR(o, start_factor=0),
    "LinearLR end": lambda S, o: S.LinearLR(o, end_factor=1.5),
    "LambdaLR count": lambda S, o: S.LambdaLR(o, [lambda e: 1.0]),
    "MultiplicativeLR callable": lambda S, o: S.MultiplicativeLR(o, [0.9, 0.8]),
    "WarmRestarts T_0": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    "WarmRestarts T_0 float": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2.0),
    "WarmRestarts T_mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "WarmRestarts eta_min": lambda S, o: S.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
    "WarmRestarts epoch": lambda S, o: S.CosineAnnealingWarmRestarts(o, 2).step(-1),
    "CyclicLR mode": lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="linear"),
    "CyclicLR lengths": lambda S, o: S.CyclicLR(o, [0.1], 1.0),
    "OneCycleLR total": lambda S, o: S.OneCycleLR(o, 0.1),
    "OneCycleLR total 0": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=0),
    "OneCycleLR epochs": lambda S, o: S.OneCycleLR(o, 0.1, epochs=-1, steps_per_epoch=2),
    "OneCycleLR steps_per_epoch": lambda S, o: S.OneCycleLR(o, 0.1, epochs=2,
                                                            steps_per_epoch=0),
    "OneCycleLR pct": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.5),
    "OneCycleLR pct int": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=10, pct_start=1),
    "OneCycleLR anneal": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=10,
                                                   anneal_strategy="exp"),
    "OneCycleLR too many steps": lambda S, o: (lambda s: [s.step() for _ in range(3)])(
        S.OneCycleLR(o, 0.1, total_steps=2)),
    "Plateau factor": lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
    "Plateau mode": lambda S, o: S.ReduceLROnPlateau(o, mode="lowest"),
    "Plateau threshold mode": lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="pct"),
    "Plateau min_lr": lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1]),
    "Plateau not an optimizer": lambda S, o: S.ReduceLROnPlateau([o]),
    "Sequential empty": lambda S, o: S.SequentialLR(o, [], []),
    "Sequential milestones": lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], [3]),
    "Sequential plateau": lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2),
                                                          S.ReduceLROnPlateau(o)], [3]),
    "Sequential no optimizer": lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2), 3], [3]),
    "Chained empty": lambda S, o: S.ChainedScheduler([]),
    "Chained plateau": lambda S, o: S.ChainedScheduler([S.ReduceLROnPlateau(o)]),
    "resume without initial_lr": lambda S, o: S.StepLR(o, 3, last_epoch=4),
    "not an optimizer": lambda S, o: S.ExponentialLR("sgd", 0.5),
}


@pytest.mark.parametrize("case", list(SCHEDULER_ERRORS))
def test_scheduler_errors(case):
    def fn(T):
        return SCHEDULER_ERRORS[case](T.optim.lr_scheduler, _optimizer(T))
    _, error, _ = both(fn)
    assert error is not None


@pytest.mark.parametrize("cls", ["CyclicLR", "OneCycleLR"])
def test_cycle_momentum_needs_momentum_or_betas(cls):
    def fn(T):
        opt = _optimizer(T, "Adagrad")
        if cls == "CyclicLR":
            T.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0)
        else:
            T.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10)
    assert both(fn)[1] == ("ValueError", "optimizer must support momentum or beta1 with "
                           "`cycle_momentum` option enabled")


def test_sequential_with_another_optimizer_is_refused():
    def fn(T):
        o1, o2 = _optimizer(T), _optimizer(T)
        S = T.optim.lr_scheduler
        S.SequentialLR(o1, [S.StepLR(o1, 2), S.StepLR(o2, 2)], [3])
    assert both(fn)[1][0] == "ValueError"


def test_lr_scheduler_namespace():
    assert sorted(retrograd.optim.__all__) == sorted(
        n for n in torch.optim.__all__ if n not in ("SparseAdam",
                                                    "swap_in_optimizer_params_and_state"))
    names = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
             "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
             "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
             "PolynomialLR", "LRScheduler"]
    mod = importlib.import_module("retrograd.optim.lr_scheduler")
    assert sorted(mod.__all__) == sorted(torch.optim.lr_scheduler.__all__) == sorted(names)
    for name in names:
        assert issubclass(getattr(mod, name), mod.LRScheduler)
    assert math.isinf(mod.ReduceLROnPlateau(_optimizer(retrograd)).best)


# -- swa_utils (SWALR and the averaging functions; AveragedModel needs nn.Module) -------------
SWA = {
    "cos": lambda S, o: S.SWALR(o, swa_lr=0.05, anneal_epochs=7),
    "linear-per-group": lambda S, o: S.SWALR(o, [0.01, 0.2], anneal_epochs=5,
                                             anneal_strategy="linear"),
    "no-annealing": lambda S, o: S.SWALR(o, 0.02, anneal_epochs=0),
}


@pytest.mark.parametrize("name", list(SWA))
def test_swalr(name):
    def fn(T):
        opt = _optimizer(T)
        cos = T.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        swa = SWA[name](T.optim.swa_utils, opt)
        out = []
        for epoch in range(30):
            opt.step()
            (cos if epoch < 10 else swa).step()
            out.append(_snapshot(opt, swa))
        sd = copy.deepcopy(swa.state_dict())
        again = SWA[name](T.optim.swa_utils, opt)
        again.load_state_dict(sd)
        again.step()
        return out, sd, _snapshot(opt, again)
    assert both(fn)[1] is None


@pytest.mark.parametrize("case", ["strategy", "epochs", "epochs-float", "swa_lr-length",
                                  "ema-decay", "ema-multi-decay"])
def test_swa_errors(case):
    def fn(T):
        S, opt = T.optim.swa_utils, _optimizer(T)
        return {"strategy": lambda: S.SWALR(opt, 0.1, anneal_strategy="exp"),
                "epochs": lambda: S.SWALR(opt, 0.1, anneal_epochs=-1),
                "epochs-float": lambda: S.SWALR(opt, 0.1, anneal_epochs=2.0),
                "swa_lr-length": lambda: S.SWALR(opt, [0.1]),
                "ema-decay": lambda: S.get_ema_avg_fn(1.5),
                "ema-multi-decay": lambda: S.get_ema_multi_avg_fn(-0.1)}[case]()
    assert both(fn)[1][0] == "ValueError"


def test_swa_averaging_functions():
    def fn(T):
        S = T.optim.swa_utils
        avg = [T.tensor([1.0, 2.0]), T.tensor([[0.5, -1.0]], dtype=T.float64)]
        cur = [T.tensor([3.0, -2.0]), T.tensor([[1.5, 1.0]], dtype=T.float64)]
        ema = [a.clone() for a in avg]
        out = []
        for n in range(4):
            S.get_swa_multi_avg_fn()(avg, cur, n)
            S.get_ema_multi_avg_fn(0.9)(ema, cur, n)
            out.append([a.tolist() for a in avg + ema])
        ints = [T.tensor([10, 20])]
        S.get_ema_multi_avg_fn(0.5)(ints, [T.tensor([20, 40])], 0)
        single = S.get_swa_avg_fn()(T.tensor([1.0, 1.0]), T.tensor([3.0, 5.0]), T.tensor(3))
        ema1 = S.get_ema_avg_fn(0.75)(T.tensor([1.0]), T.tensor([5.0]), 0)
        return out, ints[0].tolist(), single.tolist(), ema1.tolist()
    value, error, _ = both(fn)
    assert error is None
