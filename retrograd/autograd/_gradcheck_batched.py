"""gradcheck's batched checks (``check_batched_grad``, ``check_batched_forward_grad``): a vmap
over the VJP (JVP) of two random cotangents (tangents) against the two computed one at a time."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from ._gradcheck_common import (_BATCHED_SEED, FAILED_BATCHED_GRAD_MSG,
                                FAILED_BATCHED_GRAD_MSG_FWD_AD, GradcheckError, _Context, _as_tuple,
                                _is_tensor, _lib, _requires_grad, _storage, _tensor_like)
from ._gradcheck_forward import _is_float_tensor

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
