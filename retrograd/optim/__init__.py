"""retrograd.optim: PyTorch's optimizers and learning-rate schedulers."""
from __future__ import annotations

from . import lr_scheduler, swa_utils  # noqa: F401
from ._adafactor import Adafactor
from ._muon import Muon
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Adafactor", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "ASGD", "LBFGS",
           "lr_scheduler", "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD",
           "swa_utils"]

# Like torch.optim: the submodules are not attributes of the package (import them by name).
del adadelta, adagrad, adam, adamax, asgd, lbfgs, nadam, optimizer  # noqa: F821
del radam, rmsprop, rprop, sgd  # noqa: F821
