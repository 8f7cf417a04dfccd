"""The forward-mode transforms: jvp, linearize, jacfwd (on the reverse-mode graph, by linear
transposition; see ``_transforms.py``)."""
from __future__ import annotations

import functools

import numpy as np

from . import _batching
from ._fresh_leaves import _Own, _own_leaf
from ._pytree import tree_flatten, tree_unflatten
from .._size import Size
from .. import _grad_mode
from ._transform_common import (_GradOn, _Tensor, _assemble, _check_outputs, _grad_any,
                                _level_input, _np_dtype, _replace_args, _slice_argnums, _stack,
                                _unwrap, _unwrap_tree, _zeros_like)
from ._vmap import _check_randomness_arg
from ._vmap import _RandomnessGuard
from ..autograd import grad as _grad
from ..autograd._double_vjp import double_vjp, inner_sum


# ------------------------------------------------------------------------------- jvp

_JVP = "jvp(f, primals, tangents)"


def _check_flat_tensors(flat, argname: str) -> None:
    Tensor = _Tensor()
    if len(flat) == 0:
        raise RuntimeError(f"{_JVP}: Expected {argname} to contain at least one Tensor.")
    for x in flat:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{_JVP}: Expected {argname} to only contain Tensors, got {type(x)}")


def _check_dual(p, t) -> None:
    if not p.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {p.dtype}")
    if not t.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {t.dtype}")
    if tuple(p.shape) != tuple(t.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
            f"forward gradient is of size {list(t.shape)}.")


def _depends(t, leaves) -> bool:
    """Whether ``t``'s graph reaches one of ``leaves`` (level inputs)."""
    t = _batching.phys(t)
    leaves = [_batching.phys(x) for x in leaves]
    if not t.requires_grad:
        return False
    targets = {id(x) for x in leaves if x.grad_fn is None}
    nodes = {x.grad_fn for x in leaves if x.grad_fn is not None}
    if t.grad_fn is None:
        return id(t) in targets
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node in nodes:
            return True
        for nxt, _ in node.next_functions:
            if nxt is None or nxt in seen:
                continue
            seen.add(nxt)
            var = getattr(nxt, "variable", None)
            if var is not None:
                if id(var) in targets:
                    return True
            else:
                stack.append(nxt)
    return False


def _jvp(func, primals, tangents, argnums, *, strict: bool, has_aux: bool):
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    diff = primals if argnums is None else _slice_argnums(primals, argnums)
    flat_p, p_spec = tree_flatten(diff)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {p_spec} and tangents with structure {t_spec}")
    _check_flat_tensors(flat_p, "primals")
    _check_flat_tensors(flat_t, "tangents")
    for p, t in zip(flat_p, flat_t):
        _check_dual(p, t)
    with _GradOn() as keep:
        own = _Own()
        leaves = [_level_input(x, own) for x in flat_p]
        new = tree_unflatten(leaves, p_spec)
        if argnums is None:
            args = new
        else:
            args = _replace_args(primals, new[0] if isinstance(argnums, int) else new, argnums)
        out = func(*args)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(f"{_JVP}: output of function f should be a tuple: (output, "
                                   "aux) if has_aux is True")
            out, aux = out
            aux = _unwrap_tree(aux, own, keep)
        flat_out, out_spec = tree_flatten(out)
        _check_outputs(flat_out, _JVP)
        if strict:
            for o in flat_out:
                if not _depends(o, leaves):
                    raise RuntimeError(
                        "jvp(f, primals, tangents, strict=True): The output of f is independent "
                        "of the inputs. This is not allowed with strict=True.")
        jts = _double_vjp(flat_out, leaves, flat_t, own)
        jts = [_zeros_like(o) if jt is None else jt for o, jt in zip(flat_out, jts)]
    own.active = False
    primals_out = tree_unflatten([_unwrap(o, own, keep) for o in flat_out], out_spec)
    tangents_out = tree_unflatten([_unwrap(t, own, keep) for t in jts], out_spec)
    if has_aux:
        return primals_out, tangents_out, aux
    return primals_out, tangents_out


def _ones_leaf(o, own: set):
    """A fresh leaf of ones shaped like ``o`` (batched over the active vmap levels inside a
    batched call)."""
    if _batching.active():
        return _batching.ones_leaf(o, own)
    v = _Tensor()._make(np.ones(o._data.shape, o._data.dtype), None, True)
    _own_leaf(own, v)
    return v


def _double_vjp(outs, leaves, tangents, own):
    """``J t`` for each of ``outs`` (None for an output that does not depend on the leaves):
    ``autograd._double_vjp.double_vjp`` (see there), here for per-example values too and with
    ``v`` recorded as this call's fresh leaves."""
    return double_vjp(outs, leaves, tangents, create_graph=True,
                      ones=lambda o: _ones_leaf(o, own), grad=_grad_graph, zeros=_zeros_like)


def _grad_graph(outputs, inputs, grad_outputs, create_graph: bool):
    """``_grad_any``: always ``create_graph=True`` (``_double_vjp`` asks for nothing else)."""
    return _grad_any(outputs, inputs, grad_outputs)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product."""
    return _jvp(func, primals, tangents, None, strict=strict, has_aux=has_aux)


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``; ``jvp_fn(*tangents)`` is the JVP at ``primals``, evaluated
    on the recorded graph without running ``func`` again."""
    with _GradOn() as keep:
        own = _Own()
        flat_p, p_spec = tree_flatten(primals)
        leaves = [_level_input(x, own) for x in flat_p]
        out = func(*tree_unflatten(leaves, p_spec))
        flat_out, out_spec = tree_flatten(out)
        diff = [i for i, o in enumerate(flat_out) if o.requires_grad]
        vs = [_Tensor()._make(np.ones(flat_out[i]._data.shape, flat_out[i]._data.dtype), None, True)
              for i in diff]
        for v in vs:
            _own_leaf(own, v)
        gs = (_grad([flat_out[i] for i in diff], leaves, vs, create_graph=True, allow_unused=True)
              if diff else [None] * len(leaves))
    own.active = False
    output = tree_unflatten([_unwrap(o, own, keep) for o in flat_out], out_spec)
    shapes = [(tuple(p.shape), p.dtype) for p in flat_p]

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the "
                               f"primals {p_spec}")
        for idx, (t, (shape, dtype)) in enumerate(zip(flat_t, shapes)):
            if tuple(t.shape) != shape:
                raise RuntimeError(f"tangent:{idx} with shape {t.shape} in flattened pytree doesn't "
                                   f"match the shape {_size(shape)} of the corresponding primal.")
            if t.dtype != dtype:
                raise RuntimeError(f"tangent:{idx} with dtype {t.dtype} in flattened pytree doesn't "
                                   f"match the dtype {dtype} of the corresponding primal.")
        keep_now = _grad_mode.is_grad_enabled()
        with _GradOn():
            s = inner_sum(gs, flat_t)
            jts = [None] * len(diff)
            if s is not None:
                jts = _grad(s, vs, retain_graph=True, create_graph=True, allow_unused=True)
        res = [_zeros_like(o) for o in flat_out]
        for i, jt in zip(diff, jts):
            if jt is not None:
                res[i] = _unwrap(jt, own, keep_now)
        return tree_unflatten(res, out_spec)

    return output, jvp_fn


def _size(shape) -> str:
    return str(Size(shape))


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func`` with respect to ``argnums``, one JVP per input element (on one
    recorded graph: ``J e_k = d/dv <J^T v, e_k>``)."""

    @functools.wraps(func)
    def wrapper(*args):
        _check_randomness_arg(randomness)  # (checked at the call, like PyTorch's)
        Tensor = _Tensor()
        primals = _slice_argnums(args, argnums)
        flat_p, p_spec = tree_flatten(primals)
        with _GradOn() as keep:
            own = _Own()
            leaves = [_level_input(x, own) for x in flat_p]
            new = tree_unflatten(leaves, p_spec)
            new_args = _replace_args(args, new[0] if isinstance(argnums, int) else new, argnums)
            with _RandomnessGuard(randomness):
                out = func(*new_args)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(f"{_JVP}: output of function f should be a tuple: (output, "
                                       "aux) if has_aux is True")
                out, aux = out
                aux = _unwrap_tree(aux, own, keep)
            flat_out, out_spec = tree_flatten(out)
            _check_outputs(flat_out, _JVP)
            diff = [j for j, o in enumerate(flat_out) if o.requires_grad]
            vs = {j: _ones_leaf(flat_out[j], own) for j in diff}
            gs = (_grad_any([flat_out[j] for j in diff], leaves, [vs[j] for j in diff])
                  if diff else [None] * len(leaves))
            # column (i, k): d/dv of the k-th element of g_i = J^T v, i.e. J e_(i,k)
            cols: dict = {}
            for i, (p, g) in enumerate(zip(flat_p, gs)):
                for k in range(p.numel()):
                    if g is None or not g.requires_grad:
                        cols[i, k] = [None] * len(diff)
                        continue
                    gk = g.reshape(-1)[k]
                    cols[i, k] = list(_grad_any([gk], [vs[j] for j in diff]))
            jac = []
            for jpos, o in enumerate(flat_out):
                per_in = []
                for i, p in enumerate(flat_p):
                    pieces = []
                    for k in range(p.numel()):
                        c = None
                        if jpos in vs:
                            c = cols[i, k][diff.index(jpos)]
                        pieces.append(_zeros_like(o) if c is None else c)
                    if pieces:
                        m = _stack(pieces, -1)
                    else:
                        m = Tensor._make(np.zeros(tuple(o.shape) + (0,), _np_dtype(o)))
                    per_in.append(m.reshape(tuple(o.shape) + tuple(p.shape)))
                jac.append(per_in)
        own.active = False
        jac = [[_unwrap(m, own, keep) for m in row] for row in jac]
        result = _assemble(jac, flat_out, flat_p, p_spec, out_spec, argnums)
        if has_aux:
            return result, aux
        return result
    return wrapper
