"""The nn modules (re-exports only). Every class loads on first use (``_LAZY``, see
``retrograd/_lazy.py``): ``nn.Linear``, ``nn.modules.Linear``, ``from retrograd.nn import Linear``
and ``import retrograd.nn.modules.linear`` import its file then, so that ``import retrograd.nn``
costs no layer a script does not use. A class stays defined in its file (``__module__``,
``__qualname__`` and pickling unchanged); ``nn.modules.linear`` is the submodule, as before.
"""
from __future__ import annotations

import importlib

from ... import _lazy

# name -> "file:Name" (the class), or the submodule's own name; loaded on first use
_LAZY = {
    "Module": "module:Module",
    "Sequential": "container:Sequential", "ModuleList": "container:ModuleList",
    "ModuleDict": "container:ModuleDict", "ParameterList": "container:ParameterList",
    "ParameterDict": "container:ParameterDict",
    "Identity": "linear:Identity", "Linear": "linear:Linear",
    "Flatten": "flatten:Flatten", "Unflatten": "flatten:Unflatten",
    "CELU": "activation:CELU", "ELU": "activation:ELU", "GELU": "activation:GELU",
    "GLU": "activation:GLU", "SELU": "activation:SELU", "Hardshrink": "activation:Hardshrink",
    "Hardsigmoid": "activation:Hardsigmoid", "Hardswish": "activation:Hardswish",
    "Hardtanh": "activation:Hardtanh", "LeakyReLU": "activation:LeakyReLU",
    "LogSigmoid": "activation:LogSigmoid", "LogSoftmax": "activation:LogSoftmax",
    "Mish": "activation:Mish", "PReLU": "activation:PReLU", "ReLU": "activation:ReLU",
    "ReLU6": "activation:ReLU6", "RReLU": "activation:RReLU", "SiLU": "activation:SiLU",
    "Sigmoid": "activation:Sigmoid", "Softmax": "activation:Softmax",
    "Softmax2d": "activation:Softmax2d", "Softmin": "activation:Softmin",
    "Softplus": "activation:Softplus", "Softshrink": "activation:Softshrink",
    "Softsign": "activation:Softsign", "Tanh": "activation:Tanh",
    "Tanhshrink": "activation:Tanhshrink", "Threshold": "activation:Threshold",
    "L1Loss": "loss:L1Loss", "MSELoss": "loss:MSELoss",
    "CrossEntropyLoss": "loss:CrossEntropyLoss", "NLLLoss": "loss:NLLLoss",
    "BCELoss": "loss:BCELoss", "BCEWithLogitsLoss": "loss:BCEWithLogitsLoss",
    "HuberLoss": "loss:HuberLoss", "SmoothL1Loss": "loss:SmoothL1Loss",
    "KLDivLoss": "loss:KLDivLoss", "PoissonNLLLoss": "loss:PoissonNLLLoss",
    "GaussianNLLLoss": "loss:GaussianNLLLoss",
    "CosineEmbeddingLoss": "loss:CosineEmbeddingLoss",
    "MarginRankingLoss": "loss:MarginRankingLoss",
    "HingeEmbeddingLoss": "loss:HingeEmbeddingLoss", "MultiMarginLoss": "loss:MultiMarginLoss",
    "MultiLabelMarginLoss": "loss:MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss": "loss:MultiLabelSoftMarginLoss",
    "SoftMarginLoss": "loss:SoftMarginLoss", "TripletMarginLoss": "loss:TripletMarginLoss",
    "TripletMarginWithDistanceLoss": "loss:TripletMarginWithDistanceLoss",
    "CTCLoss": "loss:CTCLoss",
    "MaxPool1d": "pooling:MaxPool1d", "MaxPool2d": "pooling:MaxPool2d",
    "MaxUnpool2d": "pooling:MaxUnpool2d", "AvgPool1d": "pooling:AvgPool1d",
    "AvgPool2d": "pooling:AvgPool2d", "LPPool1d": "pooling:LPPool1d",
    "LPPool2d": "pooling:LPPool2d", "AdaptiveMaxPool1d": "pooling:AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d": "pooling:AdaptiveMaxPool2d",
    "AdaptiveAvgPool1d": "pooling:AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d": "pooling:AdaptiveAvgPool2d",
    "Upsample": "upsampling:Upsample", "UpsamplingNearest2d": "upsampling:UpsamplingNearest2d",
    "UpsamplingBilinear2d": "upsampling:UpsamplingBilinear2d",
    "PixelShuffle": "upsampling:PixelShuffle", "PixelUnshuffle": "upsampling:PixelUnshuffle",
    "ChannelShuffle": "upsampling:ChannelShuffle",
    "Conv1d": "conv:Conv1d", "Conv2d": "conv:Conv2d", "Conv3d": "conv:Conv3d",
    "ConvTranspose1d": "conv:ConvTranspose1d", "ConvTranspose2d": "conv:ConvTranspose2d",
    "ConvTranspose3d": "conv:ConvTranspose3d",
    "Fold": "fold:Fold", "Unfold": "fold:Unfold",
    "CircularPad1d": "padding:CircularPad1d", "CircularPad2d": "padding:CircularPad2d",
    "CircularPad3d": "padding:CircularPad3d", "ConstantPad1d": "padding:ConstantPad1d",
    "ConstantPad2d": "padding:ConstantPad2d", "ConstantPad3d": "padding:ConstantPad3d",
    "ReflectionPad1d": "padding:ReflectionPad1d", "ReflectionPad2d": "padding:ReflectionPad2d",
    "ReflectionPad3d": "padding:ReflectionPad3d",
    "ReplicationPad1d": "padding:ReplicationPad1d",
    "ReplicationPad2d": "padding:ReplicationPad2d",
    "ReplicationPad3d": "padding:ReplicationPad3d", "ZeroPad1d": "padding:ZeroPad1d",
    "ZeroPad2d": "padding:ZeroPad2d", "ZeroPad3d": "padding:ZeroPad3d",
    "Bilinear": "bilinear:Bilinear",
    "CosineSimilarity": "distance:CosineSimilarity",
    "PairwiseDistance": "distance:PairwiseDistance",
    "RNNBase": "rnn:RNNBase", "RNN": "rnn:RNN", "LSTM": "rnn:LSTM", "GRU": "rnn:GRU",
    "RNNCellBase": "rnn:RNNCellBase", "RNNCell": "rnn:RNNCell", "LSTMCell": "rnn:LSTMCell",
    "GRUCell": "rnn:GRUCell",
    "BatchNorm1d": "batchnorm:BatchNorm1d", "BatchNorm2d": "batchnorm:BatchNorm2d",
    "BatchNorm3d": "batchnorm:BatchNorm3d",
    "InstanceNorm1d": "instancenorm:InstanceNorm1d",
    "InstanceNorm2d": "instancenorm:InstanceNorm2d",
    "InstanceNorm3d": "instancenorm:InstanceNorm3d",
    "GroupNorm": "normalization:GroupNorm", "LayerNorm": "normalization:LayerNorm",
    "RMSNorm": "normalization:RMSNorm", "LocalResponseNorm": "normalization:LocalResponseNorm",
    "AlphaDropout": "dropout:AlphaDropout", "Dropout": "dropout:Dropout",
    "Dropout1d": "dropout:Dropout1d", "Dropout2d": "dropout:Dropout2d",
    "Dropout3d": "dropout:Dropout3d", "FeatureAlphaDropout": "dropout:FeatureAlphaDropout",
    "Embedding": "sparse:Embedding", "EmbeddingBag": "sparse:EmbeddingBag",
    "MultiheadAttention": "attention:MultiheadAttention",
    "Transformer": "transformer:Transformer",
    "TransformerDecoder": "transformer:TransformerDecoder",
    "TransformerDecoderLayer": "transformer:TransformerDecoderLayer",
    "TransformerEncoder": "transformer:TransformerEncoder",
    "TransformerEncoderLayer": "transformer:TransformerEncoderLayer",
    "MaxPool3d": "pooling3d:MaxPool3d", "AvgPool3d": "pooling3d:AvgPool3d",
    "AdaptiveMaxPool3d": "pooling3d:AdaptiveMaxPool3d",
    "AdaptiveAvgPool3d": "pooling3d:AdaptiveAvgPool3d", "LPPool3d": "pooling3d:LPPool3d",
    "MaxUnpool1d": "pooling3d:MaxUnpool1d", "MaxUnpool3d": "pooling3d:MaxUnpool3d",
    "LazyLinear": "lazy:LazyLinear", "LazyConv1d": "lazy:LazyConv1d",
    "LazyConv2d": "lazy:LazyConv2d", "LazyConv3d": "lazy:LazyConv3d",
    "LazyConvTranspose1d": "lazy:LazyConvTranspose1d",
    "LazyConvTranspose2d": "lazy:LazyConvTranspose2d",
    "LazyConvTranspose3d": "lazy:LazyConvTranspose3d",
    "LazyBatchNorm1d": "lazy:LazyBatchNorm1d", "LazyBatchNorm2d": "lazy:LazyBatchNorm2d",
    "LazyBatchNorm3d": "lazy:LazyBatchNorm3d", "LazyInstanceNorm1d": "lazy:LazyInstanceNorm1d",
    "LazyInstanceNorm2d": "lazy:LazyInstanceNorm2d",
    "LazyInstanceNorm3d": "lazy:LazyInstanceNorm3d",
    # the submodules torch.nn.modules has too (nn.modules.linear, ...): attributes, as when
    # loaded eagerly
    "activation": "activation", "batchnorm": "batchnorm", "container": "container",
    "conv": "conv", "distance": "distance", "dropout": "dropout", "flatten": "flatten",
    "fold": "fold", "instancenorm": "instancenorm", "lazy": "lazy", "linear": "linear",
    "loss": "loss", "module": "module", "normalization": "normalization", "padding": "padding",
    "pooling": "pooling", "rnn": "rnn", "sparse": "sparse", "transformer": "transformer",
    "upsampling": "upsampling",
}

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "Identity", "Linear", "Flatten", "Unflatten", "CELU", "ELU",
           "GELU", "GLU", "SELU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
           "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "PReLU", "ReLU", "ReLU6", "RReLU",
           "SiLU", "Sigmoid", "Softmax", "Softmax2d", "Softmin", "Softplus", "Softshrink",
           "Softsign", "Tanh", "Tanhshrink", "Threshold", "L1Loss", "MSELoss",
           "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "HuberLoss",
           "SmoothL1Loss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
           "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "MultiMarginLoss",
           "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "SoftMarginLoss",
           "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss", "MaxPool1d",
           "MaxPool2d", "MaxUnpool2d", "AvgPool1d", "AvgPool2d", "LPPool1d", "LPPool2d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle", "ChannelShuffle", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
           "ConvTranspose2d", "ConvTranspose3d", "Fold", "Unfold", "CircularPad1d",
           "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
           "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "Bilinear", "CosineSimilarity", "PairwiseDistance", "RNNBase", "RNN", "LSTM", "GRU",
           "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "BatchNorm1d", "BatchNorm2d",
           "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "GroupNorm",
           "LayerNorm", "RMSNorm", "AlphaDropout", "Dropout", "Dropout1d", "Dropout2d",
           "Dropout3d", "FeatureAlphaDropout", "Embedding", "EmbeddingBag",
           "MultiheadAttention", "Transformer", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
           "LocalResponseNorm", "MaxPool3d", "AvgPool3d", "AdaptiveMaxPool3d",
           "AdaptiveAvgPool3d", "LPPool3d", "MaxUnpool1d", "MaxUnpool3d", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]

# retrograd's own submodules (no torch.nn.modules counterpart): attributes too, loaded on first use
_OWN_SUBMODULES = ("_hooks", "_rnn_impl", "_state_dict", "_utils", "attention", "bilinear",
                   "pooling3d")
_getattr, _dir = _lazy.attach(__name__, _LAZY, globals())


def __getattr__(name: str):
    if name in _OWN_SUBMODULES:
        return importlib.import_module("." + name, __name__)
    return _getattr(name)


def __dir__():
    return sorted(set(_dir()) | set(_OWN_SUBMODULES))
