"""retrograd/autograd/gradcheck.py: gradcheck / gradgradcheck against torch's verdicts.

The module under test is loaded by file path, not as ``retrograd.autograd.gradcheck``: under
RETROGRAD_SHIM_TORCH=1 that name resolves to torch's own module, and loading by path is what
lets this file validate *our* implementation against torch before retrograd exists (with the
shim, our code runs on torch tensors). Every case is built twice from the same NumPy data,
once with ``retrograd`` and once with ``torch``, and our verdict is compared with
``torch.autograd.gradcheck``'s.

Wrong gradients are made with tensor hooks (retrograd has no autograd.Function yet). Hooks
are written to pass ``None`` through: torch's undefined-gradient check calls hooks with
``None``.
"""
from __future__ import annotations

import importlib.util
import inspect
import itertools
import pathlib
import re
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.autograd.gradcheck  # noqa: F401  (registers the module in sys.modules)

import retrograd

# torch.autograd.gradcheck is re-exported as the *function*; the module holds GradcheckError.
torch_gc = sys.modules["torch.autograd.gradcheck"]

_PATH = pathlib.Path(__file__).resolve().parents[1] / "retrograd" / "autograd" / "gradcheck.py"
# (as a package whose submodules are found beside it: the checks live in _gradcheck_*.py)
_spec = importlib.util.spec_from_file_location("_retrograd_gradcheck_under_test", _PATH,
                                               submodule_search_locations=[str(_PATH.parent)])
gc = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = gc
_spec.loader.exec_module(gc)

MISMATCH_PREFIX = "Jacobian mismatch for output {} with respect to input {},\nnumerical:"


# ------------------------------------------------------------------------------------------
# Cases: each maps a library module (retrograd or torch) to (func, inputs)
# ------------------------------------------------------------------------------------------


def _data(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).uniform(-1.0, 1.0, shape)


def _leaf(lib, arr, requires_grad=True, dtype=None):
    return lib.tensor(arr, dtype=dtype or lib.float64, requires_grad=requires_grad)


def _scaled_grad_hook(factor):
    return lambda g: g if g is None else g * factor


def case_sin(lib):
    return (lambda x: x.sin()), (_leaf(lib, _data(2, 3)),)


def case_mul(lib):
    return (lambda x, y: x * y), (_leaf(lib, _data(3, seed=1)), _leaf(lib, _data(3, seed=2)))


def case_matmul(lib):
    return (lambda a, b: a @ b), (_leaf(lib, _data(2, 3)), _leaf(lib, _data(3, 4, seed=5)))


def case_sum_dim(lib):
    return (lambda x: x.sum(dim=1)), (_leaf(lib, _data(3, 4)),)


def case_multiple_outputs(lib):
    def func(x, y):
        # A float output, a second float output, and an integer output (ignored by autograd).
        return x * y, (x * 2).sin(), (x * 3).long()

    return func, (_leaf(lib, _data(4, seed=3)), _leaf(lib, _data(4, seed=4)))


def case_non_differentiable_extra_input(lib):
    def func(x, w, idx, scale):
        return (x * w).sum(dim=0) * scale + idx

    inputs = (
        _leaf(lib, _data(3, 2)),
        _leaf(lib, _data(3, 2, seed=7), requires_grad=False),  # float, but no grad wanted
        lib.tensor([1, 2], dtype=lib.int64),
        2.5,
    )
    return func, inputs


def case_scalar_output(lib):
    return (lambda x: (x * x).sum()), (_leaf(lib, _data(5)),)


def case_output_aliases_input(lib):
    # The identity returns the input itself: outputs must be snapshotted before perturbing.
    return (lambda x: x), (_leaf(lib, _data(2, 2)),)


def case_unused_input(lib):
    return (lambda x, y: x.sin()), (_leaf(lib, _data(3)), _leaf(lib, _data(2)))


def case_multi_output_node(lib):
    # unbind: several outputs of one autograd node, so the undefined-grad check has work to do.
    return (lambda x: x.unbind(0)), (_leaf(lib, _data(3, 2)),)


def case_constant_output(lib):
    return (lambda x: lib.ones(2, dtype=lib.float64)), (_leaf(lib, _data(3)),)


def case_wrong_grad(lib):
    def func(x):
        y = x * 1.0
        y.register_hook(_scaled_grad_hook(2))
        return y.sin()

    return func, (_leaf(lib, _data(3)),)


def case_wrong_grad_second_input(lib):
    def func(x, y):
        y2 = y * 1.0
        y2.register_hook(_scaled_grad_hook(2))
        return x * y2

    return func, (_leaf(lib, _data(3, seed=1)), _leaf(lib, _data(3, seed=2)))


def case_wrong_grad_second_output(lib):
    def func(x):
        y = x * 1.0
        y.register_hook(_scaled_grad_hook(2))
        return x.sin(), y * y

    return func, (_leaf(lib, _data(3)),)


def case_wrong_exact_grad(lib):
    # Polynomial: both libraries compute the very same bits, so the messages match exactly.
    def func(x):
        y = x * 1.0
        y.register_hook(_scaled_grad_hook(3))
        return y * y

    return func, (_leaf(lib, np.array([0.5, -1.25, 2.0])),)


def case_grad_ignores_grad_output(lib):
    # Correct on every one-hot cotangent, but a zero cotangent gives a non-zero gradient.
    def hook(g):
        if g is None or g.abs().sum() > 0:
            return g
        return g + 1

    def func(x):
        y = x * 1.0
        y.register_hook(hook)
        return y.sin()

    return func, (_leaf(lib, _data(3)),)


def case_non_differentiable_output_that_varies(lib):
    return (lambda x: x.detach() * 2), (_leaf(lib, _data(3)),)


PASSING = [
    case_sin,
    case_mul,
    case_matmul,
    case_sum_dim,
    case_multiple_outputs,
    case_non_differentiable_extra_input,
    case_scalar_output,
    case_output_aliases_input,
    case_unused_input,
    case_multi_output_node,
    case_constant_output,
]

FAILING = {  # case -> expected message prefix
    case_wrong_grad: MISMATCH_PREFIX.format(0, 0),
    case_wrong_grad_second_input: MISMATCH_PREFIX.format(0, 1),
    case_wrong_grad_second_output: MISMATCH_PREFIX.format(1, 0),
    case_grad_ignores_grad_output: "backward not multiplied by grad_output",
    case_non_differentiable_output_that_varies: "Numerical gradient for function expected to be zero",
}


def _torch_verdict(check, case, **kwargs):
    func, inputs = case(torch)
    return check(func, inputs, raise_exception=False, **kwargs)


def _our_verdict(check, case, **kwargs):
    func, inputs = case(retrograd)
    return check(func, inputs, raise_exception=False, **kwargs)


FAST = pytest.mark.parametrize("fast_mode", [False, True], ids=["slow", "fast"])


# ------------------------------------------------------------------------------------------
# API surface
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck"])
def test_signature_matches_torch(name):
    ours = inspect.signature(getattr(gc, name)).parameters
    ref = inspect.signature(getattr(torch_gc, name)).parameters
    assert list(ours) == list(ref)
    for p in ref:
        assert (ours[p].kind, ours[p].default) == (ref[p].kind, ref[p].default), p


def test_gradcheck_error_is_runtime_error():
    assert issubclass(gc.GradcheckError, RuntimeError)
    assert set(gc.__all__) == {"gradcheck", "gradgradcheck", "GradcheckError"}


# ------------------------------------------------------------------------------------------
# gradcheck verdicts
# ------------------------------------------------------------------------------------------


@FAST
@pytest.mark.parametrize("case", PASSING, ids=lambda c: c.__name__)
def test_passes_on_correct_functions(case, fast_mode):
    func, inputs = case(retrograd)
    assert gc.gradcheck(func, inputs, fast_mode=fast_mode) is True
    assert _torch_verdict(torch.autograd.gradcheck, case, fast_mode=fast_mode) is True


@FAST
@pytest.mark.parametrize("case", list(FAILING), ids=lambda c: c.__name__)
def test_fails_on_wrong_gradients(case, fast_mode):
    func, inputs = case(retrograd)
    with pytest.raises(gc.GradcheckError) as ours:
        gc.gradcheck(func, inputs, fast_mode=fast_mode)
    assert str(ours.value).startswith(FAILING[case])

    _, ref_inputs = case(torch)
    with pytest.raises(torch_gc.GradcheckError) as ref:
        torch.autograd.gradcheck(case(torch)[0], ref_inputs, fast_mode=fast_mode)
    assert str(ref.value).startswith(FAILING[case])


@FAST
@pytest.mark.parametrize("case", list(FAILING), ids=lambda c: c.__name__)
def test_returns_false_without_raise_exception(case, fast_mode):
    assert _our_verdict(gc.gradcheck, case, fast_mode=fast_mode) is False
    assert _torch_verdict(torch.autograd.gradcheck, case, fast_mode=fast_mode) is False


def test_slow_mismatch_message_equals_torch():
    with pytest.raises(gc.GradcheckError) as ours:
        gc.gradcheck(*case_wrong_exact_grad(retrograd))
    with pytest.raises(torch_gc.GradcheckError) as ref:
        torch.autograd.gradcheck(*case_wrong_exact_grad(torch))
    assert str(ours.value) == str(ref.value)
    assert "numerical:tensor([[ 1.0000,  0.0000,  0.0000]," in str(ours.value)
    assert "analytical:tensor([[ 3.0000,  0.0000,  0.0000]," in str(ours.value)


def test_fast_mismatch_message_reports_slow_jacobians():
    with pytest.raises(gc.GradcheckError) as ours:
        gc.gradcheck(*case_wrong_exact_grad(retrograd), fast_mode=True)
    with pytest.raises(torch_gc.GradcheckError) as ref:
        torch.autograd.gradcheck(*case_wrong_exact_grad(torch), fast_mode=True)
    # Like torch, the projections v^T J u print as plain floats (f"{0-d tensor}" formats .item()).
    pattern = re.escape(MISMATCH_PREFIX.format(0, 0)) + r"-?[0-9.e-]+\nanalytical:-?[0-9.e-]+\n"
    assert re.match(pattern, str(ours.value))
    assert re.match(pattern, str(ref.value))
    msg = str(ours.value)
    assert "Below, we recompute numerical and analytical jacobians in slow mode" in msg
    # The slow-mode Jacobians in the report are the full ones.
    assert "Numerical:\n tensor([[ 1.0000,  0.0000,  0.0000]," in msg
    assert "Analytical:\ntensor([[ 3.0000,  0.0000,  0.0000]," in msg
    assert re.search(r"The max per-element difference \(slow mode\) is: [0-9.e-]+\.\n", msg)


def test_tolerances_decide_the_verdict():
    # A 1% error in the gradient: caught by the default rtol, accepted by rtol=5e-2.
    def case(lib):
        def func(x):
            y = x * 1.0
            y.register_hook(_scaled_grad_hook(1.01))
            return y * 3

        return func, (_leaf(lib, _data(3) + 2),)

    for fast_mode, rtol in itertools.product([False, True], [1e-3, 5e-2]):
        ours = _our_verdict(gc.gradcheck, case, fast_mode=fast_mode, rtol=rtol)
        ref = _torch_verdict(torch.autograd.gradcheck, case, fast_mode=fast_mode, rtol=rtol)
        assert ours == ref == (rtol > 1e-2)


def _non_reentrant_case(lib):
    calls = itertools.count()

    def hook(g):  # every backward pass returns slightly different values
        return g if g is None else g * (1.0 + 1e-9 * next(calls))

    def func(x):
        y = x * 1.0
        y.register_hook(hook)
        return y.sin()

    return func, (_leaf(lib, _data(3)),)


@FAST
def test_reentrancy_check(fast_mode):
    with pytest.raises(gc.GradcheckError, match=r"^Backward is not reentrant, i\.e\., running"):
        gc.gradcheck(*_non_reentrant_case(retrograd), fast_mode=fast_mode)
    assert _torch_verdict(torch.autograd.gradcheck, _non_reentrant_case, fast_mode=fast_mode) is False
    # The drift is ~1e-7 of the gradient, far below atol: a tolerant check passes.
    func, inputs = _non_reentrant_case(retrograd)
    assert gc.gradcheck(func, inputs, fast_mode=fast_mode, nondet_tol=1e-5)
    func, inputs = _non_reentrant_case(torch)
    assert torch.autograd.gradcheck(func, inputs, fast_mode=fast_mode, nondet_tol=1e-5)


def test_float32_input_warning_matches_torch():
    def case(lib):
        return (lambda x: x * 2), (_leaf(lib, _data(3), dtype=lib.float32),)

    def messages(check, lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check(*case(lib), raise_exception=False)
        return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]

    ours = messages(gc.gradcheck, retrograd)
    ref = messages(torch.autograd.gradcheck, torch)
    assert ours == ref
    assert ours[0].startswith(
        "Input #0 requires gradient and is not a double precision floating point or complex. "
    )
    with pytest.warns(UserWarning, match=re.escape(ref[0])):
        gc.gradcheck(*case(retrograd), raise_exception=False)


def test_no_input_requires_grad_is_a_value_error():
    x = _leaf(retrograd, _data(3), requires_grad=False)
    with pytest.raises(ValueError, match="expects at least one input tensor to require gradient"):
        gc.gradcheck(lambda t: t.sin(), (x,))


def test_stride_zero_input_is_rejected_like_torch():
    def inputs(lib):
        base = lib.tensor(_data(3, 1), dtype=lib.float64)
        return (base.expand(3, 4).detach().requires_grad_(),)

    with pytest.raises(RuntimeError) as ours:
        gc.gradcheck(lambda x: x * 2, inputs(retrograd))
    with pytest.raises(RuntimeError) as ref:
        torch.autograd.gradcheck(lambda x: x * 2, inputs(torch))
    assert str(ours.value) == str(ref.value)


def test_inputs_are_restored_bit_for_bit():
    func, inputs = case_wrong_grad(retrograd)
    before = np.array(inputs[0].detach().numpy(), copy=True)
    assert gc.gradcheck(func, inputs, raise_exception=False) is False
    assert gc.gradcheck(func, inputs, raise_exception=False, fast_mode=True) is False
    np.testing.assert_array_equal(inputs[0].detach().numpy(), before)


def test_fast_mode_cost_does_not_grow_with_input_size():
    calls = {"n": 0}

    def func(a, b):
        calls["n"] += 1
        return (a @ b).sin()

    def n_calls(n, fast_mode):
        calls["n"] = 0
        inputs = (_leaf(retrograd, _data(n, n)), _leaf(retrograd, _data(n, 2, seed=9)))
        assert gc.gradcheck(func, inputs, fast_mode=fast_mode)
        return calls["n"]

    # Slow mode: two forward passes per input element; fast mode: two per input tensor
    # (plus the reference forward pass).
    assert n_calls(4, fast_mode=False) == 1 + 2 * (16 + 8)
    assert n_calls(4, fast_mode=True) == n_calls(60, fast_mode=True) == 1 + 2 * 2


# ------------------------------------------------------------------------------------------
# Undefined output gradients
# ------------------------------------------------------------------------------------------


def _two_output_function(lib, on_undefined):
    """x -> (2x, 3x) whose backward mishandles "one grad undefined, the other zero".

    It is correct for every one-hot cotangent (the Jacobian check passes) and when both grads
    are undefined; only the undefined-grad check can catch it.
    """

    class TwoOutputs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)  # backward really receives None
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g0, g1):
            if g0 is None and g1 is None:
                return None
            if g0 is None or g1 is None:
                defined = g1 if g0 is None else g0
                if not bool((defined != 0).any()):
                    if on_undefined == "raise":
                        raise RuntimeError("cannot handle an undefined grad")
                    return defined + 1  # "nonzero": invents a gradient
                return defined * (3 if g0 is None else 2)
            return g0 * 2 + g1 * 3

    return TwoOutputs.apply


@pytest.mark.skipif(
    not hasattr(getattr(retrograd, "autograd", None), "Function"),
    reason="needs autograd.Function",
)
@pytest.mark.parametrize(
    "on_undefined, message",
    [
        ("raise", "Expected backward function to handle undefined output grads"),
        ("nonzero", "Expected all input grads to be undefined or zero"),
    ],
)
def test_backward_that_mishandles_undefined_grads_fails(on_undefined, message):
    for check, lib, error in (
        (gc.gradcheck, retrograd, gc.GradcheckError),
        (torch.autograd.gradcheck, torch, torch_gc.GradcheckError),
    ):
        func = _two_output_function(lib, on_undefined)
        x = _leaf(lib, _data(3))
        with pytest.warns(UserWarning, match="Backwards compatibility"):
            with pytest.raises(error, match=f"^{message}"):
                check(func, (x,))
        assert check(func, (x,), check_undefined_grad=False)
        assert check(func, (x,), check_undefined_grad=False, fast_mode=True)


# ------------------------------------------------------------------------------------------
# gradgradcheck
# ------------------------------------------------------------------------------------------


def case_cube(lib):
    return (lambda x: x**3), (_leaf(lib, _data(3)),)


def case_tanh(lib):
    return (lambda x: x.tanh()), (_leaf(lib, _data(2, 2)),)


def case_matmul_sum(lib):
    return (lambda a, b: (a @ b).sin().sum(dim=0)), (
        _leaf(lib, _data(2, 3)),
        _leaf(lib, _data(3, 2, seed=4)),
    )


def case_wrong_second_derivative(lib):
    # The hook leaves first-order values intact but detaches them from the graph built by
    # create_graph=True, so d(grad)/d(x) and d(grad)/d(grad_output) lose the sin() term.
    def func(x):
        y = x * 1.0
        y.register_hook(lambda g: g if g is None else g.detach())
        return y.sin() + x**2

    return func, (_leaf(lib, _data(3)),)


@FAST
@pytest.mark.parametrize("case", [case_cube, case_tanh, case_matmul_sum], ids=lambda c: c.__name__)
def test_gradgradcheck_passes(case, fast_mode):
    assert gc.gradgradcheck(*case(retrograd), fast_mode=fast_mode) is True
    assert _torch_verdict(torch.autograd.gradgradcheck, case, fast_mode=fast_mode) is True


@FAST
def test_gradgradcheck_fails_on_wrong_second_derivative(fast_mode):
    func, inputs = case_wrong_second_derivative(retrograd)
    assert gc.gradcheck(func, inputs, fast_mode=fast_mode)  # first order is fine
    with pytest.raises(gc.GradcheckError, match="^Jacobian mismatch for output 0 with respect to input"):
        gc.gradgradcheck(func, inputs, fast_mode=fast_mode)
    assert _our_verdict(gc.gradgradcheck, case_wrong_second_derivative, fast_mode=fast_mode) is False
    ref = _torch_verdict(
        torch.autograd.gradgradcheck, case_wrong_second_derivative, fast_mode=fast_mode
    )
    assert ref is False


def test_gradgradcheck_explicit_and_noncontiguous_grad_outputs():
    func, inputs = case_tanh(retrograd)
    grad_out = _leaf(retrograd, _data(2, 2, seed=11))
    assert gc.gradgradcheck(func, inputs, (grad_out,))
    assert gc.gradgradcheck(func, inputs, gen_non_contig_grad_outputs=True)


def test_gradgradcheck_is_deterministic_and_leaves_global_rng_alone():
    state = np.random.get_state()[1].copy()
    torch_state = torch.random.get_rng_state().clone()
    for _ in range(2):
        assert gc.gradgradcheck(*case_cube(retrograd), fast_mode=True)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


# ------------------------------------------------------------------------------------------
# Options that are not supported, and option consistency
# ------------------------------------------------------------------------------------------


def test_masked_is_unsupported():
    with pytest.raises(NotImplementedError, match="masked=True is not supported"):
        gc.gradcheck(*case_sin(retrograd), masked=True)
    with pytest.raises(NotImplementedError, match="masked=True is not supported"):
        gc.gradgradcheck(*case_cube(retrograd), masked=True)


# ------------------------------------------------------------------------------------------
# Forward mode (check_forward_ad, check_fwd_over_rev) and batched gradients
# (check_batched_grad, check_batched_forward_grad): verdicts and messages against torch's
# ------------------------------------------------------------------------------------------


def case_detached_factor(lib):
    # x * x.detach(): autograd (both modes) sees x, the finite differences see 2x.
    return (lambda x: x * x.detach()), (_leaf(lib, np.array([0.5, -1.5, 2.0])),)


FORWARD_OPTIONS = {
    "forward": dict(check_forward_ad=True),
    "forward_only": dict(check_forward_ad=True, check_backward_ad=False),
    "batched": dict(check_batched_grad=True),
    "batched_forward": dict(check_forward_ad=True, check_batched_forward_grad=True),
    "all": dict(check_forward_ad=True, check_batched_grad=True, check_batched_forward_grad=True),
}


@FAST
@pytest.mark.parametrize("options", list(FORWARD_OPTIONS))
@pytest.mark.parametrize("case", PASSING, ids=lambda c: c.__name__)
def test_forward_and_batched_checks_pass_on_correct_functions(case, options, fast_mode):
    kwargs = dict(FORWARD_OPTIONS[options], fast_mode=fast_mode)
    ref = _torch_verdict(torch.autograd.gradcheck, case, **kwargs)
    assert _our_verdict(gc.gradcheck, case, **kwargs) is ref
    assert ref is True


@FAST
@pytest.mark.parametrize("case", list(FAILING), ids=lambda c: c.__name__)
def test_forward_only_check_ignores_wrong_backward(case, fast_mode):
    """The broken backward passes (hooks) do not touch forward mode: a forward-only check has
    torch's verdict (it passes, except where the function itself is not differentiable)."""
    kwargs = dict(check_forward_ad=True, check_backward_ad=False, fast_mode=fast_mode)

    def outcome(check, verdict):
        try:
            return verdict(check, case, **kwargs)
        except (RuntimeError, IndexError) as e:  # torch raises too: a hook on a detached dual
            return type(e).__name__, str(e)       # input; its fast-mode report without outputs
    assert outcome(gc.gradcheck, _our_verdict) == outcome(torch.autograd.gradcheck,
                                                          _torch_verdict)


@FAST
def test_forward_mismatch_message_like_torch(fast_mode):
    kwargs = dict(check_forward_ad=True, check_backward_ad=False, fast_mode=fast_mode)
    with pytest.raises(gc.GradcheckError) as ours:
        gc.gradcheck(*case_detached_factor(retrograd), **kwargs)
    with pytest.raises(torch_gc.GradcheckError) as ref:
        torch.autograd.gradcheck(*case_detached_factor(torch), **kwargs)
    prefix = "Jacobian computed with forward mode mismatch for output 0 with respect to input 0,\n"
    assert str(ours.value).startswith(prefix) and str(ref.value).startswith(prefix)
    if not fast_mode:   # exact Jacobians: the same bits, the same text
        assert str(ours.value) == str(ref.value)
    else:
        assert "Below, we recompute numerical and analytical jacobians in slow mode" in str(ours.value)
        assert "Numerical:\n tensor([[ 1.0000,  0.0000,  0.0000]," in str(ours.value)


@pytest.mark.parametrize("options", ["forward", "batched"])
def test_returns_false_on_forward_failures(options):
    kwargs = FORWARD_OPTIONS[options]
    assert _our_verdict(gc.gradcheck, case_detached_factor, **kwargs) is False
    assert _torch_verdict(torch.autograd.gradcheck, case_detached_factor, **kwargs) is False


def test_batched_grad_check_reports_a_wrong_batched_backward():
    """A backward whose result depends on the batch (here: on the cotangent's identity through
    a Python counter) makes vmap's VJPs differ from the ones computed one at a time."""
    def case(lib):
        calls = []

        def hook(g):
            if g is None:
                return g
            calls.append(1)
            return g * len(calls)   # a different factor at every backward

        def func(x):
            y = x * 1.0
            y.register_hook(hook)
            return y.sin()
        return func, (_leaf(lib, _data(3)),)
    # the plain gradcheck fails first (non-reentrant backward): check the batched part alone
    func, inputs = case(retrograd)
    ctx = gc._Context(func, inputs, 1e-6, 1e-5, 1e-3, 0.0, False)
    with pytest.raises(gc.GradcheckError) as ours:
        importlib.import_module(gc.__name__ + "._gradcheck_batched")._check_batched_grad(
            ctx, ctx.outputs[0], 0)
    assert str(ours.value).startswith("For output 0 and input 0:\n\n" + gc.FAILED_BATCHED_GRAD_MSG)
    assert gc.FAILED_BATCHED_GRAD_MSG == torch_gc.FAILED_BATCHED_GRAD_MSG
    assert gc.FAILED_BATCHED_GRAD_MSG_FWD_AD == torch_gc.FAILED_BATCHED_GRAD_MSG_FWD_AD


@FAST
@pytest.mark.parametrize("case", [case_cube, case_tanh, case_matmul_sum], ids=lambda c: c.__name__)
def test_gradgradcheck_batched_grad_passes(case, fast_mode):
    kwargs = dict(check_batched_grad=True, fast_mode=fast_mode)
    assert _our_verdict(gc.gradgradcheck, case, **kwargs) is True
    assert _torch_verdict(torch.autograd.gradgradcheck, case, **kwargs) is True


@FAST
@pytest.mark.parametrize("rev", [True, False], ids=["with_rev_over_rev", "fwd_over_rev_only"])
@pytest.mark.parametrize("case", [case_cube, case_tanh, case_matmul_sum], ids=lambda c: c.__name__)
def test_gradgradcheck_fwd_over_rev_passes(case, rev, fast_mode):
    kwargs = dict(check_fwd_over_rev=True, check_rev_over_rev=rev, check_undefined_grad=rev,
                  fast_mode=fast_mode)
    assert _our_verdict(gc.gradgradcheck, case, **kwargs) is True
    assert _torch_verdict(torch.autograd.gradgradcheck, case, **kwargs) is True


@FAST
def test_gradgradcheck_fwd_over_rev_fails_on_wrong_second_derivative(fast_mode):
    """The hook detaches the first-order gradient: its tangent misses the sin() term too."""
    kwargs = dict(check_fwd_over_rev=True, check_rev_over_rev=False, check_undefined_grad=False,
                  fast_mode=fast_mode)
    assert _our_verdict(gc.gradgradcheck, case_wrong_second_derivative, **kwargs) is False
    assert _torch_verdict(torch.autograd.gradgradcheck, case_wrong_second_derivative,
                          **kwargs) is False
    with pytest.raises(gc.GradcheckError) as ours:
        gc.gradgradcheck(*case_wrong_second_derivative(retrograd), **kwargs)
    with pytest.raises(torch_gc.GradcheckError) as ref:
        torch.autograd.gradgradcheck(*case_wrong_second_derivative(torch), **kwargs)
    head = "Jacobian computed with forward mode mismatch for output 0 with respect to input 0,\n"
    assert str(ours.value).startswith(head) and str(ref.value).startswith(head)


@FAST
def test_gradgradcheck_batched_grad_fails_on_wrong_second_derivative(fast_mode):
    kwargs = dict(check_batched_grad=True, fast_mode=fast_mode)
    assert _our_verdict(gc.gradgradcheck, case_wrong_second_derivative, **kwargs) is False
    assert _torch_verdict(torch.autograd.gradgradcheck, case_wrong_second_derivative,
                          **kwargs) is False


@pytest.mark.skipif(not hasattr(retrograd, "complex128"), reason="no complex dtype")
def test_complex_inputs_are_unsupported():
    z = retrograd.tensor(np.array([1 + 2j, 3 - 1j]), dtype=retrograd.complex128, requires_grad=True)
    with pytest.raises(NotImplementedError, match="complex inputs are not supported"):
        gc.gradcheck(lambda t: t * 2, (z,))


def test_inconsistent_options_are_assertion_errors_like_torch():
    for check in (gc.gradcheck, torch.autograd.gradcheck):
        with pytest.raises(AssertionError, match="at least one of check_forward_ad"):
            check(*case_sin(torch if check is torch.autograd.gradcheck else retrograd),
                  check_backward_ad=False)
    with pytest.raises(AssertionError, match="check_undefined_grad=True requires"):
        gc.gradgradcheck(*case_cube(retrograd), check_rev_over_rev=False, check_fwd_over_rev=True)
