"""retrograd: PyTorch's autograd in pure Python on NumPy.

``import retrograd as torch`` runs the supported subset of PyTorch scripts unchanged. This module
only re-exports; the logic lives in the modules named below.

``nn``, ``optim``, ``func`` (``vmap``), ``linalg``, ``cuda``, ``save``, ``load`` and the other
names of ``_LAZY`` load on first use (see ``_lazy.py``), and so do the ``torch.*`` ops of the op
families not loaded yet (``_more``): a fresh ``import retrograd`` stays short, and
``retrograd.nn``, ``import retrograd.nn as nn``, ``from retrograd import nn`` and
``retrograd.max_pool2d`` work as before.
"""
from __future__ import annotations

from . import _tensor_methods  # noqa: F401 - installs Tensor's operators and methods
from ._creation import (Generator, arange,  # noqa: F401
                        as_tensor, bernoulli, default_generator, empty, empty_like, eye,
                        from_numpy, full, full_like, get_rng_state, initial_seed, linspace,
                        logspace, manual_seed, multinomial, normal, ones, ones_like, poisson, rand,
                        rand_like, randint, randint_like, randn, randn_like, randperm, seed,
                        set_rng_state, tensor, zeros, zeros_like)
from ._device import device, get_default_device, set_default_device  # noqa: F401
from ._dtype import (bool_ as bool, dtype, float16, float32, float64,  # noqa: F401,A001
                     get_default_dtype, int8, int16, int32, int64, promote_types, uint8)
from ._dtype import can_cast  # noqa: F401,E402
from ._legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,  # noqa: F401
                      HalfTensor, IntTensor, LongTensor, ShortTensor)
from ._grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                         is_inference_mode_enabled, no_grad, set_grad_enabled)
from ._runtime import (are_deterministic_algorithms_enabled,  # noqa: F401
                       get_float32_matmul_precision, get_num_interop_threads, get_num_threads,
                       is_deterministic_algorithms_warn_only_enabled,
                       set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
                       use_deterministic_algorithms)
from ._size import Size  # noqa: F401
from ._tensor import Tensor  # noqa: F401
from ._tensor_str import get_printoptions, set_printoptions  # noqa: F401
from ._functions import *  # noqa: F401,F403 - torch.add, torch.sum, ... (one list, there)
from . import autograd  # noqa: F401
from .autograd.anomaly_mode import (is_anomaly_check_nan_enabled, is_anomaly_enabled,  # noqa: F401
                                    set_anomaly_enabled)
from . import serialization  # noqa: F401 - its __init__ attaches Tensor's pickle/deepcopy

half = float16
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
short = int16
__version__ = "0.1.0"

from . import _lazy  # noqa: E402
from .ops import load_families as _load_families, load_family_of as _load_family_of  # noqa: E402
from .ops._registry import FUNCTIONS as _FUNCTIONS  # noqa: E402

# loaded on first use: the name -> the module (relative to this package) or "module:attribute"
_LAZY = {"nn": "nn", "optim": "optim", "func": "func", "vmap": "func:vmap",
         "save": "serialization:save", "load": "serialization:load", "backends": "backends",
         "linalg": "linalg", "special": "special", "fft": "fft", "random": "random",
         "cuda": "cuda", "accelerator": "accelerator", "finfo": "_typeinfo:finfo",
         "iinfo": "_typeinfo:iinfo", "typename": "_typeinfo:typename", "utils": "utils"}


def _more(name=None) -> dict:
    """The torch.* ops of the op families that load on first use (retrograd/ops/__init__.py):
    torch.max_pool2d, torch.dropout, torch._trilinear, torch.ctc_loss, ...; ``name``, when it
    is the Tensor method of one (torch.sort), loads that family alone if it is enough."""
    if name is None or (name not in _FUNCTIONS and
                        not (_load_family_of(name) and name in _FUNCTIONS)):
        _load_families()
    return _FUNCTIONS


_getattr, __dir__ = _lazy.attach(__name__, _LAZY, globals(), _more)


def __getattr__(name: str):
    if name == "__all__":   # ``from retrograd import *``: every public name, the lazy ones loaded
        return [n for n in __dir__() if not n.startswith("_")]
    return _getattr(name)
