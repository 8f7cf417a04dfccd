"""Custom autograd Functions: ``class MyFn(autograd.Function)`` with static ``forward`` and
``backward``, used as ``MyFn.apply(...)``.

As in PyTorch, the ``ctx`` that ``forward`` (or ``setup_context``) receives *is* the backward node:
an instance of ``MyFnBackward``, a ``Node`` subclass the metaclass makes for each Function. The
node's edges lead to the tensor arguments; ``backward`` is run by the engine with Tensors (NumPy
gradients are wrapped for it), under grad mode when ``create_graph=True``, so a ``backward``
written with differentiable ops supports double backward.

What ``apply`` does, in PyTorch's order: bind default arguments (``setup_context`` style), run
``forward`` under ``no_grad``, call ``setup_context``, then give each output its history
(``_wrap_outputs``: dirty inputs, non-differentiable outputs, inputs returned as they are), then
save what ``save_for_backward`` received (inputs and intermediates as they are, outputs without
a reference cycle), with version checks at unpack time.
"""
from __future__ import annotations

import inspect
import itertools
import warnings

import numpy as np

from .. import _grad_mode
from .._tensor import Tensor
from ._record import OPS, edge, wrap_view
from .node import ERR_BACKWARD_TWICE, _RELEASED, Node, SavedOutput, _EmptySaved
from ._once_differentiable import Error, _delayed_error, once_differentiable  # noqa: F401
from .. import _dispatch

__all__ = ["FunctionCtx", "BackwardCFunction", "FunctionMeta", "Function", "once_differentiable",
           "InplaceFunction"]

AUTOGRAD_FUNCTION_COUNTER = itertools.count()

# PyTorch's CreationMeta::IN_CUSTOM_FUNCTION for views a custom Function returns (the value the
# view machinery in ops/_util.py reserves for it; see ops/inplace.py's rebase messages).
_VIEW_IN_CUSTOM_FUNCTION = 4

_LEAF_DIRTY = "a leaf Variable that requires grad has been used in an in-place operation."
_DIRTY_NOT_RETURNED = (
    "Some elements marked as dirty during the forward method were not returned as output. The "
    "inputs that are modified inplace must all be outputs of the Function.")
_DIRTY_NOT_INPUT = (
    "ctx.mark_dirty() received a tensor that was not an input. Only input Tensors that have been "
    "mutated should be passed to ctx.mark_dirty().")


class FunctionCtx:
    """What ``ctx`` offers in ``forward``/``setup_context``: record what backward needs."""

    def save_for_backward(self, *tensors) -> None:
        """Save tensors (or None) for ``backward``; read them back with ``ctx.saved_tensors``."""
        self.to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        for tensor in tensors:
            if not (isinstance(tensor, Tensor) or tensor is None):
                raise AssertionError("save_for_forward expects all arguments to be tensors; you "
                                     "should save non-tensors as attributes on ctx.")
        self.saved_for_forward = tensors

    def mark_dirty(self, *args) -> None:
        """Declare input tensors that ``forward`` modified in place (they must be returned)."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args) -> None:
        """Declare outputs that get no gradient (backward still receives zeros for them)."""
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        """Whether undefined output gradients reach backward as zeros (True) or None."""
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The backward node of a custom Function (and its ``ctx``). Not instantiated directly."""

    # ctx state, defaults (instances set their own in __dict__)
    to_save = None
    dirty_tensors = None
    non_differentiable = None
    saved_for_forward = None
    materialize_grads = True
    needs_input_grad = ()
    _out_meta = ()
    _output_nrs_kept = None
    _run_without_grads = True   # the engine calls backward even when no gradient arrived

    def __call__(self, *args, **kwargs):
        # PyTorch's Python-defined nodes are not callable (grad_fn.apply(...) is).
        raise TypeError(f"'{type(self).__name__}' object is not callable")

    def __repr__(self) -> str:
        return f"<torch.autograd.function.{type(self).__name__} object at {id(self):#x}>"

    def _get_user_fn(self):
        fwd = self._forward_cls
        backward_fn, vjp_fn = fwd.backward, fwd.vjp
        if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                               "not allowed. You should only implement one of them.")
        return vjp_fn if vjp_fn is not Function.vjp else backward_fn

    # -- saved tensors -------------------------------------------------------------------------
    @property
    def saved_tensors(self) -> tuple:
        if self.__dict__.get("_in_jvp"):   # inside jvp: what save_for_forward saved
            return tuple(self.saved_for_forward or ())
        saved = self._saved
        if saved is None:
            return ()
        if saved is _RELEASED:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        out = self.unpack(True)
        nrs = self._output_nrs_kept
        if nrs:
            for i, nr in nrs.items():
                out[i]._extra().out_nr = nr
        return out

    @property
    def saved_variables(self) -> tuple:
        warnings.warn("'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning,
                      stacklevel=2)
        return self.saved_tensors

    # -- the engine's entry point (and PyTorch's public ``grad_fn.apply(*grads)``) --------------
    def apply(self, *args):
        if len(args) == 3 and type(args[2]) is bool and _is_namespace(args[0]):
            return self._engine_apply(*args)
        user_fn = self._get_user_fn()
        if getattr(self._forward_cls, "boxed_grads_call", False):
            args = (list(args),)
        return user_fn(self, *args)

    def apply_jvp(self, *args):
        """Forward-mode AD: the Function's ``jvp(ctx, *tangents)``."""
        return self._forward_cls.jvp(self, *args)

    def _engine_apply(self, ns, grads, as_tensors: bool) -> tuple:
        user_fn = self._get_user_fn()
        meta = self._out_meta
        materialize = self.materialize_grads
        args = []
        for i, g in enumerate(grads):
            if g is None:
                m = meta[i] if i < len(meta) else None
                if materialize and m is not None:
                    g = Tensor._make(np.zeros(m[0], m[1]))
            elif not as_tensors:
                g = Tensor._make(np.asarray(g))
            args.append(g)
        if getattr(self._forward_cls, "boxed_grads_call", False):
            res = user_fn(self, args)
        else:
            res = user_fn(self, *args)
        return self._check_gradients(res, as_tensors)

    def _check_gradients(self, res, as_tensors: bool) -> tuple:
        """PyTorch's checks of what backward returned: one gradient (or None) per forward
        argument, Tensors only where the argument was a Tensor."""
        if not isinstance(res, tuple):
            res = (res,)
        is_tensor = self._is_tensor_input
        n_in = len(is_tensor)
        if len(res) > n_in and all(r is None for r in res[n_in:]):
            res = res[:n_in]
        if len(res) != n_in:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(res)})")
        out = []
        for i, r in enumerate(res):
            if not is_tensor[i]:
                if r is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        "Variable")
                continue
            if r is None:
                out.append(None)
            elif not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {_typename(r)})")
            else:
                out.append(r if as_tensors else r._data)
        return tuple(out)


def _is_namespace(obj) -> bool:
    # (the engine reads tensor_ns through OPS, which loads it on first use: _tensor_ns is set then)
    return obj is OPS.numpy_ns or (obj is not None and obj is OPS._tensor_ns)


def _typename(obj) -> str:
    """Python's tp_name, as PyTorch prints it: 'float', 'list', 'numpy.ndarray'."""
    t = type(obj)
    if t.__flags__ & (1 << 9) or t.__module__ == "builtins":   # heap type, or a builtin
        return t.__name__
    return f"{t.__module__}.{t.__qualname__}"


class FunctionMeta(type):
    """Gives each Function class its backward node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        backward_fn = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        backward_fn._autograd_function_id = next(AUTOGRAD_FUNCTION_COUNTER)
        cls._backward_cls = backward_fn
        super().__init__(name, bases, attrs)


class _SingleLevelFunction(FunctionCtx, metaclass=FunctionMeta):
    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")


class Function(_SingleLevelFunction):
    """Base class of custom autograd Functions: subclass it, write static ``forward`` and
    ``backward``, call ``apply``."""

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.",
            DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    generate_vmap_rule = False

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override "
                                  "the vmap staticmethod or set generate_vmap_rule=True.")

    @classmethod
    def apply(cls, *args, **kwargs):
        setup_ctx = _is_setup_context_defined(cls.setup_context)
        if setup_ctx:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        if kwargs:
            args = _keywords_as_inputs(cls.forward, args, kwargs, skip_ctx=not setup_ctx)
        return _apply(cls, setup_ctx, args, {})


def _keywords_as_inputs(forward, args: tuple, kwargs: dict, skip_ctx: bool) -> tuple:
    """PyTorch passes keyword arguments to ``forward`` as the positional inputs they name (they
    count in needs_input_grad and in the gradients backward returns); defaults are not filled in
    for the parameters before them."""
    params = list(inspect.signature(forward).parameters.values())
    if skip_ctx:
        params = params[1:]
    names = [p.name for p in params
             if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                           inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for k in kwargs:
        if k not in names:
            raise TypeError(f"forward() got an unexpected keyword argument '{k}'")
        if names.index(k) < len(args):
            raise TypeError(f"forward() got multiple values for argument '{k}'")
    out = list(args)
    last = max(names.index(k) for k in kwargs)
    for i in range(len(args), last + 1):
        if names[i] not in kwargs:
            raise TypeError(f"forward() missing required argument: '{names[i]}' (position {i})")
        out.append(kwargs[names[i]])
    return tuple(out)


def _is_setup_context_defined(fn) -> bool:
    return fn != _SingleLevelFunction.setup_context


class InplaceFunction(Function):
    """Kept for backward compatibility, as in PyTorch."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


# -- apply -----------------------------------------------------------------------------------------
def _apply(cls, setup_ctx: bool, args: tuple, kwargs: dict):
    is_tensor = tuple(isinstance(a, Tensor) for a in args)
    needs = tuple(t and a._requires_grad for t, a in zip(is_tensor, args))
    executable = _grad_mode.is_grad_enabled() and any(needs)
    edges = tuple(edge(a) for t, a in zip(is_tensor, args) if t) if executable else ()
    bcls = cls._backward_cls
    ctx = bcls.__new__(bcls)
    Node.__init__(ctx, edges, None, None)
    ctx.needs_input_grad = needs
    ctx._is_tensor_input = is_tensor
    tangents = _input_tangents(args, is_tensor)
    if tangents is None:
        with _grad_mode.no_grad():
            outputs = _run_forward(cls, ctx, setup_ctx, args, kwargs)
        return _wrap_outputs(ctx, args, outputs, executable)
    # forward AD: the Function's outputs get their tangents from its jvp, not from the ops its
    # forward is made of (which run without computing tangents)
    from . import forward_ad   # (loaded already: a level is open)
    with forward_ad._suspend():
        with _grad_mode.no_grad():
            outputs = _run_forward(cls, ctx, setup_ctx, args, kwargs)
    result = _wrap_outputs(ctx, args, outputs, executable)
    forward_ad._custom_function_jvp(ctx, result, tangents)
    return result


def _run_forward(cls, ctx, setup_ctx: bool, args: tuple, kwargs: dict):
    if setup_ctx:
        outputs = cls.forward(*args, **kwargs)
        cls.setup_context(ctx, args, outputs)
        return outputs
    return cls.forward(ctx, *args, **kwargs)


def _input_tangents(args: tuple, is_tensor: tuple):
    """The inputs' tangents (None for non-dual inputs) when a forward AD level is open and one
    of them is dual, else None."""
    hooks = _dispatch.forward_hooks()
    if hooks is None or not any(is_tensor):
        return None
    tangent_of = hooks[0]
    ts = tuple(tangent_of(a) if t else None for t, a in zip(is_tensor, args))
    return ts if any(t is not None for t in ts) else None


def _wrap_outputs(ctx, args: tuple, outputs, executable: bool):
    is_tuple = isinstance(outputs, tuple)
    outs = outputs if is_tuple else (outputs,)
    inputs = {id(a): a for a in args if isinstance(a, Tensor)}
    dirty = set()
    for i, t in enumerate(ctx.dirty_tensors or ()):
        if not isinstance(t, Tensor):
            # (sic: PyTorch 2.13's message stops there)
            raise RuntimeError("mark_dirty can only accept variables, but argument ")
        if id(t) not in dirty:
            dirty.add(id(t))
            t._vc[0] += 1          # PyTorch bumps every dirty tensor's version first
    non_diff = set()
    for i, t in enumerate(ctx.non_differentiable or ()):
        if not isinstance(t, Tensor):
            # (sic: PyTorch 2.13's message stops there)
            raise RuntimeError("mark_non_differentiable only accepts variable arguments, but got ")
        non_diff.add(id(t))
    out_ids = {id(o) for o in outs if isinstance(o, Tensor)}
    if dirty:
        if any(d not in out_ids for d in dirty):
            raise RuntimeError(_DIRTY_NOT_RETURNED)
        if any(d not in inputs for d in dirty):
            warnings.warn(_DIRTY_NOT_INPUT, UserWarning, stacklevel=3)
    ctx.num_outputs = len(outs)
    meta, result = [], []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            meta.append(None)
            result.append(o)
            continue
        is_input = id(o) in inputs
        is_dirty = id(o) in dirty
        differentiable = id(o) not in non_diff and o._data.dtype.kind in "fc"
        if is_dirty:
            if executable and differentiable:
                _rebase_dirty(o, ctx, i)
            _regenerate_views(o)
        elif is_input:
            o = _alias_of_input(o, ctx, i, executable, differentiable)
        elif executable and differentiable:
            _set_history(o, ctx, i)
        meta.append((o._data.shape, o._data.dtype))
        result.append(o)
    ctx._out_meta = tuple(meta)
    if len(outs) == 1 and meta[0] is not None:
        ctx._shape, ctx._dtype = meta[0]
    if executable:
        _save_variables(ctx)
    ctx.to_save = None
    return tuple(result) if is_tuple else result[0]


def _set_history(t: Tensor, ctx, i: int) -> None:
    x = t._x
    if x is not None:
        if x.base is not None:           # a view made in forward: may not be modified in place
            x.view_meta = _VIEW_IN_CUSTOM_FUNCTION
            x.via_base = False
        if x.retains_grad:
            _move_retain(t, t.grad_fn, ctx, i)
    t._grad_fn = ctx
    t._requires_grad = True
    if i or x is not None:
        t._extra().out_nr = i


def _alias_of_input(t: Tensor, ctx, i: int, executable: bool, differentiable: bool) -> Tensor:
    """An input returned as it is: a new Tensor object on the same storage, as PyTorch makes it
    (a view with this node as grad_fn; without history when there is none to record)."""
    if executable and differentiable:
        out = wrap_view(t._data, ctx, t)
        out._x.view_meta = _VIEW_IN_CUSTOM_FUNCTION
        out._x.out_nr = i
        return out
    if not executable and _grad_mode.is_grad_enabled():
        return wrap_view(t._data, None, t)
    return Tensor._make(t._data, None, False, t._vc)


def _rebase_dirty(t: Tensor, ctx, i: int) -> None:
    """An input modified in place by forward (mark_dirty): its history becomes this node."""
    if t.grad_fn is None and t._requires_grad:
        x = t._x
        if x is None or x.base is None:
            raise RuntimeError(_LEAF_DIRTY)
    x = t._x
    if x is not None and x.base is not None and (t._requires_grad or x.base._requires_grad):
        raise NotImplementedError(
            "retrograd: ctx.mark_dirty() on a view of a tensor that requires grad is not "
            "supported (PyTorch records it on the view's base with CopySlices); clone the view "
            "first")
    _set_history(t, ctx, i)


def _regenerate_views(t: Tensor) -> None:
    x = t._x
    if x is not None and (x.base is not None or x.views):
        OPS.regenerate_views(x.base if x.base is not None else t)


def _move_retain(t: Tensor, old, new, i: int) -> None:
    import weakref
    if old is not None and old._x is not None and old._x.retain_refs:
        old._x.retain_refs = [(r, n) for r, n in old._x.retain_refs if r() is not t]
    nx = new._extra()
    if nx.retain_refs is None:
        nx.retain_refs = []
    nx.retain_refs.append((weakref.ref(t), i))


def _save_variables(ctx) -> None:
    to_save = ctx.to_save
    if to_save is None:
        ctx._saved = _EmptySaved()
        ctx._versions = ()
        return
    items, nrs = [], {}
    for i, t in enumerate(to_save):
        if t is None:
            items.append(None)
        elif not isinstance(t, Tensor):
            raise TypeError(f"save_for_backward can only save variables, but argument {i} is of "
                            f"type {type(t).__name__}")
        elif t.grad_fn is ctx:
            items.append(SavedOutput(t))
            nr = 0 if t._x is None else t._x.out_nr
            if nr:
                nrs[i] = nr
        else:
            items.append(t)
    if items:
        ctx.save(*items)
    else:
        ctx._saved = _EmptySaved()
        ctx._versions = ()
    ctx._output_nrs_kept = nrs or None
