"""Containers against torch: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict —
indexing, mutation, arithmetic, printing and errors."""
from __future__ import annotations

from collections import OrderedDict

import pytest
from _both import both
from _nn_models import data, set_params


def _seq(T):
    nn = T.nn
    return set_params(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(),
                                    nn.Linear(4, 2)), T)


def _kinds(mods):
    return [type(m).__name__ for m in mods]


def test_sequential_forward_backward_and_repr():
    def f(T):
        s = _seq(T)
        x = data(T, 5, 3, requires_grad=True)
        y = s(x)
        y.sum().backward()
        return repr(s), y, x.grad, s[0].weight.grad, y.grad_fn.name()
    both(f)


def test_sequential_from_ordered_dict():
    def f(T):
        nn = T.nn
        s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
        return repr(s), list(s.state_dict()), repr(s[1:]), type(s.fc).__name__
    both(f)


def test_sequential_indexing_and_slicing():
    def f(T):
        s = _seq(T)
        return (_kinds([s[0], s[-1], s[-5]]), type(s[1:3]).__name__, repr(s[1:3]),
                repr(s[::2]), len(s), _kinds(s), repr(s[5:]))
    both(f)


@pytest.mark.parametrize("idx", [5, -6, "a"])
def test_sequential_index_errors(idx):
    both(lambda T: _seq(T)[idx])


def test_sequential_mutation():
    def f(T):
        nn = T.nn
        s = _seq(T)
        out = []
        s[1] = nn.Sigmoid()
        out.append(repr(s))
        del s[0]
        out.append(repr(s))
        del s[1:3]
        out.append(repr(s))
        s.append(nn.ReLU()).insert(0, nn.Identity()).insert(-1, nn.ELU())
        out.append(repr(s))
        s.extend([nn.SiLU(), nn.GELU()])
        out.append(type(s.pop(1)).__name__)
        out.append(repr(s))
        out.append([n for n, _ in s.named_children()])
        return out
    both(f)


@pytest.mark.parametrize("bad", ["insert_not_module", "insert_range", "add_list", "iadd_list",
                                 "mul_float", "mul_zero", "setitem_range"])
def test_sequential_errors(bad):
    def f(T):
        nn = T.nn
        s = nn.Sequential(nn.ReLU(), nn.Tanh())
        if bad == "insert_not_module":
            s.insert(0, 3)
        elif bad == "insert_range":
            s.insert(5, nn.ReLU())
        elif bad == "add_list":
            return s + [nn.ReLU()]
        elif bad == "iadd_list":
            s += [nn.ReLU()]
        elif bad == "mul_float":
            return s * 2.0
        elif bad == "mul_zero":
            return s * 0
        elif bad == "setitem_range":
            s[3] = nn.ReLU()
    both(f)


def test_sequential_arithmetic():
    def f(T):
        nn = T.nn
        a = nn.Sequential(nn.ReLU(), nn.Tanh())
        b = nn.Sequential(nn.Sigmoid())
        c = a + b
        d = a * 2
        e = 2 * b
        a += b
        b *= 3
        return [repr(x) for x in (c, d, e, a, b)] + [d[0] is d[2], type(c).__name__]
    both(f)


def test_sequential_dir_hides_indices():
    both(lambda T: [k for k in dir(T.nn.Sequential(T.nn.ReLU())) if k[:1].isdigit()])


def test_modulelist_basics_and_repr_collapses_repeats():
    def f(T):
        nn = T.nn
        ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        ml.append(nn.ReLU())
        ml.extend([nn.ReLU(), nn.Linear(2, 3)])
        ml += [nn.Linear(2, 3)]
        ml.insert(1, nn.Tanh())
        out = [repr(ml), len(ml), _kinds(ml), type(ml[-1]).__name__, repr(ml[2:5]),
               [n for n, _ in ml.named_parameters()][:4]]
        ml[0] = nn.Sigmoid()
        del ml[1]
        out.append(type(ml.pop(0)).__name__)
        del ml[::2]
        out.append(repr(ml))
        out.append(repr(ml + nn.ModuleList([nn.ReLU()])))
        out.append(repr(nn.ModuleList()))
        return out
    both(f)


def test_modulelist_nested_repr():
    def f(T):
        nn = T.nn
        block = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        return repr(nn.ModuleList([block, block, nn.Sequential(nn.Linear(2, 2), nn.ReLU())]))
    both(f)


@pytest.mark.parametrize("bad", ["index", "extend_int", "not_module", "float_index"])
def test_modulelist_errors(bad):
    def f(T):
        nn = T.nn
        ml = nn.ModuleList([nn.ReLU()])
        if bad == "index":
            return ml[3]
        if bad == "extend_int":
            ml.extend(3)
        if bad == "not_module":
            ml.append(3)
        if bad == "float_index":
            return ml[1.0]
    both(f)


def test_moduledict():
    def f(T):
        nn = T.nn
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(1, 2)})
        md["c"] = nn.Tanh()
        md.update([("d", nn.Sigmoid())])
        md.update(nn.ModuleDict({"e": nn.ELU()}))
        out = [repr(md), list(md), list(md.keys()), _kinds(md.values()),
               [k for k, _ in md.items()], "a" in md, len(md), type(md.pop("b")).__name__]
        del md["c"]
        out.append(list(md))
        md.clear()
        out.append(repr(md))
        return out
    both(f)


@pytest.mark.parametrize("bad", ["missing", "update_int", "update_elem", "update_len"])
def test_moduledict_errors(bad):
    def f(T):
        nn = T.nn
        md = nn.ModuleDict()
        if bad == "missing":
            return md["x"]
        if bad == "update_int":
            md.update(3)
        if bad == "update_elem":
            md.update([3])
        if bad == "update_len":
            md.update([("a", nn.ReLU(), 1)])
    both(f)


def test_parameterlist():
    def f(T):
        nn = T.nn
        pl = nn.ParameterList([nn.Parameter(T.ones(2, 3)), T.zeros(4)])
        pl.append(T.ones(1, dtype=T.float64))
        pl.append("text")
        pl.extend([nn.Parameter(T.ones(1))])
        out = [repr(pl), len(pl), [type(p).__name__ for p in pl], [n for n, _ in
                                                                      pl.named_parameters()],
               pl[1].requires_grad, repr(pl[1:3]), type(pl[-1]).__name__]
        pl[0] = T.full((1,), 5.0)
        out.append(pl[0])
        return out
    both(f)


@pytest.mark.parametrize("bad", ["call", "extend_tensor", "index"])
def test_parameterlist_errors(bad):
    def f(T):
        pl = T.nn.ParameterList([T.ones(1)])
        if bad == "call":
            return pl(1)
        if bad == "extend_tensor":
            pl.extend(T.ones(2))
        if bad == "index":
            return pl[4]
    both(f)


def test_parameterdict():
    def f(T):
        nn = T.nn
        pd = nn.ParameterDict({"b": T.ones(2), "a": nn.Parameter(T.zeros(1, 2))})
        pd["c"] = T.ones(3, dtype=T.float64)
        pd["d"] = 3
        pd.update([("e", T.ones(1))])
        out = [repr(pd), list(pd), list(pd.keys()), [n for n, _ in pd.named_parameters()],
               "a" in pd, len(pd), pd.get("zz", 1), pd.get("a").shape, list(reversed(pd))]
        out.append(pd.pop("b"))
        out.append(pd.setdefault("f", T.ones(1)).requires_grad)
        out.append(pd.popitem()[0])
        cp = pd.copy()
        out.append([repr(cp), list(pd | nn.ParameterDict({"z": T.ones(1)}))])
        pd |= {"y": T.ones(1)}
        out.append(list(pd))
        out.append(list(pd.fromkeys(["p", "q"], T.ones(1))))
        pd.clear()
        out.append(len(pd))
        return out
    both(f)


@pytest.mark.parametrize("bad", ["int_key", "call", "missing", "update_int"])
def test_parameterdict_errors(bad):
    def f(T):
        pd = T.nn.ParameterDict()
        if bad == "int_key":
            pd[1] = T.ones(1)
        if bad == "call":
            return pd(1)
        if bad == "missing":
            return pd["nope"]
        if bad == "update_int":
            pd.update(3)
    both(f)


def test_containers_state_dict_and_load():
    def f(T):
        nn = T.nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
                self.heads = nn.ModuleDict({"x": nn.Linear(1, 1)})
                self.ps = nn.ParameterList([T.ones(2)])
                self.pd = nn.ParameterDict({"k": T.ones(1)})
        m = set_params(M(), T)
        m2 = M()
        res = m2.load_state_dict(m.state_dict())
        return list(m.state_dict()), repr(res), m2.state_dict(), repr(m)
    both(f)
