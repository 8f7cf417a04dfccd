"""torch.Size: a tuple that prints as ``torch.Size([2, 3])``."""
from __future__ import annotations

from functools import reduce
from operator import mul


class Size(tuple):
    __slots__ = ()

    def __repr__(self) -> str:
        return "torch.Size([" + ", ".join(str(s) for s in self) + "])"

    __str__ = __repr__

    def numel(self) -> int:
        return reduce(mul, self, 1)

    def __getitem__(self, key):
        res = tuple.__getitem__(self, key)
        return Size(res) if isinstance(key, slice) else res

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))
