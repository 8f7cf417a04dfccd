"""Op-table rows of the normalization ops (F.batch_norm, layer_norm, group_norm, instance_norm,
rms_norm): gradcheck, gradgradcheck, forward mode, saved values and the comparison with torch.
Running statistics are made inside each call, so that every call starts from the same ones."""
from __future__ import annotations

from op_db import OpInfo

TOL = dict(cmp_atol=1e-5, cmp_rtol=1e-4)  # float32 statistics: summation order differs


def _rs(T, x, c):
    """Running statistics (mean, var) of ``c`` channels in x's dtype."""
    return (T.arange(c, dtype=x.dtype) * 0.1 - 0.1, T.arange(c, dtype=x.dtype) * 0.5 + 0.5)


def _bn(T, x, *wb, training=True, stats=True):
    rm, rv = _rs(T, x, x.shape[1]) if stats else (None, None)
    return T.nn.functional.batch_norm(x, rm, rv, *wb, training=training)


def _in(T, x, *wb, use_input_stats=True, stats=False):
    rm, rv = _rs(T, x, x.shape[1]) if stats else (None, None)
    return T.nn.functional.instance_norm(x, rm, rv, *wb, use_input_stats=use_input_stats)


ROWS: list[OpInfo] = [
    OpInfo("batch_norm_train", lambda T, x, w, b: _bn(T, x, w, b), [(4, 3, 2), (3,), (3,)],
           "NativeBatchNormBackward0", **TOL),
    OpInfo("batch_norm_train_2d_no_stats", lambda T, x, w, b: _bn(T, x, w, b, stats=False),
           [(5, 3), (3,), (3,)], "NativeBatchNormBackward0", **TOL),
    OpInfo("batch_norm_train_no_affine", lambda T, x: _bn(T, x), [(3, 2, 2, 2)],
           "NativeBatchNormBackward0", **TOL),
    OpInfo("batch_norm_eval", lambda T, x, w, b: _bn(T, x, w, b, training=False),
           [(2, 3, 2, 2), (3,), (3,)], "NativeBatchNormBackward0", **TOL),
    OpInfo("batch_norm_eval_no_affine", lambda T, x: _bn(T, x, training=False), [(2, 3, 4)],
           "NativeBatchNormBackward0", **TOL),
    OpInfo("layer_norm", lambda T, x, w, b: T.nn.functional.layer_norm(x, (4,), w, b),
           [(2, 3, 4), (4,), (4,)], "NativeLayerNormBackward0", **TOL),
    OpInfo("layer_norm_2d_no_affine", lambda T, x: T.nn.functional.layer_norm(x, [3, 4], eps=1e-3),
           [(2, 3, 4)], "NativeLayerNormBackward0", **TOL),
    OpInfo("layer_norm_weight_only", lambda T, x, w: T.nn.functional.layer_norm(x, (5,), w),
           [(3, 5), (5,)], "NativeLayerNormBackward0", **TOL),
    OpInfo("group_norm", lambda T, x, w, b: T.nn.functional.group_norm(x, 2, w, b),
           [(2, 4, 3), (4,), (4,)], "NativeGroupNormBackward0", **TOL),
    OpInfo("group_norm_4d_no_affine", lambda T, x: T.nn.functional.group_norm(x, 1, eps=1e-3),
           [(2, 2, 2, 2)], "NativeGroupNormBackward0", **TOL),
    OpInfo("instance_norm", lambda T, x, w, b: _in(T, x, w, b), [(2, 3, 4), (3,), (3,)],
           "ViewBackward0", extra_nodes=("NativeBatchNormBackward0", "RepeatBackward0"), **TOL),
    OpInfo("instance_norm_running_stats", lambda T, x: _in(T, x, stats=True), [(2, 2, 2, 2)],
           "ViewBackward0", extra_nodes=("NativeBatchNormBackward0",), **TOL),
    OpInfo("instance_norm_eval", lambda T, x, w, b: _in(T, x, w, b, use_input_stats=False,
                                                       stats=True),
           [(2, 3, 3), (3,), (3,)], "ViewBackward0",
           extra_nodes=("NativeBatchNormBackward0", "RepeatBackward0"), **TOL),
    OpInfo("rms_norm", lambda T, x, w: T.nn.functional.rms_norm(x, (4,), w), [(2, 3, 4), (4,)],
           "MulBackward0", extra_nodes=("RsqrtBackward0", "AddBackward1", "MeanBackward1",
                                        "PowBackward0"), **TOL),
    OpInfo("rms_norm_2d_eps", lambda T, x: T.nn.functional.rms_norm(x, [3, 4], eps=1e-3),
           [(2, 3, 4)], "MulBackward0", extra_nodes=("RsqrtBackward0",), **TOL),
    # the first-order gradients taken with create_graph=True: PyTorch's backward kernels as one
    # node with three outputs (NativeBatchNormBackwardBackward0, NativeLayerNormBackwardBackward0)
    OpInfo("batch_norm_backward",
           lambda T, x, w, b, v: T.autograd.grad(_bn(T, x, w, b), (x, w, b), v,
                                                 create_graph=True),
           [(4, 3, 2), (3,), (3,), (4, 3, 2)], "NativeBatchNormBackwardBackward0",
           gradgrad=False, **TOL),
    OpInfo("batch_norm_backward_no_affine",
           lambda T, x, v: T.autograd.grad(_bn(T, x, stats=False), x, v, create_graph=True)[0],
           [(3, 2, 2, 2), (3, 2, 2, 2)], "NativeBatchNormBackwardBackward0", gradgrad=False,
           **TOL),
    OpInfo("batch_norm_backward_eval",
           lambda T, x, w, b, v: T.autograd.grad(_bn(T, x, w, b, training=False), (x, w, b), v,
                                                 create_graph=True),
           [(2, 3, 2), (3,), (3,), (2, 3, 2)], "NativeBatchNormBackwardBackward0",
           gradgrad=False, **TOL),
    OpInfo("layer_norm_backward",
           lambda T, x, w, b, v: T.autograd.grad(T.nn.functional.layer_norm(x, (4,), w, b),
                                                 (x, w, b), v, create_graph=True),
           [(2, 3, 4), (4,), (4,), (2, 3, 4)], "NativeLayerNormBackwardBackward0",
           gradgrad=False, **TOL),
    OpInfo("layer_norm_backward_2d_no_affine",
           lambda T, x, v: T.autograd.grad(T.nn.functional.layer_norm(x, [3, 2], eps=1e-3), x,
                                           v, create_graph=True)[0],
           [(2, 3, 2), (2, 3, 2)], "NativeLayerNormBackwardBackward0", gradgrad=False, **TOL),
    # the torch.* entry points (ATen's signatures)
    OpInfo("torch_batch_norm", lambda T, x, w, b: T.batch_norm(x, w, b, *_rs(T, x, 3), True, 0.1,
                                                             1e-5, False),
           [(4, 3), (3,), (3,)], "NativeBatchNormBackward0", **TOL),
    OpInfo("torch_layer_norm", lambda T, x, w: T.layer_norm(x, [4], w, None, 1e-5, True),
           [(2, 4), (4,)], "NativeLayerNormBackward0", **TOL),
    OpInfo("torch_group_norm", lambda T, x: T.group_norm(x, 2, None, None, 1e-5, True),
           [(2, 4, 2)], "NativeGroupNormBackward0", **TOL),
    OpInfo("torch_instance_norm", lambda T, x: T.instance_norm(x, None, None, None, None, True,
                                                             0.1, 1e-5, False),
           [(2, 2, 3)], "ViewBackward0", extra_nodes=("NativeBatchNormBackward0",), **TOL),
    OpInfo("torch_rms_norm", lambda T, x, w: T.rms_norm(x, [3], w), [(2, 3), (3,)],
           "MulBackward0", **TOL),
]
