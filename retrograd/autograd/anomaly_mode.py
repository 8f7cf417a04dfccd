"""Anomaly mode: the forward traceback of a failing backward node, and NaN checks.

With anomaly mode on, every node records the Python stack that created it
(``node.metadata["traceback_"]``, and ``"parent_"``: the node whose backward created it under
``create_graph``); when a node fails during backward, the engine warns with that traceback
("Error detected in MulBackward0. Traceback of forward call that caused the error: ..."), and
with ``check_nan`` a node that returns NaN raises ``Function 'MulBackward0' returned nan values
in its 0th output.``. The switch is global (not per thread), as in PyTorch. While it is off, node
creation reads one module flag and the engine's loop is unchanged.
"""
from __future__ import annotations

import warnings

from . import node as _node

__all__ = ["detect_anomaly", "set_detect_anomaly"]


def is_anomaly_enabled() -> bool:
    """``torch.is_anomaly_enabled``."""
    return _node._anomaly_enabled


def is_anomaly_check_nan_enabled() -> bool:
    """``torch.is_anomaly_check_nan_enabled``."""
    return _node._anomaly_check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """``torch.set_anomaly_enabled``: switch anomaly mode (and its NaN check)."""
    _node._anomaly_enabled = bool(enabled)
    _node._anomaly_check_nan = bool(check_nan)
    _node._stamp_nodes = _node._anomaly_enabled or _node._provenance_enabled


class detect_anomaly:
    """Context manager that enables anomaly detection (warns that it slows everything down)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Set anomaly detection on or off: at once when called, restored at the end of a ``with``."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)
