"""Op-table rows of the pooling and padding backward kernels as ops: the first-order gradient
taken with create_graph=True, a function of the input and of the incoming gradient. PyTorch
records it as one node over (grad_output, self) (``MaxPool2DWithIndicesBackwardBackward0``,
``AvgPool2DBackwardBackward0``, ``ReflectionPad2DBackwardBackward0``, ...: ops/nn/_linmap.py
``_KernelBackward``), linear in the gradient and of zero derivative in the input, which it is
connected to all the same."""
from __future__ import annotations

from op_db import OpInfo


def _F(T):
    return T.nn.functional


def _kernel(op):
    """The gradient of ``op(x)`` for the incoming gradient ``v``, with its graph."""
    return lambda T, x, v: T.autograd.grad(op(T, x), x, v, create_graph=True)[0]


def _row(name, op, x_shape, out_shape, node, **kw):
    return OpInfo(name, _kernel(op), [x_shape, out_shape], node, gradgrad=False, **kw)


ROWS: list[OpInfo] = [
    _row("max_pool2d_backward", lambda T, x: _F(T).max_pool2d(x, 2, 1), (1, 2, 4, 5),
         (1, 2, 3, 4), "MaxPool2DWithIndicesBackwardBackward0"),
    _row("max_pool3d_backward", lambda T, x: _F(T).max_pool3d(x, 2, 1, 1), (1, 2, 3, 2, 3),
         (1, 2, 4, 3, 4), "MaxPool3DWithIndicesBackwardBackward0"),
    _row("avg_pool2d_backward", lambda T, x: _F(T).avg_pool2d(
        x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 5, 6), (2, 3, 4),
        "AvgPool2DBackwardBackward0"),
    _row("avg_pool3d_backward", lambda T, x: _F(T).avg_pool3d(x, (2, 3, 2), 1, (1, 1, 0),
                                                              divisor_override=5),
         (1, 2, 3, 4, 3), (1, 2, 4, 4, 2), "AvgPool3DBackwardBackward0"),
    _row("adaptive_avg_pool2d_backward", lambda T, x: _F(T).adaptive_avg_pool2d(x, (3, 2)),
         (1, 2, 5, 4), (1, 2, 3, 2), "AdaptiveAvgPool2DBackwardBackward0"),
    _row("adaptive_avg_pool3d_backward", lambda T, x: _F(T).adaptive_avg_pool3d(x, (2, 3, 2)),
         (2, 3, 5, 4), (2, 2, 3, 2), "AdaptiveAvgPool3DBackwardBackward0"),
    _row("adaptive_max_pool2d_backward", lambda T, x: _F(T).adaptive_max_pool2d(x, (3, 2)),
         (2, 2, 5, 5), (2, 2, 3, 2), "AdaptiveMaxPool2DBackwardBackward0"),
    _row("adaptive_max_pool3d_backward", lambda T, x: _F(T).adaptive_max_pool3d(x, 2),
         (1, 2, 3, 4, 3), (1, 2, 2, 2, 2), "AdaptiveMaxPool3DBackwardBackward0"),
    _row("reflection_pad1d_backward", lambda T, x: _F(T).pad(x, (2, 1), "reflect"), (2, 3, 4),
         (2, 3, 7), "ReflectionPad1DBackwardBackward0"),
    _row("reflection_pad2d_backward", lambda T, x: _F(T).pad(x, (1, 2, 2, -1), "reflect"),
         (2, 3, 4), (2, 4, 7), "ReflectionPad2DBackwardBackward0"),
    _row("reflection_pad3d_backward", lambda T, x: _F(T).pad(x, (1, 1, 1, 0, 0, 1), "reflect"),
         (1, 2, 3, 4), (1, 3, 4, 6), "ReflectionPad3DBackwardBackward0"),
    _row("replication_pad1d_backward", lambda T, x: _F(T).pad(x, (2, 3), "replicate"), (3, 4),
         (3, 9), "ReplicationPad1DBackwardBackward0"),
    _row("replication_pad2d_backward", lambda T, x: _F(T).pad(x, (1, 0, 2, 1), "replicate"),
         (2, 3, 4), (2, 6, 5), "ReplicationPad2DBackwardBackward0"),
    _row("replication_pad3d_backward", lambda T, x: _F(T).pad(x, (0, 1, 1, 1, 1, 0),
                                                              "replicate"),
         (1, 2, 3, 4), (1, 3, 5, 5), "ReplicationPad3DBackwardBackward0"),
]
