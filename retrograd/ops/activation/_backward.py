"""The backward of the piecewise-linear activations as ops of their own, for ``create_graph``:
``ThresholdBackwardBackward0`` (relu, threshold), ``LeakyReluBackwardBackward0``,
``HardtanhBackwardBackward0`` (hardtanh, relu6), ``HardshrinkBackwardBackward0``,
``SoftshrinkBackwardBackward0``. Part of ``activation``.

PyTorch computes these gradients with a dedicated kernel (``threshold_backward(grad, self, t)``)
whose derivative with respect to ``self`` is zero but recorded: the first-order gradient of
``relu(x)`` taken with ``create_graph=True`` requires grad and is connected to ``x``, so a second
``autograd.grad`` with respect to ``x`` gives zeros instead of raising. Written with ``where``,
the mask would cut that edge. The formula namespaces expose ``ns.masked_backward``: NumPy
computes the values; the Tensor namespace records the node below.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._util import Tensor, make_node, needs_grad, wrap
from .. import numpy_ns


def _attrs(*names):
    return {n: (lambda node, n=n: node.attrs[n]) for n in names}


class _MaskedBackward(Node):
    """grad where ``keep`` holds, grad * slope elsewhere: linear in grad, of zero derivative in
    the saved input (which it is connected to, and saves, as in PyTorch)."""
    __slots__ = ("keep", "slope", "attrs")
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        g = ns.masked_backward(type(self).__name__, grad, x, ns.const(self.keep), self.slope,
                               **self.attrs)
        return (g if self.needs(0) else None,
                ns.zeros_like(grad) if self.needs(1) else None)


class ThresholdBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("threshold")


class LeakyReluBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("negative_slope")


class HardtanhBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("min_val", "max_val")


class HardshrinkBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("lambd")


class SoftshrinkBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("lambd")


_CLASSES = {c.__name__: c for c in (ThresholdBackwardBackward0, LeakyReluBackwardBackward0,
                                    HardtanhBackwardBackward0, HardshrinkBackwardBackward0,
                                    SoftshrinkBackwardBackward0)}


def masked_backward(name: str, grad: Tensor, saved: Tensor, keep, slope: float = 0.0,
                    **attrs) -> Tensor:
    """``where(keep, grad, grad * slope)`` recorded as PyTorch's ``name`` node over
    (grad, saved); ``attrs`` are the op's parameters PyTorch's node keeps (``_saved_<name>``)."""
    k = keep._data if isinstance(keep, Tensor) else np.asarray(keep)
    g = grad._data
    out = np.asarray(numpy_ns.masked_backward(name, g, None, k, slope), dtype=g.dtype)
    if not needs_grad(grad, saved):
        return wrap(out)
    node = make_node(_CLASSES[name], (grad, saved), out)
    node.keep, node.slope, node.attrs = k, slope, attrs
    node.save(saved)
    return wrap(out, node)
