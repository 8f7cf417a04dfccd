"""The Tensor: a NumPy array plus what autograd needs (grad_fn, requires_grad, grad, version).

What lives here is the autograd state and its rules, with PyTorch's errors and warnings. This
module imports no layer above it: the methods defined by higher layers are attached by them with
``attach`` -- operators and op methods by ``_tensor_methods.py`` (the public namespace),
``backward`` by ``autograd``, ``_grad_accumulator`` by ``autograd._record``, ``__new__`` (the
legacy constructor) by ``_legacy.py``, ``__dlpack__`` by ``_interop.py``, ``__deepcopy__`` and
``__reduce_ex__`` by ``serialization/_copy.py``.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dispatch
from . import _dtype as D
from ._device import CPU
from ._size import Size, wrap_dim
from ._hooks import RemovableHandle
from ._tensor_str import format_tensor
from ._size import format_shape
from ._grad_mode import _inference

__all__ = ["Tensor"]

_new = object.__new__

_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information.")


class _Extra:
    """Rarely used per-tensor state, kept out of the hot constructor."""

    __slots__ = ("hooks", "post_acc_hooks", "acc", "retains_grad", "base", "out_nr",
                 "detached", "inference", "views", "view_meta", "via_base", "gen",
                 "views_lazy",
                 "buffer")  # buffer: set only by nn.Buffer (its persistent flag), else unset

    def __init__(self):
        self.detached = False
        self.inference = False
        self.hooks = None
        self.post_acc_hooks = None
        self.acc = None
        self.retains_grad = False
        self.base = None          # a view: the root tensor whose storage it shares
        self.out_nr = 0
        self.views = None         # a root: weak references to its live views (ops/_util.wrap_view)
        self.view_meta = 0        # a view: how it was created (ops/_util.VIEW_*), PyTorch's CreationMeta
        self.via_base = False     # a view made without grad: requires grad only through its base
        # A root: how many times its storage changed in place while its views take part in
        # autograd (ops/inplace.regenerate_views); a view: the root's count its grad_fn is up to
        # date with. A view's grad_fn is regenerated when read after a change (as PyTorch does),
        # so an in-place op costs O(1) however many views of the storage are alive.
        self.gen = 0
        self.views_lazy = True    # a root: every live view requires grad (else regenerate now)


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    # _fw: forward AD's (level, tangent) of a dual tensor, or None (autograd/_dual.py)
    __slots__ = ("_data", "_grad_fn", "_requires_grad", "_grad", "_vc", "_x", "_fw",
                 "__weakref__")
    # NumPy interop as in torch: binary operators with NumPy scalars/arrays defer to our
    # reflected operators (np.float64(2) * t), and ufuncs (np.sin(t)) run on the shared array
    # (__array__) and come back as tensors (__array_wrap__).
    __array_priority__ = 1000

    @staticmethod
    def _make(data: np.ndarray, grad_fn=None, requires_grad: bool = False, vc=None) -> "Tensor":
        t = _new(Tensor)
        t._data = data
        t._grad_fn = grad_fn
        t._requires_grad = requires_grad
        t._grad = None
        t._vc = [0] if vc is None else vc
        t._x = None
        t._fw = None
        return t

    # -- extra state --------------------------------------------------------------------------
    def _extra(self) -> _Extra:
        x = self._x
        if x is None:
            x = self._x = _Extra()
        return x

    @property
    def _hooks(self):
        return None if self._x is None else self._x.hooks

    @property
    def _post_acc_hooks(self):
        return None if self._x is None else self._x.post_acc_hooks

    # -- autograd attributes --------------------------------------------------------------------
    @property
    def grad_fn(self):
        """The node that produced this tensor (None for leaves). A view whose storage changed in
        place since its grad_fn was made gets a regenerated one here (PyTorch's lazy
        regeneration: ops/inplace.refresh_view)."""
        x = self._x
        if x is not None and x.base is not None and x.gen != x.base._x.gen:
            self._refresh_view()      # (attached by ops/inplace.py, the layer that owns it)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node) -> None:   # (internal: PyTorch's grad_fn is read-only)
        self._grad_fn = node

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        if not isinstance(value, bool):
            raise RuntimeError("requires_grad must be a bool")
        self._check_inference_requires_grad(value)
        if self.grad_fn is not None:
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (" If you want to use a computed variable in a subgraph that doesn't "
                        "require differentiation use var_no_grad = var.detach().")
            raise RuntimeError(msg)
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = value

    def _check_inference_requires_grad(self, value: bool) -> None:
        if value and self._x is not None and self._x.inference:
            if not _inference.get():
                raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                                   "InferenceMode is not allowed.")

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        self._check_inference_requires_grad(requires_grad)
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is (0 for leaves)."""
        x = self._x
        return 0 if x is None else x.out_nr

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if (self.grad_fn is not None and self._grad is None
                and not (self._x is not None and self._x.retains_grad)):
            warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value is self:
                raise RuntimeError("can't assign Variable as its own grad")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{D.CPP_NAMES[value.dtype.name]}' to a "
                    f"tensor with grad_dtype '{_legacy_scalar_name(self.dtype)}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match.")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{_list(value._data.shape)}' to a "
                    f"tensor of size '{_list(self._data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def data(self) -> "Tensor":
        # Shares storage, detached, with its own version counter: changes through .data are
        # invisible to autograd (PyTorch's documented pitfall).
        return Tensor._make(self._data)

    @data.deleter
    def data(self) -> None:
        raise RuntimeError("Deleting tensor data is not allowed. Delete tensor instead!")

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data

    @property
    def retains_grad(self) -> bool:
        return self._x is not None and self._x.retains_grad

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.retains_grad:
            return
        nx = self.grad_fn._extra()
        if nx.retain_refs is None:
            nx.retain_refs = []
        nx.retain_refs.append((weakref.ref(self), self._x.out_nr if self._x else 0))
        self._extra().retains_grad = True

    def register_hook(self, hook):
        """hook(grad) -> Tensor or None, called with the gradient of this tensor."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            nx = self.grad_fn._extra()
            if nx.pre_hooks is None:
                nx.pre_hooks = {}
            wrapper = _TensorHook(hook, self._x.out_nr if self._x else 0)
            return RemovableHandle(nx.pre_hooks, wrapper)
        x = self._extra()
        if x.hooks is None:
            x.hooks = {}
        return RemovableHandle(x.hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor), called after the gradient was accumulated into ``.grad`` of a leaf."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        x = self._extra()
        if x.post_acc_hooks is None:
            x.post_acc_hooks = {}
        return RemovableHandle(x.post_acc_hooks, hook)

    def detach(self) -> "Tensor":
        # Shares storage and the version counter with self (in-place changes are seen by both).
        return Tensor._make(self._data, None, False, self._vc)

    def detach_(self) -> "Tensor":
        if self._x is not None and self._x.base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self._grad_fn = None
        self._requires_grad = False
        self._extra().detached = True
        return self

    def is_inference(self) -> bool:
        return self._x is not None and self._x.inference

    # -- metadata -----------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> D.dtype:
        return D._NP_TO_DTYPE[self._data.dtype]

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "torch.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def _base(self):
        return None if self._x is None else self._x.base

    def _is_view(self) -> bool:
        return self._base is not None

    # -- conversion to Python / NumPy ----------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        # np.asarray(t) shares memory (like t.numpy()); requires-grad tensors refuse, as in torch.
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if dtype is None:
            return self._data if not copy else self._data.copy()
        return self._data.astype(dtype, copy=bool(copy))

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)  # what torch does (its comment: "no built-in bool")
        return Tensor._make(array)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            if self._data.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element) -> bool:
        return bool((self == element).any())

    def __repr__(self, *, tensor_contents=None) -> str:
        if self.grad_fn is not None:
            suffixes = [f"grad_fn=<{type(self.grad_fn).__name__}>"]
        elif self._requires_grad:
            suffixes = ["requires_grad=True"]
        else:
            suffixes = []
        hooks = _dispatch.forward_hooks()
        if hooks is not None:  # a dual tensor prints its tangent (forward AD)
            tangent = hooks[0](self)
            if tangent is not None:
                suffixes.append(f"tangent={tangent}")
        return format_tensor(self._data, D._NP_TO_DTYPE[self._data.dtype].name, suffixes=suffixes)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)


def attach(fn, name: str | None = None):
    """Make ``fn`` the Tensor method ``name`` (default: its own name); for the layers above
    Tensor that define some of its methods. Returns ``fn``."""
    name = name or fn.__name__
    fn.__name__, fn.__qualname__ = name, "Tensor." + name
    setattr(Tensor, name, staticmethod(fn) if name == "__new__" else fn)
    return fn


class _TensorHook:
    """A tensor hook stored as a pre-hook of the tensor's grad_fn (PyTorch does the same)."""

    __slots__ = ("fn", "out_nr")
    _tensor_hook = True

    def __init__(self, fn, out_nr: int = 0):
        self.fn = fn
        self.out_nr = out_nr

    def __call__(self, grad):
        return self.fn(grad)


def _legacy_scalar_name(dt) -> str:
    return dt._legacy[:-len("Tensor")]


_list = format_shape  # the one shape formatter, in _size.py
