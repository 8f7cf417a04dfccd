"""What a forward pass keeps alive for backward: bytes of saved tensors per node, per Module
(for nodes created while provenance was on) and in total.

Counted: the arrays each node saved (a view counts its own elements), and the inputs a
non-reentrant ``checkpoint`` keeps to recompute its block (``checkpoint_bytes``: once per
checkpoint, inside ``total_bytes`` and ``unique_bytes``; the block's own nodes hold placeholders
of 0 bytes). A reentrant ``checkpoint`` saves its inputs on its ``CheckpointFunctionBackward``
node, so they count there."""
from __future__ import annotations

from dataclasses import dataclass, field
from .._tensor import Tensor
from ..autograd import node as _node
from ..autograd.provenance import module_names
from ..autograd.provenance import get_provenance

__all__ = ["saved_memory", "SavedMemory", "NodeMemory"]


@dataclass
class NodeMemory:
    node: object          # the grad_fn
    name: str             # its PyTorch name (MulBackward0)
    tensors: int          # how many saved arrays it holds
    nbytes: int           # their bytes (an array saved twice by one node counted once)
    released: bool        # freed by a backward without retain_graph
    modules: tuple = ()   # the Module calls that made it, outermost first: "0 (Linear)"
    where: str = ""       # its source line (provenance), "file.py:12 in f"

    @property
    def module(self):
        """The innermost module's label (None: made outside every Module)."""
        return self.modules[-1] if self.modules else None


@dataclass
class SavedMemory:
    nodes: list = field(default_factory=list)   # NodeMemory, in graph order (root first)
    total_bytes: int = 0      # sum over nodes, plus checkpoint_bytes
    unique_bytes: int = 0     # each array once, however many nodes save it
    checkpoint_bytes: int = 0  # inputs kept by non-reentrant checkpoints (each array once)

    def per_module(self) -> dict:
        """Module label ("0 (Linear)"; the outermost module by its class) -> bytes saved by the
        nodes made inside its calls, its submodules' included."""
        out = {}
        for n in self.nodes:
            for q in n.modules:
                out[q] = out.get(q, 0) + n.nbytes
        return out

    def module_table(self) -> str:
        """The per-module bytes as a table, submodules indented under their parent."""
        per = self.per_module()
        paths = {}
        for n in self.nodes:
            for i in range(len(n.modules)):
                paths.setdefault(n.modules[:i + 1], None)

        def natural(label):
            return [(0, int(p), "") if p.isdigit() else (1, 0, p)
                    for p in label.split(" ")[0].split(".")]
        rows = [("  " * (len(p) - 1) + p[-1], per[p[-1]])
                for p in sorted(paths, key=lambda p: [natural(q) for q in p])]
        w = max([len("outside modules")] + [len(r[0]) for r in rows])
        lines = ["%-*s  %12s" % (w, "module", "bytes")]
        lines += ["%-*s  %12d" % (w, label, b) for label, b in rows]
        outside = sum(n.nbytes for n in self.nodes if not n.modules)
        lines.append("%-*s  %12d" % (w, "outside modules", outside))
        return "\n".join(lines)

    def table(self) -> str:
        w = max([len("node")] + [len(n.name) for n in self.nodes] +
                [len("checkpoint inputs")] * bool(self.checkpoint_bytes))
        mods = any(n.modules for n in self.nodes)
        rows = ["%-*s  %7s  %12s" % (w, "node", "tensors", "bytes") + ("  module" if mods else "")]
        for n in self.nodes:
            extra = ""
            if mods and n.modules:
                extra = "  " + n.module
            rows.append("%-*s  %7d  %12d%s%s" % (w, n.name, n.tensors, n.nbytes,
                                                 "  (released)" if n.released else "", extra))
        if self.checkpoint_bytes:
            rows.append("%-*s  %7s  %12d" % (w, "checkpoint inputs", "", self.checkpoint_bytes))
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


def saved_memory(output, model=None) -> SavedMemory:
    """Bytes of the tensors saved for backward by every node of ``output``'s graph (a tensor or a
    sequence of tensors). Views count their own elements (``nbytes`` of the view). For nodes
    made while provenance was on, the Module calls that made them (``per_module``); ``model``
    names the modules as ``model.named_modules()`` does."""
    names = module_names(model)
    outs = output if isinstance(output, (tuple, list)) else (output,)
    report = SavedMemory()
    seen, seen_arrays, frames = set(), set(), set()
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
                frame = _checkpoint_frame(e)
                if frame is not None and id(frame) not in frames:
                    frames.add(id(frame))
                    for a in _frame_inputs(frame):
                        if id(a) not in seen_arrays:
                            seen_arrays.add(id(a))
                            report.checkpoint_bytes += a.nbytes
        if not hasattr(fn, "variable"):
            nbytes = sum(a.nbytes for a in arrays.values())
            prov = get_provenance(fn)
            modules, where = (), ""
            if prov is not None:
                where = prov.where()
                modules = tuple(prov.module_labels(names))
            report.nodes.append(NodeMemory(fn, type(fn).__name__, len(arrays), nbytes, released,
                                           modules, where))
            report.total_bytes += nbytes
            for k, a in arrays.items():
                if k not in seen_arrays:
                    seen_arrays.add(k)
                    report.unique_bytes += a.nbytes
        for u in reversed(getattr(fn, "next_functions", ())):
            if u[0] is not None and id(u[0]) not in seen:
                stack.append(u[0])
    report.total_bytes += report.checkpoint_bytes
    report.unique_bytes += report.checkpoint_bytes
    return report


def _checkpoint_frame(entry):
    """The non-reentrant checkpoint whose placeholder ``entry`` is, or None."""
    if type(entry) is not _node._Packed:
        return None
    return getattr(entry.unpack_hook, "checkpoint_frame", None)


def _frame_inputs(frame) -> list:
    """The arrays of the inputs a checkpoint keeps to recompute its block."""
    out = []
    for a in frame.saved_args:
        t = getattr(a, "tensor", None)
        if t is not None:
            out.append(t._data)
        elif getattr(a, "packed", None) is not None:
            out += _arrays(a.packed)
    return out
