"""Views against torch 2.13: ``_base``/``_is_view()``, shared storage and version counter, and
autograd through in-place changes of views (CopySlices on the base, AsStridedBackward0 on the
views), with PyTorch's errors for views that may not be modified in place; ``as_strided``,
``stride()`` and ``storage_offset()``.

Every scenario runs on retrograd and on torch (tests/_both.py) and must give the same values,
grad_fn names, graph shapes, gradients, exception types and messages.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from _both import both

X = (np.arange(12.0, dtype=np.float32).reshape(4, 3) * 0.25 - 1.0)


def leaf(T: Any) -> Any:
    return T.tensor(X, requires_grad=True)


def node_names(node) -> Any:
    if node is None:
        return None
    return (node.name(), tuple(node_names(n) for n, _ in node.next_functions))


# View makers: a function of the base (4, 3).
VIEWS = {
    "slice": lambda b: b[1:],
    "slice_step": lambda b: b[::2, 1:],
    "select": lambda b: b[1],
    "select_col": lambda b: b[:, 2],
    "t": lambda b: b.t(),
    "T": lambda b: b.T,
    "mT": lambda b: b.mT,
    "transpose": lambda b: b.transpose(0, 1),
    "permute": lambda b: b.permute(1, 0),
    "view": lambda b: b.view(-1),
    "view_3d": lambda b: b.view(2, 2, 3),
    "reshape": lambda b: b.reshape(2, 6),
    "flatten": lambda b: b.flatten(),
    "view_as": lambda b: b.view_as(b),
    "unsqueeze": lambda b: b.unsqueeze(0),
    "squeeze": lambda b: b.unsqueeze(1).squeeze(1),
    "ellipsis": lambda b: b[...],
    "none": lambda b: b[None],
    "nested": lambda b: b[1:].t()[0],
    "nested_deep": lambda b: b.view(2, 6)[:, 1:].reshape(2, 5)[1, ::2],
    "as_strided": lambda b: b.as_strided((2, 2), (1, 3), 1),
    "narrow": lambda b: b.narrow(0, 1, 2),
    "diagonal": lambda b: b.diagonal(),
    "swapaxes": lambda b: b.swapaxes(0, 1),
}


@pytest.mark.parametrize("kind", sorted(VIEWS))
def test_view_shares_storage_and_version_with_its_base(kind: str) -> None:
    def scenario(T: Any) -> Any:
        b = T.tensor(X)
        v = VIEWS[kind](b)
        v.add_(100)  # writes through to b
        b.mul_(2)  # and b's changes show in v
        return v._is_view(), v._base is b, v._version, b._version, b, v

    both(scenario)


def test_views_of_views_chain_to_the_root() -> None:
    def scenario(T: Any) -> Any:
        b = T.tensor(X)
        v = b[1:]
        w = v.t()
        u = w[0]
        return (b._is_view(), b._base, v._base is b, w._base is b, u._base is b, w._base is v,
                b.reshape(12)._base is b)

    both(scenario)


def test_detach_and_data_share_storage_but_are_not_views() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        d, s, dv = b.detach(), b.data, b[1:].detach()
        d[0, 0] = 7.0  # shared memory and (for detach) the version counter
        s[0, 1] = 8.0  # .data: shared memory, own counter
        dv[0, 0] = 9.0
        return (d._is_view(), s._is_view(), dv._is_view(), dv._base, b._version, d._version,
                s._version, b)

    both(scenario)


def test_copy_made_by_reshape_is_not_a_view() -> None:
    def scenario(T: Any) -> Any:
        b = T.tensor(X)
        r = b.t().reshape(-1)  # not viewable: a copy
        r.add_(1)
        return r._is_view(), b, b._version

    both(scenario)


# --------------------------------------------------------------------------------------------
# In place through a view: the base's history is rebased (CopySlices)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(VIEWS))
def test_in_place_on_a_view_of_a_non_leaf(kind: str) -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        v = VIEWS[kind](b)
        before = v.grad_fn.name()
        v.mul_(2)
        out = (before, node_names(v.grad_fn), node_names(b.grad_fn), v._base is b, b, v)
        b.sum().backward(retain_graph=True)
        g_base = x.grad.clone()
        x.grad = None
        weights = T.arange(v.numel(), dtype=T.float32).reshape(v.shape)
        (v * weights).sum().backward()
        return out + (g_base, x.grad)

    both(scenario)


@pytest.mark.parametrize("op", ["add_tensor", "mul_tensor", "copy_", "fill_tensor", "zero_",
                                "exp_", "sigmoid_", "clamp_", "setitem", "iadd"])
def test_ops_on_a_view_route_gradients_to_their_operands(op: str) -> None:
    calls = {
        "add_tensor": lambda v, w: v.add_(w), "mul_tensor": lambda v, w: v.mul_(w),
        "copy_": lambda v, w: v.copy_(w), "fill_tensor": lambda v, w: v.fill_(w[1]),
        "zero_": lambda v, w: v.zero_(), "exp_": lambda v, w: v.exp_(),
        "sigmoid_": lambda v, w: v.sigmoid_(), "clamp_": lambda v, w: v.clamp_(w),
        "setitem": lambda v, w: v.__setitem__(0, w[0]), "iadd": lambda v, w: v.__iadd__(w),
    }

    def scenario(T: Any) -> Any:
        x = leaf(T)
        w = T.tensor([0.5, -1.5, 2.0], requires_grad=True)
        b = x * 2
        v = b[1:, :].t()[1:]  # (2, 3)
        calls[op](v, w)
        out = (node_names(b.grad_fn), node_names(v.grad_fn), b)
        (b.sin() * 3).sum().backward()
        return out + (x.grad, w.grad)

    both(scenario)


def test_in_place_on_a_view_of_a_tensor_that_does_not_require_grad() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = T.zeros(4, 3)
        v = b[1:]
        v.add_(x[1:])  # brings history into b through the view
        out = (b.requires_grad, v.requires_grad, node_names(b.grad_fn), node_names(v.grad_fn))
        (b * b).sum().backward()
        return out + (x.grad,)

    both(scenario)


def test_two_in_place_ops_through_two_views() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        r0, c1 = b[0], b[:, 1]
        r0.mul_(3)
        c1.add_(r0[0])  # reads the new row 0
        out = (node_names(b.grad_fn), node_names(r0.grad_fn), node_names(c1.grad_fn), b)
        (b ** 2).sum().backward()
        return out + (x.grad,)

    both(scenario)


def test_in_place_on_the_base_updates_its_views() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        v = b[1:]
        t = b.t()
        b.mul_(3)
        out = (node_names(v.grad_fn), node_names(t.grad_fn), v.requires_grad)
        (v * 2).sum().backward(retain_graph=True)
        g1 = x.grad.clone()
        x.grad = None
        (t[0] * t[1]).sum().backward()
        return out + (g1, x.grad)

    both(scenario)


def test_in_place_on_a_sibling_view_updates_the_others() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        flat = b.view(-1)
        row = b[2]
        row.exp_()
        out = (node_names(flat.grad_fn), flat)
        (flat * T.arange(12.0)).sum().backward()
        return out + (x.grad,)

    both(scenario)


def test_base_changed_under_no_grad_then_view_used() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        v = b[1:]
        with T.no_grad():
            b.mul_(2)
        out = (node_names(v.grad_fn), node_names(b.grad_fn))
        v.sum().backward()
        return out + (x.grad,)

    both(scenario)


def test_leaf_changed_under_no_grad_then_its_views_used() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        v = x[1:]
        u = x.t()
        with T.no_grad():
            x.mul_(2)  # e.g. an optimizer step
            u[0].add_(1)
        out = (node_names(v.grad_fn), node_names(u.grad_fn), v.requires_grad, x.is_leaf)
        (v * u.t()[1:]).sum().backward()
        return out + (x.grad,)

    both(scenario)


def test_double_backward_through_an_in_place_op_on_a_view() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        b[1:].mul_(x[:3])
        b[0].sin_()  # SinBackward0 saves the old row 0
        b[:, 1].mul_(b[:, 2])  # saves a view of the current b
        y = (b ** 2).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (g * g).sum().backward()
        return g, x.grad

    both(scenario)


# --------------------------------------------------------------------------------------------
# Views that may not be modified in place
# --------------------------------------------------------------------------------------------
ERRORS = {
    "view_of_leaf": lambda T, x: x[1:].mul_(2),
    "transpose_of_leaf": lambda T, x: x.t().zero_(),
    "leaf_view_of_constant": lambda T, x: T.arange(6.0).view(2, 3).requires_grad_().add_(1),
    "unbind_output": lambda T, x: (x * 1).unbind()[1].mul_(2),
    "unbind_output_view": lambda T, x: (x * 1).unbind(1)[2][1:].mul_(2),
    "expanded_view": lambda T, x: (x * 1)[:1].expand(3, 3).add_(1),
    "split_output": lambda T, x: (x * 1).split(2)[1].mul_(2),
    "chunk_output": lambda T, x: (x * 1).chunk(2)[0].add_(1),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_in_place_errors(case: str) -> None:
    assert both(lambda T: ERRORS[case](T, leaf(T))).error is not None


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_view_made_without_grad_then_modified_with_grad(mode: str) -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        with getattr(T, mode)():
            v = b[1:]
        v.mul_(2)

    assert both(scenario).error is not None


def test_view_of_a_view_made_in_no_grad_mode() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        with T.no_grad():
            v = b[1:].t()
        w = v[0]
        names = (w.requires_grad, node_names(w.grad_fn))
        w.mul_(2)
        return names

    assert both(scenario).error is not None


def test_unbind_made_in_no_grad_mode_then_modified() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        with T.no_grad():
            a = b.unbind()[1]
        a.mul_(2)

    assert both(scenario).error is not None


def test_view_made_in_no_grad_mode() -> None:
    # It requires grad (through its base) but has no grad_fn and no gradient of its own.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        with T.no_grad():
            v = b[1:]
            u = x[0]
        w = v * 2
        out = (v.requires_grad, v.is_leaf, v.grad_fn, u.requires_grad, u.is_leaf, repr(u),
               w.requires_grad, node_names(w.grad_fn), node_names(v[0].grad_fn))
        w.sum().backward()
        with T.no_grad():
            u.add_(1)  # allowed: everything happens under no_grad
        return out + (x.grad, v.grad, x)

    both(scenario)


@pytest.mark.parametrize("how", ["base", "sibling", "no_grad_base"])
def test_no_grad_view_whose_storage_changed_may_not_be_used(how: str) -> None:
    # torch raises as soon as v's grad_fn is read; retrograd when a backward pass reaches it:
    # either way the scenario fails with the same error.
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        with T.no_grad():
            v = b[1:]
        if how == "base":
            b.mul_(2)
        elif how == "sibling":
            b[0].add_(1)
        else:
            with T.no_grad():
                b.mul_(2)
        (v * 2).sum().backward()

    assert both(scenario).error is not None


def test_unbind_outputs_after_their_base_changed() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        u = b.unbind()
        b.mul_(2)
        b.sum().backward()  # fine: the pieces are not used
        g = x.grad.clone()
        (u[0] * 2).sum().backward()  # not fine
        return g

    assert both(scenario).error is not None


def test_unbind_outputs_after_their_base_changed_the_base_still_works() -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        u = b.unbind()
        b.mul_(2)
        b.sum().backward()
        return x.grad, len(u)

    both(scenario)


def test_unbind_outputs_of_a_constant_may_be_modified_without_grad() -> None:
    def scenario(T: Any) -> Any:
        b = T.zeros(4, 3)
        a = b.unbind()[1]
        a.add_(2)
        return a._version, b

    both(scenario)


# --------------------------------------------------------------------------------------------
# as_strided, stride(), storage_offset()
# --------------------------------------------------------------------------------------------
STRIDED = {
    "basic": lambda b: b.as_strided((2, 2), (1, 3), 1),
    "fn": lambda b: __import__("builtins").getattr(b, "as_strided")([3, 2], [2, 1]),
    "zero_stride": lambda b: b.as_strided((2, 3), (0, 1)),
    "overlapping": lambda b: b.as_strided((3, 3), (1, 1)),
    "of_slice_default_offset": lambda b: b[1:].as_strided((2, 2), (1, 3)),
    "of_slice_offset_0": lambda b: b[1:].as_strided((2, 2), (1, 3), 0),
    "of_transpose": lambda b: b.t().as_strided((3, 2), (1, 3), 2),
    "of_as_strided": lambda b: b.as_strided((2, 2), (1, 3), 1).as_strided((2,), (4,)),
    "scalar": lambda b: b.as_strided((), (), 5),
    "empty": lambda b: b.as_strided((0, 3), (3, 1), 11),
}


@pytest.mark.parametrize("kind", sorted(STRIDED))
def test_as_strided(kind: str) -> None:
    def scenario(T: Any) -> Any:
        x = leaf(T)
        b = x * 1
        s = STRIDED[kind](b)
        out = (s, s.stride(), s.storage_offset(), s._base is b, s.grad_fn.name(),
               s.is_contiguous())
        (s * T.arange(s.numel(), dtype=T.float32).reshape(s.shape)).sum().backward()
        return out + (x.grad,)

    both(scenario)


def test_as_strided_saved_attributes() -> None:
    def scenario(T: Any) -> Any:
        b = leaf(T) * 1
        s = T.as_strided(b, (2, 2), (1, 3), 4)
        n = s.grad_fn
        d = b.as_strided((2,), (2,)).grad_fn
        b[1:].mul_(2)
        r = b[1:].grad_fn
        return (n._saved_size, n._saved_stride, n._saved_storage_offset, d._saved_storage_offset)

    both(scenario)


AS_STRIDED_ERRORS = {
    "out_of_bounds": lambda T, b: b.as_strided((2, 2), (1, 3), 100),
    "just_out_of_bounds": lambda T, b: b.as_strided((2, 2), (1, 3), 11),
    "negative_stride": lambda T, b: b.as_strided((2, 2), (-1, 3)),
    "negative_size": lambda T, b: b.as_strided((2, -2), (1, 1)),
    "length_mismatch": lambda T, b: b.as_strided((2, 2), (1,)),
}


@pytest.mark.parametrize("case", sorted(AS_STRIDED_ERRORS))
def test_as_strided_errors(case: str) -> None:
    assert both(lambda T: AS_STRIDED_ERRORS[case](T, T.tensor(X))).error is not None


STRIDES = {
    "contiguous": lambda T: T.zeros(4, 3),
    "column": lambda T: T.zeros(3, 1),
    "empty": lambda T: T.zeros(0, 3),
    "scalar": lambda T: T.tensor(2.0),
    "t": lambda T: T.zeros(4, 3).t(),
    "slice": lambda T: T.zeros(4, 3)[1:, ::2],
    "select": lambda T: T.zeros(4, 3)[:, 1],
    "expand": lambda T: T.zeros(4, 3).expand(2, 4, 3),
    "unsqueeze0": lambda T: T.zeros(4, 3).unsqueeze(0),
    "unsqueeze1": lambda T: T.zeros(4, 3).unsqueeze(1),
    "none": lambda T: T.zeros(4, 3)[:, None],
    "permute": lambda T: T.zeros(2, 3, 4).permute(2, 0, 1),
    "view": lambda T: T.zeros(2, 3, 4).view(6, 4),
    "from_numpy_strided": lambda T: T.from_numpy(np.zeros((4, 6))[:, ::2]),
}


@pytest.mark.parametrize("kind", sorted(STRIDES))
def test_stride_and_storage_offset(kind: str) -> None:
    def scenario(T: Any) -> Any:
        t = STRIDES[kind](T)
        return t.stride(), t.storage_offset(), [t.stride(d) for d in range(-t.dim(), t.dim())]

    both(scenario)


def test_stride_dim_out_of_range() -> None:
    assert both(lambda T: T.zeros(4, 3).stride(2)).error is not None


def test_setitem_covering_all_dims_through_ellipsis_writes_the_tensor_itself():
    """x[..., :1] = c on an (n, 1) tensor takes all of x: PyTorch fills x itself (FillBackward3,
    no view), so the gradient of the overwritten values is an unconnected zero."""
    def scenario(T):
        c = T.tensor([[0.3], [0.2], [-0.4]], requires_grad=True)
        z = c.clone()
        z[..., :1] = 0.5
        g, = T.autograd.grad((z.exp() * 2).sum(), c, create_graph=True)
        return [z.grad_fn.name(), g, g.requires_grad]
    both(scenario)
