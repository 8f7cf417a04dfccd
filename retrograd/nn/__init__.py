"""retrograd.nn: Module and its containers, Parameter/Buffer, layers, and nn.functional."""
from . import functional  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules._hooks import (register_module_buffer_registration_hook,  # noqa: F401
                             register_module_forward_hook, register_module_forward_pre_hook,
                             register_module_full_backward_hook,
                             register_module_full_backward_pre_hook,
                             register_module_module_registration_hook,
                             register_module_parameter_registration_hook)
from . import init  # noqa: F401
from . import utils  # noqa: F401,E402 - nn.utils (clip_grad, parametrize, prune, ...)
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401,E402
