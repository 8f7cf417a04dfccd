"""Finite-difference checks of autograd gradients: ``gradcheck`` and ``gradgradcheck``.

Same public API, defaults, verdicts and failure messages as ``torch.autograd.gradcheck``.

The module is deliberately library-agnostic: it only touches tensors through torch's public
API (``detach``, ``requires_grad``, ``dtype``, ``shape``, ``numpy()``, ``autograd.grad``,
``zeros_like``, ``tensor``), and imports ``retrograd`` lazily inside functions. With the test
shim that aliases ``retrograd`` to torch, the very same code therefore runs against torch,
which is how it is validated against the reference.

All the numerical bookkeeping (Jacobians, random projections, comparisons) is done in NumPy:
inputs are perturbed in place through ``x.detach().numpy()``, which shares memory with the
tensor in both libraries, so ``func`` sees the perturbation without any autograd machinery
being involved (this is what torch achieves with ``x.data``).

Forward mode (``check_forward_ad``) goes through the public ``autograd.forward_ad`` API exactly
like torch: dual inputs, one tangent per Jacobian column (slow mode) or one random tangent per
input (fast mode), plus torch's undefined-tangent check. ``check_batched_grad`` /
``check_batched_forward_grad`` compare a ``vmap`` over the VJP (JVP) of two random cotangents
(tangents) with the two computed one at a time, as torch does (also for gradgradcheck).

``check_fwd_over_rev`` of gradgradcheck is ``check_forward_ad`` on the function that calls
``autograd.grad(create_graph=True)``: forward AD through the backward pass, as in torch.

Not supported and rejected loudly with ``NotImplementedError``: sparse masked semantics
(``masked=True``) and complex inputs or outputs.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

# The checks live beside this module (``_gradcheck_*.py``), imported relatively: the test
# (tests/test_gradcheck_fn.py) loads this file by path as a package whose submodules are found
# in this directory, so it runs without the ``retrograd`` package (also under the torch shim).
from ._gradcheck_common import (_GRAD_OUTPUTS_SEED, GradcheckError, _Context, _as_tuple,
                                _check_inputs, _differentiable_outputs, _lib, _reject_unsupported,
                                _requires_grad)
from ._gradcheck_common import (FAILED_BATCHED_GRAD_MSG,  # noqa: F401 - the tests read them here
                                FAILED_BATCHED_GRAD_MSG_FWD_AD)

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

GradcheckError.__module__ = __name__   # its public home (torch.autograd.gradcheck.GradcheckError)

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    r"""Check analytical gradients of ``func`` against central finite differences.

    Every floating point tensor in ``inputs`` with ``requires_grad=True`` is checked, for
    every output that requires grad, with ``allclose(analytical, numerical, rtol, atol)``.
    ``fast_mode=True`` compares the random projections ``v^T J u`` instead of full Jacobians.
    Returns ``True`` on success; on failure raises :class:`GradcheckError`, or returns
    ``False`` if ``raise_exception=False``. See the module docstring for unsupported options.
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True"
        )
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True"
        )
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True"
        )
    _reject_unsupported(masked=bool(masked))
    try:
        _gradcheck(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol,
                   check_undefined_grad, check_grad_dtypes, fast_mode, check_batched_grad,
                   check_batched_forward_grad, check_forward_ad, check_backward_ad)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
               check_grad_dtypes, fast_mode, check_batched_grad=False,
               check_batched_forward_grad=False, check_forward_ad=False,
               check_backward_ad=True) -> None:
    # The order of torch's _gradcheck_helper: backward, forward (+ undefined tangents), batched
    # forward, batched backward, zero cotangents, undefined output gradients. The checks load with
    # the first gradcheck, not with import retrograd.
    from ._gradcheck_reverse import (_check_backward_mul_by_grad_output, _check_undefined_grad,
                                     _fast_gradcheck, _slow_gradcheck)
    from ._gradcheck_forward import (_check_undefined_forward, _fast_forward_check,
                                     _slow_forward_check)
    from ._gradcheck_batched import _check_batched_forward_grad, _check_batched_grad
    _check_inputs(inputs)
    ctx = _Context(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    if check_backward_ad:
        (_fast_gradcheck if fast_mode else _slow_gradcheck)(ctx)
    if check_forward_ad:
        (_fast_forward_check if fast_mode else _slow_forward_check)(ctx)
        if check_undefined_grad:
            _check_undefined_forward(ctx)
    if check_batched_forward_grad:
        _check_batched_forward_grad(func, inputs)
    if not check_backward_ad:
        return
    if check_batched_grad:
        for i, o in enumerate(ctx.outputs):
            _check_batched_grad(ctx, o, i)
    _check_backward_mul_by_grad_output(ctx.outputs, ctx.diff_inputs)
    if check_undefined_grad:
        _check_undefined_grad(ctx)


def _random_grad_outputs(func: Callable, inputs: tuple, noncontiguous: bool) -> tuple:
    """Seeded uniform(-1, 1) cotangents shaped like the differentiable outputs."""
    rng = np.random.default_rng(_GRAD_OUTPUTS_SEED)
    lib = _lib()
    result = []
    for o in _differentiable_outputs(func(*inputs)):
        dtype = o.dtype if o.is_floating_point() else lib.float64
        shape = tuple(o.shape)
        if noncontiguous and shape:
            # Every other element of a twice-as-long trailing dimension: a strided view.
            base = lib.tensor(rng.uniform(-1.0, 1.0, shape + (2,)), dtype=dtype)
            g = base[..., 0].detach()
        else:
            g = lib.tensor(rng.uniform(-1.0, 1.0, shape), dtype=dtype)
        result.append(g.requires_grad_())
    return tuple(result)


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    r"""Check second derivatives: gradcheck the map (inputs, grad_outputs) -> input grads.

    The first-order gradients are computed with ``create_graph=True`` for ``grad_outputs``
    (random, seeded, shaped like the differentiable outputs when not given), and that
    function is checked with :func:`gradcheck` w.r.t. the inputs and the grad_outputs.
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"
        )
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True"
        )
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True"
        )
    _reject_unsupported(masked=bool(masked))
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        tupled_grad_outputs = _random_grad_outputs(
            func, tupled_inputs, gen_non_contig_grad_outputs
        )
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    first_order = _first_order_grads_fn(func, tupled_inputs, tupled_grad_outputs)
    return gradcheck(
        first_order,
        tupled_inputs + tupled_grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
    )


def _first_order_grads_fn(func: Callable, inputs: tuple, grad_outputs: tuple) -> Callable:
    """(inputs..., grad_outputs...) -> the gradients of ``func`` w.r.t. its grad inputs.

    Which arguments require grad is remembered here and restored on the arguments received,
    as torch does: the forward-mode check passes detached dual tensors."""
    n_inputs = len(inputs)
    diff_inputs_idx = {i for i, x in enumerate(inputs) if _requires_grad(x)}
    diff_grad_outputs_idx = {i for i, x in enumerate(grad_outputs) if _requires_grad(x)}

    def first_order(*args: Any) -> tuple:
        # Slicing by the number of inputs (not of grad_outputs) stays right when the function
        # has no differentiable output at all.
        input_args = tuple(x.requires_grad_() if i in diff_inputs_idx else x
                           for i, x in enumerate(args[:n_inputs]))
        outputs = _differentiable_outputs(func(*input_args))
        grad_outputs = tuple(x.requires_grad_() if i in diff_grad_outputs_idx else x
                             for i, x in enumerate(args[n_inputs:]))
        diff_inputs = [x for i, x in enumerate(input_args) if i in diff_inputs_idx]
        grads = _lib().autograd.grad(
            outputs, diff_inputs, grad_outputs, create_graph=True, allow_unused=True
        )
        return tuple(g for g in grads if g is not None)

    return first_order
