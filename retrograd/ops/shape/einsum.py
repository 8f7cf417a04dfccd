"""torch.einsum, built the way PyTorch builds it (aten's einsum: diagonals for repeated labels,
a permute aligning every operand to (output dims, contraction dims), then left-to-right pairwise
contraction by mul or permute/reshape/bmm, and a final view or sum). The result therefore has
PyTorch's values, graph and grad_fn names, and every derivative (double backward included)
comes from those ops' own formulas.

(PyTorch reorders contractions of 3+ operands only when the opt_einsum package is installed;
the reference setup does not have it, so the order is always left to right here too.)
"""
from __future__ import annotations

from .._registry import export
from .._util import Tensor
from .basic import permute, reshape, unsqueeze, view
from ..reduction.basic import sum as _sum
from ..linalg.addmm import bmm
from ..elementwise.arithmetic import mul
from .views import diagonal
from .views import movedim

_ELL = 52  # the code of "..." among the 52 labels


def _label(c: str) -> int:
    return ord(c) - ord("A") if c.isupper() else ord(c) - ord("a") + 26


def _letter(s: int) -> str:
    return chr(s + ord("A")) if s < 26 else chr(s - 26 + ord("a"))


def _parse_sublists(args) -> tuple:
    def sub(n) -> str:
        if n is Ellipsis:
            return "..."
        if 0 <= n < 26:
            return chr(ord("A") + n)
        if 26 <= n < 52:
            return chr(ord("a") + n - 26)
        raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                         "[0, 52)")
    eq = ",".join("".join(sub(s) for s in lst) for lst in args[1::2])
    if len(args) % 2 == 1:
        return eq + "->" + "".join(sub(s) for s in args[-1]), list(args[:-1:2])
    return eq, list(args[::2])


@export(vmap='einsum')
def einsum(*args):
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, or "
                         "at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _parse_sublists(args)
    else:
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    return _einsum(equation, operands)


def _einsum(equation: str, operands: list):
    num_ops = len(operands)
    if not num_ops:
        raise RuntimeError("einsum(): must provide at least one operand")
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = [[] for _ in range(num_ops)]
    ell_in_input, cur, i = False, 0, 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if ell_in_input:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an ellipsis "
                                   "was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part of any "
                                   "ellipsis")
            i += 2
            op_labels[cur].append(_ELL)
            ell_in_input = True
        elif c == ",":
            cur += 1
            if cur >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                                   "equation")
            ell_in_input = False
        else:
            if not (c.isascii() and c.isalpha()):
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            op_labels[cur].append(_label(c))
        i += 1
    if cur != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")

    count = [0] * 52
    ell_num_dim = 0
    for k, (t, labels) in enumerate(zip(operands, op_labels)):
        nd = t._data.ndim
        nl = len(labels)
        has_ell = _ELL in labels
        if has_ell:
            nl -= 1
            ell_num_dim = max(ell_num_dim, nd - nl)
        for lab in labels:
            if lab != _ELL:
                count[lab] += 1
        if (nl > nd) if has_ell else (nl != nd):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nl}) "
                + ("is more than the number of dimensions (" if has_ell
                   else "does not match the number of dimensions (")
                + f"{nd}) for operand {k}" + ("" if has_ell else " and no ellipsis was given"))

    perm_of = [-1] * 52
    perm_index = ell_index = 0
    ell_in_output = False
    if arrow < 0:
        perm_index = ell_num_dim
        ell_in_output = True
        for lab in range(52):
            if count[lab] == 1:
                perm_of[lab] = perm_index
                perm_index += 1
    else:
        rhs = equation[arrow + 2:]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                       "already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                       "ellipsis (...)")
                i += 2
                ell_index = perm_index
                perm_index += ell_num_dim
                ell_in_output = True
            else:
                if not (c.isascii() and c.isalpha()):
                    raise RuntimeError(f"einsum(): invalid subscript given at index "
                                       f"{len(lhs) + 2 + i} in the equation string, subscripts "
                                       "must be in [a-zA-Z]")
                lab = _label(c)
                if not (count[lab] > 0 and perm_of[lab] == -1):
                    raise RuntimeError(
                        f"einsum(): output subscript {c}"
                        + (" appears more than once in the output" if perm_of[lab] > -1
                           else " does not appear in the equation for any input operand"))
                perm_of[lab] = perm_index
                perm_index += 1
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index = perm_index
        perm_index += ell_num_dim
    for lab in range(52):
        if count[lab] > 0 and perm_of[lab] == -1:
            perm_of[lab] = perm_index
            perm_index += 1

    # Align every operand to (output dims, contraction dims).
    label_size = [1] * 52
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * perm_index
    ops = []
    for k, (op, labels) in enumerate(zip(operands, op_labels)):
        original = op
        permutation = [-1] * perm_index
        dim = 0
        for lab in labels:
            if lab == _ELL:
                missing = ell_num_dim - (op._data.ndim - len(labels) + 1)
                for _ in range(missing):
                    op = unsqueeze(op, dim)
                for j in range(ell_num_dim):
                    size = op._data.shape[dim]
                    if size != 1:
                        if ell_sizes[j] != 1 and ell_sizes[j] != size:
                            raise RuntimeError(
                                f"einsum(): dimension {j} covered by ellipsis in operand {k}has size "
                                f"{size} which does not broadcast with previously seen ellipsis "
                                f"with size {ell_sizes[j]} for the respective dimension")
                        ell_sizes[j] = size
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j] = dim
                    dim += 1
            elif permutation[perm_of[lab]] == -1:
                size = op._data.shape[dim]
                if size != 1:
                    if label_size[lab] != 1 and label_size[lab] != size:
                        raise RuntimeError(
                            f"einsum(): subscript {_letter(lab)} has size {size} for operand {k} which "
                            f"does not broadcast with previously seen size {label_size[lab]}")
                    label_size[lab] = size
                    dim_counts[perm_of[lab]] += 1
                permutation[perm_of[lab]] = dim
                dim += 1
            else:  # a repeated label: take the diagonal
                prev = permutation[perm_of[lab]]
                a, b = op._data.shape[dim], op._data.shape[prev]
                if a != b:
                    raise RuntimeError(f"einsum(): subscript {_letter(lab)} is repeated for operand "
                                       f"{k} but the sizes don't match, {a} != {b}")
                op = movedim(diagonal(op, 0, prev, dim), -1, prev)
        for p in range(perm_index):
            if permutation[p] == -1:
                op = unsqueeze(op, dim)
                permutation[p] = dim
                dim += 1
        ops.append(permute(op, tuple(permutation)))
        del original

    while len(ops) > 1:
        a, b = ops[0], ops[1]
        del ops[:2]
        sum_dims, a_sum, b_sum = [], [], []
        for d in range(out_num_dim, perm_index):
            sa, sb = a._data.shape[d], b._data.shape[d]
            if sa != 1 and sb != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if sa != 1:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif sb != 1:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = _sum(a, a_sum, True)
        if b_sum:
            b = _sum(b, b_sum, True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))

    if perm_index - out_num_dim > 0:
        if num_ops > 1:
            sizes = list(ops[0]._data.shape)
            del sizes[out_num_dim:perm_index]
            return view(ops[0], tuple(sizes))
        return _sum(ops[0], list(range(out_num_dim, perm_index)))
    return ops[0]


def _sumproduct_pair(left, right, sum_dims):
    """Multiply two aligned operands and sum out sum_dims (kept as size 1), as aten does: by mul
    when nothing is summed, else by permute -> reshape -> bmm -> view -> permute."""
    if not sum_dims:
        return mul(left, right)
    nd = left._data.ndim
    sums = set(sum_dims)
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(nd):
        sl, sr = left._data.shape[i] != 1, right._data.shape[i] != 1
        if i in sums:
            if sl and sr:
                if left._data.shape[i] != right._data.shape[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left._data.shape[i]
            elif sl:
                left = _sum(left, [i], True)
            elif sr:
                right = _sum(right, [i], True)
        elif sl and sr:
            if left._data.shape[i] != right._data.shape[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_size *= left._data.shape[i]
        elif sl:
            lo.append(i)
            lo_size *= left._data.shape[i]
        else:
            ro.append(i)
            ro_size *= right._data.shape[i]
    if lo and ro and ro[-1] < lo[0]:
        # PyTorch swaps the operands when all of right's own output dims come first, so that
        # bmm produces them in output order
        left, right, lo, ro, lo_size, ro_size = right, left, ro, lo, ro_size, lo_size
    out_size = [left._data.shape[d] for d in lro] + [left._data.shape[d] for d in lo] + \
        [1] * len(sum_dims) + [right._data.shape[d] for d in ro]
    lperm = lro + lo + list(sum_dims) + ro
    rperm = lro + list(sum_dims) + ro + lo
    operm = [-1] * len(out_size)
    for i, d in enumerate(lro + lo + list(sum_dims) + ro):
        operm[d] = i
    left = reshape(permute(left, tuple(lperm)), (lro_size, lo_size, sum_size))
    right = reshape(permute(right, tuple(rperm)), (lro_size, sum_size, ro_size))
    result = bmm(left, right)
    return permute(view(result, tuple(out_size)), tuple(operm))


__all__ = ["einsum"]
