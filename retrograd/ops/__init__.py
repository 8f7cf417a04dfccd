"""Every differentiable primitive, forward and backward side by side, grouped by concept:
``elementwise/``, ``activation/``, ``reduction/``, ``shape/``, ``indexing/``, ``linalg/``,
``sorting/``, ``loss/``, ``nn/``, and ``random.py`` (in-place random fills) and ``inplace.py``
(the machinery every in-place op shares). Importing a module registers its ops (``@export``)."""
from .indexing import getitem  # noqa: F401
from . import inplace  # noqa: F401
from .linalg import matmul  # noqa: F401
from .elementwise import arithmetic  # noqa: F401
from .reduction import basic  # noqa: F401
from .shape import basic  # noqa: F401,F811
from .activation import functions  # noqa: F401
from .elementwise import unary  # noqa: F401
from .indexing import scatter  # noqa: F401
from .sorting import sort  # noqa: F401
from .linalg import solve  # noqa: F401
from .shape import strided  # noqa: F401
from .nn import linear  # noqa: F401 - F.linear (composite)
from .loss import regression  # noqa: F401 - the loss functions of torch.nn.functional
from . import numpy_ns, tensor_ns  # noqa: F401
from . import random  # noqa: F401 - uniform_, normal_, ... (in-place random fills)
from . import nn  # noqa: F401 - retrograd/ops/nn/: the nn op families
from .shape import inplace as _shape_inplace  # noqa: F401 - Tensor.transpose_/t_

from ..autograd._record import provide as _provide  # noqa: E402

# what autograd (a lower layer) needs from here, handed over instead of imported by it
_provide(numpy_ns=numpy_ns, tensor_ns=tensor_ns, regenerate_views=inplace.regenerate_views,
         bump_version=inplace.bump_version, copy_=inplace.copy_)
