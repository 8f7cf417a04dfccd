"""gradcheck's forward-mode checks (``check_forward_ad``): Jacobian columns, or ``J u``, from the
tangents of dual outputs, and torch's undefined-tangent check."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._gradcheck_common import (_FAST_FAIL_SLOW_OK_NOTE, _FAST_MODE_SEED, GradcheckError,
                                _Context, _as_tuple, _is_tensor, _lib, _render, _requires_grad,
                                _snapshot, _storage, _tensor_like, _unit_vector)
from ._gradcheck_reverse import _check_numerical_is_zero, _numerical_jacobians, _numerical_jvps

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
