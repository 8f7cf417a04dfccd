"""What a forward pass keeps alive for backward: bytes of saved tensors per node and in total."""
from __future__ import annotations

from dataclasses import dataclass, field
from .._tensor import Tensor
from ..autograd import node as _node

__all__ = ["saved_memory", "SavedMemory", "NodeMemory"]


@dataclass
class NodeMemory:
    node: object          # the grad_fn
    name: str             # its PyTorch name (MulBackward0)
    tensors: int          # how many saved arrays it holds
    nbytes: int           # their bytes (an array saved twice by one node counted once)
    released: bool        # freed by a backward without retain_graph


@dataclass
class SavedMemory:
    nodes: list = field(default_factory=list)   # NodeMemory, in graph order (root first)
    total_bytes: int = 0      # sum over nodes
    unique_bytes: int = 0     # each array once, however many nodes save it

    def table(self) -> str:
        w = max([len("node")] + [len(n.name) for n in self.nodes])
        rows = ["%-*s  %7s  %12s" % (w, "node", "tensors", "bytes")]
        for n in self.nodes:
            rows.append("%-*s  %7d  %12d%s" % (w, n.name, n.tensors, n.nbytes,
                                               "  (released)" if n.released else ""))
        rows.append("%-*s  %7s  %12d" % (w, "total", "", self.total_bytes))
        rows.append("%-*s  %7s  %12d" % (w, "unique", "", self.unique_bytes))
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()


def _arrays(entry):
    """The ndarrays one saved entry keeps alive (a Tensor, a saved output, a packed value)."""
    if isinstance(entry, Tensor):
        return [entry._data]
    if type(entry) is _node.SavedOutput:
        return [entry.data]
    if type(entry) is _node._Packed:
        p = entry.packed
        if isinstance(p, Tensor):
            return [p._data]
        if isinstance(p, tuple):
            return [x._data for x in p if isinstance(x, Tensor)]
    return []


def saved_memory(output) -> SavedMemory:
    """Bytes of the tensors saved for backward by every node of ``output``'s graph (a tensor or a
    sequence of tensors). Views count their own elements (``nbytes`` of the view)."""
    outs = output if isinstance(output, (tuple, list)) else (output,)
    report = SavedMemory()
    seen, seen_arrays = set(), set()
    stack = [t.grad_fn for t in reversed(outs) if t.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        saved = getattr(fn, "_saved", None)
        released = saved is _node._RELEASED
        arrays = {}
        if saved is not None and not released:
            for e in saved:
                for a in _arrays(e):
                    arrays[id(a)] = a
        if not hasattr(fn, "variable"):
            nbytes = sum(a.nbytes for a in arrays.values())
            report.nodes.append(NodeMemory(fn, type(fn).__name__, len(arrays), nbytes, released))
            report.total_bytes += nbytes
            for k, a in arrays.items():
                if k not in seen_arrays:
                    seen_arrays.add(k)
                    report.unique_bytes += a.nbytes
        for u in reversed(getattr(fn, "next_functions", ())):
            if u[0] is not None and id(u[0]) not in seen:
                stack.append(u[0])
    return report
