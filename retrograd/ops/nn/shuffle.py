"""pixel_shuffle, pixel_unshuffle and channel_shuffle: rearrangements (a reshape, a permute, a
reshape), each recorded as PyTorch's own node; the backward is the inverse rearrangement of the
gradient (``ns.pixel_unshuffle`` etc.: the op itself under create_graph, as in PyTorch)."""
from __future__ import annotations

import numpy as np

from ...autograd.node import LINEAR, Node
from .._registry import export
from ...autograd._record import record1


def _pixel_shuffle_ns(ns, x, r):
    lead, (c, h, w) = tuple(x.shape[:-3]), tuple(x.shape[-3:])
    n = len(lead)
    y = ns.reshape(x, lead + (c // (r * r), r, r, h, w))
    y = ns.permute(y, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return ns.reshape(y, lead + (c // (r * r), h * r, w * r))


def _pixel_unshuffle_ns(ns, x, r):
    lead, (c, h, w) = tuple(x.shape[:-3]), tuple(x.shape[-3:])
    n = len(lead)
    y = ns.reshape(x, lead + (c, h // r, r, w // r, r))
    y = ns.permute(y, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return ns.reshape(y, lead + (c * r * r, h // r, w // r))


class _NumpyNs:
    reshape = staticmethod(np.reshape)
    permute = staticmethod(np.transpose)


_NP = _NumpyNs()


class PixelShuffleBackward0(Node):
    """A rearrangement: the gradient is rearranged back (pixel_unshuffle)."""
    __slots__ = ("upscale_factor",)
    saved_attrs = {"upscale_factor": "upscale_factor"}
    jvp = LINEAR

    def backward(self, ns, grad):
        return (ns.pixel_unshuffle(grad, self.upscale_factor),)


class PixelUnshuffleBackward0(Node):
    """A rearrangement: the gradient is rearranged back (pixel_shuffle)."""
    __slots__ = ("downscale_factor",)
    saved_attrs = {"downscale_factor": "downscale_factor"}
    jvp = LINEAR

    def backward(self, ns, grad):
        return (ns.pixel_shuffle(grad, self.downscale_factor),)


def _check(input, factor, op: str, what: str) -> None:
    if input.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {factor}")


@export(torch=True, functional=True)
def pixel_shuffle(input, upscale_factor):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    _check(input, r, "pixel_shuffle", "upscale_factor")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    out = np.ascontiguousarray(_pixel_shuffle_ns(_NP, input._data, r))
    return record1(PixelShuffleBackward0, input, out, upscale_factor=r)


@export(torch=True, functional=True)
def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = int(downscale_factor)
    _check(input, r, "pixel_unshuffle", "downscale_factor")
    h, w = input.shape[-2:]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    out = np.ascontiguousarray(_pixel_unshuffle_ns(_NP, input._data, r))
    return record1(PixelUnshuffleBackward0, input, out, downscale_factor=r)


def _channel_shuffle_ns(ns, x, g):
    shape = tuple(x.shape)
    n, c, rest = shape[0], shape[1], shape[2:]
    y = ns.reshape(x, (n, g, c // g) + rest)
    y = ns.permute(y, (0, 2, 1) + tuple(range(3, 3 + len(rest))))
    return ns.reshape(y, shape)


class ChannelShuffleBackward0(Node):
    """A permutation of the channels: the gradient goes back through the inverse one."""
    __slots__ = ("groups",)
    saved_attrs = {"groups": "groups"}
    jvp = LINEAR

    def backward(self, ns, grad):
        return (ns.channel_shuffle(grad, grad.shape[1] // self.groups),)


@export(torch=True, functional=True)
def channel_shuffle(input, groups):
    """(N, g*k, *) -> (N, k*g, *): channel j*g + i of the result is channel i*k + j."""
    g = int(groups)
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if g <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    c = input.shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and "
                           f"{g} groups.")
    out = np.ascontiguousarray(_channel_shuffle_ns(_NP, input._data, g))
    return record1(ChannelShuffleBackward0, input, out, groups=g)
