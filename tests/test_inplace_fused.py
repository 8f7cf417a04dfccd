"""``t op= other`` under no_grad writes with one NumPy ufunc into ``t`` (ops/inplace.py
``_fused``): the same values, versions, views and errors as PyTorch, and the general path where
the fused one does not apply (other dtypes, broadcasting into ``t``, modes)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd as rg
import retrograd.autograd.forward_ad as rfwAD
import torch.autograd.forward_ad as tfwAD
from retrograd.ops import inplace as IP


def _both(data, dtype="float32"):
    return rg.tensor(np.array(data, dtype=dtype)), torch.tensor(np.array(data, dtype=dtype))


def _same(r, t):
    assert r.dtype == getattr(rg, str(t.dtype).split(".")[1])
    np.testing.assert_array_equal(r.numpy(), t.numpy())


OPS = [
    ("isub scalar", lambda x, o: x.__isub__(0.25)),
    ("iadd int", lambda x, o: x.__iadd__(3)),
    ("imul scalar", lambda x, o: x.__imul__(-1.5)),
    ("isub tensor", lambda x, o: x.__isub__(o)),
    ("iadd tensor", lambda x, o: x.__iadd__(o)),
    ("imul tensor", lambda x, o: x.__imul__(o)),
    ("sub_", lambda x, o: x.sub_(o)),
    ("add_", lambda x, o: x.add_(o)),
    ("mul_", lambda x, o: x.mul_(o)),
    ("add_ alpha", lambda x, o: x.add_(o, alpha=2)),
    ("iadd row", lambda x, o: x.__iadd__(o[:1])),
    ("isub self", lambda x, o: x.__isub__(x)),
    ("imul self", lambda x, o: x.__imul__(x)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name,op", OPS, ids=[n for n, _ in OPS])
def test_values_and_version_like_torch(name, op, dtype):
    data = [[1.0, -2.0, np.inf], [np.nan, 0.5, -0.0]]
    other = [[3.0, np.inf, -np.inf], [1.0, 0.0, 2.0]]
    (rx, tx), (ro, to) = _both(data, dtype), _both(other, dtype)
    with rg.no_grad():
        rv = rx._version
        r = op(rx, ro)
    with torch.no_grad():
        t = op(tx, to)
    assert r is rx
    _same(rx, tx)
    assert rx._version - rv == 1


def test_fused_path_is_taken():
    """The cases the fast path is for do take it (a spy on ``_fused``), the others do not."""
    seen = []
    orig = IP._fused

    def spy(t, op, o):
        r = orig(t, op, o)
        seen.append(r)
        return r
    IP._fused = spy
    try:
        x = rg.ones(4, 3)
        with rg.no_grad():
            x -= 0.5
            x.add_(rg.ones(3))
            x.mul_(rg.ones(4, 3))
            x += rg.ones(3, dtype=rg.float64)   # another dtype: general path
        xi = rg.ones(3, dtype=rg.int64)
        xi += 1                                  # integer: general path
    finally:
        IP._fused = orig
    assert seen == [True, True, True, False, False]


def test_view_writes_through_and_base_sees_it():
    rb, tb = _both(np.arange(12.0).reshape(3, 4))
    rv, tv = rb[:, 1::2], tb[:, 1::2]          # non-contiguous view
    with rg.no_grad():
        rv -= 0.5 * rg.ones(2)
        rv *= 3
    with torch.no_grad():
        tv -= 0.5 * torch.ones(2)
        tv *= 3
    _same(rb, tb)
    _same(rv, tv)
    assert rb._version == rv._version == tb._version


def test_saved_tensor_then_fused_update_raises_like_torch():
    """A parameter saved by a graph and then updated in place: backward sees the new version."""
    rw, tw = _both([1.0, 2.0])
    rw.requires_grad_()
    tw.requires_grad_()
    rl, tl = (rw * rw).sum(), (tw * tw).sum()
    with rg.no_grad():
        rw -= 0.1
    with torch.no_grad():
        tw -= 0.1
    with pytest.raises(RuntimeError) as te:
        tl.backward()
    with pytest.raises(RuntimeError) as re_:
        rl.backward()
    assert str(re_.value) == str(te.value)


def test_errors_like_torch():
    rx, tx = _both(np.ones((2, 3)))
    for bad in (lambda x, m: x.__iadd__(m.ones(4, 2, 3)), lambda x, m: x.sub_(m.ones(2))):
        with pytest.raises(RuntimeError) as te:
            with torch.no_grad():
                bad(tx, torch)
        with pytest.raises(RuntimeError) as re_:
            with rg.no_grad():
                bad(rx, rg)
        assert str(re_.value) == str(te.value)
    re_x, te_x = rg.ones(1).expand(3), torch.ones(1).expand(3)
    with pytest.raises(RuntimeError) as te:
        with torch.no_grad():
            te_x += 1
    with pytest.raises(RuntimeError) as re_:
        with rg.no_grad():
            re_x += 1
    assert str(re_.value) == str(te.value)
    with pytest.raises(RuntimeError) as te:
        tx.__isub__(True)
    with pytest.raises(RuntimeError) as re_:
        rx.__isub__(True)
    assert str(re_.value) == str(te.value)


def test_forward_ad_tangent_follows_inplace_under_no_grad():
    """no_grad does not stop forward AD: the tangent of ``x *= 2`` is doubled (the fused path
    steps aside while a dual level is active)."""
    with rfwAD.dual_level():
        rx = rfwAD.make_dual(rg.tensor([1.0, 2.0]), rg.tensor([1.0, 1.0]))
        with rg.no_grad():
            rx *= 2
            rx += 1
        rp, rt = rfwAD.unpack_dual(rx)
    with tfwAD.dual_level():
        tx = tfwAD.make_dual(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0]))
        with torch.no_grad():
            tx *= 2
            tx += 1
        tp, tt = tfwAD.unpack_dual(tx)
    _same(rp, tp)
    _same(rt, tt)
