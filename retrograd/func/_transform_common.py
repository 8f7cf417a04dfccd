"""What grad, vjp, jvp and the Jacobians share: level inputs, unwrapping of results, the
backward they run (also on per-example values of a batched vmap), argnums, output checks."""
from __future__ import annotations

from . import _batching
from ._fresh_leaves import _Own, _ignored, _own_leaf
from ._pytree import tree_flatten, tree_unflatten
from .._tensor import Tensor
from ..ops.shape.join import stack as _public_stack
from .. import _grad_mode
from ..autograd.forward_ad import reaches_outside
from ..autograd import grad as _grad


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


def _check_outputs(flat, api: str) -> None:
    Tensor = _Tensor()
    if (len(flat) == 1 and flat[0] is None) or len(flat) < 1:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got "
                           f"output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


def _assemble(jac_rows, flat_out, flat_p, p_spec, out_spec, argnums):
    """jac_rows[j][i]: Jacobian of output j with respect to primal i, shaped out + in. Arranged
    like PyTorch: outputs' structure outside, primals' structure inside."""
    per_out = tuple(tree_unflatten(list(row), p_spec) for row in jac_rows)
    if isinstance(argnums, int):
        per_out = tuple(r[0] for r in per_out)
    return tree_unflatten(list(per_out), out_spec)
