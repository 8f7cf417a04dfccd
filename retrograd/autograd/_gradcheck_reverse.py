"""gradcheck's reverse-mode checks: numerical Jacobians (central differences), analytical
VJPs through ``autograd.grad``, slow mode (full Jacobians), fast mode (random projections), and
the checks that only need backward (zero cotangents, undefined output gradients)."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Iterator

import numpy as np

from ._gradcheck_common import (_FAST_FAIL_SLOW_OK_NOTE, _FAST_MODE_SEED, _NONDET_NOTE,
                                _UNDEFINED_GRAD_BC_WARNING, GradcheckError, _Context, _as_tuple,
                                _differentiable_outputs, _lib, _render, _snapshot, _storage,
                                _tensor_like, _unit_vector)

# --------------------------------------------------------------------------------------------
# Numerical side: central differences on the inputs' memory
# --------------------------------------------------------------------------------------------


def _evaluate(func: Callable, inputs: tuple) -> list[np.ndarray]:
    return [_snapshot(o) for o in _as_tuple(func(*inputs))]


def _check_same_dtype_and_shape(lo: np.ndarray, hi: np.ndarray, eps: float, idx: Any) -> None:
    on_index = f"on index {idx} " if idx is not None else ""
    for what, a, b in (("shape", lo.shape, hi.shape), ("dtype", lo.dtype, hi.dtype)):
        if a != b:
            raise AssertionError(
                f"Expected `func` to return outputs with the same {what}"
                f" when inputs are perturbed {on_index}by {eps}, but got:"
                f" {what}s {a} and {b}."
            )


def _difference_quotient(lo: np.ndarray, hi: np.ndarray, eps: float) -> np.ndarray:
    # Integer/bool outputs cannot be subtracted meaningfully in their own dtype (bool raises),
    # and they only matter for the "non-differentiable outputs must be constant" check.
    if lo.dtype.kind not in "fc":
        lo, hi = lo.astype(np.float64), hi.astype(np.float64)
    return ((hi - lo) / (2 * eps)).reshape(-1)


def _central_difference(
    func: Callable, inputs: tuple, storage: np.ndarray, where: Any, delta: Any, eps: float
) -> list[np.ndarray]:
    """(f(x + delta) - f(x - delta)) / (2 eps) per output, ``delta`` applied at ``where``."""
    orig = np.array(storage[where], copy=True)
    try:
        storage[where] = orig - delta
        lo = _evaluate(func, inputs)
        storage[where] = orig + delta
        hi = _evaluate(func, inputs)
    finally:
        # Always restore bit-for-bit: the autograd graph of the reference forward pass saved
        # these very inputs, and the analytical Jacobian is computed from it afterwards.
        storage[where] = orig
    idx = where if where is not Ellipsis else None
    for a, b in zip(lo, hi):
        _check_same_dtype_and_shape(a, b, eps, idx)
    return [_difference_quotient(a, b, eps) for a, b in zip(lo, hi)]


def _numerical_jacobians(
    func: Callable, inputs: tuple, input_idx: int, n_outputs: int, eps: float
) -> list[np.ndarray]:
    """Per output, the (numel_in, numel_out) Jacobian w.r.t. ``inputs[input_idx]``.

    Column ``k`` of the transposed Jacobian is obtained by perturbing element ``k`` alone.
    """
    storage = _storage(inputs[input_idx])
    columns = [
        _central_difference(func, inputs, storage, where, eps, eps)
        for where in np.ndindex(storage.shape)
    ]
    if not columns:  # empty input: nothing to perturb, the Jacobians have zero rows
        return [np.zeros((0, 0)) for _ in range(n_outputs)]
    return [np.stack([col[o] for col in columns]) for o in range(n_outputs)]


def _numerical_jvps(
    func: Callable, inputs: tuple, input_idx: int, u: np.ndarray, eps: float
) -> list[np.ndarray]:
    """Per output, J @ u (flattened) for a perturbation of the whole input along ``u``."""
    storage = _storage(inputs[input_idx])
    delta = u.reshape(storage.shape) * eps
    return _central_difference(func, inputs, storage, Ellipsis, delta, eps)


# --------------------------------------------------------------------------------------------
# Analytical side: vector-Jacobian products through autograd.grad
# --------------------------------------------------------------------------------------------


def _vjp(output: Any, diff_inputs: list, cotangent: Any, check_grad_dtypes: bool) -> list:
    grads = _lib().autograd.grad(
        output, diff_inputs, cotangent, retain_graph=True, allow_unused=True
    )
    rows = []
    for g, inp in zip(grads, diff_inputs):
        if g is None:  # unused input: its Jacobian is zero
            rows.append(np.zeros(inp.numel(), dtype=_storage(inp).dtype))
            continue
        if tuple(g.shape) != tuple(inp.shape):
            raise GradcheckError("Analytical gradient has incorrect size")
        if check_grad_dtypes and g.dtype != inp.dtype:
            raise GradcheckError("Gradient has dtype mismatch")
        rows.append(_snapshot(g).reshape(-1))
    return rows


def _stacked_vjps(
    output: Any, diff_inputs: list, cotangents: Iterator[np.ndarray], check_grad_dtypes: bool
) -> list[np.ndarray]:
    """Per input, a (numel_in, n_cotangents) matrix whose column k is cotangent_k^T J."""
    rows = [_vjp(output, diff_inputs, _tensor_like(output, c), check_grad_dtypes)
            for c in cotangents]
    return [
        np.stack([r[i] for r in rows], axis=1)
        if rows else np.zeros((inp.numel(), 0), dtype=_storage(inp).dtype)
        for i, inp in enumerate(diff_inputs)
    ]


def _one_hot_rows(output: Any) -> Iterator[np.ndarray]:
    # Generated lazily: materialising all numel_out basis vectors at once is O(numel_out^2).
    n = output.numel()
    dtype = _storage(output).dtype
    for k in range(n):
        e = np.zeros(n, dtype=dtype)
        e[k] = 1
        yield e


def _max_abs_diff_exceeds(first: list[np.ndarray], second: list[np.ndarray], tol: float) -> bool:
    return any(a.size and np.max(np.abs(a - b)) > tol for a, b in zip(first, second))


def _analytical(
    output: Any,
    diff_inputs: list,
    make_cotangents: Callable[[], Iterator[np.ndarray]],
    nondet_tol: float,
    check_grad_dtypes: bool,
) -> list[np.ndarray]:
    """Stacked VJPs, computed twice to catch a backward that is not deterministic."""
    first = _stacked_vjps(output, diff_inputs, make_cotangents(), check_grad_dtypes)
    second = _stacked_vjps(output, diff_inputs, make_cotangents(), check_grad_dtypes)
    if _max_abs_diff_exceeds(first, second, nondet_tol):
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with "
            "same input and grad_output multiple times gives different values, "
            "although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + _NONDET_NOTE
        )
    return first


# --------------------------------------------------------------------------------------------
# Slow mode: full Jacobians
# --------------------------------------------------------------------------------------------


def _mismatch_message(analytical: np.ndarray, numerical: np.ndarray, out_i: int, in_j: int) -> str:
    return (
        f"Jacobian mismatch for output {out_i:d} with respect to input {in_j:d},\n"
        f"numerical:{_render(numerical)}\n"
        f"analytical:{_render(analytical)}\n"
    )


def _check_numerical_is_zero(jacobians: list[np.ndarray], tol: float) -> None:
    # With no differentiable output, autograd says "zero gradient": the function must then
    # really be locally constant in its differentiable inputs.
    for jac in jacobians:
        if jac.size and np.max(np.abs(jac)) > tol:
            raise GradcheckError("Numerical gradient for function expected to be zero")


def _slow_gradcheck(ctx: _Context) -> None:
    numerical = [  # numerical[j][k]: input j, output k (all outputs, differentiable or not)
        _numerical_jacobians(ctx.func, ctx.inputs, idx, len(ctx.func_out), ctx.eps)
        for idx in ctx.diff_input_indices
    ]
    if not ctx.outputs:
        for per_output in numerical:
            _check_numerical_is_zero(per_output, 0.0)
        return
    for i, (pos, output) in enumerate(zip(ctx.output_positions, ctx.outputs)):
        analytical = _analytical(
            output, ctx.diff_inputs, lambda: _one_hot_rows(output),
            ctx.nondet_tol, ctx.check_grad_dtypes,
        )
        for j, a in enumerate(analytical):
            n = numerical[j][pos].reshape(a.shape)
            if not np.allclose(a, n, rtol=ctx.rtol, atol=ctx.atol):
                raise GradcheckError(_mismatch_message(a, n, i, j))


# --------------------------------------------------------------------------------------------
# Fast mode: random projections v^T J u
# --------------------------------------------------------------------------------------------


def _slow_mode_report(ctx: _Context, out_i: int, in_j: int) -> str:
    """Full Jacobians for one failing pair, so a fast-mode failure is debuggable."""
    numerical = _numerical_jacobians(
        ctx.func, ctx.inputs, ctx.diff_input_indices[in_j], len(ctx.func_out), ctx.eps
    )[ctx.output_positions[out_i]]
    output = ctx.outputs[out_i]
    analytical = _analytical(
        output, ctx.diff_inputs, lambda: _one_hot_rows(output), float("inf"), False
    )[in_j]
    numerical = numerical.reshape(analytical.shape)
    max_diff = np.max(np.abs(numerical - analytical)) if numerical.size else 0.0
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
        "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_render(numerical)}\n"
        f"Analytical:\n{_render(analytical)}\n\n"
        f"The max per-element difference (slow mode) is: {_render(np.asarray(max_diff))}.\n"
    )
    if np.allclose(analytical, numerical, rtol=ctx.rtol, atol=ctx.atol):
        msg += _FAST_FAIL_SLOW_OK_NOTE
    return msg


def _fast_gradcheck(ctx: _Context) -> None:
    # Checking the scalar v^T J u for random unit u, v costs two forward passes per input and
    # two backward passes per output, instead of numel(input) forwards and numel(output)
    # backwards; a wrong Jacobian still changes the scalar with probability one.
    rng = np.random.default_rng(_FAST_MODE_SEED)
    all_u = [_unit_vector(rng, x.numel(), _storage(x).dtype) for x in ctx.diff_inputs]
    all_v = [_unit_vector(rng, o.numel(), _storage(o).dtype) for o in ctx.outputs]

    all_Ju = [  # all_Ju[j][k]: J_kj @ u_j for every output k
        _numerical_jvps(ctx.func, ctx.inputs, idx, u, ctx.eps)
        for idx, u in zip(ctx.diff_input_indices, all_u)
    ]
    if not ctx.outputs:
        for per_output in all_Ju:
            _check_numerical_is_zero(per_output, ctx.nondet_tol)
        return

    for i, (pos, output, v) in enumerate(zip(ctx.output_positions, ctx.outputs, all_v)):
        vJ = _analytical(output, ctx.diff_inputs, lambda: iter([v]),
                         ctx.nondet_tol, ctx.check_grad_dtypes)
        for j, (u, Ju) in enumerate(zip(all_u, all_Ju)):
            a = np.dot(vJ[j][:, 0], u)
            n = np.dot(v, Ju[pos])
            # Each of the M*N element-wise tolerances atol gets summed with weights u_a v_b.
            atol = ctx.atol * float(np.sum(u)) * float(np.sum(v))
            if not np.allclose(a, n, rtol=ctx.rtol, atol=atol):
                raise GradcheckError(
                    _mismatch_message(np.asarray(a), np.asarray(n), i, j)
                    + _slow_mode_report(ctx, i, j)
                )


# --------------------------------------------------------------------------------------------
# Checks that only need backward to run: zero cotangents and undefined output gradients
# --------------------------------------------------------------------------------------------


def _check_backward_mul_by_grad_output(outputs: tuple, diff_inputs: list) -> None:
    # A backward that ignores grad_output (e.g. returns a constant) slips through one-hot
    # projections for linear functions; zero cotangents must give zero gradients.
    if not outputs:
        return  # autograd gives None for every input: nothing to check
    zeros = [_lib().zeros_like(o) for o in outputs]
    grads = _lib().autograd.grad(outputs, diff_inputs, zeros, allow_unused=True)
    for g, inp in zip(grads, diff_inputs):
        if g is None:
            continue
        if not np.all(_snapshot(g) == 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g.dtype != inp.dtype:
            raise GradcheckError("grad is incorrect type")
        if tuple(g.shape) != tuple(inp.shape):
            raise GradcheckError("grad is incorrect size")


def _check_undefined_grad(ctx: _Context) -> None:
    """Backward must cope with outputs that receive no gradient at all.

    torch forces an undefined gradient with the private ``UndefinedGrad`` op. Through the
    public API the same situation arises by leaving an output out of ``autograd.grad``: a
    node with several outputs (split, unbind, max, ...) then gets no gradient for that one,
    while the others get zeros. The result must run without error and be zero or None.
    (Leaving *all* outputs out is the degenerate "nothing to differentiate" call, which
    checks nothing, so it is skipped.)
    """
    if len(ctx.outputs) < 2:
        return  # one output: covered by _check_backward_mul_by_grad_output
    # A fresh graph: the zero-cotangent check has already freed the reference one.
    outputs = _differentiable_outputs(ctx.func(*ctx.inputs))
    diff_inputs = ctx.diff_inputs
    for skipped in range(len(outputs)):
        kept = [o for k, o in enumerate(outputs) if k != skipped]
        zeros = [_lib().zeros_like(o) for o in kept]
        try:
            grads = _lib().autograd.grad(
                kept, diff_inputs, zeros, retain_graph=True, allow_unused=True
            )
        except Exception as e:  # retrograd backward functions may fail with any error on None
            warnings.warn(_UNDEFINED_GRAD_BC_WARNING, stacklevel=4)
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. "
                'Please look at "Notes about undefined output gradients" in '
                '"tools/autograd/derivatives.yaml"'
            ) from e
        if any(g is not None and not np.all(_snapshot(g) == 0) for g in grads):
            warnings.warn(_UNDEFINED_GRAD_BC_WARNING, stacklevel=4)
            raise GradcheckError(
                "Expected all input grads to be undefined or zero when all output grads "
                'are undefined or zero. Please look at "Notes about undefined output '
                'gradients" in "tools/autograd/derivatives.yaml"'
            )
