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
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from . import _batching
from ._pytree import pprint, tree_flatten, tree_unflatten
from .._tensor import Tensor
from ..ops.shape.basic import stack as _public_stack
from .. import _grad_mode
from .._size import Size
from ._vmap import _check_randomness_arg
from ._vmap import _RandomnessGuard
from ..autograd.forward_ad import reaches_outside
from ..autograd import grad as _grad

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]


def _Tensor():
    return Tensor


class _GradOn:
    """enable_grad that remembers the caller's grad mode (the outer mode decides unwrapping)."""

    def __enter__(self):
        self.prev = _grad_mode.is_grad_enabled()
        _grad_mode._set_grad_enabled(True)
        return self.prev

    def __exit__(self, *exc):
        _grad_mode._set_grad_enabled(self.prev)


class _Own(set):
    """The ids of one transform call's fresh leaves (its level inputs, the ``v`` of a double
    vjp). ``active`` while the call runs; afterwards its leaves are *dead*: a graph that still
    reaches them (kept because it also reaches an enclosing level) does not make an enclosing
    level's result differentiable by reaching them (torch's levels never see an inner level's
    inputs)."""

    def __init__(self):
        super().__init__()
        self.active = True

    def __hash__(self):
        return id(self)


_FRESH: dict = {}   # id(leaf) -> (weakref to the leaf, the _Own of its call)


def _own_leaf(own: set, leaf) -> None:
    """Record ``leaf`` as a fresh leaf of the call owning ``own``."""
    key = id(leaf)
    own.add(key)
    if not isinstance(own, _Own):
        return

    def forget(ref, key=key):
        entry = _FRESH.get(key)
        if entry is not None and entry[0] is ref:
            del _FRESH[key]
    _FRESH[key] = (weakref.ref(leaf, forget), own)


def _ignored(own: set) -> set:
    """Leaves a result of the call owning ``own`` may reach without staying differentiable:
    its own fresh leaves and those of calls that have returned."""
    # (a copy: a leaf collected meanwhile removes its entry from _FRESH)
    dead = {k for k, (r, o) in _FRESH.copy().items() if not o.active and r() is not None}
    return own | dead if dead else own


class _Call:
    """Marks a transform call's level inputs dead when the call returns."""

    def __init__(self, own: _Own):
        self.own = own

    def __enter__(self):
        return self.own

    def __exit__(self, *exc):
        self.own.active = False


def _level_input(x, own: set):
    Tensor = _Tensor()
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if _batching.active():
        return _batching.level_input(x, own)
    if x.requires_grad:
        return x.view(x.shape)
    leaf = x.detach().requires_grad_()
    _own_leaf(own, leaf)
    return leaf


def _unwrap(t, own: set, keep: bool):
    """A result of a transform: its graph kept only if the caller can still differentiate it."""
    if _batching.is_batched(t):
        return _batching.rewrap(t, _unwrap(t._p, own, keep))
    if not t.requires_grad:
        return t
    if keep and reaches_outside(t, _ignored(own)):
        return t
    return t.detach()


def _unwrap_tree(tree, own: set, keep: bool, check: bool = True):
    Tensor = _Tensor()
    leaves, spec = tree_flatten(tree)
    out = []
    for x in leaves:
        if isinstance(x, Tensor):
            out.append(_unwrap(x, own, keep))
        elif check:
            raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
        else:
            out.append(x)
    return tree_unflatten(out, spec)


def _zeros_like(t):
    return _batching.zeros_like(t)


def _np_dtype(t):
    return _batching.phys(t)._data.dtype


def _stack(tensors, dim):
    # the public entry point (a wrapper): the batching rule when the pieces are per-example values
    return _public_stack(tensors, dim)


def _any_batched(items) -> bool:
    return any(_batching.is_batched(x) for x in items if x is not None)


def _grad_any(outputs, inputs, grad_outputs=None, *, retain_graph=True):
    """``autograd.grad(..., create_graph=True, allow_unused=True)``, also for per-example values
    of a batched vmap (on the physical graph)."""
    if _any_batched(inputs):
        return _batching.autograd_grad(list(outputs), list(inputs),
                                       None if grad_outputs is None else list(grad_outputs),
                                       retain_graph=retain_graph)
    if _any_batched(outputs) or (grad_outputs is not None and _any_batched(grad_outputs)):
        raise _batching.NoRule("batched cotangents for a graph made outside the batched call")
    return _grad(list(outputs), list(inputs), grad_outputs, retain_graph=retain_graph,
                 create_graph=True, allow_unused=True)


def _autograd_grad(outputs, inputs, grad_outputs=None, *, retain_graph=True):
    """torch.func's _autograd_grad: outputs that do not require grad are dropped, an unused input
    gets zeros. Always builds the graph (create_graph=True); callers unwrap."""
    if grad_outputs is None:
        pairs = [(o, None) for o in outputs if o.requires_grad]
    else:
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return tuple(_zeros_like(i) for i in inputs)
    outs = [o for o, _ in pairs]
    gos = None if grad_outputs is None else [g for _, g in pairs]
    if _any_batched(inputs) or _any_batched(outs) or (gos is not None and _any_batched(gos)):
        res = _grad_any(outs, inputs, gos, retain_graph=retain_graph)
    else:
        res = _grad(outs, inputs, gos, retain_graph=retain_graph, create_graph=True,
                    allow_unused=True)
    return tuple(_zeros_like(i) if g is None else g for g, i in zip(res, inputs))


# ------------------------------------------------------------------------------- argnums


def _validate_and_wrap_argnum(argnum, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _slice_argnums(args: tuple, argnums, as_tuple: bool = True):
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        argnums = _validate_and_wrap_argnum(argnums, len(args))
        return (args[argnums],) if as_tuple else args[argnums]
    argnums = tuple(_validate_and_wrap_argnum(a, len(args)) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(args[i] for i in argnums)


def _replace_args(args: tuple, new, argnums) -> tuple:
    if isinstance(argnums, int):
        argnums = _validate_and_wrap_argnum(argnums, len(args))
        return tuple(new if i == argnums else a for i, a in enumerate(args))
    argnums = tuple(_validate_and_wrap_argnum(a, len(args)) for a in argnums)
    return tuple(new[argnums.index(i)] if i in argnums else a for i, a in enumerate(args))


def _enter(args: tuple, argnums, as_tuple: bool):
    """(args with the differentiated ones replaced by level inputs, flat level inputs, their
    spec, ids of the fresh leaves)."""
    own = _Own()
    diff = _slice_argnums(args, argnums, as_tuple=as_tuple)
    flat, spec = tree_flatten(diff)
    leaves = [_level_input(x, own) for x in flat]
    new = tree_unflatten(leaves, spec)
    if as_tuple and isinstance(argnums, int):
        new_args = _replace_args(args, new[0], argnums)
    else:
        new_args = _replace_args(args, new, argnums)
    return new_args, leaves, spec, own


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


def _check_outputs(flat, api: str) -> None:
    Tensor = _Tensor()
    if (len(flat) == 1 and flat[0] is None) or len(flat) < 1:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got "
                           f"output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


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
    """``J t`` for each of ``outs`` (None for an output that does not depend on the leaves) by
    ``J t = d/dv <J^T v, t>`` with ``v`` fresh leaves of ones, as
    ``forward_ad.jvp_by_double_vjp`` (see there why ones), here for per-example values too and
    with ``v`` recorded as this call's fresh leaves."""
    diff = [i for i, o in enumerate(outs) if o.requires_grad]
    result = [None] * len(outs)
    if not diff:
        return result
    vs = [_ones_leaf(outs[i], own) for i in diff]
    gs = _grad_any([outs[i] for i in diff], leaves, vs)
    terms = [(g * t).sum() for g, t in zip(gs, tangents) if g is not None and g.requires_grad]
    jts = [None] * len(vs)
    if terms:
        s = terms[0]
        for term in terms[1:]:
            s = s + term
        jts = _grad_any([s], vs)
    for i, v, jt in zip(diff, vs, jts):
        result[i] = jt if jt is not None else _zeros_like(v)
    return result


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
            terms = [(g * t).sum() for g, t in zip(gs, flat_t) if g is not None and g.requires_grad]
            jts = [None] * len(diff)
            if terms:
                s = terms[0]
                for term in terms[1:]:
                    s = s + term
                jts = _grad(s, vs, retain_graph=True, create_graph=True, allow_unused=True)
        res = [_zeros_like(o) for o in flat_out]
        for i, jt in zip(diff, jts):
            if jt is not None:
                res[i] = _unwrap(jt, own, keep_now)
        return tree_unflatten(res, out_spec)

    return output, jvp_fn


def _size(shape) -> str:
    return str(Size(shape))


# ------------------------------------------------------------------------------- jacobians


def _assemble(jac_rows, flat_out, flat_p, p_spec, out_spec, argnums):
    """jac_rows[j][i]: Jacobian of output j with respect to primal i, shaped out + in. Arranged
    like PyTorch: outputs' structure outside, primals' structure inside."""
    per_out = tuple(tree_unflatten(list(row), p_spec) for row in jac_rows)
    if isinstance(argnums, int):
        per_out = tuple(r[0] for r in per_out)
    return tree_unflatten(list(per_out), out_spec)


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


def hessian(func, argnums=0):
    """The Hessian of a scalar function: ``jacfwd(jacrev(func, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
