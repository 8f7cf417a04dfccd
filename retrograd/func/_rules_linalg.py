"""Batching rules of the products: matmul (and mm, mv, dot, bmm), outer, einsum."""
from __future__ import annotations

import string

from .._tensor import Tensor
from ..ops.elementwise import arithmetic as _P
from ..ops.linalg import matmul as _L
from ..ops.shape import basic as _S
from ._batched_tensor import BatchedTensor, NoRule, _bcast, _bt, _call, _sig, _union
from ._rules_pointwise import _pointwise


# -- linear algebra ---------------------------------------------------------------------------


def _matmul_core(a, b):
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        raise NoRule("matmul operands")
    na, nb = a.dim(), b.dim()
    if na == 0 or nb == 0 or a.dtype != b.dtype:
        raise NoRule("matmul operands")
    levels = _union((a, b))
    ea, eb = na == 1, nb == 1
    la, lb = (2 if ea else na), (2 if eb else nb)
    rank = max(la, lb)

    def phys(x, vec, front):
        # a vector becomes a row (left operand) or a column (right operand); batched operands
        # get their logical batch dims padded to the common rank
        if type(x) is BatchedTensor:
            p = _bcast(x, levels, rank - 1 if vec else rank)
            return _S.unsqueeze(p, -2 if front else -1) if vec else p
        if vec:
            return _S.unsqueeze(x, 0 if front else -1)
        return x

    out = _L.matmul(phys(a, ea, True), phys(b, eb, False))
    if ea and eb:
        out = _S.squeeze(_S.squeeze(out, -1), -1)
    elif ea:
        out = _S.squeeze(out, -2)
    elif eb:
        out = _S.squeeze(out, -1)
    return _bt(out, levels)


def _matmul_rule(ranks=None):
    def rule(op, args, kwargs):
        ba = _sig(op).bind(*args, **kwargs)
        a, b = list(ba.arguments.values())[:2]
        if len(ba.arguments) != 2:
            raise NoRule("extra arguments")
        if ranks is not None and (not isinstance(a, Tensor) or not isinstance(b, Tensor)
                                  or (a.dim(), b.dim()) != ranks):
            raise NoRule("ranks")
        return _matmul_core(a, b)
    return rule


def _outer_rule(op, args, kwargs):
    ba = _sig(op).bind(*args, **kwargs)
    a, b = list(ba.arguments.values())[:2]
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or a.dim() != 1 or b.dim() != 1:
        raise NoRule("outer operands")
    if a.dtype != b.dtype:
        raise NoRule("outer dtypes")
    return _pointwise(_P.mul, (_call_unsq(a, -1), _call_unsq(b, 0)), {})


def _call_unsq(x, d):
    if type(x) is BatchedTensor:
        return _call(_S.unsqueeze, (x, d), {})
    return _S.unsqueeze(x, d)


def _einsum_rule(op, args, kwargs):
    if kwargs or not args or not isinstance(args[0], str):
        raise NoRule("einsum form")
    eq = args[0].replace(" ", "")
    ops = args[1:]
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = tuple(ops[0])
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs = eq
        letters = [c for c in lhs if c.isalpha()]
        rhs = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = lhs.split(",")
    if len(terms) != len(ops) or not all(isinstance(o, Tensor) for o in ops):
        raise NoRule("einsum operands")
    levels = _union(ops)
    free = [c for c in string.ascii_letters if c not in eq]
    if len(free) < len(levels):
        raise NoRule("einsum letters")
    letter = dict(zip(levels, free))
    new_terms, phys = [], []
    for term, o in zip(terms, ops):
        if type(o) is BatchedTensor:
            new_terms.append("".join(letter[l] for l in o._lv) + term)
            phys.append(o._p)
        else:
            new_terms.append(term)
            phys.append(o)
    new_eq = ",".join(new_terms) + "->" + "".join(letter[l] for l in levels) + rhs
    return _bt(op(new_eq, *phys), levels)
