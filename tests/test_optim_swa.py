"""retrograd.optim.swa_utils.AveragedModel and update_bn against torch's: the same model weights
in both libraries, update_parameters with SWA/EMA (per-tensor and multi-tensor functions, with
and without buffers), n_averaged, state_dict keys and values, forward, update_bn's running
statistics, momenta and train/eval mode after a pass over the same DataLoader, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd

LIBS = (torch, retrograd)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch's thread pool on tiny tensors is what costs time on a busy machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _np(t):
    return np.array(t.detach().tolist()) if t.dim() else np.array(t.item())


def _model(T, seed=0):
    """Linear -> BatchNorm1d -> ReLU -> Linear, with the same weights in both libraries."""
    m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4), T.nn.ReLU(), T.nn.Linear(4, 2))
    rng = np.random.default_rng(seed)
    sd = {k: T.tensor(rng.standard_normal(tuple(v.shape)).astype(np.float32))
          if v.is_floating_point() else v for k, v in m.state_dict().items()}
    sd["1.running_var"] = sd["1.running_var"].abs() + 0.5
    m.load_state_dict(sd)
    return m


def _train_step(T, model, step):
    """Move the weights and buffers deterministically (a training step on fixed data)."""
    x = T.tensor(np.random.default_rng(100 + step).standard_normal((5, 3)).astype(np.float32))
    opt = T.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    model(x).pow(2).sum().backward()
    opt.step()
    opt.zero_grad()


def _sd(m):
    return {k: (str(v.dtype).split(".")[-1], _np(v)) for k, v in m.state_dict().items()}


def _assert_same_sd(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k][0] == b[k][0], k
        np.testing.assert_allclose(a[k][1], b[k][1], rtol=1e-5, atol=1e-6, err_msg=k)


AVG = {
    "swa-default": lambda S: {},
    "swa-avg_fn": lambda S: {"avg_fn": S.get_swa_avg_fn()},
    "swa-multi": lambda S: {"multi_avg_fn": S.get_swa_multi_avg_fn()},
    "ema-avg_fn": lambda S: {"avg_fn": S.get_ema_avg_fn(0.8)},
    "ema-multi": lambda S: {"multi_avg_fn": S.get_ema_multi_avg_fn(0.7)},
    "custom-avg_fn": lambda S: {"avg_fn": lambda a, c, n: a * 0.5 + c * 0.5 + n * 0.01},
}


def _run_averaging(T, name, use_buffers):
    S = T.optim.swa_utils
    model = _model(T)
    swa = S.AveragedModel(model, use_buffers=use_buffers, **AVG[name](S))
    out = [_sd(swa)]
    for step in range(4):
        _train_step(T, model, step)
        swa.update_parameters(model)
        out.append((_sd(swa), swa.n_averaged.item(), str(swa.n_averaged.dtype)))
    swa.eval()
    x = T.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    return out, _np(swa(x)), [p.requires_grad for p in swa.parameters()]


@pytest.mark.parametrize("use_buffers", [False, True], ids=["params", "buffers"])
@pytest.mark.parametrize("name", list(AVG))
def test_update_parameters(name, use_buffers):
    if (name, use_buffers) == ("swa-multi", True):
        # torch's get_swa_multi_avg_fn refuses the int64 num_batches_tracked buffer (addcdiv on
        # integers): the same error here.
        errs = [_error(lambda T=T: _run_averaging(T, name, use_buffers)) for T in LIBS]
        assert errs[0] is not None and errs[0][0] == "RuntimeError"
        assert errs[1] == errs[0]
        return
    ref, got = (_run_averaging(T, name, use_buffers) for T in LIBS)
    assert len(ref[0]) == len(got[0])
    _assert_same_sd(ref[0][0], got[0][0])
    for (rsd, rn, rdt), (gsd, gn, gdt) in zip(ref[0][1:], got[0][1:]):
        _assert_same_sd(rsd, gsd)
        assert (rn, rdt) == (gn, gdt)
    np.testing.assert_allclose(ref[1], got[1], rtol=1e-5, atol=1e-6)
    assert ref[2] == got[2]


def test_first_update_copies_and_model_is_a_copy():
    def fn(T):
        model = _model(T)
        swa = T.optim.swa_utils.AveragedModel(model)
        same = [a is b for a, b in zip(swa.module.parameters(), model.parameters())]
        with T.no_grad():
            model[0].weight.add_(1.0)
        before = _np(swa.module[0].weight)
        swa.update_parameters(model)
        return same, before, _np(swa.module[0].weight), _np(model[0].weight), type(swa.module)
    (rs, rb, ra, rm, rt), (gs, gb, ga, gm, gt) = (fn(T) for T in LIBS)
    assert rs == gs == [False] * 6
    np.testing.assert_allclose(rb, gb)
    np.testing.assert_allclose(ra, ga)
    np.testing.assert_allclose(ra, rm)
    assert rt.__name__ == gt.__name__ == "Sequential"


def test_state_dict_round_trip_and_repr():
    def fn(T):
        model = _model(T)
        swa = T.optim.swa_utils.AveragedModel(model)
        for step in range(2):
            _train_step(T, model, step)
            swa.update_parameters(model)
        other = T.optim.swa_utils.AveragedModel(_model(T, seed=1))
        other.load_state_dict(swa.state_dict())
        return _sd(other), repr(swa), [n for n, _ in swa.named_buffers()]
    ref, got = (fn(T) for T in LIBS)
    _assert_same_sd(ref[0], got[0])
    assert list(ref[0])[0] == "n_averaged"
    assert ref[1:] == got[1:]


def test_torch_state_dict_loads_in_retrograd():
    model = _model(torch)
    swa = torch.optim.swa_utils.AveragedModel(model)
    for step in range(3):
        _train_step(torch, model, step)
        swa.update_parameters(model)
    mine = retrograd.optim.swa_utils.AveragedModel(_model(retrograd, seed=2))
    mine.load_state_dict({k: retrograd.tensor(_np(v), dtype=getattr(retrograd, str(v.dtype)[6:]))
                          for k, v in swa.state_dict().items()})
    _assert_same_sd(_sd(swa), _sd(mine))


def _loader(T, tuples):
    x = T.tensor(np.random.default_rng(7).standard_normal((10, 3)).astype(np.float32) * 2 + 1)
    if tuples:
        ds = T.utils.data.TensorDataset(x, T.arange(10))
    else:
        ds = x
    return T.utils.data.DataLoader(ds, batch_size=4, shuffle=False)


def _bn_state(m):
    return {n: (b.momentum, _np(b.running_mean), _np(b.running_var),
                b.num_batches_tracked.item(), b.training)
            for n, b in m.named_modules() if isinstance(b, T_BN[type(b).__module__.split(".")[0]])}


T_BN = {"torch": torch.nn.modules.batchnorm._BatchNorm,
        "retrograd": retrograd.nn.modules.batchnorm._BatchNorm}


@pytest.mark.parametrize("tuples", [False, True], ids=["tensors", "tuples"])
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_update_bn(mode, tuples):
    def fn(T):
        model = _model(T)
        model.add_module("4", T.nn.Linear(2, 2))
        with T.no_grad():
            model[4].weight.copy_(T.tensor([[0.5, -1.0], [1.5, 0.25]]))
            model[4].bias.fill_(0.1)
        model[1].momentum = 0.3
        wrapped = T.nn.Sequential(model, T.nn.BatchNorm1d(2, momentum=None))
        swa = T.optim.swa_utils.AveragedModel(wrapped)
        getattr(swa, mode)()
        res = T.optim.swa_utils.update_bn(_loader(T, tuples), swa)
        return res, swa.training, [m.training for m in swa.modules()], _bn_state(swa)
    ref, got = (fn(T) for T in LIBS)
    assert ref[:3] == got[:3]
    assert list(ref[3]) == list(got[3])
    for k in ref[3]:
        r, g = ref[3][k], got[3][k]
        assert (r[0], r[3], r[4]) == (g[0], g[3], g[4])
        np.testing.assert_allclose(r[1], g[1], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(r[2], g[2], rtol=1e-5, atol=1e-6)


def test_update_bn_without_batchnorm_leaves_the_model_alone():
    def fn(T):
        model = T.nn.Sequential(T.nn.Linear(3, 2))
        model.eval()
        seen = []
        model.register_forward_hook(lambda *a: seen.append(1))
        T.optim.swa_utils.update_bn(_loader(T, False), model)
        return model.training, seen
    assert fn(torch) == fn(retrograd) == (False, [])


def test_update_bn_runs_without_grad():
    def fn(T):
        model = _model(T)
        grads = []
        model.register_forward_hook(lambda m, i, o: grads.append(o.requires_grad))
        T.optim.swa_utils.update_bn(_loader(T, False), model, device="cpu")
        return grads
    assert fn(torch) == fn(retrograd) == [False] * 3


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, str(e)
    return None


ERRORS = {
    "both-fns": lambda T: T.optim.swa_utils.AveragedModel(
        _model(T), avg_fn=T.optim.swa_utils.get_swa_avg_fn(),
        multi_avg_fn=T.optim.swa_utils.get_swa_multi_avg_fn()),
    "ema-decay": lambda T: T.optim.swa_utils.get_ema_multi_avg_fn(2.0),
    "buffer-mismatch": lambda T: T.optim.swa_utils.AveragedModel(_model(T)).update_parameters(
        T.nn.Sequential(T.nn.Linear(3, 4))),
    "n_averaged-not-tensor": lambda T: setattr(T.optim.swa_utils.AveragedModel(_model(T)),
                                               "n_averaged", 3),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(case):
    ref = _error(lambda: ERRORS[case](torch))
    assert ref is not None
    assert _error(lambda: ERRORS[case](retrograd)) == ref


def test_exports():
    assert retrograd.optim.swa_utils.__all__ == torch.optim.swa_utils.__all__
    assert issubclass(retrograd.optim.swa_utils.AveragedModel, retrograd.nn.Module)


def test_device_argument():
    def fn(T):
        swa = T.optim.swa_utils.AveragedModel(_model(T), device="cpu")
        return (str(swa.n_averaged.device), str(swa.n_averaged.dtype).split(".")[-1],
                [str(p.device) for p in swa.parameters()], swa.use_buffers,
                swa.avg_fn, swa.multi_avg_fn)
    assert fn(torch) == fn(retrograd)
