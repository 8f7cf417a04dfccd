"""nn.utils: gradient clipping, parameters <-> vector, parametrizations, weight/spectral norm,
pruning."""
from . import parametrizations, parametrize, rnn  # noqa: F401
from .clip_grad import _clip_grads_with_norm_ as clip_grads_with_norm_  # noqa: F401
from .clip_grad import _get_total_norm as get_total_norm  # noqa: F401
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grads_with_norm_", "clip_grad_value_",
           "get_total_norm", "parameters_to_vector", "parametrizations", "parametrize", "prune",
           "remove_spectral_norm", "remove_weight_norm", "spectral_norm",
           "vector_to_parameters", "weight_norm"]


def __getattr__(name: str):
    if name == "prune":   # loaded on first use: ``import torch`` does not load it either
        import retrograd.nn.utils.prune as prune   # (``from . import`` would recurse here)
        return prune
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
