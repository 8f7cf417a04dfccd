"""RemovableHandle: what register_hook returns."""
from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]

_ids = itertools.count()


class RemovableHandle:
    """Removes its hook from the dict it was added to when ``remove()`` is called."""

    __slots__ = ("hooks_dict", "id")

    def __init__(self, hooks_dict: dict, hook=None):
        self.hooks_dict = hooks_dict
        self.id = next(_ids)
        if hook is not None:
            hooks_dict[self.id] = hook

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
