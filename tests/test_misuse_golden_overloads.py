"""Golden misuse suite, PyTorch's argument parser: arguments that fit none of an op's overloads
(the "received an invalid combination of arguments" list: narrow, movedim/moveaxis, max/min/
squeeze given None, squeeze_, clip), int-list arguments with an element of another type (roll,
permute, norm's dims), and select/squeeze_ (harness and conventions: tests/_misuse_golden.py)."""
from __future__ import annotations

import pytest

from _misuse_golden import check

CASES: dict = {}

# --- arguments fitting none of an op's overloads: PyTorch's overload-list message, the tensor
# methods and functions of narrow, movedim/moveaxis, max/min/squeeze given None, norm's dims ---
CASES.update({
    "narrow_dim_str": lambda T: T.ones(3, 4).narrow("a", 0, 1),
    "narrow_dim_bool": lambda T: T.ones(3, 4).narrow(True, 0, 1),
    "narrow_start_float": lambda T: T.ones(3, 4).narrow(0, 1.5, 1),
    "narrow_start_none": lambda T: T.ones(3, 4).narrow(0, None, 1),
    "narrow_start_list": lambda T: T.ones(3, 4).narrow(0, [1], 1),
    "narrow_length_str_function": lambda T: T.narrow(T.ones(3, 4), 0, 0, "b"),
    "narrow_dim_float_function": lambda T: T.narrow(T.ones(3, 4), 0.0, 0, 1),
    "narrow_keywords": lambda T: T.ones(3, 4).narrow(dim="a", start=0, length=1),
    "narrow_keywords_unordered": lambda T: T.ones(3, 4).narrow(0, length=1.0, start=0),
    "narrow_start_float_tensor": lambda T: T.ones(3, 4).narrow(0, T.tensor(1.0), 1),
    "narrow_start_int_tensor_ok": lambda T: T.ones(3, 4).narrow(0, T.tensor(1), 1),
    "movedim_source_str": lambda T: T.ones(3, 4).movedim("a", 0),
    "movedim_destination_str_list": lambda T: T.ones(3, 4).movedim([0, 1], "b"),
    "movedim_source_float": lambda T: T.ones(3, 4).movedim(0.0, 1),
    "movedim_list_float_first": lambda T: T.ones(3, 4).movedim([0.0, 1], [1, 0]),
    "movedim_list_float_later": lambda T: T.ones(3, 4).movedim([0, 1.0], [1, 0]),
    "movedim_tuple_float": lambda T: T.ones(3, 4).movedim((0.0,), (1,)),
    "movedim_int_and_list": lambda T: T.ones(3, 4).movedim(0, [1]),
    "movedim_none": lambda T: T.ones(3, 4).movedim(None, 0),
    "movedim_keywords": lambda T: T.ones(3, 4).movedim(source="a", destination=0),
    "movedim_function_str": lambda T: T.movedim(T.ones(3, 4), 0, "b"),
    "moveaxis_str": lambda T: T.ones(3, 4).moveaxis("a", 0),
    "moveaxis_function_str": lambda T: T.moveaxis(T.ones(3, 4), 0, "b"),
    "max_none": lambda T: T.ones(3).max(None),
    "min_none": lambda T: T.ones(3).min(None),
    "max_dim_none_keyword": lambda T: T.ones(3).max(dim=None),
    "max_none_keepdim": lambda T: T.ones(3).max(None, keepdim=True),
    "max_function_none": lambda T: T.max(T.ones(3), None),
    "min_function_dim_none": lambda T: T.min(T.ones(3), dim=None),
    "squeeze_none": lambda T: T.ones(3).squeeze(None),
    "squeeze_dim_none_keyword": lambda T: T.ones(3).squeeze(dim=None),
    "squeeze_function_none": lambda T: T.squeeze(T.ones(3), None),
    "squeeze_function_dim_none": lambda T: T.squeeze(T.ones(3), dim=None),
    "squeeze_no_argument_ok": lambda T: T.ones(3, 1).squeeze(),
    "max_no_argument_ok": lambda T: T.tensor([1.0, 3.0]).max(),
    "max_keepdim_without_dim": lambda T: T.ones(2, 3).max(keepdim=True),
    "min_function_keepdim_without_dim": lambda T: T.min(T.ones(2, 3), keepdim=False),
    "norm_dim_str": lambda T: T.ones(3).norm(dim="a"),
    "norm_dim_float": lambda T: T.ones(3).norm(dim=0.0),
    "norm_p_dim_str": lambda T: T.ones(3).norm(1, "a"),
    "norm_function_dim_str": lambda T: T.norm(T.ones(3), dim="a"),
    "norm_dim_list_str_first": lambda T: T.ones(3).norm(dim=["a"]),
    "norm_dim_tuple_float_later": lambda T: T.ones(3).norm(dim=[0, 1.0]),
    "norm_nuc_dim_str": lambda T: T.ones(3, 3).norm("nuc", "a"),
    "vector_norm_dim_list_str_keyword": lambda T: T.linalg.vector_norm(T.ones(3), dim=["a"]),
    "roll_shifts_list_bad_first": lambda T: T.ones(3).roll(["a"]),
    "roll_shifts_tuple_bad_first_function": lambda T: T.roll(T.ones(3), ("a",)),
    "roll_dims_list_bad_first": lambda T: T.ones(3).roll([1], [1.0]),
    "roll_shifts_list_bad_first_keyword": lambda T: T.ones(3).roll(shifts=["a"]),
    "permute_float_later": lambda T: T.ones(3, 4).permute(0, 1.0),
    "permute_str_first": lambda T: T.ones(2, 3, 4).permute("a", 0, 1),
    "permute_one_str": lambda T: T.ones(3, 4).permute("a"),
    "permute_none": lambda T: T.ones(3, 4).permute(None),
    "permute_list_float_later": lambda T: T.ones(3, 4).permute([0, 1.0]),
    "permute_tuple_str_first": lambda T: T.ones(3, 4).permute(("a", 0)),
    "permute_function_str": lambda T: T.permute(T.ones(3, 4), "a"),
    "permute_function_list_str_first": lambda T: T.permute(T.ones(3, 4), ["a", 0]),
    "permute_keyword_list_str_first": lambda T: T.ones(3, 4).permute(dims=["a", 0]),
    "permute_keyword_int": lambda T: T.ones(3, 4).permute(dims=1),
    "permute_keyword_ok": lambda T: T.permute(T.ones(3, 4), dims=(1, 0)).shape,
    "permute_keyword_and_positional": lambda T: T.ones(3, 4).permute(1, 0, dims=(1, 0)),
    "permute_unknown_keyword": lambda T: T.ones(3, 4).permute(foo=1),
    "permute_no_dims": lambda T: T.ones(3, 4).permute(),
    "permute_function_dims_one_by_one": lambda T: T.permute(T.ones(3, 4), 1, 0),
    "permute_function_one_int": lambda T: T.permute(T.ones(3, 4), 1),
    "permute_function_int_and_keyword": lambda T: T.permute(T.ones(3, 4), 1, dims=(0, 1)),
    "permute_function_tuple_and_keyword": lambda T: T.permute(T.ones(3, 4), (1, 0), dims=(0, 1)),
    "permute_function_no_dims": lambda T: T.permute(T.ones(3, 4)),
    "permute_function_list_ok": lambda T: T.permute(T.ones(3, 4), [1, 0]).shape,
    "clip_str": lambda T: T.clip(T.ones(3), "a"),
    "clip_method_str": lambda T: T.ones(3).clip("a"),
    "clip_method_max_str": lambda T: T.ones(3).clip(max="a"),
    "clip_keywords_function": lambda T: T.clip(T.ones(3), max="a", min=2),
    "clip__method_str": lambda T: T.ones(3).clip_("a"),
    "clip__function_str": lambda T: T.clip_(T.ones(3), "a"),
    "clamp__function_str": lambda T: T.clamp_(T.ones(3), "a"),
    "clamp__function_values": lambda T: (lambda x: (T.clamp_(x, 0, 0.5), x))(T.ones(3)),
    "clip__function_no_bound": lambda T: T.clip_(T.ones(3), None),
})

# --- select and squeeze_ (views) ----------------------------------------------------------------
CASES.update({
    "select_index_out_of_range": lambda T: T.ones(3, 4).select(0, 5),
    "select_negative_index_out_of_range": lambda T: T.ones(3, 4).select(1, -5),
    "select_negative_dim_index_out_of_range": lambda T: T.ones(3, 4).select(-1, 7),
    "select_dim_out_of_range": lambda T: T.ones(3, 4).select(2, 0),
    "select_0d": lambda T: T.ones(()).select(0, 0),
    "select_empty_dim": lambda T: T.ones(0, 3).select(0, 0),
    "select_dim_str": lambda T: T.ones(3, 4).select("a", 0),
    "select_index_float": lambda T: T.ones(3, 4).select(0, 1.0),
    "select_index_bool": lambda T: T.ones(3, 4).select(0, True),
    "select_index_float_tensor": lambda T: T.ones(3, 4).select(0, T.tensor(1.0)),
    "select_missing_index": lambda T: T.ones(3, 4).select(0),
    "select_function_index_str": lambda T: T.select(T.ones(3, 4), 0, "a"),
    "select_values": lambda T: T.arange(12.0).view(3, 4).select(1, -1),
    "select_int_tensor_index": lambda T: T.arange(12.0).view(3, 4).select(0, T.tensor([1])),
    "select_writes_through": lambda T: (lambda a: (a.select(1, 2).add_(1), a)[1])(T.zeros(3, 4)),
    "squeeze__none": lambda T: T.ones(2, 1).squeeze_(None),
    "squeeze__dim_none_keyword": lambda T: T.ones(2, 1).squeeze_(dim=None),
    "squeeze__str": lambda T: T.ones(2, 1).squeeze_("a"),
    "squeeze__list_bad_later": lambda T: T.ones(2, 1).squeeze_([0, "a"]),
    "squeeze__dim_out_of_range": lambda T: T.ones(2, 1).squeeze_(5),
    "squeeze__leaf": lambda T: T.ones(2, 1, requires_grad=True).squeeze_(),
    "squeeze__varargs": lambda T: T.ones(2, 1, 1).squeeze_(1, 2),
    "squeeze__0d": lambda T: T.ones(()).squeeze_(0),
})


DIFFERENT: dict[str, str] = {}


@pytest.mark.parametrize("name", list(CASES))
def test_parser_misuse_like_torch(name):
    check(CASES, DIFFERENT, name)
