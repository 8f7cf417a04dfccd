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

import warnings
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

# Fixed seeds: a gradient check must give the same verdict every time it runs, and it must not
# consume (or depend on) the user's global RNG state. torch does the same with a private
# torch.Generator for fast mode.
_FAST_MODE_SEED = 20210312
_GRAD_OUTPUTS_SEED = 20210313


class GradcheckError(RuntimeError):
    r"""Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


_NONDET_NOTE = """\n
NOTE: If your op relies on non-deterministic operations this failure might be expected.
Call gradcheck/gradgradcheck with `nondet_tol=<tol>` as a keyword argument to allow
small differences between repeated backward passes.
"""

_FAST_FAIL_SLOW_OK_NOTE = (
    "Fast gradcheck failed but element-wise differences are small. This means that the\n"
    "test might've passed in slow_mode!\n\n"
    "If this is expected, call gradcheck/gradgradcheck with `fast_mode=False` as a keyword "
    "argument."
)

_UNDEFINED_GRAD_BC_WARNING = (
    "Backwards compatibility: New undefined gradient support checking "
    "feature is enabled by default, but it may break existing callers "
    "of this function. If this is true for you, you can call this "
    'function with "check_undefined_grad=False" to disable the feature'
)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _lib():
    # Lazy on purpose: retrograd's package __init__ imports this module, and the test shim
    # may swap ``retrograd`` for torch after this module was first imported.
    import retrograd

    return retrograd


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, _lib().Tensor)


def _requires_grad(x: Any) -> bool:
    return _is_tensor(x) and x.requires_grad


def _differentiable_outputs(func_out: Any) -> tuple:
    return tuple(o for o in _as_tuple(func_out) if o.requires_grad)


def _storage(t: Any) -> np.ndarray:
    """Writable NumPy view of ``t``'s memory (shared in both torch and retrograd)."""
    return t.detach().numpy()


def _snapshot(t: Any) -> np.ndarray:
    """A private NumPy copy of ``t``: outputs may alias inputs that are about to be perturbed."""
    return np.array(t.detach().numpy(), copy=True)


def _render(arr: np.ndarray) -> str:
    """How torch's messages show a Jacobian-like quantity inside an f-string.

    Arrays print as tensors (the library's repr), so messages read exactly like torch's.
    0-d values print as plain Python floats: torch formats them with ``f"{t}"``, and
    ``Tensor.__format__`` of a 0-d tensor formats ``t.item()``.
    """
    if arr.ndim == 0:
        return f"{arr.item()}"
    return f"{_lib().tensor(arr)!r}"


def _tensor_like(reference: Any, values: np.ndarray) -> Any:
    """A tensor with ``reference``'s dtype/shape holding ``values`` (no autograd history)."""
    out = _lib().zeros_like(reference).detach()
    # In-place through the shared NumPy view keeps dtype and device exactly the reference's.
    _storage(out)[...] = values.reshape(tuple(reference.shape))
    return out


def _is_complex_dtype(t: Any) -> bool:
    return _storage(t).dtype.kind == "c"


def _unit_vector(rng: np.random.Generator, n: int, dtype: np.dtype) -> np.ndarray:
    # Non-negative entries (like torch.rand) so that sum(u) * sum(v) is a meaningful atol scale.
    vec = rng.random(n)
    norm = np.linalg.norm(vec)
    if norm > 0:
        vec /= norm
    return vec.astype(dtype)


# --------------------------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------------------------


def _reject_unsupported(**flags: bool) -> None:
    for name, value in flags.items():
        if value:
            raise NotImplementedError(
                f"gradcheck: {name}=True is not supported yet by retrograd "
                f"(it needs {_UNSUPPORTED_FEATURE[name]}); call it with {name}=False"
            )


_UNSUPPORTED_FEATURE = {
    "masked": "sparse tensors",
}

FAILED_BATCHED_GRAD_MSG = """
gradcheck or gradgradcheck failed while testing batched gradient computation.
This could have been invoked in a number of ways (via a test that calls
gradcheck/gradgradcheck directly or via an autogenerated test).

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `check_batched_grad=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `check_batched_grad=False` and/or `check_batched_gradgrad=False`.

If you're modifying an existing operator that supports batched grad computation,
or wish to make a new operator work with batched grad computation, please read
the following.

To compute batched grads (e.g., jacobians, hessians), we vmap over the backward
computation. The most common failure case is if there is a 'vmap-incompatible
operation' in the backward pass. Please see
NOTE: [How to write vmap-compatible backward formulas]
in the codebase for an explanation of how to fix this.
""".strip()

FAILED_BATCHED_GRAD_MSG_FWD_AD = """
gradcheck failed while testing batched gradient computation with forward-mode AD.
This test is enabled automatically when both `check_batched_grad=True`
and `check_forward_ad=True`, but can be disabled in the following ways
dependong on how the test was invoked (via a test that calls gradcheck
directly or via an autogenerated test).

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `check_batched_forward_grad=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `check_batched_forward_grad=False`
"""

_BATCHED_SEED = 20210314


def _check_inputs(inputs: tuple) -> None:
    any_requires_grad = False
    for idx, inp in enumerate(inputs):
        if not _requires_grad(inp):
            continue
        any_requires_grad = True
        if _is_complex_dtype(inp):
            raise NotImplementedError(
                f"gradcheck: input #{idx} is complex; complex inputs are not supported yet"
            )
        if inp.dtype != _lib().float64:
            warnings.warn(
                f"Input #{idx} requires gradient and "
                "is not a double precision floating point or complex. "
                "This check will likely fail if all the inputs are "
                "not of double precision floating point or complex. ",
                stacklevel=4,
            )
        # Perturbing one element of a stride-0 (expanded) tensor moves every element that
        # shares its memory, so the numerical Jacobian would be meaningless.
        arr = _storage(inp)
        if any(st == 0 and sz > 1 for st, sz in zip(arr.strides, arr.shape)):
            raise RuntimeError(
                f"The {idx}th input has a dimension with stride 0. gradcheck only "
                "supports inputs that are non-overlapping to be able to "
                "compute the numerical gradients correctly. You should call "
                ".contiguous on the input before passing it to gradcheck."
            )
    if not any_requires_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )


def _check_outputs(func_out: Any) -> None:
    for o in _as_tuple(func_out):
        if _is_tensor(o) and _is_complex_dtype(o):
            raise NotImplementedError(
                "gradcheck: complex outputs are not supported yet; "
                "check the real and imaginary parts separately"
            )


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
# Forward mode: Jacobian columns (or J u) from the tangents of dual outputs
# --------------------------------------------------------------------------------------------


def _is_float_tensor(x: Any) -> bool:
    return _is_tensor(x) and (x.is_floating_point() or x.is_complex())


def _forward_jacobians(func: Callable, inputs: tuple, all_u: list | None = None,
                       only: int | None = None) -> list[list[np.ndarray]]:
    """``[i][k]``: for diff input ``i`` and floating output ``k``, the (numel_in, numel_out)
    Jacobian computed with forward AD (every diff input is a dual, the others' tangents zero),
    or ``J_ki u_i`` (numel_out,) when ``all_u`` is given. ``only``: just that diff input."""
    lib = _lib()
    fwAD = lib.autograd.forward_ad
    diff = [i for i, x in enumerate(inputs) if _requires_grad(x)]
    result = []
    with fwAD.dual_level():
        for pos, idx in enumerate(diff):
            if only is not None and pos != only:
                continue
            inp = inputs[idx]
            n = inp.numel()
            dtype = _storage(inp).dtype
            if all_u is not None:
                vectors = [all_u[pos]]
            else:
                vectors = (np.eye(1, n, k, dtype=dtype).reshape(-1) for k in range(n))
            cols: list = []
            for vec in vectors:
                dual_inputs = []
                for j, x in enumerate(inputs):
                    if j in diff:
                        t = _tensor_like(x, vec if j == idx else np.zeros(x.numel(), dtype))
                        x = fwAD.make_dual(x.detach(), t)
                    dual_inputs.append(x)
                outs = [o for o in _as_tuple(func(*dual_inputs)) if _is_float_tensor(o)]
                row = []
                for o in outs:
                    _, tangent = fwAD.unpack_dual(o)
                    row.append(np.zeros(o.numel(), _storage(o).dtype) if tangent is None
                               else _snapshot(tangent).reshape(-1))
                cols.append(row)
            if all_u is not None:
                result.append(cols[0])
                continue
            n_out = len(cols[0]) if cols else sum(
                1 for o in _as_tuple(func(*inputs)) if _is_float_tensor(o))
            result.append([np.stack([c[k] for c in cols]) if cols else np.zeros((0, 0))
                           for k in range(n_out)])
    return result


def _forward_mismatch_message(analytical, numerical, out_i: int, in_j: int) -> str:
    return (
        f"Jacobian computed with forward mode mismatch for output {out_i:d} with respect to "
        f"input {in_j:d},\n"
        f"numerical:{_render(numerical)}\n"
        f"analytical:{_render(analytical)}\n"
    )


def _slow_forward_check(ctx: _Context) -> None:
    if not ctx.outputs:
        numerical = [_numerical_jacobians(ctx.func, ctx.inputs, idx, len(ctx.func_out), ctx.eps)
                     for idx in ctx.diff_input_indices]
        for per_output in numerical:
            _check_numerical_is_zero(per_output, 0.0)
        return
    numerical = [  # numerical[j][k]: input j, output k (all outputs)
        _numerical_jacobians(ctx.func, ctx.inputs, idx, len(ctx.func_out), ctx.eps)
        for idx in ctx.diff_input_indices
    ]
    analytical = _forward_jacobians(ctx.func, ctx.inputs)
    # As torch: the i-th output that requires grad is compared with the i-th floating output.
    for i, pos in enumerate(ctx.output_positions):
        for j in range(len(ctx.diff_inputs)):
            a = analytical[j][i]
            n = numerical[j][pos].reshape(a.shape)
            if not np.allclose(a, n, rtol=ctx.rtol, atol=ctx.atol):
                raise GradcheckError(_forward_mismatch_message(a, n, i, j))


def _slow_forward_report(ctx: _Context, out_i: int, in_j: int) -> str:
    # torch indexes the outputs that require grad here (an IndexError when there are none)
    ctx.outputs[out_i]
    floats = [k for k, o in enumerate(ctx.func_out) if _is_float_tensor(o)]
    numerical = _numerical_jacobians(
        ctx.func, ctx.inputs, ctx.diff_input_indices[in_j], len(ctx.func_out), ctx.eps
    )[floats[out_i]]
    analytical = _forward_jacobians(ctx.func, ctx.inputs, only=in_j)[0][out_i]
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


def _fast_forward_check(ctx: _Context) -> None:
    rng = np.random.default_rng(_FAST_MODE_SEED)
    all_u = [_unit_vector(rng, x.numel(), _storage(x).dtype) for x in ctx.diff_inputs]
    floats = [k for k, o in enumerate(ctx.func_out) if _is_float_tensor(o)]
    numerical = [  # J u per floating output
        [ju for k, ju in enumerate(_numerical_jvps(ctx.func, ctx.inputs, idx, u, ctx.eps))
         if k in floats]
        for idx, u in zip(ctx.diff_input_indices, all_u)
    ]
    analytical = _forward_jacobians(ctx.func, ctx.inputs, all_u)
    for i, (u, per_out) in enumerate(zip(all_u, numerical)):
        for j, n in enumerate(per_out):
            a = analytical[i][j]
            atol = ctx.atol * float(np.sum(u))
            if not np.allclose(a, n, rtol=ctx.rtol, atol=atol):
                raise GradcheckError(_forward_mismatch_message(a, n, j, i)
                                     + _slow_forward_report(ctx, j, i))


def _check_undefined_forward(ctx: _Context) -> None:
    """A zero tangent and no tangent at all must give the same output tangents."""
    lib = _lib()
    fwAD = lib.autograd.forward_ad
    rng = np.random.default_rng(_FAST_MODE_SEED)
    inputs = ctx.inputs
    diff = ctx.diff_input_indices
    with fwAD.dual_level():
        dual_inputs = []
        for i, x in enumerate(inputs):
            if i in diff:
                u = _unit_vector(rng, x.numel(), _storage(x).dtype)
                x = fwAD.make_dual(x.detach(), _tensor_like(x, u))
            dual_inputs.append(x)
        for idx in diff:
            inp = inputs[idx]
            saved = dual_inputs[idx]
            dual_inputs[idx] = fwAD.make_dual(inp.detach(), lib.zeros_like(inp))
            outs1 = [o for o in _as_tuple(ctx.func(*dual_inputs)) if _is_float_tensor(o)]
            dual_inputs[idx] = inp.detach()
            outs2 = [o for o in _as_tuple(ctx.func(*dual_inputs)) if _is_float_tensor(o)]
            dual_inputs[idx] = saved
            for index_o, (o1, o2) in enumerate(zip(outs1, outs2)):
                _, res1 = fwAD.unpack_dual(o1)
                _, res2 = fwAD.unpack_dual(o2)
                if res1 is None or res2 is None:
                    continue
                if not np.allclose(_snapshot(res1), _snapshot(res2)):
                    raise GradcheckError(
                        "Mismatch in tangent values for output with index: ", index_o,
                        " when input: ", inp, " has an undefined tangent value. ",
                        " Got: ", res1, " but expected: ", res2)


# --------------------------------------------------------------------------------------------
# Batched gradients: vmap over the VJP (or the JVP) of a batch of cotangents (tangents)
# --------------------------------------------------------------------------------------------


def _lib_vmap():
    lib = _lib()
    legacy = getattr(lib, "_vmap_internals", None)  # torch: the vmap its gradcheck uses
    return legacy.vmap if legacy is not None else lib.vmap


def _failed_batched_msg(output_idx, input_idx, res, exp, is_forward_ad=False) -> str:
    return f"""
For output {output_idx} and input {input_idx}:

{FAILED_BATCHED_GRAD_MSG_FWD_AD if is_forward_ad else FAILED_BATCHED_GRAD_MSG}

Got:
{res}

Expected:
{exp}
""".strip()


def _random_like(rng: np.random.Generator, t: Any) -> Any:
    return _tensor_like(t, rng.standard_normal(t.numel()).astype(_storage(t).dtype))


def _check_batched_grad(ctx: _Context, output: Any, output_idx: int) -> None:
    lib = _lib()
    diff_inputs = ctx.diff_inputs

    def vjp(v):
        grads = lib.autograd.grad(output, diff_inputs, v, retain_graph=True, allow_unused=True)
        return tuple(g if g is not None else
                     lib.zeros((), dtype=inp.dtype).expand(tuple(inp.shape))
                     for g, inp in zip(grads, diff_inputs))

    rng = np.random.default_rng(_BATCHED_SEED)
    grad_outputs = [_random_like(rng, output) for _ in range(2)]
    expected = [vjp(g) for g in grad_outputs]
    expected = [lib.stack(shards) for shards in zip(*expected)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="There is a performance drop")
        warnings.filterwarnings("ignore", message="Please use `torch.vmap`")
        try:
            result = _lib_vmap()(vjp)(lib.stack(grad_outputs))
        except RuntimeError as ex:
            raise GradcheckError(f"While computing batched gradients, got: {ex}\n\n"
                                 f"{FAILED_BATCHED_GRAD_MSG}") from ex
    for input_idx, (res, exp) in enumerate(zip(result, expected)):
        if lib.allclose(res, exp):
            continue
        raise GradcheckError(_failed_batched_msg(output_idx, input_idx, res, exp))


def _check_batched_forward_grad(func: Callable, inputs: tuple) -> None:
    lib = _lib()
    fwAD = lib.autograd.forward_ad
    rng = np.random.default_rng(_BATCHED_SEED)
    for input_idx, current_input in enumerate(inputs):
        if not _requires_grad(current_input):
            continue

        def jvp(tangent, input_idx=input_idx, current_input=current_input):
            with fwAD.dual_level():
                dual = fwAD.make_dual(current_input.detach(), tangent)
                inputs_with_dual = tuple(
                    dual if idx == input_idx else (inp.detach() if _is_tensor(inp) else inp)
                    for idx, inp in enumerate(inputs))
                ret = []
                for dual_output in _as_tuple(func(*inputs_with_dual)):
                    if dual_output is None:
                        continue
                    primal_out, tangent_out = fwAD.unpack_dual(dual_output)
                    ret.append(tangent_out if tangent_out is not None else
                               lib.zeros((), dtype=primal_out.dtype).expand(
                                   tuple(primal_out.shape)))
                return tuple(ret)

        if not _is_float_tensor(current_input):
            continue
        tangents = [_random_like(rng, current_input) for _ in range(2)]
        expected = [jvp(t) for t in tangents]
        expected = [lib.stack(shards) for shards in zip(*expected)]
        try:
            result = _lib_vmap()(jvp)(lib.stack(tangents))
        except RuntimeError as ex:
            raise GradcheckError(f"While computing batched gradients, got: {ex}\n\n"
                                 f"{FAILED_BATCHED_GRAD_MSG_FWD_AD}") from ex
        for out_idx, (res, exp) in enumerate(zip(result, expected)):
            if lib.allclose(res, exp):
                continue
            raise GradcheckError(_failed_batched_msg(out_idx, out_idx, res, exp,
                                                     is_forward_ad=True))


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


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


class _Context:
    """Everything the slow/fast checks need about one gradcheck call."""

    def __init__(self, func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes):
        self.func = func
        self.inputs = inputs
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.nondet_tol = nondet_tol
        self.check_grad_dtypes = check_grad_dtypes
        self.diff_input_indices = [i for i, x in enumerate(inputs) if _requires_grad(x)]
        self.diff_inputs = [inputs[i] for i in self.diff_input_indices]
        # The reference forward pass: its graph is what the analytical side differentiates.
        self.func_out = _as_tuple(func(*inputs))
        _check_outputs(self.func_out)
        self.output_positions = [k for k, o in enumerate(self.func_out) if o.requires_grad]
        self.outputs = tuple(self.func_out[k] for k in self.output_positions)


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
    # forward, batched backward, zero cotangents, undefined output gradients.
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
