"""``autograd.backward`` (and ``Tensor.backward``) and ``autograd.grad``: the checks and root
gradients PyTorch's front end makes before the engine runs the graph. Public through
``retrograd.autograd``; what ``grad`` needs from vmap (``retrograd.func``, a layer above) is
handed over by ``func`` when it is imported (``_BATCHED``; ``func`` loads on first use, and
``"load"``, set by ``retrograd.autograd``, imports it)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, attach
from .engine import GradientEdge, run_backward
from .node import edge_meta
from .._dtype import from_numpy_dtype


# Set by retrograd.func (vmap) when it is imported: "cotangents" runs autograd.grad inside vmap
# with a batch of cotangents, "grads" runs autograd.grad(is_grads_batched=True). Until then no
# vmap can be running; "load" (set by retrograd.autograd) imports func for is_grads_batched.
_BATCHED = {"cotangents": None, "grads": None, "load": None}


def _tensor_tuple(x, name: str) -> tuple:
    if isinstance(x, (Tensor, GradientEdge)):
        return (x,)
    if x is None:
        return ()
    return tuple(x)


def _make_grads(outputs, grads, create_graph: bool) -> list:
    """Root gradients, checked like torch's ``_make_grads``: implicit ones only for one-element
    outputs, explicit ones must match the output's shape."""
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if isinstance(o, GradientEdge):
            out.append(_edge_root_grad(o, g, create_graph))
            continue
        if isinstance(g, Tensor):
            if g._data.shape != o._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                    f"has a shape of {o.shape}.")
            if g._data.dtype != o._data.dtype:
                g = g.to(o.dtype)
            out.append(g if create_graph else g._data)
        elif g is None:
            if o._requires_grad:
                if o._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if o._data.dtype.kind != "f":
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {o.dtype}")
                ones = np.ones(o._data.shape, o._data.dtype)
                out.append(Tensor._make(ones) if create_graph else ones)
            else:
                out.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return out


def _edge_meta(e: GradientEdge):
    """(shape, numpy dtype) of the gradient that flows along an edge."""
    return edge_meta(e.node, e.output_nr)


def _edge_root_grad(e: GradientEdge, g, create_graph: bool):
    """The root gradient of an output given as a GradientEdge."""
    shape, dtype = _edge_meta(e)
    if g is None:
        if int(np.prod(shape)) != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        ones = np.ones(shape, dtype)
        return Tensor._make(ones) if create_graph else ones
    if not isinstance(g, Tensor):
        raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    if g._data.dtype != dtype:
        g = g.to(_from_np(dtype))
    return g if create_graph else g._data


def _from_np(dtype):
    return from_numpy_dtype(dtype)


def _check_flag(value, default):
    """retain_graph reaches PyTorch's C++ engine as a bool: None means create_graph's value,
    other non-integers are refused with the binding's TypeError."""
    if value is None:
        return default
    if not isinstance(value, (bool, int, np.integer, np.bool_)):
        raise TypeError(f"'{type(value).__name__}' object cannot be interpreted as an integer")
    return bool(value)


def _check_inputs(inputs) -> None:
    for t in inputs:
        if not isinstance(t, (Tensor, GradientEdge)):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got "
                               f"{type(t).__name__}")


def _check_roots(outputs) -> None:
    for i, o in enumerate(outputs):
        if isinstance(o, GradientEdge):
            continue
        if not isinstance(o, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(o).__name__}")
        if not o._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the ``.grad``
    of the graph's leaves (or only of ``inputs``)."""
    tensors = _tensor_tuple(tensors, "tensors")
    if grad_tensors is None and grad_variables is not None:
        grad_tensors = grad_variables
    grads = _tensor_tuple(grad_tensors, "grad_tensors") if grad_tensors is not None else \
        (None,) * len(tensors)
    if inputs is not None:
        inputs = _tensor_tuple(inputs, "inputs")
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        _check_inputs(inputs)
        for t in inputs:
            if isinstance(t, Tensor) and t.grad_fn is not None:
                t.retain_grad()  # PyTorch: a non-leaf input gets its .grad (and retains_grad)
    root_grads = _make_grads(tensors, grads, create_graph)  # checks types first, like torch
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")
    _check_roots(tensors)
    for t in inputs or ():  # the engine retains each input's grad: a leaf must require one
        if isinstance(t, Tensor) and not t._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    retain_graph = _check_flag(retain_graph, create_graph)
    run_backward(tensors, root_grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (see autograd.backward)."""
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


attach(_tensor_backward, "backward")  # Tensor.backward, defined here with autograd.backward


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` untouched)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tensor_tuple(outputs, "outputs")
    inputs = _tensor_tuple(inputs, "inputs")
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    _check_inputs(inputs)
    grads = _tensor_tuple(grad_outputs, "grad_outputs") if grad_outputs is not None else \
        (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    if grad_outputs is not None and _BATCHED["cotangents"] is not None:
        # inside vmap: a batch of cotangents (the Jacobian recipe)
        batched = _BATCHED["cotangents"](outputs, inputs, grads, retain_graph, create_graph,
                                         allow_unused, materialize_grads)
        if batched is not None:
            return batched
    if is_grads_batched:   # a batch of cotangents along dim 0 of each grad_output
        if _BATCHED["grads"] is None:
            _BATCHED["load"]()
        return _BATCHED["grads"](outputs, inputs, grads, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if materialize_grads and any(isinstance(t, GradientEdge) for t in inputs):
        raise RuntimeError("materialize_grads cannot be used when the given input is a "
                           "GradientEdge")
    root_grads = _make_grads(outputs, grads, create_graph)
    _check_roots(outputs)  # torch checks the roots before the inputs
    for t in inputs:
        if isinstance(t, GradientEdge):
            continue
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    retain_graph = _check_flag(retain_graph, create_graph)
    captured = run_backward(outputs, root_grads, retain_graph, create_graph, inputs=inputs,
                            accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        edge = isinstance(t, GradientEdge)
        if g is None:
            if materialize_grads:
                result.append(Tensor._make(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        elif create_graph:
            result.append(g)
        else:
            dtype = _edge_meta(t)[1] if edge else t._data.dtype
            result.append(Tensor._make(np.array(g, dtype=dtype)))
    return tuple(result)
