"""F.local_response_norm: PyTorch 2.13's composite (square, zero-pad along channels, average
pool over ``size`` channels, (k + alpha * avg) ** beta, divide).

3-D inputs take PyTorch's avg_pool2d chain, 4-D and more its avg_pool3d chain on the
(N, 1, C, H, rest) view: the same nodes as PyTorch's graph."""
from __future__ import annotations

from .._registry import export
from .._registry import functional as F

__all__ = ["local_response_norm"]


@export(torch=False, functional=True, composite=True)
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalise each channel by its neighbours' squares (across ``size`` channels)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = F.pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = F.avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = F.pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = F.avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div
