"""Every differentiable primitive, forward and backward side by side, grouped by concept:
``elementwise/``, ``activation/``, ``reduction/``, ``shape/``, ``indexing/``, ``linalg/``,
``sorting/``, ``loss/``, ``nn/``, and ``random.py`` (in-place random fills) and ``inplace.py``
(the machinery every in-place op shares). Importing a module registers its ops (``@export``)."""
import importlib

# Every op module, imported here so that its ops register (no module imports a sibling just to
# register it); in an order where each module's own imports are already loaded.
from .elementwise import unary_core, arithmetic, compare, unary  # noqa: F401,E402
from .elementwise import binary, ternary, logic  # noqa: F401,E402
from .shape import basic, join, views, splits, copy, strided, inplace as _shape_inplace  # noqa
from .indexing import index_key, index_saves, nonzero, copy_slices  # noqa: F401,E402
from .indexing import getitem, setitem, scatter, select, masked  # noqa: F401,E402
from . import inplace, inplace_fill  # noqa: F401,E402
from . import inplace_functions  # noqa: F401,E402 - torch.clamp_, torch.clip_
from .reduction import basic as _reduction, minmax  # noqa: F401,E402
from .linalg import matmul, addmm  # noqa: F401,E402
from . import loss, shape  # noqa: F401,E402 - their lazy families: load_families() below
from . import numpy_ns  # noqa: F401,E402
from . import nn  # noqa: F401,E402 - retrograd/ops/nn/: the nn op families (some lazy)

from ..autograd._record import provide as _provide  # noqa: E402
from .. import _lazy  # noqa: E402
from . import _util  # noqa: E402
from . import _registry  # noqa: E402
from . import functional_families  # noqa: E402

# what autograd (a lower layer) needs from here, handed over instead of imported by it
_provide(numpy_ns=numpy_ns, load_tensor_ns=lambda: importlib.import_module(".tensor_ns", __name__),
         regenerate_views=inplace.regenerate_views,
         bump_version=inplace.bump_version, copy_=inplace_fill.copy_)


# The op families that add Tensor methods and load on first use: the family's module -> its
# methods. Tensor has a stub for each (retrograd/_lazy.py ``MethodStub``), which imports the
# family when first looked up; tests/test_import_lazy.py checks that these are its methods.
METHOD_FAMILIES = {
    "reduction.cumulative": "cummax cummin cumprod cumsum logcumsumexp cumprod_ cumsum_",
    "sorting.sort": "argsort kthvalue median mode msort nanmedian sort topk unique "
                    "unique_consecutive",
    "reduction.stats": "std var",
    "elementwise.erfgamma": "digamma erf erfc erfinv lgamma logit mvlgamma polygamma polygamma_ "
                            "digamma_ erf_ erfc_ erfinv_ lgamma_ logit_ mvlgamma_",
    "linalg.products": "cross kron vdot",
    "linalg.solve": "det inverse logdet slogdet",
    "linalg.triangular": "cholesky cholesky_solve triangular_solve",
    "linalg.decompositions": "qr svd",
    "linalg.matrix_functions": "matrix_exp matrix_power",
    "linalg.pinv_lstsq": "pinverse",
    "linalg.norm": "norm",
    "activation.softmax": "log_softmax logsumexp softmax",   # (and activation.functions)
    "activation.piecewise": "hardshrink prelu",
    "random": "bernoulli_ cauchy_ exponential_ geometric_ log_normal_ normal_ random_ uniform_",
    "nn.rnn": "unsafe_chunk unsafe_split unsafe_split_with_sizes",
}


_FAMILY_OF: dict = {}   # a method name of METHOD_FAMILIES -> its family (made on first use)


def load_family_of(name: str) -> bool:
    """Import the family of ``METHOD_FAMILIES`` with the Tensor method ``name`` (its torch.*
    function mostly shares the name: torch.sort, torch.std, ...); False when none has it."""
    if not _FAMILY_OF:
        for module, names in METHOD_FAMILIES.items():
            _FAMILY_OF.update(dict.fromkeys(names.split(), module))
    module = _FAMILY_OF.get(name)
    if module is not None:
        importlib.import_module("." + module, __name__)
    return module is not None


def load_method_families(*prefixes: str) -> None:
    """Import the ``METHOD_FAMILIES`` whose module starts with one of ``prefixes``:
    ``"linalg."`` for retrograd.linalg, ``"elementwise.", "activation."`` for retrograd.special
    (the only lazy families with names there; tests/test_import_lazy.py checks it)."""
    for module in METHOD_FAMILIES:
        if module.startswith(prefixes):
            importlib.import_module("." + module, __name__)


def load_families() -> None:
    """Import every op family that loads on first use (``METHOD_FAMILIES`` and the ``_LAZY``
    tables of ``nn/``, ``loss/`` and ``shape/``; their ops register): after this the registry's
    tables hold every op (nn.functional loads only the family of a name asked for:
    ``load_functional``)."""
    for module in METHOD_FAMILIES:
        importlib.import_module("." + module, __name__)
    _lazy.resolve(_util.Tensor)   # and Tensor's stubs of them replaced by the methods
    for package in (nn, loss, shape):
        for name in package._LAZY:
            getattr(package, name)


def load_functional(name: str) -> bool:
    """Import the op family that registers the ``nn.functional`` name ``name``
    (``functional_families.FUNCTIONAL_FAMILIES``); False when no family lists it."""
    for module, names in functional_families.FUNCTIONAL_FAMILIES.items():
        if name in names.split():
            importlib.import_module("." + module, __name__)
            return name in _registry.NAMESPACES["nn.functional"]
    return False


_registry.load_families = load_families   # for the registry's functional namespace (on a miss)
_registry.load_functional = load_functional
