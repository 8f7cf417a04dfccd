"""Every differentiable primitive, forward and backward side by side, grouped by concept:
``elementwise/``, ``activation/``, ``reduction/``, ``shape/``, ``indexing/``, ``linalg/``,
``sorting/``, ``loss/``, ``nn/``, and ``random.py`` (in-place random fills) and ``inplace.py``
(the machinery every in-place op shares). Importing a module registers its ops (``@export``)."""
# Every op module, imported here so that its ops register (no module imports a sibling just to
# register it); in an order where each module's own imports are already loaded.
from .elementwise import unary_core, arithmetic, compare, unary, erfgamma  # noqa: F401,E402
from .elementwise import binary, ternary, logic  # noqa: F401,E402
from .shape import basic, join, views, splits, copy, einsum, strided, inplace as _shape_inplace  # noqa
from .indexing import index_key, index_saves, nonzero, copy_slices  # noqa: F401,E402
from .indexing import getitem, setitem, scatter, select, masked  # noqa: F401,E402
from . import inplace, inplace_fill  # noqa: F401,E402
from . import inplace_functions  # noqa: F401,E402 - torch.clamp_, torch.clip_
from .reduction import basic as _reduction, minmax, cumulative, stats  # noqa: F401,E402
from .linalg import matmul, addmm, products, norm  # noqa: F401,E402
from .linalg import _common, solve, triangular, matrix_functions  # noqa: F401,E402
from .linalg import decompositions, pinv_lstsq  # noqa: F401,E402
from .activation import functions, softmax, piecewise  # noqa: F401,E402
from .sorting import sort  # noqa: F401,E402
from . import loss, shape  # noqa: F401,E402 - their lazy families: load_families() below
from . import numpy_ns, tensor_ns  # noqa: F401,E402
from . import random  # noqa: F401,E402 - uniform_, normal_, ... (in-place random fills)
from . import nn  # noqa: F401,E402 - retrograd/ops/nn/: the nn op families (some lazy)

from ..autograd._record import provide as _provide  # noqa: E402
from . import _registry  # noqa: E402

# what autograd (a lower layer) needs from here, handed over instead of imported by it
_provide(numpy_ns=numpy_ns, tensor_ns=tensor_ns, regenerate_views=inplace.regenerate_views,
         bump_version=inplace.bump_version, copy_=inplace_fill.copy_)


def load_families() -> None:
    """Import every op family that loads on first use (the ``_LAZY`` tables of ``nn/``,
    ``loss/`` and ``shape/``; their ops register): after this the registry's tables hold every
    op."""
    for package in (nn, loss, shape):
        for name in package._LAZY:
            getattr(package, name)


_registry.load_families = load_families   # for the registry's functional namespace (on a miss)
