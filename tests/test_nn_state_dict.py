"""state_dict / load_state_dict against torch: keys, values, metadata, round trips between the two
libraries, the error messages, assign=True, and the state-dict hooks."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import retrograd
from _both import both
from _nn_models import data, make_net, set_params


def test_state_dict_keys_values_and_metadata():
    def f(T):
        sd = make_net(T).state_dict()
        return (type(sd).__name__, list(sd), dict(sd), dict(sd._metadata),
                [v.requires_grad for v in sd.values()], [type(v).__name__ for v in sd.values()])
    both(f)


def test_state_dict_prefix_keep_vars_destination():
    def f(T):
        m = make_net(T)
        dest = {}
        out = m.state_dict(destination=dest, prefix="model.")
        kv = m.state_dict(keep_vars=True)
        return (out is dest, list(dest), [type(v).__name__ for v in kv.values()],
                kv["fc1.weight"] is m.fc1.weight, m.state_dict()["fc1.weight"] is m.fc1.weight)
    both(f)


def test_state_dict_shares_storage():
    def f(T):
        m = make_net(T)
        sd = m.state_dict()
        sd["fc1.bias"].zero_()
        return m.fc1.bias
    both(f)


def test_positional_state_dict_args_warn():
    def f(T):
        dest = OrderedDict()
        T.nn.Linear(1, 1).state_dict(dest, "p.")
        return list(dest)
    both(f)


@pytest.mark.parametrize("src,dst", [(torch, retrograd), (retrograd, torch)])
def test_weights_cross_libraries_through_numpy(src, dst):
    a = make_net(src)
    b = set_params(make_net(dst), dst, seed=7)
    result = b.load_state_dict({k: dst.tensor(v.numpy()) for k, v in a.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.default_rng(3).uniform(-1, 1, (4, 3)).astype(np.float32)
    ya = a(src.tensor(x)).detach().numpy()
    yb = b(dst.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ya, yb, rtol=1e-5, atol=1e-6)


def test_round_trip_keeps_parameter_objects():
    def f(T):
        m = make_net(T)
        other = set_params(make_net(T), T, seed=5)
        w = m.fc1.weight
        res = m.load_state_dict(other.state_dict())
        return (repr(res), res.missing_keys, res.unexpected_keys, m.fc1.weight is w,
                w.requires_grad, w.is_leaf, m.state_dict(), w._version > 0)
    both(f)


def _load(T, edit, strict=True, assign=False):
    m = make_net(T)
    sd = make_net(T).state_dict()
    edit(T, sd)
    return m.load_state_dict(sd, strict=strict, assign=assign), m


@pytest.mark.parametrize("case", ["missing", "unexpected", "both", "size", "not_tensor",
                                  "unexpected_child", "nonstrict", "scalar_from_1elem",
                                  "not_mapping", "copy_fails", "module_as_state_dict"])
def test_load_errors_and_incompatible_keys(case):
    def f(T):
        if case == "not_mapping":
            return make_net(T).load_state_dict([1, 2])
        if case == "module_as_state_dict":
            return make_net(T).load_state_dict(T.nn.Linear(1, 1))
        edits = {
            "missing": lambda T, sd: (sd.pop("fc1.bias"), sd.pop("shift")),
            "unexpected": lambda T, sd: sd.update(extra=T.ones(1)),
            "both": lambda T, sd: (sd.pop("block.lin.weight"), sd.update({"block.x": T.ones(1)})),
            "size": lambda T, sd: sd.update({"fc1.weight": T.ones(3, 4), "shift": T.ones(3)}),
            "not_tensor": lambda T, sd: sd.update({"fc1.bias": [1.0, 2.0, 3.0, 4.0]}),
            "unexpected_child": lambda T, sd: sd.update({"nochild.w": T.ones(1),
                                                         "block.lin.extra": T.ones(1)}),
            "nonstrict": lambda T, sd: (sd.pop("fc2.weight"), sd.update(z=T.ones(1))),
            "scalar_from_1elem": lambda T, sd: sd.update(scale=T.tensor([5.0])),
            "copy_fails": lambda T, sd: sd.update({"fc1.bias": T.tensor([1, 2, 3, 4]) > 2}),
        }
        res, m = _load(T, edits[case], strict=case != "nonstrict")
        return repr(res), str(res), tuple(res), m.scale, m.fc1.bias
    both(f)


def test_load_assign_replaces_parameters():
    def f(T):
        m = make_net(T)
        w = m.fc1.weight
        sd = set_params(make_net(T), T, seed=9).state_dict()
        m.load_state_dict(sd, assign=True)
        return (m.fc1.weight is w, type(m.fc1.weight).__name__, m.fc1.weight.requires_grad,
                m.fc1.weight, type(m.shift).__name__)
    both(f)


def test_state_dict_hooks():
    def f(T):
        log = []
        m = make_net(T)
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(
            ("pre", type(mod).__name__, prefix, keep_vars)))

        def post(mod, sd, prefix, meta):
            log.append(("post", prefix, sorted(meta)))
            sd[prefix + "added"] = T.zeros(1)
        m.block.register_state_dict_post_hook(post)

        def private(mod, sd, prefix, meta):
            return OrderedDict((k.upper(), v) for k, v in sd.items())
        h = m._register_state_dict_hook(private)
        keys = list(m.state_dict())
        h.remove()
        keys2 = list(m.state_dict(prefix="p."))
        return log, keys, keys2
    both(f)


def test_state_dict_post_hook_must_return_none():
    def f(T):
        m = T.nn.Linear(1, 1)
        m.register_state_dict_post_hook(lambda *a: {})
        return m.state_dict()
    both(f)


def test_load_state_dict_hooks():
    def f(T):
        log = []
        m = make_net(T)

        def pre(mod, sd, prefix, meta, strict, missing, unexpected, errors):
            log.append(("pre", type(mod).__name__, prefix, sorted(sd), strict))
        m.block.register_load_state_dict_pre_hook(pre)

        def post(mod, keys):
            log.append(("post", type(mod).__name__, list(keys.missing_keys)))
            keys.unexpected_keys.clear()
        m.register_load_state_dict_post_hook(post)
        sd = make_net(T).state_dict()
        sd.pop("fc2.weight")
        sd["junk"] = T.ones(1)
        res = m.load_state_dict(sd, strict=False)
        return log, tuple(res)
    both(f)


def test_load_post_hook_returning_a_value_raises():
    def f(T):
        m = T.nn.Linear(1, 1)
        m.register_load_state_dict_post_hook(lambda mod, keys: 1)
        return m.load_state_dict(m.state_dict())
    both(f)


def test_extra_state():
    def f(T):
        class WithState(T.nn.Linear):
            def get_extra_state(self):
                return {"step": 3}

            def set_extra_state(self, state):
                self.loaded = state
        m = WithState(2, 1)
        sd = m.state_dict()
        m2 = WithState(2, 1)
        m2.load_state_dict(sd)
        plain = T.nn.Linear(2, 1)
        res = plain.load_state_dict(sd, strict=False)
        return list(sd), sd["_extra_state"], m2.loaded, tuple(res)
    both(f)


def test_extra_state_unexpected_in_strict_load():
    def f(T):
        sd = T.nn.Linear(2, 1).state_dict()
        sd["_extra_state"] = 1
        return T.nn.Linear(2, 1).load_state_dict(sd)
    both(f)


def test_state_dict_after_double_and_into_float_model():
    def f(T):
        m = make_net(T).double()
        sd = m.state_dict()
        f32 = make_net(T)
        f32.load_state_dict(sd)
        return [v.dtype for v in sd.values()], f32.fc1.weight.dtype, f32(data(T, 2, 3))
    both(f)
