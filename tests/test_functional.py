"""``autograd.functional`` (vjp, jvp, jacobian, hessian, vhp, hvp) against torch 2.13: values,
output nesting (tensor versus tuple), create_graph, and the strict-mode and argument errors."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from _both import both

import torch

# torch's first forward-AD use loads its JVP decompositions, which warns (torch.jit.script is
# deprecated) once per process: done here, so that scenarios compare only their own warnings.
torch.func.jvp(torch.sin, (torch.zeros(1),), (torch.zeros(1),))

A = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
B = np.array([0.5, -1.0], dtype=np.float32)


def inputs(T: Any) -> Any:
    return T.tensor(A), T.tensor(B)


def f1(a: Any) -> Any:
    return (a.exp() * a).sum(dim=1)


def f2(a: Any, b: Any) -> Any:
    return a @ b, (a * a).sum()


def scalar1(a: Any) -> Any:
    return (a ** 3).sum()


def scalar2(a: Any, b: Any) -> Any:
    return (a.sum() * b.exp()).sum()


def F(T: Any) -> Any:
    return T.autograd.functional


CASES = {
    # vjp
    "vjp": lambda T, a, b: F(T).vjp(f1, a, T.ones(2)),
    "vjp_create_graph": lambda T, a, b: F(T).vjp(f1, a, T.ones(2), create_graph=True),
    "vjp_tuple": lambda T, a, b: F(T).vjp(f2, (a, b), (T.ones(2), T.tensor(1.0))),
    "vjp_scalar_no_v": lambda T, a, b: F(T).vjp(lambda x: x.sum(), a),
    "vjp_no_v": lambda T, a, b: F(T).vjp(f1, a),
    "vjp_bad_v_size": lambda T, a, b: F(T).vjp(f1, a, T.ones(3)),
    "vjp_bad_v_len": lambda T, a, b: F(T).vjp(f2, (a, b), (T.ones(2),)),
    "vjp_bad_v_single": lambda T, a, b: F(T).vjp(f1, a, (T.ones(2), T.ones(2))),
    "vjp_list_inputs": lambda T, a, b: F(T).vjp(f1, [a]),
    "vjp_non_tensor_input": lambda T, a, b: F(T).vjp(f1, (a, 3)),
    "vjp_non_tensor_output": lambda T, a, b: F(T).vjp(lambda x: 3, a),
    "vjp_unused_input": lambda T, a, b: F(T).vjp(lambda x, y: x * 2, (a, b), T.ones(2, 2)),
    "vjp_strict_unused": lambda T, a, b: F(T).vjp(lambda x, y: x * 2, (a, b), T.ones(2, 2),
                                                  strict=True),
    "vjp_strict_constant": lambda T, a, b: F(T).vjp(lambda x: T.ones(2), a, T.ones(2),
                                                    strict=True),
    "vjp_strict_create_graph_linear": lambda T, a, b: F(T).vjp(lambda x: x * 2, a, T.ones(2, 2),
                                                               create_graph=True, strict=True),
    # jvp
    "jvp": lambda T, a, b: F(T).jvp(f1, a, T.ones(2, 2)),
    "jvp_tuple": lambda T, a, b: F(T).jvp(f2, (a, b), (T.ones(2, 2), T.ones(2))),
    "jvp_create_graph": lambda T, a, b: F(T).jvp(lambda x: x.exp() * x, a, T.ones(2, 2),
                                                 create_graph=True),
    "jvp_no_v": lambda T, a, b: F(T).jvp(f1, a),
    "jvp_strict_unused": lambda T, a, b: F(T).jvp(lambda x, y: x * 2, (a, b),
                                                  (T.ones(2, 2), T.ones(2)), strict=True),
    "jvp_linear_strict": lambda T, a, b: F(T).jvp(lambda x: x * 2, a, T.ones(2, 2), strict=True),
    # jacobian
    "jacobian": lambda T, a, b: F(T).jacobian(f1, a),
    "jacobian_tuple": lambda T, a, b: F(T).jacobian(f2, (a, b)),
    "jacobian_tuple_in_single_out": lambda T, a, b: F(T).jacobian(lambda x, y: x @ y, (a, b)),
    "jacobian_single_in_tuple_out": lambda T, a, b: F(T).jacobian(lambda x: (x.exp(), x.sum()),
                                                                  a),
    "jacobian_vectorize": lambda T, a, b: F(T).jacobian(f2, (a, b), vectorize=True),
    "jacobian_create_graph": lambda T, a, b: F(T).jacobian(f1, a, create_graph=True),
    "jacobian_strict_unused": lambda T, a, b: F(T).jacobian(lambda x, y: x * 2, (a, b),
                                                            strict=True),
    "jacobian_strict_vectorize": lambda T, a, b: F(T).jacobian(f1, a, strict=True,
                                                               vectorize=True),
    "jacobian_forward_mode": lambda T, a, b: F(T).jacobian(f1, a, strategy="forward-mode"),
    "jacobian_forward_mode_graph": lambda T, a, b: F(T).jacobian(f1, a, create_graph=True,
                                                                 strategy="forward-mode"),
    "jacobian_forward_mode_vectorized": lambda T, a, b: F(T).jacobian(
        f1, a, vectorize=True, strategy="forward-mode"),
    "jacobian_forward_mode_tuples": lambda T, a, b: F(T).jacobian(
        lambda x, y: (x * y.sum(), x.mT @ x, x.double().sum() * y), (a, b), vectorize=True,
        strategy="forward-mode"),
    "jacobian_forward_mode_constant": lambda T, a, b: F(T).jacobian(
        lambda x: T.ones(2), a, vectorize=True, strategy="forward-mode"),
    "hessian_forward_over_reverse": lambda T, a, b: F(T).hessian(
        scalar1, a, vectorize=True, outer_jacobian_strategy="forward-mode"),
    "hessian_forward_over_reverse_tuple": lambda T, a, b: F(T).hessian(
        scalar2, (a, b), vectorize=True, outer_jacobian_strategy="forward-mode"),
    "jacobian_bad_strategy": lambda T, a, b: F(T).jacobian(f1, a, strategy="sideways"),
    "jacobian_empty_output": lambda T, a, b: F(T).jacobian(lambda x: x[:0], a),
    # hessian
    "hessian": lambda T, a, b: F(T).hessian(scalar1, a),
    "hessian_tuple": lambda T, a, b: F(T).hessian(scalar2, (a, b)),
    "hessian_create_graph": lambda T, a, b: F(T).hessian(scalar1, a, create_graph=True),
    "hessian_not_scalar": lambda T, a, b: F(T).hessian(lambda x: x ** 3, a),
    "hessian_tuple_output": lambda T, a, b: F(T).hessian(lambda x: (x.sum(),), a),
    "hessian_strict_linear": lambda T, a, b: F(T).hessian(lambda x: (x * 2).sum(), a,
                                                          strict=True),
    # vhp / hvp
    "vhp": lambda T, a, b: F(T).vhp(scalar1, a, T.ones(2, 2)),
    "hvp": lambda T, a, b: F(T).hvp(scalar1, a, T.ones(2, 2)),
    "vhp_tuple": lambda T, a, b: F(T).vhp(scalar2, (a, b), (T.ones(2, 2), T.ones(2))),
    "hvp_tuple": lambda T, a, b: F(T).hvp(scalar2, (a, b), (T.ones(2, 2), T.ones(2))),
    "hvp_create_graph": lambda T, a, b: F(T).hvp(scalar1, a, T.ones(2, 2), create_graph=True),
    "vhp_create_graph": lambda T, a, b: F(T).vhp(scalar1, a, T.ones(2, 2), create_graph=True),
    "hvp_strict_linear": lambda T, a, b: F(T).hvp(lambda x: (x * 2).sum(), a, T.ones(2, 2),
                                                  strict=True),
    "vhp_strict_linear": lambda T, a, b: F(T).vhp(lambda x: (x * 2).sum(), a, T.ones(2, 2),
                                                  strict=True),
    "hvp_not_scalar": lambda T, a, b: F(T).hvp(lambda x: x, a, T.ones(2, 2)),
    "vhp_tuple_output": lambda T, a, b: F(T).vhp(lambda x: (x.sum(),), a, T.ones(2, 2)),
    "hvp_no_v": lambda T, a, b: F(T).hvp(scalar1, a),
    "hvp_scalar_input_no_v": lambda T, a, b: F(T).hvp(lambda x: x ** 3, b[0]),
    "hvp_strict_quadratic": lambda T, a, b: F(T).hvp(lambda x: (x * x).sum(), a, T.ones(2, 2),
                                                     strict=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_functional_api(name: str) -> None:
    def scenario(T: Any) -> Any:
        a, b = inputs(T)
        return CASES[name](T, a, b)

    both(scenario)


def test_results_are_detached_unless_create_graph() -> None:
    def scenario(T: Any) -> Any:
        a = T.tensor(A, requires_grad=True)
        out, v = F(T).vjp(f1, a, T.ones(2))
        out_g, v_g = F(T).vjp(f1, a, T.ones(2), create_graph=True)
        v_g.sum().backward()
        return (out.requires_grad, v.requires_grad, out_g.requires_grad, v_g.requires_grad,
                a.grad)

    both(scenario)


def test_hessian_through_create_graph_is_differentiable() -> None:
    def scenario(T: Any) -> Any:
        a = T.tensor(A, requires_grad=True)
        h = F(T).hessian(scalar1, a, create_graph=True)
        h.sum().backward()
        return h, a.grad

    both(scenario)


def test_functional_inside_no_grad() -> None:
    def scenario(T: Any) -> Any:
        a = T.tensor(A, requires_grad=True)
        with T.no_grad():
            out, v = F(T).vjp(f1, a, T.ones(2))
            h = F(T).hessian(scalar1, a)
        return out, v, h, T.is_grad_enabled()

    both(scenario)


def test_user_function_capturing_the_original_input() -> None:
    # The function receives fresh tensors: a captured original input is a constant for it.
    def scenario(T: Any) -> Any:
        a = T.tensor(A, requires_grad=True)
        return F(T).jacobian(lambda x: x * a, a)

    both(scenario)
