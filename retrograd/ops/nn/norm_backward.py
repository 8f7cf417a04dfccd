"""The backward kernels of batch norm and layer norm as ops: what ``create_graph=True`` records.

PyTorch computes the first-order gradients of ``native_batch_norm`` / ``native_layer_norm`` with
one kernel each (``native_batch_norm_backward``, ``native_layer_norm_backward``), and under
``create_graph=True`` that kernel is recorded as one node with three outputs (dx, dweight,
dbias): ``NativeBatchNormBackwardBackward0`` over (grad_out, input, weight, save_mean,
save_invstd), ``NativeLayerNormBackwardBackward0`` over (grad_out, input, mean, rstd, weight,
bias). Every output is connected to all of them, so e.g. the bias gradient of a layer requires
grad as in PyTorch. The first-order nodes (ops/nn/normalization.py) call these on their
create_graph path only; the values come from their own NumPy formula.

The backward of these nodes (PyTorch's ``batchnorm_double_backward`` /
``layer_norm_double_backward``), with xhat = (x - mean) * r over the reduced dims (m elements
each), G = grad_out * w and P(v) = v - mean(v) - xhat * mean(xhat * v) (symmetric), given the
gradients ggx, ggw, ggb of the three outputs (training statistics):

- d/dgrad_out = w * r * P(ggx) + ggw * xhat + ggb
- d/dw = sum(r * P(ggx) * grad_out)
- d/dx = -(r^2/m) (<ggx, P(G)> xhat + <ggx, xhat> P(G)) - r^2 mean(G xhat) P(ggx)
  + r P(ggw * grad_out)

(<a, b> sums over the reduced dims). With the running statistics (batch norm in eval mode) r and
the mean are constants: d/dgrad_out = w r ggx + ggw xhat + ggb, d/dw = sum(r ggx grad_out),
d/dx = r ggw grad_out.

That is the NumPy path. Under ``create_graph=True`` (a third derivative) the formula is
PyTorch's own, op for op (``_batch_norm_double_graph``, ``_layer_norm_double_graph``), so the
graph records PyTorch's nodes: like PyTorch's, it reads the saved mean and invstd (outputs of
the forward that do not require grad) as constants, so a third derivative leaves out their
dependence on the input, exactly as PyTorch's does (its gradgradcheck of the first-order
gradients fails for this reason; the values here are PyTorch's).
"""
from __future__ import annotations

import math

import numpy as np

from ..._dispatch import public
from ...autograd.node import Node
from .._util import record_outputs
from .. import numpy_ns
from ..elementwise.unary import _quiet


def _arr(t):
    return None if t is None else t._data


_record = record_outputs


class _NormBackwardBackward(Node):
    """Shared by the two nodes: one gradient (or None) per output reaches ``backward``."""
    __slots__ = ("num_outputs", "_out_meta")

    def apply(self, ns, grads, as_tensors):
        return self.backward(ns, list(grads), *self.unpack(as_tensors))


# -- the parts every NumPy formula starts from (first-order nodes in normalization.py too) --------
def stats(x, mean, rstd, shape=None):
    """(xhat, r) from the saved statistics (viewed as ``shape``): xhat = (x - mean) * rstd."""
    if shape is not None:
        mean, rstd = mean.reshape(shape), rstd.reshape(shape)
    return (x - mean) * rstd, rstd


def batch_norm_parts(x, rm, rv, mean, invstd, training, eps):
    """(shape, dims, m, xhat, r) of batch norm on arrays: ``shape`` views a per-channel vector
    against x, ``dims`` are the reduced dims (all but 1) of m elements each; the saved batch
    statistics when ``training``, the running ones otherwise (m unused then)."""
    nd = x.ndim
    shape = (1, x.shape[1]) + (1,) * (nd - 2)
    dims = (0,) + tuple(range(2, nd))
    if training:
        xhat, r = stats(x, mean, invstd, shape)
        return shape, dims, x.size // x.shape[1], xhat, r
    with _quiet():   # a negative running variance gives NaN, silently as in PyTorch
        r = 1 / np.sqrt(rv.reshape(shape) + eps)
    return shape, dims, 1, (x - rm.reshape(shape)) * r, r


def layer_norm_parts(x, mean, rstd, normalized_shape):
    """(lead, dims, m, xhat, r) of layer norm on arrays: the leading dims, the normalized dims
    (m elements), and xhat, r from the saved statistics (kept dims)."""
    nd = x.ndim
    k = len(normalized_shape)
    xhat, r = stats(x, mean, rstd)
    return tuple(range(nd - k)), tuple(range(nd - k, nd)), math.prod(normalized_shape), xhat, r


def _add(a, b):
    return b if a is None else a + b


def _double(ns, grads, go, wb, xhat, r, dims, m, train, need_go, need_x, need_w):
    """(d/dgrad_out, d/dx, d/dw before its sum) of <ggx, dx> + <ggw, dw> + <ggb, db> (see the
    module doc); ``wb``, ``ggw``, ``ggb`` broadcast against x (``wb`` None: no weight)."""
    ggx, ggw, ggb = grads

    def P(v):
        return v - ns.sum_dims(v, dims, True) / m - xhat * (ns.sum_dims(xhat * v, dims, True) / m)
    g_go = g_x = g_w = None
    if ggx is not None:
        pggx = P(ggx) if train else ggx
        if need_go:
            g_go = pggx * r if wb is None else pggx * (wb * r)
        if need_w and wb is not None:
            g_w = r * pggx * go
        if need_x and train:
            G = go if wb is None else go * wb
            pG = P(G)
            r2 = r * r
            g_x = -(r2 / m) * (ns.sum_dims(ggx * pG, dims, True) * xhat
                               + ns.sum_dims(ggx * xhat, dims, True) * pG) \
                - r2 * (ns.sum_dims(G * xhat, dims, True) / m) * pggx
    if ggw is not None:
        if need_go:
            g_go = _add(g_go, ggw * xhat)
        if need_x:
            g_x = _add(g_x, r * P(ggw * go) if train else r * (ggw * go))
    if ggb is not None and need_go and wb is not None:   # (PyTorch drops ggb without a weight)
        g_go = ns.expand(ggb, tuple(go.shape)) if g_go is None else g_go + ggb
    return g_go, g_x, g_w


def _tangents(ns, go, wb, xhat, r, dims, train, tgo, tx, twb):
    """The tangents of (dx, dw and db before their sums) along tgo, tx, tw (NumPy)."""
    def mean(v):
        return v.mean(axis=dims, keepdims=True)

    def P(v):
        return v - mean(v) - xhat * mean(xhat * v)
    dG = 0
    if tgo is not None:
        dG = dG + (tgo if wb is None else tgo * wb)
    if twb is not None:
        dG = dG + go * twb
    G = go if wb is None else go * wb
    dxhat = None
    if train:
        dgx = r * P(dG) if np.ndim(dG) else np.zeros_like(xhat)
        if tx is not None:
            dxhat = r * P(tx)
            dr = -r * r * mean(xhat * tx)
            dgx = dgx + dr * P(G) - r * (dxhat * mean(G * xhat) + xhat * mean(G * dxhat))
    else:
        dgx = r * dG if np.ndim(dG) else np.zeros_like(xhat)
        if tx is not None:
            dxhat = r * tx
    dgw = np.zeros_like(xhat)
    if tgo is not None:
        dgw = dgw + tgo * xhat
    if dxhat is not None:
        dgw = dgw + go * dxhat
    dgb = np.zeros_like(xhat) if tgo is None else tgo + np.zeros_like(xhat)
    return dgx, dgw, dgb



def _check_bias_without_weight(grads, w):
    """PyTorch's error where a norm has a bias but no weight and both the input's and the bias's
    gradients get one of their own: its double-backward formulas add the bias's (ggB_expanded,
    set only with a weight) to d/dgrad_out, an undefined tensor there."""
    if w is None and grads[0] is not None and grads[2] is not None:
        raise RuntimeError("Expected a proper Tensor but got None (or an undefined Tensor in "
                           "C++) for argument #1 'other'")

# -- create_graph: PyTorch's double-backward formulas, op for op (the nodes a third derivative
# records are PyTorch's: MulBackward1 for ``M * t`` and ``t.mul_(3. / M)``, DivBackward1 for
# ``t.div_(M)``, the saved statistics constants) -------------------------------------------------
def _ggi_terms(ns, g, ggI, xmu, xmu_s32, s1, s32, m, sum1):
    """The input's gradient from ggI, shared by PyTorch's batchnorm_double_backward (``g`` =
    grad_out, times gamma after) and layer_norm_double_backward (``g`` = grad_out * gamma):
    groups of ``m`` elements, ``sum1`` reducing one group, ``s1``/``s32`` invstd^2/invstd^3."""
    g_mu_sum, g_sum = sum1(g * xmu), sum1(g)
    ggI_sum, ggI_mu_sum = sum1(ggI), sum1(ggI * xmu)
    all_sub = ns.div_scalar(ggI_sum * g_sum, m) - sum1(g * ggI) \
        + ns.mul_scalar(s1 * g_mu_sum * ggI_mu_sum, 3.0 / m)
    t0 = ns.div_scalar(xmu_s32 * all_sub, m)
    t1 = ns.div_scalar(ggI_mu_sum * s32, m) * (ns.div_scalar(g_sum, m) - g)
    t2 = ns.div_scalar(g_mu_sum * s32, m) * (ns.div_scalar(ggI_sum, m) - ggI)
    return t0 + t1 + t2


def _batch_norm_double_graph(ns, node, grads, go, x, rm, rv, invstd, mean, w):
    """(d/dgrad_out, d/dinput, d/dweight) as PyTorch's batchnorm_double_backward builds them:
    gI, gG and ggO over input - mu, the saved invstd (or the running variance's) and its powers."""
    ggI, ggG, ggB = grads
    nd = len(x.shape)
    training = node.train
    M = x.shape[0] * math.prod(x.shape[2:])
    dims = (0,) + tuple(range(2, nd))

    def sum1(t, keepdim=True):   # sum_exclude_dim1
        return ns.sum_dims(t, dims, keepdim)

    def dim1(t):                 # unsqueeze(1) up to nd - 1 dims (expand_as_dim1's first part)
        return ns.unsqueeze_dims(t, range(1, nd - len(t.shape)))

    def unsq1(t):                # unsqueeze_dim1
        t = dim1(t)
        return ns.unsqueeze_dims(t, (0,)) if len(t.shape) == nd - 1 else t
    affine = w is not None
    if affine:
        gamma = ns.expand(dim1(w), tuple(x.shape))
        ggG = None if ggG is None else ns.expand(dim1(ggG), tuple(x.shape))
        ggB = None if ggB is None else ns.expand(dim1(ggB), tuple(x.shape))
    else:
        gamma, ggG, ggB = ns.const_like(x, 1.0), None, None
    xmu = x - unsq1(mean if training else rm)
    s12 = unsq1(invstd if training else ns.pow_scalar(ns.add_scalar(rv, node.eps), -0.5))
    s1 = ns.pow_scalar(s12, 2)
    s32 = ns.pow_scalar(s12, 3)
    xmu_s32 = xmu * s32
    gI = gG = ggO = None
    if node.needs(1):
        if ggI is not None and training:
            gI = gamma * _ggi_terms(ns, go, ggI, xmu, xmu_s32, s1, s32, M, sum1)
        if ggG is not None:
            if training:
                t1 = ns.div_scalar(s12 * sum1(go), -M)
                t2 = ns.div_scalar(xmu_s32 * sum1(go * xmu), -M)
                term = ggG * (go * s12 + t1 + t2)
            else:
                term = ggG * s12 * go
            gI = term if gI is None else gI + term

    def first_back_grad_input(g, gam):
        h0 = ns.div_scalar(gam * s12, M)
        return h0 * (ns.mul_scalar(g, M) - sum1(g) - (xmu * s1) * sum1(g * xmu))
    if node.needs(2) and affine and ggI is not None:
        if training:
            gG = sum1(ggI * first_back_grad_input(go, ns.const_like(x, 1.0)), False)
        else:
            gG = sum1(ggI * go * s12, False)
    if node.needs(0):
        if ggI is not None:
            ggO = first_back_grad_input(ggI, gamma) if training else ggI * s12 * gamma
        if ggG is not None:
            term = ggG * xmu * s12
            ggO = term if ggO is None else ggO + term
        if ggB is not None:
            ggO = ggB if ggO is None else ggO + ggB
    return ggO, gI, gG, None, None


def _layer_norm_double_graph(ns, node, grads, go_t, x_t, mean_t, rstd_t, w):
    """(d/dgrad_out, d/dinput, d/dweight) as PyTorch's layer_norm_double_backward builds them,
    on the input viewed as (M, N) (N: the normalized elements)."""
    ggI, ggG, ggB = grads
    shape = tuple(x_t.shape)
    axis = len(shape) - len(node.normalized_shape)
    M, N = math.prod(shape[:axis]), math.prod(shape[axis:])
    x, go = ns.reshape(x_t, (M, N)), ns.reshape(go_t, (M, N))
    s12 = ns.reshape(rstd_t, (M, 1))
    affine = w is not None
    if affine:
        gamma = ns.reshape(w, (1, N))
        ggG = None if ggG is None else ns.reshape(ggG, (1, N))
        ggB = None if ggB is None else ns.reshape(ggB, (1, N))
    else:
        gamma, ggG, ggB = ns.const_like(x, [1.0]), None, None
    if ggI is not None:
        ggI = ns.reshape(ggI, (M, N))
    xmu = x - ns.reshape(mean_t, (M, 1))
    s1 = ns.pow_scalar(s12, 2)
    s32 = ns.pow_scalar(s12, 3)
    xmu_s32 = xmu * s32

    def sum1(t):
        return ns.sum_dims(t, (1,), True)
    gI = gG = ggO = None
    if node.needs(1):
        if ggI is not None:
            gI = _ggi_terms(ns, go * gamma, ggI, xmu, xmu_s32, s1, s32, N, sum1)
        if ggG is not None:
            t0 = go * ggG * s12
            t1 = ns.div_scalar(s12 * sum1(go * ggG), -N)
            t2 = ns.div_scalar(xmu_s32 * sum1(go * ggG * xmu), -N)
            term = t0 + t1 + t2
            gI = term if gI is None else gI + term
        if gI is not None:
            gI = ns.reshape(gI, shape)

    def first_bwd_fn_grad_input(g, gam):
        h0 = ns.div_scalar(gam * s12, N)
        return h0 * (ns.mul_scalar(g, N) - sum1(g) - (xmu * s1) * sum1(g * xmu))
    if node.needs(4) and affine and ggI is not None:
        gG = first_bwd_fn_grad_input(ggI, ns.const_like(x, 1.0))
        gG = ns.reshape(ns.sum_dims(go * gG, (0,), False), tuple(w.shape))
    if node.needs(0):
        if ggI is not None:
            ggO = first_bwd_fn_grad_input(ggI, gamma)
        if ggG is not None:
            term = ggG * xmu * s12
            ggO = term if ggO is None else ggO + term
        if ggB is not None:
            ggO = ggB if ggO is None else ggO + ggB
        if ggO is not None:
            ggO = ns.reshape(ns.expand(ggO, (M, N)), shape)
    return ggO, gI, None, None, gG, None

# -- batch norm -----------------------------------------------------------------------------------
class NativeBatchNormBackwardBackward0(_NormBackwardBackward):
    """native_batch_norm_backward(grad_out, input, weight, ...) -> (dx, dweight, dbias)."""
    __slots__ = ("train", "eps")
    saved_names = ("grad_out", "input", "running_mean", "running_var", "save_invstd",
                   "save_mean", "weight")   # (PyTorch's order of saving)
    saved_attrs = {"train": "train", "eps": "eps"}

    def backward(self, ns, grads, go, x, rm, rv, invstd, mean, w):
        _check_bias_without_weight(grads, w)
        if not ns.INPLACE:   # create_graph: PyTorch's batchnorm_double_backward, op for op
            return _batch_norm_double_graph(ns, self, grads, go, x, rm, rv, invstd, mean, w)
        shape, dims, m, xhat, r = batch_norm_parts(x, rm, rv, mean, invstd, self.train,
                                                   self.eps)
        ggx, ggw, ggb = grads
        grads = (ggx, None if ggw is None else ns.reshape(ggw, shape),
                 None if ggb is None else ns.reshape(ggb, shape))
        wb = None if w is None else ns.reshape(w, shape)
        g_go, g_x, g_w = _double(ns, grads, go, wb, xhat, r, dims, m, self.train,
                                 self.needs(0), self.needs(1), self.needs(2))
        if g_w is not None:
            g_w = ns.sum_dims(g_w, dims, False)
        return g_go, g_x, g_w, None, None

    def jvp(self, ns, tangents, go, x, rm, rv, invstd, mean, w):
        """The tangent of (dx, dweight, dbias) along (grad_out, input, weight): see
        ``_tangents``."""
        tgo, tx, tw = tangents[:3]
        shape, dims, m, xhat, r = batch_norm_parts(x, rm, rv, mean, invstd, self.train,
                                                   self.eps)
        dgx, dgw, dgb = _tangents(ns, go, None if w is None else w.reshape(shape), xhat, r,
                                  dims, self.train, tgo, tx,
                                  None if tw is None else tw.reshape(shape))
        return dgx, dgw.sum(axis=dims), dgb.sum(axis=dims)


@public(name="native_batch_norm_backward")
def batch_norm_backward(node, grad, input, weight, running_mean, running_var, save_mean,
                        save_invstd):
    """The gradients of NativeBatchNormBackward0 ``node`` (its NumPy formula) as the outputs of
    one NativeBatchNormBackwardBackward0 node."""
    outs = node.backward(numpy_ns, grad._data, input._data, _arr(running_mean),
                         _arr(running_var), _arr(weight), _arr(save_mean), _arr(save_invstd))
    return _record(NativeBatchNormBackwardBackward0,
                   (grad, input, weight, save_mean, save_invstd), outs,
                   (grad, input, running_mean, running_var, save_invstd, save_mean, weight),
                   train=node.training, eps=node.eps)


# -- layer norm -----------------------------------------------------------------------------------
class NativeLayerNormBackwardBackward0(_NormBackwardBackward):
    """native_layer_norm_backward(grad_out, input, normalized_shape, mean, rstd, weight, bias)
    -> (dx, dweight, dbias)."""
    __slots__ = ("normalized_shape", "eps")
    saved_names = ("grad_out", "input", "mean", "rstd", "weight")
    saved_attrs = {"normalized_shape": "normalized_shape"}

    def backward(self, ns, grads, go, x, mean, rstd, w):
        _check_bias_without_weight(grads, w)
        if not ns.INPLACE:   # create_graph: PyTorch's layer_norm_double_backward, op for op
            return _layer_norm_double_graph(ns, self, grads, go, x, mean, rstd, w)
        lead, dims, m, xhat, r = layer_norm_parts(x, mean, rstd, self.normalized_shape)
        g_go, g_x, g_w = _double(ns, grads, go, w, xhat, r, dims, m, True, self.needs(0),
                                 self.needs(1), self.needs(4))
        if g_w is not None:
            g_w = ns.sum_dims(g_w, lead, False)
        return g_go, g_x, None, None, g_w, None

    def jvp(self, ns, tangents, go, x, mean, rstd, w):
        """The tangent of (dx, dweight, dbias) along (grad_out, input, weight): see
        ``_tangents``."""
        tgo, tx, tw = tangents[0], tangents[1], tangents[4]
        lead, dims, m, xhat, r = layer_norm_parts(x, mean, rstd, self.normalized_shape)
        dgx, dgw, dgb = _tangents(ns, go, w, xhat, r, dims, True, tgo, tx, tw)
        return dgx, dgw.sum(axis=lead), dgb.sum(axis=lead)


@public(name="native_layer_norm_backward")
def layer_norm_backward(node, grad, input, bias, weight, mean, rstd):
    """The gradients of NativeLayerNormBackward0 ``node`` (its NumPy formula) as the outputs of
    one NativeLayerNormBackwardBackward0 node."""
    outs = list(node.backward(numpy_ns, grad._data, _arr(bias), input._data, _arr(weight),
                              mean._data, rstd._data))
    lead = tuple(range(input.ndim - len(node.normalized_shape)))
    for k in (1, 2):    # (the first-order formula leaves these sums to the engine)
        if outs[k] is not None:
            outs[k] = np.asarray(outs[k]).sum(axis=lead)
    return _record(NativeLayerNormBackwardBackward0, (grad, input, mean, rstd, weight, bias),
                   outs, (grad, input, mean, rstd, weight),
                   normalized_shape=node.normalized_shape, eps=node.eps)


# -- group norm -----------------------------------------------------------------------------------
def group_norm_backward(ns, node, dy, dmean, drstd, x, gamma, mean, rstd):
    """PyTorch's infinitely_differentiable_native_group_norm_backward: the gradients of group
    norm's (result, mean, rstd) built from ns ops on the saved mean and rstd (outputs of
    NativeGroupNormBackward0 ``node`` itself), what PyTorch runs under create_graph or when the
    statistics get a gradient; s = 1 / (D * HxW) over groups of D = C / G channels:
    dx = a dY + b X + c with a = rstd * gamma, b = (c' mean - b') rstd^3 s, c = -b mean -
    c' rstd s (b', c': sum(ds * gamma), sum(db * gamma) per group, ds = sum(dY X), db = sum(dY)
    per channel), plus var_mean_backward of (dvar = -rstd^3 drstd / 2, dmean) when both
    statistics have a gradient (PyTorch drops the gradient of one alone);
    dgamma = sum((ds - db mean) rstd), dbeta = sum(db) over the batch."""
    n, c, hxw, g = node.N, node.C, node.HxW, node.group
    d = c // g
    s = 1.0 / (d * hxw)
    xt = ns.reshape(x, (n, g, d, hxw))
    mt = ns.reshape(mean, (n, g, 1, 1))
    rt = ns.reshape(rstd, (n, g, 1, 1))
    dx = dgamma = dbeta = ds = db = None
    if dy is not None:
        dyt = ns.reshape(dy, (n, g, d, max(hxw, 1)))
        ds = ns.unsqueeze_inplace(ns.sum_dims(dyt * xt, (3,), False), -1)
        db = ns.unsqueeze_inplace(ns.sum_dims(dyt, (3,), False), -1)
    if node.needs(0):
        gt = None if gamma is None else ns.reshape(gamma, (1, g, d, 1))
        cube = rt * rt * rt
        if dy is not None:
            a = rt if gt is None else rt * gt
            b = ns.unsqueeze_inplace(ns.sum_dims(ds if gt is None else ds * gt, (2,), False), -2)
            cc = ns.unsqueeze_inplace(ns.sum_dims(db if gt is None else db * gt, (2,), False), -2)
            b = ns.mul_scalar((cc * mt - b) * cube, s)
            cc = -b * mt - ns.mul_scalar(cc * rt, s)
            dx = a * dyt + b * xt + cc
        if dmean is not None and drstd is not None:
            # var_mean_backward over (2, 3), added only when both statistics have a gradient
            # (PyTorch 2.13's condition: with one alone, its gradient is dropped)
            m = d * hxw
            dvar = ns.mul_scalar(cube, -0.5) * ns.reshape(drstd, (n, g, 1, 1))
            t = ns.mul_scalar(dvar, 2.0 / m) * (xt - ns.mean_dims(xt, (2, 3), True))
            t = t + ns.div_scalar(ns.expand(ns.reshape(dmean, (n, g, 1, 1)), (n, g, d, hxw)), m)
            dx = _add(dx, t)
        if dx is not None:
            dx = ns.reshape(dx, tuple(x.shape))
    if node.needs(1) and dy is not None:
        dgamma = ns.reshape(ns.sum_dims((ds - db * mt) * rt, (0,), False), (c,))
    if node.needs(2) and dy is not None:
        dbeta = ns.reshape(ns.sum_dims(db, (0,), False), (c,))
    return dx, dgamma, dbeta
