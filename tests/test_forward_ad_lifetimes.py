"""Forward AD's bookkeeping, compared with torch 2.13: how long tangents live, what a level's exit
drops, tangents that an op's plan keeps as bare arrays until asked for (views of such results,
in-place writes into them), copies of dual tensors, a long level, and threads.

A dual tensor keeps its tangent in its own ``_fw`` slot with the level (autograd/_dual.py): no
table keyed by id, no weakref callback. These scenarios pin the semantics that design must keep:
a tangent lives exactly as long as its tensor (no reference cycle: checked with the collector
off), the exit of the level drops the tangents of the tensors still alive, and a new level sees
none of them.
"""
from __future__ import annotations

import copy
import gc
import threading
import weakref
from typing import Any

import numpy as np
import torch

import retrograd
from _both import both

# torch's first make_dual loads its JVP decompositions, which warns once per process
with torch.autograd.forward_ad.dual_level():
    torch.autograd.forward_ad.make_dual(torch.zeros(1), torch.zeros(1))

X = [0.3, 0.5, 0.7]
TX = [1.0, 2.0, 3.0]


def _no_gc(fn):
    """``fn(T)`` with the cycle collector off: what dies, dies by reference counting alone."""
    def scenario(T: Any) -> Any:
        gc.collect()
        gc.disable()
        try:
            return fn(T)
        finally:
            gc.enable()
    return scenario


def test_a_tangent_lives_as_long_as_its_tensor():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, e = T.tensor(X), T.tensor([2.0, 1.0, 0.5])
        res = []
        with fwd.dual_level():
            t = T.tensor(TX)
            d = fwd.make_dual(x, t)
            f = fwd.make_dual(e, T.tensor(TX) * 2)
            for make in (lambda: d.sin(), lambda: d.exp().tanh(), lambda: d * f,
                         lambda: T.cat([d, f]), lambda: d[1:], lambda: d.sin().view(-1)):
                y = make()
                ty = fwd.unpack_dual(y).tangent
                res.append(ty.clone())
                wy, wt = weakref.ref(y), weakref.ref(ty)
                del y, ty
                res.append((wy() is None, wt() is None))
            # the tangent given to make_dual lives with the dual tensor, and goes with it
            wt = weakref.ref(t)
            del t
            res.append(wt() is not None)
            wd = weakref.ref(d)
            del d
            res.append((wd() is None, wt() is None))
            # a result whose tangent was never asked for goes as well
            y = f.cos()
            wy = weakref.ref(y)
            del y
            res.append(wy() is None)
        return res
    both(_no_gc(scenario))


def test_the_exit_of_the_level_drops_the_tangents_of_live_tensors():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x = T.tensor(X)
        with fwd.dual_level():
            t = T.tensor(TX)
            d = fwd.make_dual(x, t)
            kept = [d, d.sin(), d.exp() * d, d[1:], d.sin()[:2], d.sin().sum()]
            never_asked = d.cos()       # its tangent is never read inside the level
            refs = [weakref.ref(fwd.unpack_dual(k).tangent) for k in kept]
            refs.append(weakref.ref(t))
            del t
            inside = [fwd.unpack_dual(k).tangent.clone() for k in kept]
        after = [fwd.unpack_dual(k).tangent for k in kept + [never_asked]]
        dead = [r() is None for r in refs]
        with fwd.dual_level():   # a new level: none of them is dual, nor is what is made of them
            again = [fwd.unpack_dual(k).tangent for k in kept + [never_asked]]
            made = [fwd.unpack_dual(k.sin()).tangent for k in kept + [never_asked]]
        return inside, after, dead, again, made, [k for k in kept]
    both(_no_gc(scenario))


def test_a_tangent_kept_as_an_array_is_one_tensor_when_asked_for():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        with fwd.dual_level():
            d = fwd.make_dual(T.tensor(X), T.tensor(TX))
            y = d.sin()
            ty = fwd.unpack_dual(y).tangent
            same = ty is fwd.unpack_dual(y).tangent
            ty.mul_(2)                  # a change of the tangent is the tensor's tangent
            return (same, fwd.unpack_dual(y).tangent, fwd.unpack_dual(y * 1).tangent,
                    fwd.unpack_dual(y.exp()).tangent, ty._version, ty.requires_grad)
    both(scenario)


def test_views_of_results_share_their_tangents():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        with fwd.dual_level():
            d = fwd.make_dual(T.tensor(X), T.tensor(TX))
            e = fwd.make_dual(T.tensor([2.0, 1.0, 0.5]), T.tensor([0.5, 0.25, 1.0]))
            res = []
            y = d.exp()
            v = y[1:]                   # a view taken before the base's tangent was asked for
            tv = fwd.unpack_dual(v).tangent
            ty = fwd.unpack_dual(y).tangent
            res += [tv, ty, tv._base is ty]
            y.mul_(e)                   # in place: the tangent changes in place, the view sees it
            res += [tv, ty, fwd.unpack_dual(y).tangent is ty, fwd.unpack_dual(v).tangent]
            z = d.sin()
            w = z.view(-1)
            z.add_(d)                   # never asked for before the write
            res += [fwd.unpack_dual(w).tangent, fwd.unpack_dual(z).tangent]
            u = d.tanh()
            u[0].mul_(e[0])             # written through a view of a result
            res += [fwd.unpack_dual(u).tangent]
            return res
    both(scenario)


def test_inplace_ops_on_results_update_their_tangents():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        with fwd.dual_level():
            d = fwd.make_dual(T.tensor(X), T.tensor(TX))
            e = fwd.make_dual(T.tensor([2.0, 1.0, 0.5]), T.tensor([0.5, 0.25, 1.0]))
            res = []
            y = d.sin()
            y.mul_(e).add_(d)
            res.append(fwd.unpack_dual(y).tangent)
            y = d.sin()
            ty = fwd.unpack_dual(y).tangent
            y.exp_()
            res += [ty, fwd.unpack_dual(y).tangent is ty]
            y = d.cos()
            y.zero_()
            res.append(fwd.unpack_dual(y).tangent)
            y = d.cos()
            y.copy_(T.ones(3))          # a non-dual value written: the tangent becomes zero
            res.append(fwd.unpack_dual(y).tangent)
            p = T.zeros(3)
            p.copy_(d.sigmoid())        # a non-dual tensor written with a result
            res.append(fwd.unpack_dual(p).tangent)
            return res
    both(scenario)


def test_copies_of_a_dual_tensor_have_no_tangent():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        with fwd.dual_level():
            d = fwd.make_dual(T.tensor(X), T.tensor(TX))
            y = d.sin()
            return [fwd.unpack_dual(copy.deepcopy(t)).tangent for t in (d, y)] + \
                [fwd.unpack_dual(y.detach()).tangent, fwd.unpack_dual(y.clone()).tangent]
    both(scenario)


def test_a_long_level():
    """Many short-lived duals in one level: tangents right all along, and the ones kept lose
    their tangents at the exit (the level's list of them is swept as it grows)."""
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        kept, values = [], []
        with fwd.dual_level():
            d = fwd.make_dual(T.tensor(X, dtype=T.float64), T.tensor(TX, dtype=T.float64))
            for i in range(1200):       # (2400 tensors given a tangent: past _REFS_MIN)
                y = (d * (1 + i / 1200)).sin()
                if i % 200 == 0:
                    kept.append(y)
                    values.append(fwd.unpack_dual(y).tangent)
        return values, [fwd.unpack_dual(k).tangent for k in kept]
    both(scenario)


def test_the_level_forgets_dead_tensors_as_it_goes():
    """(retrograd's own bookkeeping) the level's list of tensors with a tangent stays within a
    bound however many short-lived duals it sees."""
    fwd = retrograd.autograd.forward_ad
    from retrograd.autograd import _dual
    with fwd.dual_level():
        lv = _dual._level.get()
        d = fwd.make_dual(retrograd.tensor(X), retrograd.tensor(TX))
        longest = 0
        for i in range(5000):
            (d * 2).sin()
            longest = max(longest, len(lv.refs))
        assert longest <= _dual._REFS_MIN + 1
    assert lv.refs == []


def test_a_tensor_dual_in_one_thread_is_plain_in_another():
    """Levels are per thread in retrograd (PyTorch has one global level): a tensor made dual in
    one thread's level is no dual in another thread's level, and that level's exit leaves the
    first one's tangents alone."""
    fwd = retrograd.autograd.forward_ad
    opened, checked = threading.Event(), threading.Event()
    seen = {}
    shared = {}

    def owner():
        with fwd.dual_level():
            shared["d"] = fwd.make_dual(retrograd.tensor([1.0]), retrograd.tensor([4.0]))
            shared["y"] = shared["d"].sin()
            opened.set()
            checked.wait(30)
            seen["owner"] = (fwd.unpack_dual(shared["d"]).tangent.item(),
                             fwd.unpack_dual(shared["y"]).tangent.item())

    def other():
        opened.wait(30)
        with fwd.dual_level():
            seen["other"] = [fwd.unpack_dual(shared["d"]).tangent,
                             fwd.unpack_dual(shared["y"] * 2).tangent]
        checked.set()

    errors = []

    def guard(f):
        def run():
            try:
                f()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
                opened.set()
                checked.set()
        return run
    threads = [threading.Thread(target=guard(f)) for f in (owner, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert seen["other"] == [None, None]
    assert seen["owner"] == (4.0, float(np.float32(4 * np.cos(np.float32(1.0)))))


def test_a_plan_replays_the_generator_only_for_an_op_that_drew():
    """(retrograd's own bookkeeping) a plan learned from a run that drew no random numbers skips
    the snapshot of the generator's state; one whose op drew keeps it, and gives the same
    tangents."""
    from retrograd.autograd import _fwd_dispatch, _jvp_rules
    fwd = retrograd.autograd.forward_ad
    T = retrograd
    x, t = T.tensor(X, dtype=T.float64), T.tensor(TX, dtype=T.float64)
    _jvp_rules._PLANS.clear()
    with fwd.dual_level():
        d = fwd.make_dual(x, t)
        first = fwd.unpack_dual(d.sin()).tangent      # learns the plan
        (key, plan), = _jvp_rules._PLANS.items()
        assert plan.random is False
        plan.random = True                             # as if sin had drawn numbers
        again = fwd.unpack_dual(d.sin()).tangent
        # _note_draws keeps the flag when the generator's state moved in between
        rng0 = T.default_generator._rng
        before = _fwd_dispatch._rng_state(rng0)
        T.rand(3)
        _fwd_dispatch._note_draws(key, rng0, before)
        assert plan.random is True
        before = _fwd_dispatch._rng_state(T.default_generator._rng)
        _fwd_dispatch._note_draws(key, T.default_generator._rng, before)
        assert plan.random is False
    np.testing.assert_allclose(first.numpy(), np.cos(X) * np.array(TX), rtol=1e-12)
    np.testing.assert_allclose(again.numpy(), first.numpy(), rtol=0)
