"""``torch._trilinear`` (TrilinearBackward0) and F.bilinear, PyTorch's composition of it:
``_trilinear(x1.reshape(-1, in1), weight, x2.reshape(-1, in2), [1, 3], [0], [1, 2], [2, 3])``
reshaped to the batch shape, plus the bias."""
from __future__ import annotations

import string

import numpy as np

from ...autograd.node import Node
from .._registry import export
from .._util import Tensor, u64s, wrap_dim
from ...autograd._record import record
from ... import _dtype as D


def _subscripts(ndim: int, expand1, expand2, expand3, sumdim) -> tuple:
    """einsum letters of the three inputs and of the result, in a space of ``ndim`` dims."""
    letters = string.ascii_letters[:ndim]
    skip = lambda drop: "".join(c for d, c in enumerate(letters) if d not in drop)  # noqa: E731
    return skip(expand1), skip(expand2), skip(expand3), skip(sumdim)


class TrilinearBackward0(Node):
    """out = sum over ``sumdim`` of i1 * i2 * i3 (each unsqueezed at its ``expand`` dims): each
    input's gradient is the same contraction of the other two with ``grad``."""
    __slots__ = ("subs", "expand1", "expand2", "expand3", "sumdim")
    saved_names = ("i1", "i2", "i3")
    saved_attrs = {"expand1": lambda n: u64s(n.expand1), "expand2": lambda n: u64s(n.expand2),
                   "expand3": lambda n: u64s(n.expand3), "sumdim": lambda n: u64s(n.sumdim)}

    def backward(self, ns, grad, i1, i2, i3):
        if not ns.INPLACE:   # create_graph: PyTorch's _trilinear_backward, three _trilinear
            return self._graph(ns, grad, i1, i2, i3)
        s1, s2, s3, so = self.subs
        return (_contract(ns, so, s2, s3, s1, grad, i2, i3, i1.shape) if self.needs(0) else None,
                _contract(ns, so, s1, s3, s2, grad, i1, i3, i2.shape) if self.needs(1) else None,
                _contract(ns, so, s1, s2, s3, grad, i1, i2, i3.shape) if self.needs(2) else None)

    def _graph(self, ns, grad, i1, i2, i3):
        """Each gradient is _trilinear of grad and the two other inputs, the roles of the
        input's expand dims and of sumdim swapped (TrilinearBackward0 nodes, as PyTorch's);
        a dim of the input that none of them has (a corner torch's kernel does not cover)
        takes the einsum formula."""
        e1, e2, e3, sd = self.expand1, self.expand2, self.expand3, self.sumdim
        s1, s2, s3, so = self.subs
        out = [None, None, None]
        for k, (args, inp, sub) in enumerate((
                ((grad, i2, i3, sd, e2, e3, e1), i1, (so, s2, s3, s1)),
                ((i1, grad, i3, e1, sd, e3, e2), i2, (s1, so, s3, s2)),
                ((i1, i2, grad, e1, e2, sd, e3), i3, (s1, s2, so, s3)))):
            if not self.needs(k):
                continue
            if set(sub[3]) <= set(sub[0] + sub[1] + sub[2]):
                out[k] = _trilinear(*args)
            else:
                out[k] = _contract(ns, *sub, *args[:3], inp.shape)
        return tuple(out)

    def jvp(self, ns, tangents, i1, i2, i3):
        """Linear in each input: the sum of the contractions with one input replaced by its
        tangent."""
        s1, s2, s3, so = self.subs
        eq = f"{s1},{s2},{s3}->{so}"
        t1, t2, t3 = tangents
        total = None
        for term in ((t1, i2, i3), (i1, t2, i3), (i1, i2, t3)):
            if any(t is None for t in term):
                continue
            part = ns.einsum(eq, *term)
            total = part if total is None else total + part
        return total


def _contract(ns, sa, sb, sc, target, a, b, c, shape):
    """einsum of a, b, c onto the letters ``target``; a target dim that none of them has (summed
    away in the forward and broadcast in the others) gets the same value all along it."""
    have = set(sa + sb + sc)
    kept = "".join(ch for ch in target if ch in have)
    out = ns.einsum(f"{sa},{sb},{sc}->{kept}", a, b, c)
    if len(kept) == len(target):
        return out
    missing = tuple(d for d, ch in enumerate(target) if ch not in have)
    return ns.expand(ns.unsqueeze_dims(out, missing), tuple(shape))


@export(torch=True)
def _trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1):
    """PyTorch's ``_trilinear``: the three inputs, each unsqueezed at its ``expand`` dims,
    multiplied and summed over ``sumdim``."""
    for name, pos, t in (("i1", 1, i1), ("i2", 2, i2), ("i3", 3, i3)):
        if not isinstance(t, Tensor):
            raise TypeError(f"_trilinear(): argument '{name}' (position {pos}) must be Tensor, "
                            f"not {type(t).__name__}")
    ndim = i1.ndim + len(expand1)
    expand1, expand2, expand3 = (tuple(wrap_dim(d, ndim) for d in e)
                                 for e in (expand1, expand2, expand3))
    sumdim = tuple(wrap_dim(d, ndim) for d in sumdim)
    subs = _subscripts(ndim, expand1, expand2, expand3, sumdim)
    a, b, c = i1._data, i2._data, i3._data
    dt = np.result_type(a, b, c)
    out = np.einsum(f"{subs[0]},{subs[1]},{subs[2]}->{subs[3]}", a.astype(dt, copy=False),
                    b.astype(dt, copy=False), c.astype(dt, copy=False), optimize=True)
    out = np.ascontiguousarray(out, dtype=dt)
    return record(TrilinearBackward0, (i1, i2, i3), out, (i1, i2, i3), subs=subs, expand1=expand1,
                  expand2=expand2, expand3=expand3, sumdim=sumdim)


_CPP = D.CPP_NAMES  # the one table, in _dtype.py


def _check_tensor(x, name: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"bilinear(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


@export(torch=True, functional=True, composite=True)
def bilinear(input1, input2, weight, bias=None):
    """y[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j] + bias[o]."""
    _check_tensor(input1, "input1", 1)
    _check_tensor(input2, "input2", 2)
    _check_tensor(weight, "weight", 3)
    if bias is not None:
        _check_tensor(bias, "bias", 4)
    ts = [("input1", input1), ("input2", input2), ("weight", weight)]
    if bias is not None:
        ts.append(("bias", bias))
    if len({t.dtype for _, t in ts}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got " +
                           ", ".join(f"{n}: {_CPP.get(t.dtype.np.name, t.dtype.np.name)}"
                                     for n, t in ts))
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    if input1.shape[-1] != weight.size(1):
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.size(2):
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and bias.size(0) != weight.size(0):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")
    output_size = (*input1.shape[:-1], weight.shape[0])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    output = _trilinear(x1, weight, x2, [1, 3], [0], [1, 2], [2, 3]).reshape(output_size)
    if bias is not None:
        output = output + bias
    return output
