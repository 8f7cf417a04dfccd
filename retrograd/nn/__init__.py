"""retrograd.nn: Module and its containers, Parameter/Buffer, layers, and nn.functional.

The layers load on first use (``retrograd/_lazy.py``): ``nn.Linear`` is ``nn.modules.Linear``,
whose file is imported when the name is first looked up (``nn.modules._LAZY``); so are
``nn.functional``, ``nn.init`` and ``nn.utils``. ``from retrograd.nn import *`` loads them all.
"""
# (no ``from __future__ import annotations``: from retrograd.nn import * would export it)
from .. import _lazy
from . import modules
from .parameter import Buffer, Parameter  # noqa: F401
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401

# loaded on first use; the layers (modules.__all__) too, through modules._LAZY
_LAZY = {
    "functional": "functional", "init": "init",
    "utils": "utils",  # nn.utils (clip_grad, parametrize, prune, ...)
}
_LAYERS = frozenset(modules.__all__)
# retrograd's global module hooks (torch has them in nn.modules.module only): from there
_MODULE_HOOKS = frozenset((
    "register_module_buffer_registration_hook", "register_module_forward_hook",
    "register_module_forward_pre_hook", "register_module_full_backward_hook",
    "register_module_full_backward_pre_hook", "register_module_module_registration_hook",
    "register_module_parameter_registration_hook"))
_getattr, _dir = _lazy.attach(__name__, _LAZY, globals())


def __getattr__(name: str):
    if name in _LAYERS or name in _MODULE_HOOKS:
        value = globals()[name] = getattr(modules if name in _LAYERS else modules.module, name)
        return value
    if name == "__all__":   # from retrograd.nn import *: every name loaded, then the globals
        for n in __dir__():
            if not n.startswith("_") and n not in globals():
                __getattr__(n)
        raise AttributeError(name)
    return _getattr(name)


def __dir__():
    return sorted(set(_dir()) | _LAYERS | _MODULE_HOOKS)
