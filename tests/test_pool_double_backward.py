"""The gradients of pooling, padding and grid_sample taken with create_graph=True, node for
node as torch 2.13's: PyTorch's backward kernels are nodes over (grad_output, self[, grid])
(``MaxPool2DWithIndicesBackwardBackward0``, ``GridSampler2DBackwardBackward0``, ...), connected
to the input with a zero derivative, so a second ``autograd.grad`` gives zeros instead of
raising. Each case is built in both libraries from the same arrays and compared: the class
names (``type(node).__name__``, not only ``name()``), the edges in order, requires_grad, and the
values of the second (and for grid_sample third) order gradients.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd

CASES = {
    "max_pool2d": (lambda F, x: F.max_pool2d(x, 2, 1), (1, 2, 4, 5)),
    "max_pool1d": (lambda F, x: F.max_pool1d(x, 3, 2, 1), (2, 2, 7)),
    "max_pool3d": (lambda F, x: F.max_pool3d(x, 2), (1, 1, 4, 4, 3)),
    "avg_pool2d": (lambda F, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (2, 5, 6)),
    "avg_pool1d": (lambda F, x: F.avg_pool1d(x, 2), (2, 3, 6)),
    "avg_pool3d": (lambda F, x: F.avg_pool3d(x, 2, divisor_override=3), (1, 2, 2, 4, 4)),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, (3, 2)), (1, 2, 5, 5)),
    "adaptive_avg_pool3d": (lambda F, x: F.adaptive_avg_pool3d(x, 2), (1, 2, 3, 3, 4)),
    "adaptive_max_pool1d": (lambda F, x: F.adaptive_max_pool1d(x, 3), (2, 2, 7)),
    "adaptive_max_pool3d": (lambda F, x: F.adaptive_max_pool3d(x, 2), (1, 2, 3, 4, 3)),
    "interpolate_area": (lambda F, x: F.interpolate(x, size=(2, 3), mode="area"), (1, 2, 4, 5)),
    "reflect_pad2d": (lambda F, x: F.pad(x, (1, 2, 2, 0), mode="reflect"), (1, 2, 4, 4)),
    "replicate_pad1d": (lambda F, x: F.pad(x, (3, 1), mode="replicate"), (2, 4)),
    "replicate_pad3d": (lambda F, x: F.pad(x, (1, 0, 0, 1, 1, 1), mode="replicate"),
                        (1, 2, 2, 3, 2)),
    "max_unpool2d": (lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
                     (1, 2, 4, 4)),
}


def _walk(node) -> list:
    """Every node reachable from ``node`` with its edges: [(class name, [edge class names])]."""
    def cls(n):
        if n is None:
            return None
        name = type(n).__name__
        return "AccumulateGrad" if name.endswith("AccumulateGrad") else name
    out, seen, stack = [], set(), [node]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        out.append((cls(n), n.name(), [(cls(f), k) for f, k in n.next_functions]))
        stack.extend(f for f, _ in reversed(n.next_functions))
    return out


def _run(T, case: str, xa: np.ndarray, ga: np.ndarray, va: np.ndarray):
    op, _ = CASES[case]
    x = T.tensor(xa, requires_grad=True)
    y = op(T.nn.functional, x)
    (g,) = T.autograd.grad(y, x, T.tensor(ga), create_graph=True)
    graph = _walk(g.grad_fn)
    (h,) = T.autograd.grad((g * T.tensor(va)).sum(), x)         # zeros, as torch's
    # with an incoming gradient that requires grad: the kernel is linear in it
    go = T.tensor(ga, requires_grad=True)
    (g2,) = T.autograd.grad(op(T.nn.functional, x), x, go, create_graph=True)
    hx, hgo = T.autograd.grad((g2 * T.tensor(va)).sum(), (x, go))
    return graph, g.requires_grad, [a.detach().numpy() for a in (g, h, hx, hgo)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_backward_kernel_graph_like_torch(case):
    rng = np.random.default_rng(sorted(CASES).index(case))
    _, shape = CASES[case]
    xa = rng.standard_normal(shape)
    out_shape = tuple(CASES[case][0](torch.nn.functional, torch.tensor(xa)).shape)
    ga, va = rng.standard_normal(out_shape), rng.standard_normal(shape)
    ours, ref = _run(retrograd, case, xa, ga, va), _run(torch, case, xa, ga, va)
    assert ours[0] == ref[0]
    assert ours[1] is ref[1] is True
    for a, b in zip(ours[2], ref[2]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


THIRD = {
    **{k: CASES[k] for k in ("max_pool2d", "max_pool3d", "avg_pool2d", "avg_pool3d",
                             "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
                             "reflect_pad2d", "replicate_pad1d", "replicate_pad3d")},
    "interpolate_bilinear": (lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
                             (1, 2, 3, 3)),
    "interpolate_nearest3d": (lambda F, x: F.interpolate(x, size=(3, 2, 5)), (1, 1, 2, 3, 2)),
    "interpolate_bicubic_aa": (lambda F, x: F.interpolate(x, size=(2, 3), mode="bicubic",
                                                          antialias=True), (1, 2, 5, 4)),
}


def _saved(T, node) -> dict:
    out = {}
    for name in dir(node):
        if name.startswith("_saved_"):
            v = getattr(node, name)
            out[name] = v.detach().numpy().tolist() if isinstance(v, T.Tensor) else v
    return out


def _third(T, case: str, arrays):
    op, _ = THIRD[case]
    xa, ga, va, wa = arrays
    x, go = T.tensor(xa, requires_grad=True), T.tensor(ga, requires_grad=True)
    (g,) = T.autograd.grad(op(T.nn.functional, x), x, go, create_graph=True)
    v = T.tensor(va, requires_grad=True)
    (h,) = T.autograd.grad((g * v).sum(), go, create_graph=True)   # the kernel's own gradient
    node = h.grad_fn
    graph = [(type(node).__name__, _saved(T, node),
              [type(f).__name__ if f is not None else None for f, _ in node.next_functions])]
    third = T.autograd.grad((h * T.tensor(wa)).sum(), v)
    return graph, [a.detach().numpy() for a in (h,) + third]


@pytest.mark.parametrize("case", sorted(THIRD))
def test_third_order_records_torchs_forward_op(case):
    """The kernel's gradient in its incoming gradient is PyTorch's op again (avg_pool2d ->
    AvgPool2DBackward0, reflection_pad2d, upsample_bilinear2d, ...; max pooling's a gather):
    same node class, saved values and edges, same values."""
    rng = np.random.default_rng(sorted(THIRD).index(case) + 50)
    op, shape = THIRD[case]
    xa = rng.standard_normal(shape)
    out_shape = tuple(op(torch.nn.functional, torch.tensor(xa)).shape)
    arrays = [xa, rng.standard_normal(out_shape), rng.standard_normal(shape),
              rng.standard_normal(out_shape)]
    ours, ref = _third(retrograd, case, arrays), _third(torch, case, arrays)
    assert ours[0] == ref[0]
    for a, b in zip(ours[1], ref[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_second_order_of_a_pooling_network_like_torch():
    """A gradient penalty through conv, max_pool2d, avg_pool2d and a reflection pad: the
    penalty's gradient in the weights, as torch's."""
    rng = np.random.default_rng(5)
    xa, wa = rng.standard_normal((2, 1, 8, 8)), rng.standard_normal((3, 1, 3, 3))

    def run(T):
        F = T.nn.functional
        x, w = T.tensor(xa, requires_grad=True), T.tensor(wa, requires_grad=True)
        y = F.avg_pool2d(F.max_pool2d(F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), w), 2), 2)
        (gx,) = T.autograd.grad(y.pow(2).sum(), x, create_graph=True)
        (gw,) = T.autograd.grad(gx.pow(2).sum(), w)
        return gw.numpy()
    np.testing.assert_allclose(run(retrograd), run(torch), rtol=1e-10, atol=1e-12)


GRID_MODES = [("bilinear", "zeros", False), ("bicubic", "border", True),
              ("nearest", "reflection", False)]


def _grid_run(T, mode, padding, align, arrays):
    xa, gra, goa, v1, v2 = arrays
    x, gr = T.tensor(xa, requires_grad=True), T.tensor(gra, requires_grad=True)
    go = T.tensor(goa, requires_grad=True)
    y = T.nn.functional.grid_sample(x, gr, mode=mode, padding_mode=padding, align_corners=align)
    gx, gg = T.autograd.grad(y, (x, gr), go, create_graph=True)
    node = gx.grad_fn
    facts = (type(node).__name__, node is gg.grad_fn, [type(f).__name__.split("::")[-1]
                                                        for f, _ in node.next_functions],
             [k for _, k in node.next_functions],
             {k: getattr(node, "_saved_" + k) for k in ("align_corners", "interpolation_mode",
                                                         "padding_mode")})
    saved = [getattr(node, "_saved_" + k).detach().numpy() for k in ("grad_output", "grid",
                                                                     "input")]
    s = (gx * T.tensor(v1)).sum() + (gg * T.tensor(v2)).sum()
    second = T.autograd.grad(s, (x, gr, go), create_graph=True, allow_unused=True)
    t = sum((h * h).sum() for h in second if h is not None and h.requires_grad)
    third = T.autograd.grad(t, (gr, go), allow_unused=True)
    values = [None if h is None else h.detach().numpy() for h in second + third]
    return facts, saved, values


@pytest.mark.parametrize("mode,padding,align", GRID_MODES)
def test_grid_sample_gradients_are_one_node_like_torch(mode, padding, align):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((1, 2, 4, 5)), rng.uniform(-1.1, 1.1, (1, 3, 3, 2)),
              rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((1, 2, 4, 5)),
              rng.standard_normal((1, 3, 3, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _grid_run(retrograd, mode, padding, align, arrays)
        ref = _grid_run(torch, mode, padding, align, arrays)
    assert ours[0] == ref[0]
    for a, b in zip(ours[1], ref[1]):
        np.testing.assert_array_equal(a, b)
    # which second-order gradients exist (None: unused) is torch's; at third order, nearest
    # mode, torch leaves the incoming gradient unused where ours is connected with zeros
    assert [v is None for v in ours[2][:3]] == [v is None for v in ref[2][:3]]
    for a, b, shape in zip(ours[2], ref[2], [a.shape for a in arrays[:3]] + [a.shape for a in
                                                                             arrays[1:3]]):
        a = np.zeros(shape) if a is None else a
        b = np.zeros(shape) if b is None else b
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_penalty_through_a_loss_like_torch(mode):
    """The incoming gradient depends on the input and the grid (a loss's): the node's
    gradients are its own partial derivatives (the engine adds the paths through the incoming
    gradient), at second and third order, and through torch.func's jacrev(grad)."""
    rng = np.random.default_rng(9)
    xa, ga = rng.standard_normal((1, 2, 4, 4)), rng.uniform(-1.1, 1.1, (1, 3, 2, 2))
    va, wa = rng.standard_normal(xa.shape), rng.standard_normal(ga.shape)

    def run(T):
        F = T.nn.functional

        def loss(x, g):
            return F.grid_sample(x, g, mode=mode, align_corners=False).pow(2).sum()
        x, g = T.tensor(xa, requires_grad=True), T.tensor(ga, requires_grad=True)
        gx, gg = T.autograd.grad(loss(x, g), (x, g), create_graph=True)
        pen = (gx * T.tensor(va)).sum() + (gg * T.tensor(wa)).sum()
        second = T.autograd.grad(pen, (x, g), create_graph=True)
        third = T.autograd.grad(sum((s * s).sum() for s in second), (x, g))
        jac = T.func.jacrev(T.func.grad(loss, argnums=0), argnums=1)(T.tensor(xa), T.tensor(ga))
        return [t.detach().numpy() for t in second + third + (jac,)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, ref = run(retrograd), run(torch)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("nd", [2, 3])   # (1-D: unpool2d between unsqueeze and squeeze)
def test_max_unpool_gradient_records_torchs_gather(nd):
    """max_unpool's gradient under create_graph is PyTorch's max_pool_double_backward: the
    incoming gradient read at the indices through view, gather, view (no node of its own)."""
    rng = np.random.default_rng(nd)
    shape = (1, 2) + (4,) * nd
    xa = rng.standard_normal(shape)

    def run(T):
        F = T.nn.functional
        pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
        unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[nd - 1]
        out, idx = pool(T.tensor(xa), 2, return_indices=True)
        o = out.clone().requires_grad_()
        u = unpool(o, idx, 2)
        v = T.tensor(rng_v.standard_normal(tuple(u.shape)), requires_grad=True)
        (g,) = T.autograd.grad(u, o, v, create_graph=True)
        (h,) = T.autograd.grad((g * g).sum(), v)
        return _walk(g.grad_fn), g.detach().numpy(), h.numpy()
    rng_v = np.random.default_rng(10 + nd)
    ours = run(retrograd)
    rng_v = np.random.default_rng(10 + nd)
    ref = run(torch)
    assert ours[0] == ref[0]
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-12, atol=1e-12)
