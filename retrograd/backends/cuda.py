"""torch.backends.cuda: CUDA is not built in; the matmul flags scripts set are kept."""
from __future__ import annotations

__all__ = ["is_built", "matmul"]


def is_built() -> bool:
    return False


class cuBLASModule:
    """``torch.backends.cuda.matmul``: flags only (retrograd's matmul is NumPy's)."""

    def __init__(self):
        self.__dict__.update(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                             allow_bf16_reduced_precision_reduction=True)

    def __setattr__(self, name, value):
        if name not in self.__dict__:
            raise AttributeError("Unknown attribute " + name)
        if name == "allow_tf32":
            if not isinstance(value, bool):
                raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got "
                                   f"{type(value).__name__}")
        elif not isinstance(value, (bool, tuple, list)):
            raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got "
                            f"{type(value)}")
        self.__dict__[name] = value


matmul = cuBLASModule()
