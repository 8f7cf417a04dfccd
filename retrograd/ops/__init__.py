"""Every differentiable primitive, forward and backward side by side, one module per family."""
from . import indexing, inplace, linalg, pointwise, reduction, shape  # noqa: F401
from . import numpy_ns, tensor_ns  # noqa: F401
