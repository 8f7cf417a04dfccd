"""autograd.graph.GradientEdge / get_gradient_edge and allow_mutation_on_saved_tensors, compared
with torch scenario by scenario (values, grad_fn names, errors)."""
from __future__ import annotations

from typing import Any

import pytest

from _both import both


def _x(T: Any) -> Any:
    return T.tensor([1.0, 2.0, 3.0], requires_grad=True)


EDGE_CASES = {
    "fields": lambda T, x: (lambda e: [type(e).__name__, e._fields, e.node.name(), e.output_nr,
                                       e.ownership_token is None])(
        T.autograd.graph.get_gradient_edge(x * 2)),
    "leaf_edge_is_accumulator": lambda T, x: T.autograd.graph.get_gradient_edge(x).node.name(),
    "multi_output_nr": lambda T, x: (lambda e: [e.node.name(), e.output_nr])(
        T.autograd.graph.get_gradient_edge(x.unbind()[2])),
    "output_nr": lambda T, x: [x.output_nr, x.unbind()[1].output_nr, (x * 2).output_nr],
    "no_grad_error": lambda T, x: T.autograd.graph.get_gradient_edge(T.ones(2)),
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_get_gradient_edge(case):
    both(lambda T: EDGE_CASES[case](T, _x(T)))


def _grad_scenario(case):
    def scenario(T: Any) -> Any:
        edge = T.autograd.graph.get_gradient_edge
        x = _x(T)
        y = x * 2
        z = y.sin()
        u = x.cos()
        if case == "input_edge":
            return T.autograd.grad(z.sum(), edge(y))
        if case == "mixed_inputs":
            return T.autograd.grad(z.sum(), [edge(y), x, edge(x)])
        if case == "output_edge":
            return T.autograd.grad(edge(z), x, grad_outputs=T.ones(3))
        if case == "output_edge_implicit":
            return T.autograd.grad(edge(z), x)
        if case == "output_edge_scalar":
            return T.autograd.grad(edge(z.sum()), x)
        if case == "unused_edge":
            return T.autograd.grad(z.sum(), edge(u), allow_unused=True)
        if case == "unused_edge_error":
            return T.autograd.grad(z.sum(), edge(u))
        if case == "materialize_edge":
            return T.autograd.grad(z.sum(), edge(u), materialize_grads=True)
        if case == "create_graph":
            g, = T.autograd.grad(z.sum(), edge(y), create_graph=True)
            return [g, T.autograd.grad(g.sum(), x)]
        if case == "dtype_of_edge":
            return T.autograd.grad((x.double() * 2).sum(), edge(x))
        if case == "backward_inputs":
            w = _x(T)
            (w * 3 + x).sum().backward(inputs=[edge(w)])
            return [w.grad, x.grad]
        raise AssertionError(case)
    return scenario


@pytest.mark.parametrize("case", ["input_edge", "mixed_inputs", "output_edge",
                                  "output_edge_implicit", "output_edge_scalar", "unused_edge",
                                  "unused_edge_error", "materialize_edge", "create_graph",
                                  "dtype_of_edge", "backward_inputs"])
def test_grad_with_gradient_edges(case):
    both(_grad_scenario(case))


def _mutation_scenario(case):
    def scenario(T: Any) -> Any:
        allow = T.autograd.graph.allow_mutation_on_saved_tensors
        x = _x(T)
        if case == "docs_example":
            with allow() as ctx:
                b = x.clone()
                out = (b ** 2).sum()
                b.sin_()
                out.sum().backward()
                return [type(ctx).__name__, b, x.grad]
        if case == "mutations_through_views":
            with allow():
                c = x.clone()
                out = (c * c).sum()
                c[0] = 5
                c[1:].mul_(2)
                out.backward()
                return [c, x.grad]
        if case == "saved_output":
            with allow():
                y = x.clone().exp()
                y.add_(1)
                y.sum().backward()
                return [y, x.grad]
        if case == "augmented_assignment":
            with allow():
                w = x.clone()
                q = (w.relu() * w).sum()
                w += 1
                q.backward()
                return x.grad
        if case == "double_backward":
            with allow():
                g = x.clone()
                r = g.pow(3)
                g.zero_()
                gg, = T.autograd.grad(r.sum(), x, create_graph=True)
                return [gg, T.autograd.grad(gg.sum(), x)]
        if case == "backward_outside":
            with allow():
                b = x.clone()
                out = (b ** 2).sum()
                b.sin_()
            out.backward()
        if case == "nested":
            with allow():
                with allow():
                    pass
        if case == "without_context":   # the error the context exists to avoid
            b = x.clone()
            out = (b ** 2).sum()
            b.sin_()
            out.backward()
        if case == "usable_after_error":
            try:
                with allow():
                    with allow():
                        pass
            except RuntimeError:
                pass
            with allow():
                b = x.clone()
                out = (b ** 2).sum()
                b.sin_()
                out.backward()
            return x.grad
        raise AssertionError(case)
    return scenario


@pytest.mark.parametrize("case", ["docs_example", "mutations_through_views", "saved_output",
                                  "augmented_assignment", "double_backward", "backward_outside",
                                  "nested", "without_context", "usable_after_error"])
def test_allow_mutation_on_saved_tensors(case):
    both(_mutation_scenario(case))
