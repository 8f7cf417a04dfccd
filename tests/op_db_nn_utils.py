"""Op-table rows of the ops behind nn.utils and the distance/bilinear layers: F.cosine_similarity,
F.pairwise_distance (NormBackward1), torch.norm_except_dim, torch._weight_norm
(WeightNormInterfaceBackward0), torch._trilinear and F.bilinear (TrilinearBackward0)."""
from __future__ import annotations

from op_db import OpInfo, apart

# _weight_norm's fused node (WeightNormInterfaceBackward0): PyTorch's double backward holds the
# saved norms constant, so it is not the exact second derivative and no gradgradcheck can pass
# (PyTorch's own fails); retrograd reproduces PyTorch's values, compared in tests/test_nn_utils.py.

RED = dict(cmp_atol=1e-5)  # float32 sums: summation order differs from torch's


def _tri(T, x, w, y):
    return T._trilinear(x, w, y, [1, 3], [0], [1, 2], [2, 3])


ROWS: list[OpInfo] = [
    OpInfo("cosine_similarity", lambda T, x, y: T.nn.functional.cosine_similarity(x, y),
           [(3, 4), (3, 4)], "SumBackward1",
           extra_nodes=("MulBackward0", "DivBackward0", "CloneBackward0",
                        "LinalgVectorNormBackward0"), **RED),
    OpInfo("cosine_similarity_broadcast_dim0",
           lambda T, x, y: T.cosine_similarity(x, y, dim=0, eps=1e-6),
           [(3, 1, 4), (3, 2, 4)], "SumBackward1", extra_nodes=("ExpandBackward0",), **RED),
    OpInfo("pairwise_distance", lambda T, x, y: T.nn.functional.pairwise_distance(x, y),
           [(3, 4), (3, 4)], "NormBackward1", extra_nodes=("AddBackward1", "SubBackward0"),
           **RED),
    OpInfo("pairwise_distance_p3_keepdim",
           lambda T, x, y: T.pairwise_distance(x, y, p=3.0, eps=1e-3, keepdim=True),
           [(2, 3, 4), (4,)], "NormBackward1", **RED),
    OpInfo("pairwise_distance_p1", lambda T, x, y: T.nn.functional.pairwise_distance(x, y, 1.0),
           [(3, 4), (3, 4)], "NormBackward1", domain=(-2.0, 2.0), avoid=(0.0,), **RED),
    # pdist: PyTorch has no double backward (_pdist_backward's derivative is not implemented)
    OpInfo("pdist", lambda T, x: T.nn.functional.pdist(x), [(4, 3)], "PdistBackward0",
           gradgrad=False, **RED),
    OpInfo("pdist_p1", lambda T, x: T.pdist(x, 1), [(4, 3)], "PdistBackward0", gradgrad=False,
           sample=apart, **RED),
    OpInfo("pdist_p_half", lambda T, x: T.pdist(x, 0.5), [(3, 2)], "PdistBackward0",
           gradgrad=False, sample=apart, **RED),
    OpInfo("pdist_p3", lambda T, x: T.pdist(x, 3.0), [(4, 2)], "PdistBackward0", gradgrad=False,
           **RED),
    OpInfo("pdist_inf", lambda T, x: T.pdist(x, float("inf")), [(4, 3)], "PdistBackward0",
           gradgrad=False, sample=apart, **RED),
    OpInfo("norm_except_dim_0", lambda T, v: T.norm_except_dim(v, 2, 0), [(3, 4, 2)],
           "ViewBackward0", extra_nodes=("NormBackward1",), **RED),
    OpInfo("norm_except_dim_1", lambda T, v: T.norm_except_dim(v, 2, 1), [(3, 4, 2)],
           "TransposeBackward0", extra_nodes=("NormBackward1", "CloneBackward0"), **RED),
    # numeric=False on the two rows of at::norm over all elements (NormBackward0): PyTorch's
    # forward AD fails there ("Trying to set a forward gradient that has a different size ...
    # Tensor is of size [] while the given forward gradient is of size [1, 1]"), so the
    # forward-mode rows cannot be compared; the values and gradients still are, and the formula
    # is linalg.vector_norm's, which its own rows gradcheck.
    OpInfo("norm_except_dim_all", lambda T, v: T.norm_except_dim(v, 2, -1), [(3, 4)],
           "NormBackward0", numeric=False, **RED),
    OpInfo("weight_norm_dim0", lambda T, v, g: T._weight_norm(v, g, 0), [(3, 4), (3, 1)],
           "WeightNormInterfaceBackward0", gradgrad=False, **RED),
    OpInfo("weight_norm_dim_last", lambda T, v, g: T._weight_norm(v, g, 2),
           [(2, 3, 4), (1, 1, 4)], "WeightNormInterfaceBackward0", gradgrad=False, **RED),
    OpInfo("weight_norm_dim_all", lambda T, v, g: T._weight_norm(v, g, -1), [(3, 4), (1,)],
           "MulBackward0", extra_nodes=("DivBackward0", "NormBackward0"), numeric=False, **RED),
    OpInfo("weight_norm_dim_middle", lambda T, v, g: T._weight_norm(v, g, 1),
           [(2, 3, 4), (1, 3, 1)], "MulBackward0", extra_nodes=("TransposeBackward0",), **RED),
    OpInfo("trilinear", _tri, [(3, 4), (2, 4, 5), (3, 5)], "TrilinearBackward0", **RED),
    OpInfo("bilinear", lambda T, x, y, w, b: T.nn.functional.bilinear(x, y, w, b),
           [(3, 4), (3, 5), (2, 4, 5), (2,)], "AddBackward0",
           extra_nodes=("ViewBackward0", "TrilinearBackward0"), **RED),
    OpInfo("bilinear_3d_no_bias", lambda T, x, y, w: T.bilinear(x, y, w),
           [(2, 3, 4), (2, 3, 5), (2, 4, 5)], "ViewBackward0",
           extra_nodes=("TrilinearBackward0",), **RED),
    OpInfo("bilinear_1d", lambda T, x, y, w, b: T.nn.functional.bilinear(x, y, w, b),
           [(4,), (5,), (2, 4, 5), (2,)], "AddBackward0", **RED),
]
