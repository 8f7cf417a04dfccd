"""retrograd.optim: PyTorch's optimizers and learning-rate schedulers.

Each optimizer, ``lr_scheduler`` and ``swa_utils`` load on first use (``_LAZY``, see
``retrograd/_lazy.py``): ``optim.SGD`` imports ``optim/sgd.py`` when first looked up.
"""
from __future__ import annotations

from .. import _lazy

# loaded on first use
_LAZY = {
    "Adafactor": "_adafactor:Adafactor", "Adadelta": "adadelta:Adadelta",
    "Adagrad": "adagrad:Adagrad", "Adam": "adam:Adam", "AdamW": "adam:AdamW",
    "Adamax": "adamax:Adamax", "ASGD": "asgd:ASGD", "LBFGS": "lbfgs:LBFGS",
    "lr_scheduler": "lr_scheduler", "Muon": "_muon:Muon", "NAdam": "nadam:NAdam",
    "Optimizer": "optimizer:Optimizer", "RAdam": "radam:RAdam", "RMSprop": "rmsprop:RMSprop",
    "Rprop": "rprop:Rprop", "SGD": "sgd:SGD", "swa_utils": "swa_utils",
}

__all__ = ["Adafactor", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "ASGD", "LBFGS",
           "lr_scheduler", "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD",
           "swa_utils"]

# Like torch.optim: these submodules are not attributes of the package (import them by name);
# loading a class from one of them takes the attribute the import gave the package away again.
_HIDDEN = ("adadelta", "adagrad", "adam", "adamax", "asgd", "lbfgs", "nadam", "optimizer",
           "radam", "rmsprop", "rprop", "sgd")
_getattr, __dir__ = _lazy.attach(__name__, _LAZY, globals())


def __getattr__(name: str):
    before = [m for m in _HIDDEN if m in globals()]
    value = _getattr(name)
    for m in _HIDDEN:
        if m not in before:
            globals().pop(m, None)
    return value
