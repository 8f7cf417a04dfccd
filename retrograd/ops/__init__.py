"""Every differentiable primitive, forward and backward side by side, one module per family."""
from . import indexing, inplace, linalg, pointwise, reduction, shape  # noqa: F401
# Families added for the operator-coverage issue; each registers its ops with @export.
from . import activation, elementwise, scatter, sorting, decomposition, views  # noqa: F401
from . import nn_linear  # noqa: F401 - F.linear (composite)
from . import numpy_ns, tensor_ns  # noqa: F401
from . import random  # noqa: F401 - uniform_, normal_, ... (in-place random fills)
from . import nn  # noqa: F401 - retrograd/ops/nn: the nn op families
