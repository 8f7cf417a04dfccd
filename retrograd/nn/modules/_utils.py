"""Names as PyTorch's messages print them, and the printout's indentation helper."""
from __future__ import annotations

from ..._tensor import Tensor


def _typename(obj) -> str:
    """PyTorch's ``torch.typename``: 'torch.FloatTensor' for a tensor, else module.qualname."""
    if isinstance(obj, Tensor):
        return obj.type()
    if obj is Tensor:
        return "torch.Tensor"
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module == "retrograd" or module.startswith("retrograd."):
        module = "torch" + module[len("retrograd"):]  # retrograd's classes print as torch's
    return qualname if module in ("", "builtins") else module + "." + qualname


def _class_repr(cls) -> str:
    """``repr(cls)`` as PyTorch's messages show it (retrograd's classes under torch's names)."""
    return f"<class '{_typename(cls)}'>"


def _addindent(s: str, n: int) -> str:
    """Indent every line but the first by ``n`` spaces (blank lines stay empty)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    rest = [(" " * n) + line if line.strip() else "" for line in lines[1:]]
    return lines[0] + "\n" + "\n".join(rest)
