"""grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian.

All of them run on the reverse-mode graph:

* The differentiated inputs enter ``func`` as *level inputs*: a fresh leaf that requires grad
  (sharing the input's storage) when the input does not require grad, or a differentiable alias
  (a view) of it when it does, so that an outer transform or the user's own autograd still sees
  through. ``func`` runs with grad enabled (a transform ignores an outer ``no_grad``, like
  PyTorch's) and every backward is taken with ``create_graph=True``.
* Forward-mode products (``jvp``, ``jacfwd``, ``linearize``) come from the same graph by linear
  transposition (``retrograd.autograd.forward_ad.jvp_by_double_vjp``): ``J t = d/dv <J^T v, t>``.
* Results are *unwrapped* like PyTorch's: a result keeps its graph only when grad was enabled at
  the call and its graph reaches a tensor requiring grad other than this call's fresh leaves
  (the user's tensors, an outer transform's inputs); otherwise it is detached.

So the transforms nest in any order (``jacfwd(jacrev(f))``, ``vmap(grad(f))``, ``grad(grad(f))``)
with no per-level machinery: each level is part of the one graph.

Inside a batched ``vmap`` (see ``_batching.py``) the same code runs on per-example values: a
level input is a batched leaf over every active vmap level (each example owns a slice, so the
physical gradient of the per-example outputs is the per-example gradient, also for an input that
is not mapped, such as shared weights), and every backward goes through
``_batching.autograd_grad`` on the physical graph. That covers ``grad``, ``grad_and_value``,
``vjp``, ``jacrev``, ``jacfwd``, ``hessian`` and ``jvp``; ``linearize`` and a ``vjp_fn`` called
with cotangents batched at a level its primals are not batched at make vmap run per example.

Deviation from PyTorch: forward-mode results follow the graph, so a ``no_grad`` block inside
``func`` cuts the tangents going through it (PyTorch's forward AD ignores ``no_grad``);
``jacfwd(randomness='different')`` evaluates ``func`` once, i.e. behaves like ``'same'``.

Here: grad, grad_and_value, vjp, jacrev, hessian. ``_forward_transforms.py``: jvp, linearize,
jacfwd; ``_transform_common.py``: what they share (level inputs, unwrapping, the backward,
argnums); ``_fresh_leaves.py``: the bookkeeping of each call's fresh leaves.
"""
from __future__ import annotations

import functools

import numpy as np

from ._fresh_leaves import _Own
from ._pytree import pprint, tree_flatten, tree_unflatten
from .. import _grad_mode
from ._transform_common import (_GradOn, _Tensor, _assemble, _autograd_grad, _check_outputs,
                                _enter, _level_input, _np_dtype, _slice_argnums, _stack, _unwrap,
                                _unwrap_tree)
from ._forward_transforms import jacfwd, jvp, linearize  # noqa: F401 - part of the namespace


__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]


# ------------------------------------------------------------------------------- grad


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """``(gradient, value)`` of a scalar function (``(gradient, (value, aux))`` with has_aux)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        Tensor = _Tensor()
        with _GradOn() as keep:
            new_args, leaves, spec, own = _enter(args, argnums, as_tuple=False)
            output = func(*new_args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(output, tuple) and len(output) == 2):
                    raise RuntimeError(
                        "grad_and_value(f)(*args): output of function f should be a tuple: "
                        "(output, aux) if has_aux is True")
                output, aux = output
            if not isinstance(output, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(output)}")
            if output.dim() != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                    f"tensor with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                    "APIs instead?")
            grads = _autograd_grad((output,), leaves)
        own.active = False
        grads = tree_unflatten([_unwrap(g, own, keep) for g in grads], spec)
        output = _unwrap(output, own, keep)
        if has_aux:
            return grads, (output, _unwrap_tree(aux, own, keep))
        return grads, output
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of a scalar function with respect to the argument(s) ``argnums``."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g
    return wrapper


# ------------------------------------------------------------------------------- vjp


def _vjp(func, primals: tuple, argnums, has_aux: bool, api: str = "vjp(f, *primals)"):
    with _GradOn() as keep:
        if argnums is None:
            own = _Own()
            flat, spec = tree_flatten(primals)
            leaves = [_level_input(x, own) for x in flat]
            new_args = tree_unflatten(leaves, spec)
        else:
            new_args, leaves, spec, own = _enter(primals, argnums, as_tuple=False)
        out = func(*new_args)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            out, aux = out
            aux = _unwrap_tree(aux, own, keep)
        flat_out, out_spec = tree_flatten(out)
        _check_outputs(flat_out, api)
        for o in flat_out:
            if not o.is_floating_point():
                raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex "
                                   f"Tensors, got Tensor with dtype {o.dtype}")
    own.active = False
    results = tree_unflatten([_unwrap(o, own, keep) for o in flat_out], out_spec)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        if create_graph is None:
            create_graph = _grad_mode.is_grad_enabled()
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {pprint(ct_spec)}, primal output: "
                f"{pprint(out_spec)}")
        for i, (o, c) in enumerate(zip(flat_out, flat_ct)):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} "
                                   f"and output[{i}] has a shape of {o.shape}.")
        with _GradOn():
            res = _autograd_grad(flat_out, leaves, flat_ct, retain_graph=retain_graph)
        res = [_unwrap(g, own, create_graph) for g in res]
        return tree_unflatten(res, spec)

    if has_aux:
        return results, vjp_fn, aux
    return results, vjp_fn


def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` returns one VJP per primal."""
    return _vjp(func, primals, None, has_aux)


# ------------------------------------------------------------------------------- jacobians


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False):
    """The Jacobian of ``func`` with respect to ``argnums``, one VJP per output element."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):
        res = _vjp(func, args, argnums, has_aux)
        output, vjp_fn = res[0], res[1]
        flat_out, out_spec = tree_flatten(output)
        flat_p, p_spec = tree_flatten(_slice_argnums(args, argnums))
        # one VJP per output element, with create_graph when the caller can differentiate
        rows = []          # rows[k][i]: VJP of basis vector k with respect to primal i
        for j, o in enumerate(flat_out):
            n = o.numel()
            for k in range(n):
                basis = []
                for jj, oo in enumerate(flat_out):
                    z = np.zeros(oo.numel(), _np_dtype(oo))
                    if jj == j:
                        z[k] = 1
                    basis.append(_Tensor()._make(z.reshape(tuple(oo.shape))))
                rows.append(tree_flatten(vjp_fn(tree_unflatten(basis, out_spec)))[0])
        jac = []
        start = 0
        for o in flat_out:
            n = o.numel()
            per_in = []
            for i, p in enumerate(flat_p):
                pieces = [rows[start + k][i] for k in range(n)]
                if n:
                    m = _stack(pieces, 0)
                else:
                    m = _Tensor()._make(np.zeros((0,) + tuple(p.shape), _np_dtype(p)))
                per_in.append(m.reshape(tuple(o.shape) + tuple(p.shape)))
            jac.append(per_in)
            start += n
        result = _assemble(jac, flat_out, flat_p, p_spec, out_spec, argnums)
        if has_aux:
            return result, res[2]
        return result
    return wrapper


def hessian(func, argnums=0):
    """The Hessian of a scalar function: ``jacfwd(jacrev(func, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
