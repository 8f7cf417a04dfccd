"""Op-table rows of the convolutions (torch.convolution, F.conv1d/2d/3d, F.conv_transpose1d/2d/3d)
and of F.unfold / F.fold: gradcheck, gradgradcheck, forward mode, saved attributes and the
comparison with torch run on them like on any op. Shapes are small: gradcheck is O(n^2)."""
from __future__ import annotations

from op_db import OpInfo

RED = dict(cmp_atol=1e-5)  # float32 sums of products: summation order differs from torch's


def _F(T):
    return T.nn.functional


ROWS: list[OpInfo] = [
    OpInfo("conv1d", lambda T, x, w, b: _F(T).conv1d(x, w, b, stride=2, padding=1),
           [(2, 3, 7), (4, 3, 3), (4,)], "ConvolutionBackward0", **RED),
    OpInfo("conv1d_same_dilated", lambda T, x, w: _F(T).conv1d(x, w, padding="same", dilation=2),
           [(1, 2, 6), (3, 2, 3)], "ConvolutionBackward0", **RED),
    OpInfo("conv1d_unbatched", lambda T, x, w, b: T.conv1d(x, w, b),
           [(2, 5), (3, 2, 2), (3,)], "SqueezeBackward1",
           extra_nodes=("ConvolutionBackward0", "UnsqueezeBackward0"), **RED),
    OpInfo("conv2d", lambda T, x, w, b: _F(T).conv2d(x, w, b, stride=2, padding=1),
           [(2, 2, 5, 4), (3, 2, 3, 2), (3,)], "ConvolutionBackward0", **RED),
    OpInfo("conv2d_no_bias", lambda T, x, w: _F(T).conv2d(x, w, padding=(1, 0)),
           [(1, 2, 4, 4), (2, 2, 2, 3)], "ConvolutionBackward0", **RED),
    OpInfo("conv2d_groups_dilation",
           lambda T, x, w, b: _F(T).conv2d(x, w, b, padding=1, dilation=(2, 1), groups=2),
           [(1, 4, 5, 4), (4, 2, 2, 2), (4,)], "ConvolutionBackward0", **RED),
    OpInfo("conv2d_depthwise", lambda T, x, w: _F(T).conv2d(x, w, stride=(1, 2), groups=3),
           [(2, 3, 4, 5), (6, 1, 2, 2)], "ConvolutionBackward0", **RED),
    OpInfo("conv2d_same_even_kernel", lambda T, x, w: _F(T).conv2d(x, w, padding="same"),
           [(1, 2, 4, 3), (2, 2, 2, 2)], "ConvolutionBackward0",
           extra_nodes=("ConstantPadNdBackward0",), **RED),
    OpInfo("conv2d_valid", lambda T, x, w: T.conv2d(x, w, None, 1, "valid"),
           [(1, 1, 4, 4), (2, 1, 3, 3)], "ConvolutionBackward0", **RED),
    OpInfo("conv2d_unbatched", lambda T, x, w, b: _F(T).conv2d(x, w, b, padding=1),
           [(2, 3, 3), (2, 2, 2, 2), (2,)], "SqueezeBackward1",
           extra_nodes=("ConvolutionBackward0", "UnsqueezeBackward0"), **RED),
    OpInfo("conv3d",
           lambda T, x, w, b: _F(T).conv3d(x, w, b, stride=(1, 2, 1), padding=(0, 1, 1)),
           [(1, 2, 3, 4, 3), (2, 2, 2, 2, 2), (2,)], "ConvolutionBackward0", **RED),
    OpInfo("conv_transpose1d",
           lambda T, x, w, b: _F(T).conv_transpose1d(x, w, b, stride=2, padding=1,
                                                     output_padding=1),
           [(2, 3, 4), (3, 2, 3), (2,)], "ConvolutionBackward0", **RED),
    OpInfo("conv_transpose2d_groups",
           lambda T, x, w, b: _F(T).conv_transpose2d(x, w, b, stride=(2, 1), padding=(0, 1),
                                                     output_padding=(1, 0), groups=2),
           [(1, 4, 3, 3), (4, 1, 2, 3), (2,)], "ConvolutionBackward0", **RED),
    # output_padding >= stride is allowed below the dilation: the input gradient is cut
    OpInfo("conv_transpose2d_dilation_outpad",
           lambda T, x, w: T.conv_transpose2d(x, w, None, 1, 0, 1, 1, 2),
           [(1, 2, 3, 2), (2, 2, 2, 2)], "ConvolutionBackward0", **RED),
    OpInfo("conv_transpose2d_unbatched", lambda T, x, w: _F(T).conv_transpose2d(x, w, stride=2),
           [(2, 2, 3), (2, 3, 2, 2)], "SqueezeBackward1",
           extra_nodes=("ConvolutionBackward0", "UnsqueezeBackward0"), **RED),
    OpInfo("conv_transpose3d",
           lambda T, x, w, b: _F(T).conv_transpose3d(x, w, b, stride=2, padding=1),
           [(1, 2, 2, 3, 2), (2, 1, 2, 2, 3), (1,)], "ConvolutionBackward0", **RED),
    OpInfo("torch_convolution",
           lambda T, x, w, b: T.convolution(x, w, b, [2, 1], [1, 0], [1, 1], False, [0, 0], 1),
           [(1, 2, 5, 4), (2, 2, 3, 2), (2,)], "ConvolutionBackward0", **RED),
    OpInfo("torch_convolution_transposed",
           lambda T, x, w: T.convolution(x, w, None, [2], [0], [1], True, [1], 1),
           [(2, 2, 3), (2, 3, 2)], "ConvolutionBackward0", **RED),
    # the backward as one op (create_graph=True): ConvolutionBackwardBackward0, three outputs
    OpInfo("convolution_backward",
           lambda T, x, w, b, v: T.autograd.grad(_F(T).conv2d(x, w, b, stride=2, padding=1),
                                                 (x, w, b), v, create_graph=True),
           [(2, 2, 4, 3), (3, 2, 2, 2), (3,), (2, 3, 3, 2)], "ConvolutionBackwardBackward0",
           gradgrad=False, **RED),
    OpInfo("convolution_backward_transposed_groups",
           lambda T, x, w, b, v: T.autograd.grad(
               _F(T).conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
               (x, w, b), v, create_graph=True),
           [(1, 4, 3), (4, 1, 3), (2,), (1, 2, 6)], "ConvolutionBackwardBackward0",
           gradgrad=False, **RED),
    # only the weight requires grad: its gradient is still connected to it (zero derivative)
    OpInfo("convolution_backward_weight_only",
           lambda T, w, v: T.autograd.grad(
               _F(T).conv1d(T.linspace(-1, 1, 24, dtype=w.dtype).reshape(2, 2, 6), w,
                            dilation=2), w, v, create_graph=True)[0],
           [(2, 2, 2), (2, 2, 4)], "ConvolutionBackwardBackward0", gradgrad=False, **RED),
    OpInfo("unfold",
           lambda T, x: _F(T).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
           [(2, 2, 4, 5)], "Im2ColBackward0"),
    OpInfo("unfold_unbatched", lambda T, x: _F(T).unfold(x, 2), [(2, 3, 3)], "Im2ColBackward0"),
    OpInfo("fold", lambda T, x: _F(T).fold(x, (4, 5), (2, 3), dilation=(1, 2), padding=1,
                                           stride=(2, 1)),
           [(2, 12, 9)], "Col2ImBackward0"),
    OpInfo("fold_unbatched", lambda T, x: _F(T).fold(x, 3, 2), [(8, 4)], "Col2ImBackward0"),
]
