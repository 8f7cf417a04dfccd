"""Misuse gets PyTorch's exception type and message (a start of the reliability issue's golden
misuse suite: each case runs in retrograd and in torch in the same test)."""
from __future__ import annotations

import warnings

import pytest
import torch

import retrograd


class _Reflected:
    def __radd__(self, other):
        return "radd"

    def __rmul__(self, other):
        return "rmul"

    def __rmatmul__(self, other):
        return "rmatmul"

    def __rsub__(self, other):
        return "rsub"

    def __rtruediv__(self, other):
        return "rtruediv"

    def __rpow__(self, other):
        return "rpow"


CASES = {
    "set_grad_enabled_str": lambda T: T.set_grad_enabled("yes"),
    "set_grad_enabled_int": lambda T: T.set_grad_enabled(1),
    "slice_step_zero": lambda T: T.ones(3)[::0],
    "slice_step_negative": lambda T: T.ones(3)[::-1],
    "bitwise_and_double": lambda T: T.ones(2, dtype=T.float64).bitwise_and(T.ones(2, dtype=T.float64)),
    "bitwise_or_half": lambda T: T.ones(2, dtype=T.float16) | T.ones(2, dtype=T.float16),
    "bitwise_xor_float_int": lambda T: T.ones(2) ^ T.ones(2, dtype=T.int64),
    "bitwise_not_float": lambda T: T.ones(2).bitwise_not(),
    "mT_of_1d": lambda T: T.ones(3).mT,
    "add_str": lambda T: T.ones(2) + "a",
    "mul_str": lambda T: T.ones(2) * "a",
    "matmul_str": lambda T: T.ones(2) @ "a",
    "pow_str": lambda T: T.ones(2) ** "a",
    "rfloordiv_list": lambda T: [1] // T.ones(2),
    "and_str": lambda T: T.ones(2, dtype=T.bool) & "a",
}


def _outcome(T, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", repr(fn(T)))
        except Exception as e:  # noqa: BLE001 - the type and message are the result
            return (type(e).__name__, str(e))


@pytest.mark.parametrize("name", list(CASES))
def test_misuse_like_torch(name):
    assert _outcome(retrograd, CASES[name]) == _outcome(torch, CASES[name])


@pytest.mark.parametrize("op", ["+", "*", "@", "-", "/", "**"])
def test_a_foreign_operand_gets_its_reflected_turn(op):
    for T in (retrograd, torch):
        t = T.ones(2)
        expected = {"+": "radd", "*": "rmul", "@": "rmatmul", "-": "rsub", "/": "rtruediv",
                    "**": "rpow"}[op]
        assert eval(f"t {op} _Reflected()") == expected


def test_mT_of_a_0d_tensor_warns_and_is_the_identity_like_torch():
    for T in (retrograd, torch):
        x = T.tensor(2.0)
        with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
            y = x.mT
        assert y.item() == 2.0 and y.shape == ()
