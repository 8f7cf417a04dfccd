"""Normalization layers against torch: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm,
GroupNorm, RMSNorm and their functionals. Same weights and buffers in both libraries; outputs,
input and parameter gradients, grad_fn chains, running statistics after several training steps,
evaluation outputs, printouts, state_dict round trips and errors."""
from __future__ import annotations

import pytest

from _both import both
from _nn_models import data, set_params


def _chain(fn):
    out, stack = [], [(fn, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        out.append((depth, node.name().replace("torch::autograd::", "")))
        stack.extend((n, depth + 1) for n, _ in reversed(node.next_functions))
    return out


def _x(T, shape, seed):
    return data(T, *shape, seed=seed).double().requires_grad_()


def _train(T, m, shape, steps=3, seed=1):
    """A few training steps (different batches), then one in eval mode: outputs, gradients,
    buffers, grad_fn chains. In float64: normalisation gradients cancel, and float32 results
    would hinge on summation order."""
    m.double()
    set_params(m, T)
    if getattr(m, "running_var", None) is not None:
        with T.no_grad():
            m.running_var.abs_().add_(0.5)
    res = []
    for i in range(steps):
        x = _x(T, shape, seed + i)
        y = m(x)
        (y * y.detach().sign()).sum().backward()
        res.append((y, x.grad, _chain(y.grad_fn)))
    res.append([(n, p.grad) for n, p in m.named_parameters()])
    res.append(dict(m.named_buffers()))
    m.eval()
    x = _x(T, shape, seed + 10)
    y = m(x)
    (y * y).sum().backward()
    res.append((y, x.grad, _chain(y.grad_fn)))
    res.append(dict(m.named_buffers()))
    return res


BN = [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (3, 3, 2, 2)),
      ("BatchNorm3d", (2, 3, 2, 2, 2))]


@pytest.mark.parametrize("cls,shape", BN, ids=[f"{c}-{len(s)}d" for c, s in BN])
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"track_running_stats": False},
                                {"affine": False, "momentum": 0.5}, {"bias": False, "eps": 1e-3}],
                         ids=["default", "cma", "no_stats", "no_affine", "no_bias"])
def test_batchnorm_training_and_eval(cls, shape, kw):
    both(lambda T: [str(getattr(T.nn, cls)(3, **kw))] + _train(T, getattr(T.nn, cls)(3, **kw),
                                                              shape))


def test_batchnorm_printouts_and_state_dict():
    def f(T):
        m = T.nn.BatchNorm2d(16)
        sd = m.state_dict()
        m2 = T.nn.BatchNorm2d(16, momentum=None, affine=False, track_running_stats=False)
        # a checkpoint from before num_batches_tracked (version < 2) loads with it set to 0
        old = {k: v for k, v in sd.items() if k != "num_batches_tracked"}
        m3 = T.nn.BatchNorm2d(16)
        m3.num_batches_tracked.fill_(5)
        meta = type(old)()
        old = type(sd)(old)
        old._metadata = {"": {"version": 1}}
        r = m3.load_state_dict(old)
        del meta
        return (str(m), str(m2), list(sd.keys()), [k for k, _ in m2.named_buffers()],
                m3.num_batches_tracked, str(r), m2.running_mean is None,
                sd._metadata[""]["version"])
    both(f)


@pytest.mark.parametrize("case", ["rank1d", "rank2d", "rank3d", "one_value", "one_value_3d",
                                  "features", "running_mean", "running_var", "weight", "bias",
                                  "eval_no_stats", "one_value_eval"])
def test_batchnorm_errors(case):
    def f(T):
        F = T.nn.functional
        x = data(T, 4, 3, 5)
        if case == "rank1d":
            return T.nn.BatchNorm1d(3)(data(T, 2, 3, 4, 5))
        if case == "rank2d":
            return T.nn.BatchNorm2d(3)(x)
        if case == "rank3d":
            return T.nn.BatchNorm3d(3)(x)
        if case == "one_value":
            return T.nn.BatchNorm1d(3)(data(T, 1, 3))
        if case == "one_value_3d":
            return F.batch_norm(data(T, 1, 3, 1), T.zeros(3), T.ones(3), training=True)
        if case == "features":
            return T.nn.BatchNorm1d(4)(x)
        if case == "running_mean":
            return F.batch_norm(x, T.zeros(4), T.ones(3), training=True)
        if case == "running_var":
            return F.batch_norm(x, T.zeros(3), T.ones(4))
        if case == "weight":
            return F.batch_norm(x, T.zeros(3), T.ones(3), T.ones(4))
        if case == "bias":
            return F.batch_norm(x, T.zeros(3), T.ones(3), None, T.ones(4))
        if case == "eval_no_stats":
            return F.batch_norm(x, None, None)
        if case == "one_value_eval":   # evaluation needs no batch statistics
            m = T.nn.BatchNorm1d(3).eval()
            return m(data(T, 1, 3))
    both(f)


def test_batchnorm_double_backward():
    def f(T):
        m = set_params(T.nn.BatchNorm1d(3).double(), T)
        x = _x(T, (5, 3), 1)
        y = m(x)
        g, = T.autograd.grad((y ** 3).sum(), x, create_graph=True)
        (g * g).sum().backward()
        # (g's own node is torch's NativeBatchNormBackwardBackward0 there, the formula's last
        # op here: values only)
        return g.detach(), x.grad, m.weight.grad, m.bias.grad
    both(f)


IN = [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm2d", (3, 2, 3)),
      ("InstanceNorm3d", (2, 3, 2, 2, 2))]


@pytest.mark.parametrize("cls,shape", IN, ids=[f"{c}-{len(s)}d" for c, s in IN])
@pytest.mark.parametrize("kw", [{}, {"track_running_stats": True},
                                {"affine": True, "track_running_stats": True, "momentum": 0.3}],
                         ids=["default", "stats", "affine_stats"])
def test_instancenorm_training_and_eval(cls, shape, kw):
    both(lambda T: [str(getattr(T.nn, cls)(3, **kw))] + _train(T, getattr(T.nn, cls)(3, **kw),
                                                              shape))


@pytest.mark.parametrize("case", ["rank", "affine_mismatch", "mismatch_warns", "one_spatial"])
def test_instancenorm_errors(case):
    def f(T):
        if case == "rank":
            return T.nn.InstanceNorm2d(3)(data(T, 3, 4))
        if case == "affine_mismatch":
            return T.nn.InstanceNorm1d(4, affine=True)(data(T, 2, 3, 5))
        if case == "mismatch_warns":
            return T.nn.InstanceNorm1d(4)(data(T, 2, 3, 5))
        return T.nn.functional.instance_norm(data(T, 2, 3, 1))
    both(f)


LN = [((5,), (4, 5)), ((3, 4), (2, 3, 4)), (4, (2, 3, 4))]


@pytest.mark.parametrize("ns,shape", LN, ids=["1d", "2d", "int"])
@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False},
                                {"eps": 1e-2}], ids=["default", "no_affine", "no_bias", "eps"])
def test_layernorm(ns, shape, kw):
    both(lambda T: [str(T.nn.LayerNorm(ns, **kw))] + _train(T, T.nn.LayerNorm(ns, **kw), shape,
                                                            steps=2))


@pytest.mark.parametrize("groups,shape", [(1, (2, 4, 3)), (2, (2, 4, 3)), (4, (2, 4, 2, 2)),
                                          (2, (3, 4))], ids=["g1", "g2", "g4_4d", "g2_2d"])
@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"bias": False, "eps": 1e-3}],
                         ids=["default", "no_affine", "no_bias"])
def test_groupnorm(groups, shape, kw):
    both(lambda T: [str(T.nn.GroupNorm(groups, 4, **kw))] +
         _train(T, T.nn.GroupNorm(groups, 4, **kw), shape, steps=2))


@pytest.mark.parametrize("ns,shape", LN, ids=["1d", "2d", "int"])
@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"eps": 1e-2}],
                         ids=["default", "no_affine", "eps"])
def test_rmsnorm(ns, shape, kw):
    both(lambda T: [str(T.nn.RMSNorm(ns, **kw))] + _train(T, T.nn.RMSNorm(ns, **kw), shape,
                                                          steps=2))


def test_rmsnorm_float64_eps():
    def f(T):
        x = data(T, 3, 4).double() * 1e-9
        return T.nn.functional.rms_norm(x, (4,)), T.nn.functional.rms_norm(x.float(), [4])
    both(f)


@pytest.mark.parametrize("case", ["ln_shape", "ln_shape2", "ln_int", "ln_weight", "ln_bias",
                                  "gn_groups", "gn_weight", "gn_bias", "gn_rank", "gn_module",
                                  "rms_shape", "rms_weight", "torch_ln_int", "torch_bn_one",
                                  "torch_in_one"])
def test_norm_errors(case):
    def f(T):
        F = T.nn.functional
        x = data(T, 4, 3, 5)
        if case == "ln_shape":
            return F.layer_norm(x, (4,))
        if case == "ln_shape2":
            return F.layer_norm(x, (3, 4))
        if case == "ln_int":
            return F.layer_norm(x, 5)
        if case == "ln_weight":
            return F.layer_norm(x, (5,), T.ones(4))
        if case == "ln_bias":
            return F.layer_norm(x, (5,), None, T.ones(4))
        if case == "gn_groups":
            return F.group_norm(x, 2)
        if case == "gn_weight":
            return F.group_norm(x, 3, T.ones(4))
        if case == "gn_bias":
            return F.group_norm(x, 3, None, T.ones(4))
        if case == "gn_rank":
            return F.group_norm(data(T, 3), 3)
        if case == "gn_module":
            return T.nn.GroupNorm(2, 5)
        if case == "torch_ln_int":
            return T.layer_norm(x, 5)
        if case == "torch_bn_one":   # no batch-size check in torch.batch_norm
            return T.batch_norm(data(T, 2, 3), None, None, None, None, True, 0.1, 1e-5, False)
        if case == "torch_in_one":   # nor a spatial-size check in torch.instance_norm
            return T.instance_norm(data(T, 2, 3, 2), None, None, None, None, True, 0.1, 1e-5,
                                   False)
        if case == "rms_shape":
            return F.rms_norm(x, (4,))
        return F.rms_norm(x, (5,), T.ones(4))
    both(f)


def test_norms_in_a_model_train_steps():
    """A small conv-free model with BatchNorm1d and LayerNorm trained by SGD for a few steps:
    the same losses, weights and buffers."""
    def f(T):
        model = T.nn.Sequential(T.nn.Linear(4, 6), T.nn.BatchNorm1d(6), T.nn.ReLU(),
                                T.nn.Linear(6, 6), T.nn.LayerNorm(6), T.nn.Linear(6, 2))
        set_params(model, T)
        opt = T.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for i in range(3):
            x, y = data(T, 8, 4, seed=i), data(T, 8, 2, seed=i + 20)
            loss = ((model(x) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss)
        model.eval()
        return losses, model(data(T, 3, 4, seed=99)), model.state_dict(), str(model)
    both(f)
