"""Values, dtypes, views, graphs, errors and warnings of the shape and indexing families, compared
with torch 2.13 at test time (``both`` runs each scenario on retrograd and on torch).

Gradients are in tests/op_db_shape.py and tests/op_db_indexing.py; here are the parts the op
table cannot reach: non-differentiable ops (argwhere, nonzero, one_hot, broadcast_shapes, ...),
integer/bool inputs, which results are views (shared storage and version counter), the whole
graph einsum builds, in-place forms, and error messages.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from _both import both

F32 = np.float32


def _x(T: Any, shape=(3, 4), dtype: str = "float32", seed: int = 0, grad: bool = False) -> Any:
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return T.tensor(a, requires_grad=grad)


def _ar(T: Any, *shape, dtype: str = "int64") -> Any:
    return T.arange(int(np.prod(shape)), dtype=getattr(T, dtype)).reshape(*shape)


# -- non-differentiable ops -----------------------------------------------------------------------
VALUES = {
    "argwhere": lambda T: T.argwhere(_x(T) > 0),
    "argwhere_method_0d": lambda T: (T.tensor(5).argwhere(), T.tensor(0).argwhere()),
    "nonzero_0d": lambda T: (T.nonzero(T.tensor(5)), T.nonzero(T.tensor(0.0)),
                             T.nonzero(T.tensor(5), as_tuple=True), T.tensor(0.0).nonzero(as_tuple=True)),
    "nonzero_as_tuple": lambda T: T.nonzero(_ar(T, 2, 3) % 2, as_tuple=True),
    "one_hot": lambda T: T.nn.functional.one_hot(T.tensor([[0, 2], [1, 0]])),
    "one_hot_num_classes": lambda T: T.nn.functional.one_hot(T.tensor([3, 0]), num_classes=5),
    "one_hot_empty": lambda T: T.nn.functional.one_hot(T.tensor([], dtype=T.int64), 3),
    "one_hot_0d": lambda T: T.nn.functional.one_hot(T.tensor(2), 4),
    "broadcast_shapes": lambda T: (T.broadcast_shapes((2,), (3, 1), (1, 1, 1)), T.broadcast_shapes(),
                                   T.broadcast_shapes(3, (2, 1)), T.broadcast_shapes([2, 1], T.Size([3, 1, 1])),
                                   T.broadcast_shapes((0,), (1,))),
    "repeat_interleave_indices": lambda T: T.repeat_interleave(T.tensor([1, 2, 0, 3])),
    "repeat_interleave_int_tensor": lambda T: _ar(T, 2, 3).repeat_interleave(T.tensor([2, 0, 1], dtype=T.int32), 1),
    "repeat_interleave_0d": lambda T: T.tensor(2.0).repeat_interleave(3),
    "combinations_r0_r1_big_r": lambda T: (T.combinations(T.tensor([1.0, 2.0, 3.0]), 0),
                                           T.combinations(T.tensor([1, 2, 3]), 1),
                                           T.combinations(T.tensor([1, 2, 3]), 4)),
    "cartesian_prod_int": lambda T: T.cartesian_prod(T.tensor([1, 2]), T.tensor([3, 4, 5]), T.tensor([6])),
    "cartesian_prod_single": lambda T: T.cartesian_prod(T.tensor([1, 2])),
    "block_diag_empty_mixed": lambda T: (T.block_diag(), T.block_diag(T.tensor([1, 2]), T.tensor(2.5),
                                                                      _ar(T, 2, 2, dtype="int32"))),
    "meshgrid_0d_and_xy": lambda T: T.meshgrid([T.tensor([1, 2, 3]), T.tensor(4)], indexing="xy"),
    "meshgrid_one": lambda T: T.meshgrid(T.tensor([1, 2]), indexing="xy"),
    "atleast_forms": lambda T: (T.atleast_1d(T.tensor(1)), T.atleast_2d((T.tensor(1), T.tensor([1, 2]))),
                                T.atleast_3d([T.tensor(1), _ar(T, 2), _ar(T, 2, 2), _ar(T, 1, 1, 1, 1)]),
                                T.atleast_1d(), T.atleast_2d(T.tensor(1.0), T.tensor(2.0))),
    "broadcast_tensors_same_and_list": lambda T: (T.broadcast_tensors(_ar(T, 3, 1), _ar(T, 2)),
                                                  T.broadcast_tensors(), T.broadcast_tensors(_ar(T, 2))),
    "int_shape_ops": lambda T: (_ar(T, 3, 4).roll(2), _ar(T, 3, 4).rot90(3), _ar(T, 3, 4).tril(1),
                                _ar(T, 3, 4).triu(-1), _ar(T, 3, 4).diag(), T.diag(T.tensor([1, 2]), 1),
                                _ar(T, 3, 4).trace(), _ar(T, 2, 3, dtype="int32").trace(),
                                T.diag_embed(_ar(T, 2, 3), -1, 0, 2), _ar(T, 2, 3).repeat(2, 1, 1),
                                _ar(T, 2, 3).tile((2,)), _ar(T, 2, 3).fliplr(), _ar(T, 2, 3).flipud()),
    "bool_shape_ops": lambda T: (T.tensor([[True, False]]).repeat(2, 2), T.tensor([[True, False]]).tril(),
                                 T.nn.functional.pad(T.tensor([True]), (1, 2)),
                                 T.nn.functional.pad(T.tensor([[[True, False]]]), (1, 1), mode="circular")),
    "int_pad_value": lambda T: (T.nn.functional.pad(_ar(T, 2, 3), (1, 1), value=1.7),
                                T.nn.functional.pad(_ar(T, 2, 3), (-1, 0, 0, 1)),
                                T.nn.functional.pad(_ar(T, 2, 3), (1, 1), mode="replicate"),
                                T.nn.functional.pad(_ar(T, 1, 2, 3), (2, 1), mode="circular"),
                                T.nn.functional.pad(T.tensor(1.0), ())),
    "pad_all_modes_negative": lambda T: tuple(T.nn.functional.pad(_x(T, (2, 3, 4)), p, mode=m)
                                              for m, p in (("constant", (-1, -1, 1, 0)), ("reflect", (-1, 2)),
                                                           ("replicate", (1, -2, -1, 1)),
                                                           ("circular", (-1, 2, 2, -1)))),
    "pad_circular_3d": lambda T: T.nn.functional.pad(_x(T, (1, 2, 2, 3)), (1, 2, 0, 1, 2, 2), mode="circular"),
    "int_index_ops": lambda T: (_ar(T, 3, 4).gather(1, T.tensor([[0], [3], [1]], dtype=T.int32)),
                                _ar(T, 3, 4).scatter(0, T.tensor([[2, 0]]), 7),
                                _ar(T, 3, 4).scatter(0, T.tensor([[2, 0]]), 7.9),
                                _ar(T, 3, 4).scatter_add(0, T.tensor([[2, 2]]), _ar(T, 1, 2)),
                                _ar(T, 3, 4).index_select(1, T.tensor([3, 3], dtype=T.int32)),
                                _ar(T, 3, 4).index_add(0, T.tensor([1, 1]), _ar(T, 2, 4), alpha=3),
                                _ar(T, 3, 4).index_fill(1, T.tensor([-1]), 9),
                                _ar(T, 3, 4).index_copy(0, T.tensor([2]), _ar(T, 1, 4)),
                                _ar(T, 3, 4).masked_fill(_ar(T, 4) > 1, 2.5),
                                _ar(T, 3, 4).masked_select(_ar(T, 3, 1) > 0),
                                _ar(T, 3, 4).masked_scatter(_ar(T, 4) > 1, _ar(T, 9)),
                                _ar(T, 3, 4).take(T.tensor([-1, 0])),
                                _ar(T, 3, 4).put(T.tensor([0, 0]), T.tensor([5, 6]), accumulate=True),
                                _ar(T, 3, 4).take_along_dim(T.tensor([[1], [0], [3]]), 1)),
    "scatter_reduce_values": lambda T: tuple(
        T.tensor([1.0, 2.0, 3.0, 4.0]).scatter_reduce(0, T.tensor([0, 0, 2, 2, 1]), T.tensor([5.0, -6.0, 7.0, 0.5, 2.0]),
                                                      r, include_self=s)
        for r in ("sum", "prod", "mean", "amax", "amin") for s in (True, False)),
    "scatter_reduce_int_mean": lambda T: tuple(
        T.tensor([1, 2, 3]).scatter_reduce(0, T.tensor([0, 0, 1]), T.tensor([-4, -5, 7]), r, include_self=s)
        for r in ("mean", "amax", "amin", "prod") for s in (True, False)),
    "scatter_reduce_nan": lambda T: T.tensor([1.0, 2.0]).scatter_reduce(0, T.tensor([0, 0]),
                                                                        T.tensor([float("nan"), 5.0]), "amax"),
    "scatter_with_reduce_no_grad": lambda T: (
        T.ones(3, 4).scatter(0, T.tensor([[0, 0, 1, 2]]), 2.0, reduce="multiply"),
        T.ones(3, 4).scatter(1, T.tensor([[0, 0], [1, 1], [3, 2]]), 0.5, reduce="add")),
    "gather_0d": lambda T: (T.tensor(3.0).gather(0, T.tensor(0)), T.tensor(3.0).gather(0, T.tensor([0, 0])),
                            _x(T).gather(1, T.zeros(0, 0, dtype=T.int64))),
    "index_select_0d": lambda T: (T.tensor(2.0).index_select(0, T.tensor([0])),
                                  T.tensor([2.0]).index_select(0, T.tensor(0))),
    "index_ops_0d": lambda T: (T.tensor(2.0).index_add(0, T.tensor([0]), T.tensor(3.0)),
                               T.tensor(2.0).index_copy(0, T.tensor(0), T.tensor(1.0)),
                               T.tensor(2.0).index_fill(0, T.tensor(0), 1.0)),
    "masked_fill_broadcasts_self": lambda T: _x(T, (4,)).masked_fill(_x(T, (2, 3, 4)) > 0, 1.0),
    "masked_fill_tensor_value_cast": lambda T: (
        _x(T).masked_fill(_x(T) > 0, T.tensor(2.0, dtype=T.float64)),
        _ar(T, 3, 4).masked_fill(_ar(T, 3, 4) > 4, T.tensor(2.7))),
    "split_chunk_shapes": lambda T: (_ar(T, 5, 2).split(2), T.split(_ar(T, 5, 2), [1, 4]), _ar(T, 3, 4).chunk(10),
                                     _ar(T, 0, 3).chunk(3), _ar(T, 0, 3).split(0), _ar(T, 5).tensor_split(3),
                                     _ar(T, 5).tensor_split(T.tensor([1, 9])), _ar(T, 6, 2).tensor_split(T.tensor(4)),
                                     _ar(T, 3, 4).tensor_split([5, 1], 0), _ar(T, 2, 4).hsplit(2),
                                     _ar(T, 4, 2).vsplit([1]), _ar(T, 2, 2, 4).dsplit(2), _ar(T, 4).hsplit(2)),
    "narrow_tensor_start": lambda T: (_ar(T, 3, 4).narrow(1, T.tensor(1), 2), _ar(T, 3, 4).narrow(0, -3, 0)),
    "diagonal_shapes": lambda T: (_ar(T, 3, 4).diagonal(5), _ar(T, 3, 4).diagonal(-5), _ar(T, 2, 3, 4).diagonal(1, 2, 0),
                                  _ar(T, 2, 3, 4).diagonal(-1, 0, 2)),
    "movedim_forms": lambda T: (_ar(T, 2, 3, 4).movedim((0, 2), (2, 0)), T.moveaxis(_ar(T, 2, 3, 4), -1, 0),
                                T.tensor(1).movedim(0, 0), _ar(T, 2, 3, 4).movedim([], [])),
    "unflatten_forms": lambda T: (_ar(T, 3, 4).unflatten(1, (-1, 2)), T.unflatten(_ar(T, 3, 4), 0, [3, 1])),
    "roll_forms": lambda T: (_ar(T, 2, 3).roll(-7), _ar(T, 2, 3).roll((1, 1), (1, 1)), T.tensor(1).roll(3)),
    "einsum_forms": lambda T: (T.einsum("i,i", T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])),
                               T.einsum(" i j , j k -> i k ", _x(T), _x(T, (4, 2), seed=1)),
                               T.einsum("ij,jk", [_x(T), _x(T, (4, 2), seed=1)]),
                               T.einsum("...", _x(T)), T.einsum("a...a->...", _x(T, (3, 2, 3))),
                               T.einsum("Ab,bC->AC", _x(T), _x(T, (4, 2), seed=1)),
                               T.einsum(_x(T, (2, 3)), [..., 0], _x(T, (3,)), [0]),
                               T.einsum("ij,jk->", _ar(T, 2, 3), _ar(T, 3, 2))),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_values(name):
    both(VALUES[name])


# -- the whole graph einsum builds (names, in order) ----------------------------------------------
def _graph(t) -> list:
    out, seen, queue = [], set(), [t.grad_fn]
    while queue:
        n = queue.pop(0)
        if n is None:
            out.append(None)
            continue
        if id(n) in seen:
            out.append("seen")
            continue
        seen.add(id(n))
        out.append(type(n).__name__)
        queue.extend(f for f, _ in n.next_functions)
    return out


EINSUM = [("ij,jk->ik", (3, 4), (4, 2)), ("ij,jk->ki", (3, 4), (4, 2)), ("ii", (3, 3)), ("ii->i", (3, 3)),
          ("iji->j", (2, 3, 2)), ("ijj->ji", (2, 3, 3)), ("ij->", (3, 4)), ("i,j->ij", (3,), (4,)),
          ("...j,j->...", (2, 3, 4), (4,)), ("...ij,...jk", (2, 3, 4), (1, 4, 2)),
          ("bij,bkj->bik", (2, 3, 4), (2, 5, 4)), ("bij,bjk->kbi", (2, 3, 4), (2, 4, 5)),
          ("ikm,jlm->jikl", (2, 3, 4), (5, 6, 4)), ("ikm,jlm->jlik", (2, 3, 4), (5, 6, 4)),
          ("ikm,jlm->jilk", (2, 3, 4), (5, 6, 4)), ("a...b,b...->...", (2, 3, 4), (4, 3)),
          ("ab,bc,cd,de->ea", (2, 3), (3, 4), (4, 2), (2, 3)), ("bn,anm,bm->ba", (2, 3), (2, 3, 4), (2, 4)),
          ("i,i,i->i", (3,), (3,), (3,)), ("ij,ij", (3, 1), (1, 4)), ("im,jm->ji", (1, 4), (5, 4)),
          ("i,jk->", (3,), (2, 2)), (",->", (), ())]


@pytest.mark.parametrize("case", EINSUM, ids=[c[0] for c in EINSUM])
def test_einsum_graph(case):
    eq, *shapes = case
    arrays = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate(shapes)]
    res = []
    for T in (torch, retrograd):
        ts = [T.tensor(a, requires_grad=True) for a in arrays]
        out = T.einsum(eq, *ts)
        out.sum().backward()
        res.append((_graph(out), out.detach().numpy().copy(), [t.grad.numpy().copy() for t in ts]))
    assert res[1][0] == res[0][0]
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-10, atol=1e-12)
    for ours, ref in zip(res[1][2], res[0][2]):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


# -- grad_fn names the op table cannot compare (not the first output's node) ----------------------
def test_grad_fn_names():
    def scenario(T):
        x = _x(T, grad=True)
        return [T.diag(x, 1).grad_fn, T.diag(x[0]).grad_fn, x.split([1, 2])[1].grad_fn,
                T.broadcast_tensors(x, x[0])[1].grad_fn, x.movedim(0, 1).grad_fn,
                T.tensor(1.0, requires_grad=True).movedim(0, 0).grad_fn, x.narrow(0, 1, 1).grad_fn,
                T.repeat_interleave(x, T.tensor([1, 2, 0]), dim=0).grad_fn,
                T.nn.functional.pad(x, (0, 0)).grad_fn, T.nn.functional.pad(x, (-1, -1)).grad_fn,
                T.nn.functional.pad(x[None], (1, 0), mode="circular").grad_fn.next_functions[0][0],
                x.unflatten(0, (3, 1)).grad_fn, x.T.reshape(4, 3).grad_fn, x.T.reshape(-1).grad_fn,
                x.T.reshape(-1).grad_fn.next_functions[0][0]]
    both(scenario)


# -- views: shared storage and version counter ----------------------------------------------------
VIEWS = {
    "narrow": lambda T, x: x.narrow(1, 1, 2),
    "diagonal": lambda T, x: x.diagonal(1),
    "split_piece": lambda T, x: x.split(2)[1],
    "chunk_piece": lambda T, x: x.chunk(2, 1)[0],
    "tensor_split_piece": lambda T, x: x.tensor_split(3, 1)[2],
    "unflatten": lambda T, x: x.unflatten(1, (2, 2)),
    "movedim": lambda T, x: x.movedim(0, 1),
    "meshgrid": lambda T, x: T.meshgrid(x[0], x[:, 0], indexing="ij")[0],
    "broadcast_tensors": lambda T, x: T.broadcast_tensors(x[0], x[:, :1])[1],
    "atleast_3d": lambda T, x: T.atleast_3d(x),
    "reshape_alias": lambda T, x: x.T.reshape(4, 3, 1),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_share_storage_and_version(name):
    def scenario(T):
        x = _x(T)
        v = VIEWS[name](T, x)
        before = v._version
        x.add_(1.0)  # visible through the view, and bumps the shared counter
        return v._is_view(), v._base is x, v._version - before, v.clone()
    both(scenario)


THROUGH_VIEW = {
    "setitem_on_select": lambda T, y: y[0].__setitem__(T.tensor([1, 1]), T.tensor([5.0, 6.0])),
    "masked_fill_on_narrow": lambda T, y: y.narrow(0, 1, 1).masked_fill_(T.ones(1, 4, dtype=T.bool), 2.0),
    "mul_on_diagonal": lambda T, y: y.diagonal(1).mul_(2.0),
    "mul_on_split_piece": lambda T, y: y.split(2)[1].mul_(2.0),
    "index_add_on_movedim": lambda T, y: y.movedim(0, 1).index_add_(0, T.tensor([3, 3]), T.ones(2, 3)),
    "scatter_on_unflatten": lambda T, y: y.unflatten(1, (2, 2)).scatter_(2, T.tensor([[[1]]]), 7.0),
}


@pytest.mark.parametrize("name", list(THROUGH_VIEW))
def test_inplace_through_a_view(name):
    def scenario(T):
        x = _x(T, grad=True)
        y = x * 1
        THROUGH_VIEW[name](T, y)
        return y, y.grad_fn, T.autograd.grad((y * y).sum(), x)
    both(scenario)


def test_numpy_scalar_values():
    both(lambda T: (T.ones(2, 2).masked_fill(T.eye(2) > 0, np.float32(2.5)),
                    T.ones(2, 2).scatter(0, T.tensor([[1, 0]]), np.float64(3.0))))


def test_split_keywords():
    both(lambda T: (T.arange(6).split(split_size=4), T.split(T.arange(6), split_size_or_sections=[1, 5]),
                    T.arange(6).reshape(2, 3).split([1, 2], dim=1)))


def test_diagonal_is_writeable_view():
    def scenario(T):
        x = T.zeros(3, 4)
        x.diagonal(1).fill_(2.0)
        d = x.narrow(0, 1, 2)
        d.mul_(3.0)
        return x, x._version
    both(scenario)


# -- in-place forms -------------------------------------------------------------------------------
INPLACE = {
    "masked_fill_": lambda T, x: x.masked_fill_(x > 0, 0.0),
    "index_add_": lambda T, x: x.index_add_(0, T.tensor([1, 1]), T.ones(2, 4)),
    "index_fill_": lambda T, x: x.index_fill_(1, T.tensor([0]), -1.0),
    "index_copy_": lambda T, x: x.index_copy_(1, T.tensor([2]), T.ones(3, 1)),
    "scatter_": lambda T, x: x.scatter_(1, T.tensor([[0], [1], [2]]), 9.0),
    "scatter_src_": lambda T, x: x.scatter_(1, T.tensor([[0], [1], [2]]), T.ones(3, 1)),
    "scatter_reduce_arg_": lambda T, x: x.scatter_(1, T.tensor([[0], [1], [2]]), 2.0, reduce="multiply"),
    "scatter_add_": lambda T, x: x.scatter_add_(0, T.tensor([[0, 0]]), T.ones(1, 2)),
    "scatter_reduce_": lambda T, x: x.scatter_reduce_(0, T.tensor([[0, 0]]), T.ones(1, 2), "amax"),
    "put_": lambda T, x: x.put_(T.tensor([1, 1]), T.tensor([1.0, 2.0]), accumulate=True),
    "masked_scatter_": lambda T, x: x.masked_scatter_(x > 0, T.arange(12.0)),
    "tril_": lambda T, x: x.tril_(),
    "triu_": lambda T, x: x.triu_(1),
    "index_put_": lambda T, x: x.index_put_((T.tensor([0, 0]),), T.tensor(1.0), accumulate=True),
    "torch_index_put_": lambda T, x: T.index_put_(x, (T.tensor([2]), T.tensor([1])), T.tensor([5.0])),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_forms(name):
    def scenario(T):
        x = _x(T)
        v0 = x._version
        r = INPLACE[name](T, x)
        return r is x, x, x._version - v0
    both(scenario)


@pytest.mark.parametrize("name", ["masked_fill_", "index_add_", "tril_", "index_put_"])
def test_inplace_on_leaf_requiring_grad(name):
    both(lambda T: INPLACE[name](T, _x(T, grad=True)))


def test_inplace_on_non_leaf_records_node():
    def scenario(T):
        w = _x(T, grad=True)
        y = w * 2
        y.masked_fill_(y > 0, 0.0).index_add_(0, T.tensor([0, 0]), T.ones(2, 4))
        y.sum().backward()
        return y.grad_fn, w.grad
    both(scenario)


# -- x[key] = v and x[key] --------------------------------------------------------------------------
SETITEM = {
    "int_then_tensor": (lambda T: (T.tensor([2, 0]), 1), (2,)),
    "int_slice_tensor": (lambda T: (0, slice(None), T.tensor([1, 3])), (3, 2)),
    "tensor_slice_int": (lambda T: (T.tensor([1, 0]), slice(1, None), 2), (2, 2)),
    "none_tensor": (lambda T: (None, T.tensor([1, 0])), (4,)),
    "repeated": (lambda T: T.tensor([1, 1, 0]), (3, 4)),
    "mask_scalar_value": (lambda T: T.tensor([[True, False, True, False]] * 3), ()),
    "leading_ones_value": (lambda T: T.tensor([2, 0]), (1, 1, 4)),
}


@pytest.mark.parametrize("name", list(SETITEM))
def test_setitem_values_and_grads(name):
    key_fn, vshape = SETITEM[name]

    def scenario(T):
        x = _x(T, (3, 4) if name not in ("int_slice_tensor", "tensor_slice_int") else (2, 3, 4), grad=True)
        v = _x(T, vshape, seed=3, grad=True)
        y = x * 1
        y[key_fn(T)] = v
        (y * _x(T, tuple(y.shape), seed=5)).sum().backward()
        return y, y.grad_fn, x.grad, v.grad
    both(scenario)


GETITEM = {
    "int_slice_tensor": lambda T: (0, slice(None), T.tensor([1, 3, 1])),
    "tensor_slice_int": lambda T: (T.tensor([1, 0]), slice(1, None), 2),
    "tensor_int_tensor": lambda T: (T.tensor([1, 0]), 2, T.tensor([3, 3])),
    "int_ellipsis_tensor": lambda T: (1, Ellipsis, T.tensor([[0, 1]])),
    "none_int_tensor": lambda T: (None, 1, T.tensor([0, 2])),
    "int_tensor_adjacent": lambda T: (0, T.tensor([2, 1])),
}


@pytest.mark.parametrize("name", list(GETITEM))
def test_getitem_mixed_int_and_tensor(name):
    def scenario(T):
        x = _x(T, (2, 3, 4), grad=True)
        y = x[GETITEM[name](T)]
        (y * _x(T, tuple(y.shape), seed=5)).sum().backward()
        return y, x.grad
    both(scenario)


def test_saved_index_modified_in_place():
    def scenario(T):
        x = _x(T, grad=True)
        i = T.tensor([[0, 1]])
        y = x.gather(0, i)
        i.add_(0)
        y.sum().backward()
    both(scenario)


def test_scatter_src_larger_than_index_grad_error():
    def scenario(T):
        x, s = _x(T, grad=True), _x(T, seed=1, grad=True)
        x.scatter(0, T.tensor([[0, 1]]), s).sum().backward()
    both(scenario)


def test_deprecated_scatter_reduce_warning_once():
    import warnings
    # torch warns once per process; both libraries are called twice here
    for T in (torch, retrograd):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.ones(2).scatter(0, T.tensor([0]), T.ones(1), reduce="add")
            T.ones(2).scatter(0, T.tensor([0]), T.ones(1), reduce="add")
        assert len(caught) <= 1


# -- errors ---------------------------------------------------------------------------------------
ERRORS = {
    # gather / scatter
    "gather_ndim": lambda T: _x(T).gather(1, T.tensor([0, 1])),
    "gather_size": lambda T: _x(T).gather(0, T.zeros(4, 5, dtype=T.int64)),
    "gather_bounds": lambda T: _x(T).gather(1, T.tensor([[5]])),
    "gather_negative": lambda T: _x(T).gather(1, T.tensor([[-1]])),
    "gather_float_index": lambda T: _x(T).gather(0, T.zeros(1, 1)),
    "gather_dim": lambda T: _x(T).gather(2, T.tensor([[1]])),
    "scatter_dtype": lambda T: _x(T).scatter(0, T.tensor([[0, 1]]), _x(T, dtype="float64")),
    "scatter_bounds": lambda T: _x(T).scatter(0, T.tensor([[0, 5]]), _x(T)),
    "scatter_size": lambda T: _x(T).scatter(0, T.tensor([[0, 1, 1, 1, 1]]), _x(T)),
    "scatter_size_src": lambda T: _x(T).scatter(0, T.tensor([[0, 1]]), _x(T)[:1, :1]),
    "scatter_ndim": lambda T: _x(T).scatter(0, T.tensor([0, 1]), _x(T)),
    "scatter_src_0d": lambda T: _x(T).scatter(0, T.tensor([[0, 1]]), T.tensor(1.5)),
    "scatter_bad_reduce": lambda T: _x(T).scatter(0, T.tensor([[0, 1]]), 1.0, reduce="max"),
    "scatter_float_index": lambda T: _x(T).scatter(0, T.zeros(1, 1), 1.0),
    "scatter_add_dtype": lambda T: _x(T).scatter_add(0, T.tensor([[0, 1]]), _x(T, dtype="float64")),
    "scatter_add_scalar": lambda T: _x(T).scatter_add(0, T.tensor([[0, 1]]), 1.0),
    "scatter_reduce_bad": lambda T: _x(T).scatter_reduce(0, T.tensor([[0, 1]]), _x(T), "foo"),
    "scatter_reduce_scalar": lambda T: _x(T).scatter_reduce(0, T.tensor([[0, 1]]), 2.0, "sum"),
    # index_*
    "index_select_bounds": lambda T: _x(T).index_select(0, T.tensor([0, 3])),
    "index_select_negative": lambda T: _x(T).index_select(0, T.tensor([-1])),
    "index_select_2d": lambda T: _x(T).index_select(0, T.tensor([[0, 1]])),
    "index_select_float": lambda T: _x(T).index_select(0, T.tensor([0.0])),
    "index_select_int16": lambda T: _x(T).index_select(0, T.tensor([0], dtype=T.int16)),
    "index_select_scalar_many": lambda T: T.tensor(2.0).index_select(0, T.tensor([0, 0])),
    "index_add_count": lambda T: _x(T).index_add(0, T.tensor([0, 1]), _x(T)),
    "index_add_shape": lambda T: _x(T).index_add(0, T.tensor([0, 1, 2]), _x(T)[:, :2]),
    "index_add_dtype": lambda T: _x(T).index_add(0, T.tensor([0, 1, 2]), _x(T, dtype="float64")),
    "index_add_bounds": lambda T: _x(T).index_add(0, T.tensor([0, 1, 5]), _x(T)),
    "index_add_float_index": lambda T: _x(T).index_add(0, T.tensor([0, 1, 2.0]), _x(T)),
    "index_add_0d_source": lambda T: T.tensor(2.0).index_add(0, T.tensor(0), T.tensor([3.0])),
    "index_copy_count": lambda T: _x(T).index_copy(0, T.tensor([0, 1]), _x(T)),
    "index_copy_bounds": lambda T: _x(T).index_copy(0, T.tensor([0, 1, 5]), _x(T)),
    "index_copy_negative": lambda T: _x(T).index_copy(0, T.tensor([-1, 0, 1]), _x(T)),
    "index_copy_dtype": lambda T: _x(T).index_copy(0, T.tensor([0, 1, 2]), _x(T, dtype="float64")),
    "index_copy_int32": lambda T: _x(T).index_copy(0, T.tensor([0, 1, 2], dtype=T.int32), _x(T)),
    "index_copy_ndim": lambda T: _x(T).index_copy(0, T.tensor(1), _x(T)[0]),
    "index_copy_slice": lambda T: _x(T).index_copy(0, T.tensor([0, 1]), _x(T)[:2, :3]),
    "index_fill_bounds": lambda T: _x(T).index_fill(0, T.tensor([0, 5]), 1.0),
    "index_fill_value_1d": lambda T: _x(T).index_fill(0, T.tensor([0, 1]), T.tensor([1.0, 2.0])),
    "index_fill_2d_index": lambda T: _x(T).index_fill(0, T.tensor([[0, 1]]), 1.0),
    "index_fill_int32": lambda T: _x(T).index_fill(0, T.tensor([0], dtype=T.int32), 1.0),
    # masks
    "masked_fill_value_1d": lambda T: _x(T).masked_fill(_x(T) > 0, T.tensor([1.0, 2.0])),
    "masked_fill_long_mask": lambda T: _x(T).masked_fill(T.tensor([1, 0, 1, 0]), 1.0),
    "masked_fill_uint8_mask": lambda T: _x(T).masked_fill(T.tensor([1, 0, 1, 0], dtype=T.uint8), 1.0),
    "masked_fill_broadcast": lambda T: _x(T).masked_fill(T.ones(5, dtype=T.bool), 1.0),
    "masked_select_long_mask": lambda T: _x(T).masked_select(T.tensor([1, 0, 1, 0])),
    "masked_select_broadcast": lambda T: _x(T).masked_select(T.ones(5, dtype=T.bool)),
    "masked_scatter_few": lambda T: _x(T).masked_scatter(_x(T) > -10, T.ones(2)),
    "masked_scatter_dtype": lambda T: _x(T).masked_scatter(_x(T) > 0, T.ones(20, dtype=T.float64)),
    "masked_scatter_inplace_expand": lambda T: T.ones(3, 4).masked_scatter_(T.ones(3, 5, dtype=T.bool), T.ones(12)),
    "masked_scatter_inplace_ndim": lambda T: T.ones(4).masked_scatter_(T.ones(3, 4, dtype=T.bool), T.ones(12)),
    "masked_scatter_inplace_ndim_float": lambda T: T.ones(4).masked_scatter_(T.ones(3, 4), T.ones(12)),
    "masked_scatter_inplace_self_1": lambda T: T.ones(1, 4).masked_scatter_(T.ones(3, 4, dtype=T.bool), T.ones(12)),
    "masked_fill_inplace_broadcast": lambda T: T.ones(4).masked_fill_(T.ones(3, 4, dtype=T.bool), 1.0),
    "one_hot_empty_zero_classes": lambda T: T.nn.functional.one_hot(T.tensor([], dtype=T.int64), 0),
    "one_hot_negative_classes": lambda T: T.nn.functional.one_hot(T.tensor([1, 3]), -2),
    "masked_scatter_long_mask": lambda T: _x(T).masked_scatter(T.tensor([1, 0, 1, 0]), T.ones(12)),
    # take / put / take_along_dim / index_put
    "take_bounds": lambda T: _x(T).take(T.tensor([12])),
    "take_negative_bounds": lambda T: _x(T).take(T.tensor([-13])),
    "take_int32": lambda T: _x(T).take(T.tensor([1], dtype=T.int32)),
    "put_count": lambda T: _x(T).put(T.tensor([0, 1]), T.ones(3)),
    "put_bounds": lambda T: _x(T).put(T.tensor([0, 12]), T.ones(2)),
    "put_dtype": lambda T: _x(T).put(T.tensor([0, 1]), T.ones(2, dtype=T.float64)),
    "put_float_index": lambda T: _x(T).put(T.tensor([0.0]), T.ones(1)),
    "take_along_dim_ndim": lambda T: _x(T).take_along_dim(T.tensor([0, 1]), 1),
    "take_along_dim_int32": lambda T: _x(T).take_along_dim(T.tensor([[0]], dtype=T.int32), 1),
    "take_along_dim_broadcast": lambda T: _x(T).take_along_dim(T.tensor([[0], [1]]), 1),
    "take_along_dim_flat_bounds": lambda T: _x(T).take_along_dim(T.tensor([[13]])),
    "index_put_dtype": lambda T: _x(T).index_put((T.tensor([0, 1]),), T.ones(4, dtype=T.float64)),
    "index_put_bounds": lambda T: _x(T).index_put((T.tensor([0, 5]),), T.tensor(1.0)),
    "index_put_shape": lambda T: _x(T).index_put((T.tensor([0, 1]),), T.ones(3)),
    "index_put_none": lambda T: _x(T).index_put((None, T.tensor([0, 1])), T.tensor(1.0)),
    "index_put_float_index": lambda T: _x(T).index_put((T.tensor([0.0, 1.0]),), T.tensor(1.0)),
    "index_put_scalar_values": lambda T: _x(T).index_put((T.tensor([0, 1]),), 1.0),
    "setitem_dtype": lambda T: _x(T).__setitem__(T.tensor([0, 1]), T.tensor(2)),
    "setitem_dtype_mixed": lambda T: _x(T).__setitem__((T.tensor([0, 1]), 0), T.tensor(2.0, dtype=T.float64)),
    "setitem_shape_mixed": lambda T: _x(T, (2, 3, 4)).__setitem__((0, slice(None), T.tensor([1, 2])), T.ones(2, 3)),
    # shape ops
    "movedim_count": lambda T: _x(T).movedim((0, 1), (1,)),
    "movedim_repeat_src": lambda T: _x(T).movedim((0, 0), (1, 0)),
    "movedim_repeat_dst": lambda T: _x(T).movedim((0, 1), (1, 1)),
    "unflatten_sizes": lambda T: _x(T).unflatten(1, (2, 3)),
    "unflatten_empty": lambda T: _x(T).unflatten(1, ()),
    "unflatten_zero_infer": lambda T: _x(T).unflatten(1, (0, -1)),
    "split_zero": lambda T: _x(T).split(0),
    "split_negative": lambda T: _x(T).split(-1),
    "split_sizes_sum": lambda T: _x(T).split([1, 1]),
    "split_sizes_negative": lambda T: _x(T).split([4, -1]),
    "split_0d": lambda T: T.tensor(1.0).split(1),
    "chunk_zero": lambda T: _x(T).chunk(0),
    "chunk_0d": lambda T: T.tensor(1.0).chunk(1),
    "tensor_split_zero": lambda T: _x(T).tensor_split(0),
    "tensor_split_float": lambda T: _x(T).tensor_split(T.tensor([1.0])),
    "tensor_split_2d": lambda T: _x(T).tensor_split(T.tensor([[1]])),
    "tensor_split_0d": lambda T: T.tensor(1.0).tensor_split(1),
    "hsplit_divisible": lambda T: _x(T).hsplit(3),
    "vsplit_divisible": lambda T: _x(T).vsplit(2),
    "dsplit_dims": lambda T: _x(T).dsplit(2),
    "hsplit_0d": lambda T: T.tensor(1.0).hsplit(1),
    "narrow_start": lambda T: _x(T).narrow(0, 4, 1),
    "narrow_start_negative": lambda T: _x(T).narrow(0, -4, 1),
    "narrow_length": lambda T: _x(T).narrow(0, 1, 5),
    "narrow_negative_length": lambda T: _x(T).narrow(0, 1, -1),
    "narrow_0d": lambda T: T.tensor(1.0).narrow(0, 0, 1),
    "diagonal_same_dims": lambda T: _x(T).diagonal(0, 0, 0),
    "diagonal_1d": lambda T: T.ones(3).diagonal(),
    "diag_embed_same_dims": lambda T: T.diag_embed(T.ones(3), 0, 0, 0),
    "diag_embed_dim_range": lambda T: T.diag_embed(T.ones(3), 0, 0, 2),
    "diag_3d": lambda T: T.ones(2, 3, 4).diag(),
    "diag_0d": lambda T: T.tensor(1.0).diag(),
    "trace_3d": lambda T: T.ones(2, 3, 4).trace(),
    "trace_1d": lambda T: T.ones(3).trace(),
    "tril_1d": lambda T: T.ones(3).tril(),
    "triu_0d": lambda T: T.tensor(1.0).triu(),
    "roll_no_shifts": lambda T: _x(T).roll(()),
    "roll_align": lambda T: _x(T).roll((1, 2)),
    "roll_align_dims": lambda T: _x(T).roll((1, 2), (0,)),
    "roll_dim": lambda T: _x(T).roll(1, 5),
    "rot90_dims_count": lambda T: _x(T).rot90(1, (0,)),
    "rot90_1d": lambda T: T.ones(3).rot90(),
    "rot90_same_dims": lambda T: _x(T).rot90(1, (0, 0)),
    "rot90_same_dims_neg": lambda T: _x(T).rot90(1, (0, -2)),
    "rot90_dim_range": lambda T: _x(T).rot90(1, (0, 5)),
    "repeat_few_dims": lambda T: _x(T).repeat(2),
    "repeat_negative": lambda T: _x(T).repeat(-1, 2),
    "tile_negative": lambda T: _x(T).tile((-1,)),
    "repeat_interleave_negative": lambda T: _x(T).repeat_interleave(-1),
    "repeat_interleave_size": lambda T: _x(T).repeat_interleave(T.tensor([1, 2]), 0),
    "repeat_interleave_2d": lambda T: _x(T).repeat_interleave(T.tensor([[1, 2]]), 0),
    "repeat_interleave_negative_tensor": lambda T: _x(T).repeat_interleave(T.tensor([1, -2, 1]), 0),
    "repeat_interleave_float": lambda T: _x(T).repeat_interleave(T.tensor([1.0, 2.0, 1.0]), 0),
    "repeat_interleave_indices_2d": lambda T: T.repeat_interleave(T.tensor([[1, 2, 0]])),
    "repeat_interleave_dim": lambda T: T.tensor(1.0).repeat_interleave(3, 0),
    "outer_2d": lambda T: T.outer(_x(T), _x(T)),
    "outer_2d_vec2": lambda T: T.outer(T.ones(3), _x(T)),
    "block_diag_3d": lambda T: T.block_diag(T.ones(2, 2, 2)),
    "cartesian_prod_2d": lambda T: T.cartesian_prod(T.ones(2), _x(T)),
    "cartesian_prod_dtypes": lambda T: T.cartesian_prod(T.ones(2), T.ones(3, dtype=T.int64)),
    "combinations_2d": lambda T: T.combinations(_x(T)),
    "combinations_negative": lambda T: T.combinations(T.ones(3), -1),
    "meshgrid_dtypes": lambda T: T.meshgrid(T.ones(2), T.ones(3, dtype=T.float64), indexing="ij"),
    "meshgrid_indexing": lambda T: T.meshgrid(T.ones(2), indexing="foo"),
    "meshgrid_empty": lambda T: T.meshgrid(indexing="ij"),
    "broadcast_tensors_mismatch": lambda T: T.broadcast_tensors(_x(T), T.ones(5)),
    "broadcast_shapes_mismatch": lambda T: T.broadcast_shapes((2,), (3,)),
    "broadcast_shapes_negative": lambda T: T.broadcast_shapes((2,), (-1,)),
    "one_hot_int32": lambda T: T.nn.functional.one_hot(T.tensor([1], dtype=T.int32)),
    "one_hot_negative": lambda T: T.nn.functional.one_hot(T.tensor([-1])),
    "one_hot_too_big": lambda T: T.nn.functional.one_hot(T.tensor([3]), 3),
    "one_hot_empty_infer": lambda T: T.nn.functional.one_hot(T.tensor([], dtype=T.int64)),
    # F.pad
    "pad_odd": lambda T: T.nn.functional.pad(_x(T), (1,)),
    "pad_too_long": lambda T: T.nn.functional.pad(_x(T), (1, 1, 1, 1, 1, 1)),
    "pad_mode": lambda T: T.nn.functional.pad(_x(T), (1, 1), mode="foo"),
    "pad_float_entry": lambda T: T.nn.functional.pad(_x(T), [1.5, 1]),
    "pad_constant_crop_too_much": lambda T: T.nn.functional.pad(_x(T), (-2, -3)),
    "pad_reflect_value": lambda T: T.nn.functional.pad(_x(T), (1, 1), mode="reflect", value=2),
    "pad_reflect_dims": lambda T: T.nn.functional.pad(_x(T), (1, 1, 1, 1), mode="reflect"),
    "pad_replicate_dims": lambda T: T.nn.functional.pad(T.ones(1, 1, 4), (1, 1, 1, 1, 1, 1), mode="replicate"),
    "pad_circular_dims": lambda T: T.nn.functional.pad(T.ones(4), (1, 1), mode="circular"),
    "pad_reflect_too_big": lambda T: T.nn.functional.pad(_x(T), (4, 1), mode="reflect"),
    "pad_reflect_2d_too_big": lambda T: T.nn.functional.pad(T.ones(2, 3, 4), (1, 1, 3, 1), mode="reflect"),
    "pad_reflect_3d_too_big": lambda T: T.nn.functional.pad(T.ones(2, 3, 4, 5), (1, 1, 1, 1, 3, 1), mode="reflect"),
    "pad_reflect_too_small": lambda T: T.nn.functional.pad(_x(T), (-3, -1), mode="reflect"),
    "pad_replicate_too_small": lambda T: T.nn.functional.pad(_x(T), (-4, -1), mode="replicate"),
    "pad_replicate_negative_2d": lambda T: T.nn.functional.pad(T.ones(2, 3, 4), (1, 1, -3, -1), mode="replicate"),
    "pad_reflect_empty_dim": lambda T: T.nn.functional.pad(T.ones(2, 0), (1, 1), mode="reflect"),
    "pad_replicate_empty_2d": lambda T: T.nn.functional.pad(T.ones(2, 3, 0), (1, 1, 1, 1), mode="replicate"),
    "pad_circular_wrap": lambda T: T.nn.functional.pad(_x(T)[None], (5, 1), mode="circular"),
    "pad_circular_empty": lambda T: T.nn.functional.pad(_x(T)[None], (-4, -1), mode="circular"),
    # einsum
    "einsum_no_operands": lambda T: T.einsum("i"),
    "einsum_too_few_ops": lambda T: T.einsum("i,j", T.ones(2)),
    "einsum_too_many_ops": lambda T: T.einsum("i", T.ones(2), T.ones(2)),
    "einsum_bad_char": lambda T: T.einsum("i1", T.ones(2, 2)),
    "einsum_bad_char_out": lambda T: T.einsum("ij->i1", T.ones(2, 2)),
    "einsum_dims": lambda T: T.einsum("ij", T.ones(2)),
    "einsum_dims_ellipsis": lambda T: T.einsum("ij...", T.ones(2)),
    "einsum_two_ellipsis": lambda T: T.einsum("......", T.ones(2)),
    "einsum_bad_dot": lambda T: T.einsum("i.", T.ones(2, 2)),
    "einsum_out_twice": lambda T: T.einsum("ij->ii", T.ones(2, 2)),
    "einsum_out_unknown": lambda T: T.einsum("ij->k", T.ones(2, 2)),
    "einsum_out_two_ellipsis": lambda T: T.einsum("...->......", T.ones(2, 2)),
    "einsum_out_bad_dot": lambda T: T.einsum("...->.", T.ones(2, 2)),
    "einsum_broadcast": lambda T: T.einsum("ij,ij->ij", T.ones(2, 3), T.ones(3, 3)),
    "einsum_broadcast_ellipsis": lambda T: T.einsum("...i,...i->...", T.ones(2, 3), T.ones(3, 3)),
    "einsum_repeated_sizes": lambda T: T.einsum("ii", T.ones(2, 3)),
    "einsum_sublist_range": lambda T: T.einsum(T.ones(2), [52]),
    "einsum_dtypes": lambda T: T.einsum("ij,jk", T.ones(2, 2), T.ones(2, 2, dtype=T.float64)),
    "index_copy_slice_dim1": lambda T: T.ones(2, 3, 4).index_copy(1, T.tensor([1, 2]), T.ones(2, 2, 3)),
    "index_add_0d_source_1d_self": lambda T: T.ones(3).index_add(0, T.tensor([1]), T.tensor(2.0)),
    "masked_scatter_broadcast": lambda T: _x(T).masked_scatter(T.ones(5, dtype=T.bool), T.ones(30)),
    "pad_bool_reflect": lambda T: T.nn.functional.pad(T.tensor([[True, False]]), (1, 1), mode="reflect"),
    "pad_bool_replicate_2d": lambda T: T.nn.functional.pad(T.ones(1, 2, 3, dtype=T.bool), (1, 1, 1, 1),
                                                           mode="replicate"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    out = both(ERRORS[name])
    assert out.error is not None, "the scenario was meant to fail"
