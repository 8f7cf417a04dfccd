"""The formula namespace on the fast path: backward formulas run on NumPy arrays.

Same function names and meanings as ``tensor_ns``; formulas call ``ns.<name>`` and operators
only, so one formula serves both first-order (here) and differentiable (Tensor) backward.
"""
from __future__ import annotations

import numpy as np

from .indexing import np_index_acc

cos = np.cos
sin = np.sin
log = np.log
sign = np.sign
matmul = np.matmul
flip = np.flip


def where(cond, a, b):
    return np.where(cond, a, b)


def expand(x, shape):
    return np.broadcast_to(x, shape)


def reshape(x, shape):
    return np.reshape(x, shape)


def transpose(x, d0, d1):
    return np.swapaxes(x, d0, d1)


def permute(x, dims):
    return np.transpose(x, dims)


def unsqueeze_dims(x, dims):
    return np.expand_dims(x, dims)


def squeeze_dim(x, d):
    return np.squeeze(x, axis=d)


def count(mask):
    return np.count_nonzero(mask)


def const(a):
    return a


def index_acc(shape, index, values):
    return np_index_acc(shape, index, np.asarray(values))


def index_fill_zero(grad, index):
    out = np.array(grad)
    out[index] = 0
    return out


def zeros_like(x):
    return np.zeros_like(x)


def zeros(shape, dtype):
    return np.zeros(shape, dtype)


def stack(arrays, dim):
    return np.stack(arrays, axis=dim)
