"""RemovableHandle: what register_hook returns."""
from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]

_ids = itertools.count()


class RemovableHandle:
    """Removes its hook from the dict it was added to when ``remove()`` is called."""

    __slots__ = ("hooks_dict", "id", "extra_dicts")

    def __init__(self, hooks_dict: dict, hook=None, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.id = next(_ids)
        if hook is not None:
            hooks_dict[self.id] = hook
        # dicts keyed by the same id that hold a hook's flags (nn.Module's with_kwargs, ...)
        if isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self.extra_dicts = tuple(extra_dict) if extra_dict is not None else ()

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)
        for d in self.extra_dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


RemovableHandle.__module__ = "retrograd.utils.hooks"  # its public home, as torch.utils.hooks
