"""nn op families (one module per family), registered with @export on import."""
from . import rnn  # noqa: F401 - unsafe_split/unsafe_chunk, mkldnn_rnn_layer (fused LSTM layer)
