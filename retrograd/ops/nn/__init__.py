"""The torch.nn.functional op families (one module each)."""
from . import normalization  # noqa: F401 - batch/layer/group/instance/rms norm
from . import dropout  # noqa: F401 - the dropout family
from . import embedding  # noqa: F401 - embedding lookups
from . import embedding_bag  # noqa: F401 - bags of embeddings
