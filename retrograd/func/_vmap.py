"""vmap: run ``func`` once per batch element and stack the results.

There are no batching rules: the batch is unbound along each input's ``in_dim``, ``func`` runs on
every element, and each output is stacked along its ``out_dim``. This is exact for every
function (the results are the per-example results, by definition), composes with itself and with
the other transforms (``vmap(grad(f))`` gives per-sample gradients), and keeps the autograd graph
(the slices and the stack are differentiable ops). It costs one call of ``func`` per element.

Inputs, errors and ``in_dims``/``out_dims`` structures follow ``torch.func.vmap``. Differences:
* ``randomness``: 'error' raises PyTorch's error when ``func`` draws from the default generator
  (detected from the generator's state, after the call); 'same' replays the same state for every
  element; 'different' lets them draw in turn. A generator passed explicitly is not watched.
* ``out_dims=None`` for a tensor output: PyTorch refuses an output that depends on a batched
  input; without batched tensors the test here is whether every element returned the same value.
* a batch of size 0 cannot be run element by element: NotImplementedError.
* ``chunk_size`` is validated and otherwise has no effect (elements already run one at a time).
"""
from __future__ import annotations

import functools

from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either use "
                 "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                 "operation out of vmap")


def _check_randomness_arg(randomness) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


class _RandomnessGuard:
    """Watches the default generator around one call of ``func``."""

    def __init__(self, randomness: str, start=None):
        self.randomness = randomness
        self.start = start

    def _state(self):
        from .._creation import default_generator as g
        return (g._rng, g.get_state())

    def __enter__(self):
        from .._creation import default_generator as g
        if self.randomness == "same" and self.start is not None:
            g._rng = self.start[0]
            g.set_state(self.start[1])
        self.before = self._state()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None or self.randomness != "error":
            return False
        after = self._state()
        if after[0] is not self.before[0] or after[1] != self.before[1]:
            from .._creation import default_generator as g
            g._rng = self.before[0]
            g.set_state(self.before[1])
            raise RuntimeError(_RANDOM_ERROR)
        return False


def _process_inputs(func, in_dims, args):
    from .._tensor import Tensor
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` "
                         "to be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. The "
                         "latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_prefix(in_dims, spec)
    if flat_dims is None:
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if not isinstance(d, int) and d is not None:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for an input but in_dim must be either an integer "
                             "dimension or None.")
        if isinstance(d, int) and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for an input but the input is of type {type(arg)}. We "
                             "cannot vmap over non-Tensor arguments, please use None as the "
                             "respective in_dim")
        if d is not None and (d < -arg.dim() or d >= arg.dim()):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for some input, but that input is a Tensor of "
                             f"dimensionality {arg.dim()} so expected in_dim to satisfy "
                             f"-{arg.dim()} <= in_dim < {arg.dim()}.")
        if d is not None and d < 0:
            flat_dims[i] = d % arg.dim()
    sizes = [a.size(d) for a, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, "
                         f"got sizes {sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, spec


def _check_out_dims(func, out_dims) -> None:
    if isinstance(out_dims, int):
        return
    for d in tree_flatten(out_dims)[0]:
        if not (isinstance(d, int) or d is None):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an "
                             "int, None or a python collection of ints representing where in the "
                             "outputs the vmapped dimension should appear.")


def _select(t, dim: int, i: int):
    return t[(slice(None),) * dim + (i,)]


def _same(values) -> bool:
    from .._tensor import Tensor
    first = values[0]
    for v in values[1:]:
        if v is first:
            continue
        if isinstance(first, Tensor) and isinstance(v, Tensor):
            if first.shape != v.shape or first.dtype != v.dtype or \
                    not (first.detach()._data == v.detach()._data).all():
                return False
        else:
            return False
    return True


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Map ``func`` over a batch dimension of its inputs (see the module docstring)."""
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        from .._tensor import Tensor
        from ..ops.shape import stack
        _check_out_dims(func, out_dims)
        size, flat_dims, flat_args, spec = _process_inputs(func, in_dims, args)
        if size == 0:
            raise NotImplementedError("retrograd's vmap runs func once per batch element; it cannot "
                                      "run on a batch of size 0")
        name = _name(func)
        start = None
        if randomness == "same":
            from .._creation import default_generator as g
            start = (g._rng, g.get_state())
        outs = []
        for i in range(size):
            flat_i = [a if d is None else _select(a, d, i) for a, d in zip(flat_args, flat_dims)]
            with _RandomnessGuard(randomness, start):
                outs.append(func(*tree_unflatten(flat_i, spec), **kwargs))
        flat0, out_spec = tree_flatten(outs[0])
        per_elem = [tree_flatten(o) for o in outs]
        if any(s != out_spec for _, s in per_elem):
            raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures "
                             "for different batch elements")

        def incompatible():
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                             "compatible with the structure of `outputs`. out_dims has structure "
                             f"{tree_flatten(out_dims)[1]} but outputs has structure {out_spec}.")

        if isinstance(outs[0], Tensor):
            if isinstance(out_dims, int) or out_dims is None:
                flat_out_dims = [out_dims]
            elif isinstance(out_dims, tuple) and len(out_dims) == 1:
                flat_out_dims = list(out_dims)
            else:
                incompatible()
        else:
            flat_out_dims = broadcast_prefix(out_dims, out_spec)
            if flat_out_dims is None:
                incompatible()
        result = []
        for k, d in enumerate(flat_out_dims):
            values = [leaves[k] for leaves, _ in per_elem]
            if d is None:
                if isinstance(values[0], Tensor) and not _same(values):
                    raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                                     "when out_dim is None")
                result.append(values[0])
                continue
            for v in values:
                if not isinstance(v, Tensor):
                    raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got "
                                     f"type {type(v)}. Did you mean to set out_dims= to None for "
                                     "output?")
            result.append(stack(values, d))
        return tree_unflatten(result, out_spec)

    return wrapped
