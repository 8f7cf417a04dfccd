"""Batching rules for ``vmap``: ``BatchedTensor`` and the rules that run an op once on a batch.

How a batched call works
------------------------
While ``vmap`` runs ``func`` batched, each mapped input is a ``BatchedTensor``: a ``Tensor``
subclass that *is* the per-example value as far as ``func`` can tell (``shape``, ``dim()``,
``dtype``, ``isinstance(x, Tensor)``), and holds the whole batch as an ordinary physical
Tensor ``_p`` whose leading dims are the batch dims of the vmap levels it is batched over
(``_lv``, sorted, outermost level first; nested vmaps add inner levels behind). An op on a
BatchedTensor runs its *rule*: the op applied once to the physical tensors, with dims shifted
past the batch dims, broadcasting aligned, 1-D matmul operands promoted, ... The physical ops are
ordinary retrograd ops, so the autograd graph of a batched call is an ordinary graph over the
physical tensors (``grad`` of a ``vmap`` works, and ``grad`` *inside* ``vmap`` differentiates
the physical graph, see ``level_input`` and ``autograd_grad``).

Correct by construction
-----------------------
A rule exists only for the ops listed in ``_build_rules``, each written for that op's semantics.
Everything else fails *before doing anything*: every attribute of ``Tensor`` that has no rule
(``_data``, ``grad_fn``, ``item``, ``__bool__``, in-place methods, ...) raises ``NoRule`` on a
BatchedTensor. A BatchedTensor exposes only per-example metadata (shape, dtype, ...); its values
live in ``_p``, which no op knows about, so an op without a rule cannot compute anything from
them: it raises. While a batched call runs, a dispatch mode (``retrograd._dispatch``) sees
every call of a public op entry point (``torch.X``, ``Tensor.X``, ``torch.nn.functional.X``,
``torch.linalg.X``, ``torch.special.X``, ``torch.fft.X``, the ``*_like`` factories): an op with a
rule reaches it, and one without raises ``NoRule`` as soon as it sees a BatchedTensor among its
arguments. Any exception inside a rule is turned into
``NoRule`` as well (the rule's error message would speak of physical shapes), and ``NoRule``
derives from ``BaseException``, so that ``except Exception`` in the user's function cannot
swallow it. The one way user code can observe the batched attempt is an ``except TypeError``
(or similar) around a call of a *plain* tensor's method with a BatchedTensor argument.

``vmap`` catches ``NoRule`` (and any other exception of the batched attempt) and runs ``func``
once per example instead (see ``_vmap.py``). Consequences of this choice, documented there:
the random generator is restored before the per-example run (no draw is made twice), warnings
of the abandoned attempt are dropped, and the batched attempt never writes into a tensor (there
are no in-place rules, and an in-place op touching a BatchedTensor raises before writing). Python
side effects of ``func`` that happen before the first op without a rule do run twice.

Not batched (they take the per-example path): ops without a rule, in-place ops, ``.item()``,
data-dependent control flow, ``backward()``/``autograd.grad`` on batched outputs or inputs, custom
``autograd.Function``, forward-mode AD (a dual level open during the call), hooks.

Where it lives
--------------
``_batched_tensor.py`` (BatchedTensor, levels, alignment, ``_call``), ``_vmap_mode.py`` (the
dispatch mode), ``_rules_pointwise.py`` / ``_rules_reduction.py`` / ``_rules_shape.py`` /
``_rules_linalg.py`` / ``_rules_indexing.py`` / ``_rules_nn.py`` (the rules by family),
``_rule_table.py`` (the table built from the ops' ``vmap=`` declarations, BatchedTensor's
methods), ``_batched_grad.py`` (gradients of per-example values); here: the levels vmap pushes
and pops, and the mapping of its inputs and outputs.
"""
from __future__ import annotations

from ..ops.shape import basic as _S
from ..ops.shape.views import movedim as _MOVEDIM
from ._batched_tensor import (BatchedTensor, NoRule, _active, _bt, _counter, _sizes, _wrap_dim,
                              active, call, is_batched)
from ._rule_table import _ensure_ready
from ._vmap_mode import _install, _uninstall
# what vmap (_vmap.py), the transforms (_transforms.py) and the tests use from here
from ._batched_tensor import _RULES, forward_ad_open  # noqa: F401
from ._batched_grad import (autograd_grad, grad_with_batched_cotangents,  # noqa: F401
                            level_input, ones_leaf, phys, rewrap, zeros_like)
from ._vmap_mode import Final, entry  # noqa: F401

__all__ = ["NoRule", "BatchedTensor", "active", "is_batched"]

# counters of vmap's paths; "rule_bugs": a rule raised where the per-example run succeeded
STATS = {"batched": 0, "fallback": 0, "last_reason": None, "rule_bugs": []}
ENABLED = True              # False: vmap always runs per example (benchmarks, tests)


def push_level(size: int) -> int:
    _ensure_ready()
    level = next(_counter)
    levels = _active.get()
    if not levels:
        _install()
    _active.set(levels + (level,))
    _sizes[level] = size
    return level


def pop_level(level: int) -> None:
    levels = tuple(lv for lv in _active.get() if lv != level)
    _active.set(levels)
    _sizes.pop(level, None)
    if not levels:
        _uninstall()


# ------------------------------------------------------------------------------- vmap's needs


def add_level(x, in_dim: int, level: int):
    """``x`` mapped over its (logical) dim ``in_dim`` at the new innermost ``level``."""
    if type(x) is BatchedTensor:
        k = len(x._lv)
        p = x._p if in_dim == 0 else _MOVEDIM(x._p, k + in_dim, k)
        return _bt(p, x._lv + (level,))
    p = x if in_dim == 0 else _MOVEDIM(x, in_dim, 0)
    return _bt(p, (level,))


def remove_level(y, level: int, out_dim: int, size: int):
    """The output ``y`` of a batched call with ``level``'s batch dim made its dim ``out_dim``
    (expanded when ``y`` does not depend on the level)."""
    nd = y.dim()
    d = _wrap_dim(out_dim, nd + 1)
    if type(y) is BatchedTensor and level in y._lv:
        j = y._lv.index(level)
        rest = y._lv[:j] + y._lv[j + 1:]
        dest = len(rest) + d
        # (already in place: no op recorded, so the output keeps the op's grad_fn, as torch's)
        p = y._p if j == dest else _MOVEDIM(y._p, j, dest)
        return _bt(p, rest)
    shape = list(y.shape)
    shape.insert(d, size)
    u = call(_S.unsqueeze, y, d)
    return call(_S.expand, u, tuple(shape))
