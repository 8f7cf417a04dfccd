"""torch.backends as a CPU build of PyTorch 2.13 shows it: cuDNN and MPS absent, the flags
scripts set (``cudnn.deterministic``, ``cudnn.benchmark``, ``cuda.matmul.allow_tf32``) kept and
type-checked like PyTorch's. None of them changes what retrograd computes (NumPy on the CPU is
deterministic for a given input and thread count)."""
from __future__ import annotations

from . import cuda, cudnn, mps  # noqa: F401
