"""retrograd.optim's API around the algorithms, against torch.optim: constructor and
hyperparameter errors, add_param_group, named parameters, load_state_dict errors, hooks,
warnings."""
from __future__ import annotations

import importlib
import re
import warnings

import pytest
import torch

import retrograd

_ADDR = re.compile(r"0x[0-9a-fA-F]+")


def _plain(v, T):
    """Results as comparable data: tensors as (dtype, values), optimizers by their repr."""
    if isinstance(v, T.Tensor):
        return str(v.dtype), v.tolist()
    if isinstance(v, (T.optim.Optimizer, T.optim.lr_scheduler.LRScheduler)):
        return repr(v)
    if isinstance(v, dict):
        return {k: _plain(e, T) for k, e in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_plain(e, T) for e in v)
    return v


def _outcome(fn, T):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = _plain(fn(T), T)
            error = None
        except Exception as e:  # noqa: BLE001 - the exception itself is compared
            value, error = None, (type(e).__name__, _ADDR.sub("0x?", str(e)))
    return value, error, [(w.category.__name__, str(w.message)) for w in caught]


def both(fn):
    """fn(T) on retrograd and torch: the same result, exception (type, message), warnings."""
    r, t = _outcome(fn, retrograd), _outcome(fn, torch)
    assert r == t
    return t


def _optimizer_module(T):
    return importlib.import_module(T.__name__ + ".optim.optimizer")


def _p(T, *shape):
    return T.ones(*(shape or (2,)), requires_grad=True)


# (optimizer, keyword arguments) that PyTorch rejects at construction
BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=-0.5)), ("SGD", dict(momentum=-0.1)),
    ("SGD", dict(weight_decay=-1e-3)), ("SGD", dict(nesterov=True)),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)),
    ("Adam", dict(betas=(0, 0.9))), ("AdamW", dict(lr=-2)), ("AdamW", dict(betas=(0.5, 1))),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-1)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(weight_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Adamax", dict(lr=-1)), ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(1.0, 0.9))),
    ("Adamax", dict(betas=(0.9, 1.0))), ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(lr=-1)), ("NAdam", dict(eps=-1)), ("NAdam", dict(betas=(-0.1, 0.9))),
    ("NAdam", dict(betas=(0.9, 2.0))), ("NAdam", dict(weight_decay=-1)),
    ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(lr=-1)), ("RAdam", dict(eps=-1)), ("RAdam", dict(betas=(1.0, 0.9))),
    ("RAdam", dict(betas=(0.9, 1.0))), ("RAdam", dict(weight_decay=-1)),
    ("ASGD", dict(lr=-1)), ("ASGD", dict(weight_decay=-1)),
    ("Rprop", dict(lr=-1)), ("Rprop", dict(etas=(1.5, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("LBFGS", dict(lr=-1)),
    ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1, 1e-3))), ("Adafactor", dict(eps=(None, -1))),
    ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1)),
    ("Muon", dict(lr=-1)), ("Muon", dict(momentum=-1)), ("Muon", dict(weight_decay=-1)),
    ("Muon", dict(adjust_lr_fn="rms")), ("Muon", dict()),          # Muon: 1-D parameter
    ("SGD", dict(fused=True, foreach=True)), ("Adam", dict(fused=True, foreach=True)),
    ("Adagrad", dict(fused=True, foreach=True)),
]


@pytest.mark.parametrize("name,kwargs", BAD_HYPERPARAMETERS,
                         ids=[f"{n}-{k}" for n, k in BAD_HYPERPARAMETERS])
def test_invalid_hyperparameters(name, kwargs):
    _, error, _ = both(lambda T: getattr(T.optim, name)([_p(T)], **kwargs))
    assert error is not None


def test_tensor_lr_must_have_one_element():
    for name in ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
                 "ASGD", "Rprop", "LBFGS", "Adafactor", "Muon"):
        _, error, _ = both(lambda T: getattr(T.optim, name)([_p(T)], lr=T.tensor([0.1, 0.2])))
        assert error == ("ValueError", "Tensor lr must be 1-element")


PARAM_ERRORS = {
    "single tensor": lambda T: T.optim.SGD(_p(T), lr=0.1),
    "empty list": lambda T: T.optim.Adam([]),
    "non-leaf": lambda T: T.optim.SGD([_p(T) * 2], lr=0.1),
    "set": lambda T: T.optim.SGD([{"params": {_p(T)}}], lr=0.1),
    "int": lambda T: T.optim.SGD([_p(T), 3], lr=0.1),
    "ndarray": lambda T: T.optim.SGD([_p(T).detach().numpy()], lr=0.1),
    "same param in two groups": lambda T: (lambda p: T.optim.SGD(
        [{"params": [p]}, {"params": [p], "lr": 0.2}], lr=0.1))(_p(T)),
    "group not a dict": lambda T: T.optim.SGD([_p(T)]).add_param_group([_p(T)]),
    "names missing": lambda T: T.optim.SGD([("a", _p(T)), _p(T)]),
    "named then unnamed group": lambda T: T.optim.SGD([("a", _p(T))]).add_param_group(
        {"params": [_p(T)]}),
    "unnamed then named group": lambda T: T.optim.SGD([_p(T)]).add_param_group(
        {"params": [("b", _p(T))]}),
    "LBFGS groups": lambda T: T.optim.LBFGS([{"params": [_p(T)]}, {"params": [_p(T)]}]),
    "scheduler on a non-optimizer": lambda T: T.optim.lr_scheduler.StepLR(object(), 3),
}


@pytest.mark.parametrize("case", list(PARAM_ERRORS))
def test_parameter_errors(case):
    _, error, _ = both(PARAM_ERRORS[case])
    assert error is not None


def test_a_retained_non_leaf_can_be_optimized():
    def fn(T):
        a = _p(T)
        b = a * 2
        b.retain_grad()
        return len(T.optim.SGD([b]).param_groups[0]["params"])
    assert both(fn)[0] == 1


def test_duplicate_parameter_warning():
    def fn(T):
        p = _p(T)
        return len(T.optim.SGD([p, p], lr=0.1).param_groups[0]["params"])
    value, error, caught = both(fn)
    assert value == 2 and caught and "duplicate parameters" in caught[0][1]


def test_named_parameters_and_groups_in_state_dict():
    def fn(T):
        a, b, c = _p(T), _p(T, 3), _p(T, 1)
        opt = T.optim.Adam([("a", a), ("b", b)], lr=0.1)
        opt.add_param_group({"params": [("c", c)], "lr": 0.5, "betas": (0.5, 0.6)})
        for p in (a, b, c):
            p.grad = T.full_like(p, 0.5)
        opt.step()
        sd = opt.state_dict()
        return sd["param_groups"], sorted(sd["state"]), repr(opt)
    value, error, _ = both(fn)
    assert error is None and value[0][0]["param_names"] == ["a", "b"]


def test_required_hyperparameter():
    def fn(T):
        from_required = _optimizer_module(T).required

        class Custom(T.optim.Optimizer):
            def __init__(self, params, lr=from_required):
                super().__init__(params, dict(lr=lr))
        return Custom([_p(T)], lr=0.1).param_groups[0]["lr"], repr(from_required), \
            Custom([{"params": [_p(T)]}])
    _, error, _ = both(fn)
    assert error == ("ValueError", "parameter group didn't specify a value of required "
                     "optimization parameter lr")


def test_load_state_dict_errors():
    def groups(T):
        opt = T.optim.SGD([_p(T)], lr=0.1)
        opt.load_state_dict(T.optim.SGD([{"params": [_p(T)]}, {"params": [_p(T)]}]).state_dict())

    def sizes(T):
        opt = T.optim.SGD([_p(T)], lr=0.1)
        opt.load_state_dict(T.optim.SGD([_p(T), _p(T)]).state_dict())
    assert both(groups)[1] == ("ValueError", "loaded state dict has a different number of "
                               "parameter groups")
    assert both(sizes)[1][0] == "ValueError"


def test_load_state_dict_takes_the_saved_hyperparameters_and_keeps_the_params():
    def fn(T):
        p, q = _p(T), _p(T)
        src = T.optim.SGD([p], lr=0.3, momentum=0.5)
        p.grad = T.ones(2)
        src.step()
        dst = T.optim.SGD([q], lr=0.1)
        dst.load_state_dict(src.state_dict())
        assert dst.param_groups[0]["params"][0] is q
        return dst.param_groups[0], dst.state[q]["momentum_buffer"], repr(dst)
    assert both(fn)[1] is None


def test_capturable_on_cpu_is_refused_at_step():
    for name in ("Adam", "AdamW", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
                 "Rprop"):
        def fn(T):
            p = _p(T)
            p.grad = T.ones(2)
            getattr(T.optim, name)([p], capturable=True).step()
        assert both(fn)[1][0] == "AssertionError"


def test_step_hooks():
    def fn(T):
        p = _p(T)
        p.grad = T.ones(2)
        opt = T.optim.SGD([p], lr=0.1)
        calls = []
        h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", len(a), k)))
        h2 = opt.register_step_post_hook(lambda o, a, k: calls.append(("post", len(a), k)))
        g1 = _optimizer_module(T).register_optimizer_step_pre_hook(
            lambda o, a, k: calls.append(("gpre", type(o).__name__)))
        g2 = _optimizer_module(T).register_optimizer_step_post_hook(
            lambda o, a, k: calls.append(("gpost", type(o).__name__)))
        opt.step()
        h1.remove()
        g1.remove()
        g2.remove()
        opt.step()
        h2.remove()
        opt.step()
        return calls, p.tolist()
    value, error, _ = both(fn)
    assert error is None and len(value[0]) == 5


def test_step_pre_hook_can_replace_arguments_or_must_return_a_pair():
    def replace(T):
        p = _p(T)
        opt = T.optim.SGD([p], lr=0.1)
        seen = []
        opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: seen.append(1)}))
        opt.step()
        return seen

    def bad(T):
        opt = T.optim.SGD([_p(T)], lr=0.1)
        opt.register_step_pre_hook(lambda o, a, k: 3)
        opt.step()
    assert both(replace)[0] == [1]
    assert both(bad)[1][0] == "RuntimeError"


def test_state_dict_hooks():
    def fn(T):
        p = _p(T)
        opt = T.optim.SGD([p], lr=0.1)
        calls = []
        opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
        opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("lpre"))
        opt.register_load_state_dict_post_hook(lambda o: calls.append("lpost"))
        opt.register_state_dict_pre_hook(lambda o: calls.append("first"), prepend=True)
        sd = opt.state_dict()
        opt.load_state_dict(sd)
        return calls, sorted(sd)
    assert both(fn)[0] == (["first", "pre", "lpre", "lpost"], ["extra", "param_groups", "state"])


def test_step_runs_without_grad_and_restores_the_mode():
    def fn(T):
        p = _p(T)
        p.grad = T.ones(2)
        seen = []
        opt = T.optim.SGD([p], lr=0.1)
        opt.register_step_post_hook(lambda o, a, k: seen.append(T.is_grad_enabled()))
        opt.step()
        return T.is_grad_enabled(), p.requires_grad, p.grad_fn is None
    assert both(fn)[0] == (True, True, True)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                                  "NAdam", "RAdam", "ASGD", "Rprop"])
def test_loading_a_number_as_step_gives_a_tensor(name):
    """Checkpoints from before step became a tensor: load_state_dict converts it."""
    def fn(T):
        p = _p(T)
        p.grad = T.full_like(p, 0.25)
        opt = getattr(T.optim, name)([p])
        opt.step()
        sd = opt.state_dict()
        sd["state"][0]["step"] = 3
        for key in ("mu_product", "eta", "mu"):
            if key in sd["state"][0]:
                sd["state"][0][key] = sd["state"][0][key].item()
        opt.load_state_dict(sd)
        opt.step()
        return {k: v for k, v in opt.state[p].items()}, p
    assert both(fn)[1] is None


def test_differentiable_is_refused():
    """The updates run on NumPy arrays in place; there is no graph through step()."""
    p = _p(retrograd)
    opt = retrograd.optim.Adam([p], differentiable=True)      # accepted, as in torch
    assert opt.state_dict()["param_groups"][0]["differentiable"] is True
    p.grad = retrograd.ones(2)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.step()
    assert both(lambda T: T.optim.SGD([_p(T)], fused=True, differentiable=True))[1] == (
        "RuntimeError", "`fused` does not support `differentiable`")


def test_foreach_and_fused_choose_the_same_arithmetic():
    def fn(T, **kw):
        p = T.tensor([1.0, -2.0, 3.0], dtype=T.float64, requires_grad=True)
        opt = T.optim.Adam([p], lr=0.1, **kw)
        for _ in range(5):
            p.grad = p.detach() ** 2
            opt.step()
        return p.tolist()
    for kw in (dict(foreach=False), dict(foreach=True), dict(fused=True)):
        assert fn(retrograd, **kw) == pytest.approx(fn(torch, **kw), rel=1e-12)


def test_user_defined_optimizer_and_scheduler():
    """Subclasses written the PyTorch way (tensor ops on p and p.grad under no_grad)."""
    def fn(T):
        class SignSGD(T.optim.Optimizer):
            def __init__(self, params, lr=0.1, decay=0.5):
                super().__init__(params, dict(lr=lr, decay=decay))

            @T.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        state["n"] = state.get("n", 0) + 1
                        p.add_(p.grad.sign(), alpha=-group["lr"] * group["decay"] ** state["n"])

        class Halve(T.optim.lr_scheduler.LRScheduler):
            def get_lr(self):
                return [g["lr"] * (0.5 if self.last_epoch % 2 else 1.0)
                        for g in self.optimizer.param_groups]

        p = T.tensor([1.0, -1.0, 0.5], requires_grad=True)
        opt = SignSGD([p])
        sched = Halve(opt)
        seen = []
        opt.register_step_post_hook(lambda o, a, k: seen.append(p.tolist()))
        for _ in range(6):
            opt.zero_grad()
            (p ** 3).sum().backward()
            opt.step()
            sched.step()
        return seen, opt.state_dict(), sched.state_dict(), repr(opt), p.requires_grad
    value, error, caught = both(fn)
    assert error is None and caught == [] and len(value[0]) == 6
