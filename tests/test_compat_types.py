"""Legacy and type-level API that PyTorch programs use, compared with torch 2.13:
torch.autograd.Variable, torch.FloatTensor & co., Tensor.type, Tensor.new_* / new,
torch.typename, torch.finfo / iinfo, torch.is_tensor / is_floating_point / numel."""
from __future__ import annotations

import numpy as np
import pytest

import retrograd
from _both import both

# ------------------------------------------------------------------------------- Variable
VARIABLE = {
    "plain": lambda T: T.autograd.Variable(T.tensor([1.0, 2.0])),
    "requires_grad": lambda T: T.autograd.Variable(T.tensor([1.0, 2.0]), requires_grad=True),
    "positional_requires_grad": lambda T: T.autograd.Variable(T.tensor([1.0]), True),
    "data_keyword": lambda T: T.autograd.Variable(data=T.tensor([3.0])),
    "empty": lambda T: T.autograd.Variable(),
    "list": lambda T: T.autograd.Variable([1.0, 2.0]),
    "int_data": lambda T: T.autograd.Variable(3),
    "int_tensor_requires_grad": lambda T: T.autograd.Variable(T.tensor([1, 2]),
                                                              requires_grad=True),
    "volatile": lambda T: T.autograd.Variable(T.tensor([1.0]), volatile=True),
    "volatile_and_requires_grad": lambda T: T.autograd.Variable(T.tensor([1.0]), True, True),
    "bad_keyword": lambda T: T.autograd.Variable(T.tensor([1.0]), foo=1),
    "str_requires_grad": lambda T: T.autograd.Variable(T.tensor([1.0]), requires_grad="x"),
    "int_requires_grad": lambda T: T.autograd.Variable(T.tensor([1.0]), requires_grad=1),
}


@pytest.mark.parametrize("name", sorted(VARIABLE))
def test_variable_constructor(name):
    both(VARIABLE[name])


def test_variable_semantics():
    def scenario(T):
        t = T.tensor([1.0, 2.0])
        v = T.autograd.Variable(t, requires_grad=True)
        out = [v is t, type(v) is T.Tensor, v.is_leaf, v.grad_fn, t.requires_grad,
               isinstance(t, T.autograd.Variable), isinstance(3, T.autograd.Variable),
               repr(T.autograd.Variable(t).data)]
        v.data[0] = 5.0  # shares storage
        out.append(t.tolist())
        with T.no_grad():
            T.autograd.Variable(t).add_(1)  # shares the version counter
        out.append(t._version)
        x = T.ones(2, requires_grad=True)
        y = T.autograd.Variable(x * 2)
        out += [y.grad_fn, y.requires_grad, y.is_leaf]
        v.sum().backward()
        out.append(v.grad.tolist())
        return out
    both(scenario)


# ------------------------------------------------------------------------------- legacy types
LEGACY_NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
                "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_legacy_type_objects(name):
    def scenario(T):
        cls = getattr(T, name)
        return (repr(cls), repr(type(cls)), cls.__name__, cls.dtype, cls.is_cuda, cls.is_sparse,
                issubclass(cls, T.Tensor), T.typename(cls),
                [isinstance(T.zeros(2, dtype=d), cls) for d in (T.float32, T.float64, T.int64,
                                                                T.bool, T.uint8)],
                isinstance(3, cls), isinstance(np.zeros(2), cls))
    both(scenario)


LEGACY_CONSTRUCT = {
    "sizes": lambda T: T.FloatTensor(2, 3).shape,
    "size_object": lambda T: T.LongTensor(T.Size([2, 1])).shape,
    "list": lambda T: T.FloatTensor([[1, 2], [3, 4]]),
    "tuple_is_data": lambda T: T.FloatTensor((2, 3)),
    "numpy": lambda T: T.DoubleTensor(np.array([1, 2])),
    "long_from_float": lambda T: T.LongTensor([1.5]),
    "bool": lambda T: T.BoolTensor([1, 0]),
    "empty": lambda T: T.FloatTensor(),
    "device_cpu": lambda T: T.FloatTensor(2, device="cpu").shape,
    "tensor_wrong_dtype": lambda T: T.FloatTensor(T.tensor([1, 2])),
    "tensor_same_dtype": lambda T: T.FloatTensor(T.tensor([1.0, 2.0])),
    "float_scalar": lambda T: T.FloatTensor(2.5),
    "string": lambda T: T.FloatTensor("a"),
    "negative": lambda T: T.FloatTensor(-1),
    "size_then_float": lambda T: T.FloatTensor(2, 3.0),
    "two_lists": lambda T: T.FloatTensor([1], [2]),
    "Tensor_data": lambda T: T.Tensor([1, 2]),
    "Tensor_sizes": lambda T: T.Tensor(2, 3).shape,
    "Tensor_of_long": lambda T: T.Tensor(T.tensor([1, 2])),
}


@pytest.mark.parametrize("name", sorted(LEGACY_CONSTRUCT))
def test_legacy_constructors(name):
    both(LEGACY_CONSTRUCT[name])


def test_legacy_constructor_aliases_a_tensor_of_its_dtype():
    def scenario(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.FloatTensor(a)
        c = a.new(a)
        return (b is a, b.requires_grad, b.grad_fn, c is a, c.requires_grad,
                np.shares_memory(b.detach().numpy(), a.detach().numpy()))
    both(scenario)


# ------------------------------------------------------------------------------- Tensor.type
TYPE_ARGS = [None, "LongTensor", "torch.FloatTensor", "torch.LongTensor", "torch.DoubleTensor",
             "torch.BoolTensor", "torch.HalfTensor", "torch.ByteTensor", "torch.CharTensor",
             "torch.ShortTensor", "torch.IntTensor", "torch.Tensor", "float64", "int32",
             "torch.float64", "Tensor", "int", "float", "torch.cuda.FloatTensor", "torch.Foo",
             "FloatTensor", "", "torch.cuda.Foo", "cuda.LongTensor", 3]


def _type_arg(T, a):
    if a in ("LongTensor", "Tensor", "DoubleTensor"):
        return getattr(T, a)
    if a in ("float64", "int32"):
        return getattr(T, a)
    if a == "cuda.LongTensor":
        return T.cuda.LongTensor
    if a in ("int", "float"):
        return {"int": int, "float": float}[a]
    return a


@pytest.mark.parametrize("arg", TYPE_ARGS, ids=repr)
def test_tensor_type(arg):
    both(lambda T: T.zeros(2).type() if arg is None else T.zeros(2).type(_type_arg(T, arg)))


def test_tensor_type_details():
    both(lambda T: [T.zeros(1, dtype=d).type() for d in (T.int64, T.bool, T.float16, T.uint8,
                                                         T.float64, T.int8)])

    def identity(T):
        x = T.zeros(2)
        return (x.type(T.FloatTensor) is x, x.type(T.float32) is x,
                x.type("torch.FloatTensor") is x, x.type(dtype=T.LongTensor).dtype,
                x.type(T.LongTensor, non_blocking=True).dtype, x.type(T.FloatTensor, True) is x,
                x.type(dtype=None))
    both(identity)
    both(lambda T: T.zeros(2).type(T.FloatTensor, True, 3))
    both(lambda T: T.zeros(2).type(foo=1))
    both(lambda T: T.ones(2, requires_grad=True).type(T.DoubleTensor))
    both(lambda T: T.ones(2, requires_grad=True).type(T.LongTensor))
    both(lambda T: T.zeros(2).type(T.nn.functional.relu))


# ------------------------------------------------------------------------------- new_*
NEW = {
    "zeros_args": lambda T, x: x.new_zeros(2, 3),
    "zeros_tuple": lambda T, x: x.new_zeros((2, 3)),
    "zeros_list": lambda T, x: x.new_zeros([2]),
    "zeros_size": lambda T, x: x.new_zeros(T.Size([1, 2])),
    "zeros_dtype": lambda T, x: x.new_zeros(2, dtype=T.int32),
    "zeros_requires_grad": lambda T, x: x.new_zeros(2, requires_grad=True),
    "zeros_numpy_int": lambda T, x: x.new_zeros(np.int64(2)),
    "zeros_0d_tensor": lambda T, x: x.new_zeros(T.tensor(2)),
    "zeros_negative": lambda T, x: x.new_zeros(-1),
    "zeros_float": lambda T, x: x.new_zeros(2.5),
    "zeros_float_in_tuple": lambda T, x: x.new_zeros((2, 2.5)),
    "zeros_float_second": lambda T, x: x.new_zeros(2, 2.5),
    "zeros_bool": lambda T, x: x.new_zeros(True),
    "zeros_bool_in_tuple": lambda T, x: x.new_zeros((True,)),
    "zeros_str_in_list": lambda T, x: x.new_zeros([2, "a"]),
    "zeros_no_size": lambda T, x: x.new_zeros(),
    "zeros_bad_dtype": lambda T, x: x.new_zeros(2, 3, dtype="float"),
    "zeros_bad_keyword": lambda T, x: x.new_zeros(2, foo=1),
    "zeros_int_requires_grad": lambda T, x: x.new_zeros(2, dtype=T.int32, requires_grad=True),
    "ones": lambda T, x: x.new_ones(2),
    "ones_0d": lambda T, x: x.new_ones(()),
    "ones_requires_grad_leaf": lambda T, x: x.new_ones(2, 3, requires_grad=True).is_leaf,
    "empty_shape": lambda T, x: (x.new_empty(2, 3, dtype=T.int64).dtype, x.new_empty(2).shape),
    "empty_zero": lambda T, x: x.new_empty((0,)),
    "empty_no_size": lambda T, x: x.new_empty(),
    "full": lambda T, x: x.new_full((2,), 3),
    "full_list": lambda T, x: x.new_full([2], 1.5),
    "full_dtype": lambda T, x: x.new_full((2,), 3, dtype=T.long),
    "full_bool_value": lambda T, x: x.new_full((2,), True),
    "full_numpy_value": lambda T, x: x.new_full((2,), np.float64(2)),
    "full_int_size": lambda T, x: x.new_full(2, 3),
    "full_tensor_value": lambda T, x: x.new_full((2,), x[0]),
    "full_str_value": lambda T, x: x.new_full((2,), "a"),
    "full_float_in_size": lambda T, x: x.new_full((2, 2.5), 1),
    "full_on_long": lambda T, x: T.tensor([1, 2]).new_full((2,), 1.5),
    "full_uint8_wraps": lambda T, x: T.tensor([1, 2], dtype=T.uint8).new_full((2,), -1),
    "full_uint8_overflow": lambda T, x: T.tensor([1, 2], dtype=T.uint8).new_full((2,), 300),
    "tensor_list": lambda T, x: x.new_tensor([1, 2]),
    "tensor_dtype": lambda T, x: x.new_tensor([1, 2], dtype=T.int64),
    "tensor_scalar": lambda T, x: x.new_tensor(3),
    "tensor_numpy": lambda T, x: x.new_tensor(np.array([1, 2], dtype=np.int32)),
    "tensor_requires_grad": lambda T, x: x.new_tensor([1.0], requires_grad=True),
    "tensor_from_tensor_warns": lambda T, x: x.new_tensor(x),
    "tensor_from_long_tensor": lambda T, x: x.new_tensor(T.tensor([1, 2])),
    "tensor_ragged": lambda T, x: x.new_tensor([[1, 2], [3]]),
    "tensor_str": lambda T, x: x.new_tensor("a"),
    "tensor_none": lambda T, x: x.new_tensor(None),
    "tensor_int_requires_grad": lambda T, x: x.new_tensor([1, 2], dtype=T.int64,
                                                          requires_grad=True),
    "tensor_on_long": lambda T, x: T.tensor([1, 2]).new_tensor([1.5]),
    "new_sizes": lambda T, x: x.new(2, 3).shape,
    "new_list": lambda T, x: x.new([1, 2]),
    "new_empty": lambda T, x: x.new(),
    "new_long_tensor": lambda T, x: x.new(T.tensor([1, 2])),
    "new_tuple_is_data": lambda T, x: x.new((2, 3)),
    "new_on_long": lambda T, x: T.tensor([1, 2]).new([1.7]),
    "new_size": lambda T, x: x.new(T.Size([2])).shape,
}


@pytest.mark.parametrize("name", sorted(NEW))
def test_new_methods(name):
    both(lambda T: NEW[name](T, T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)))


def test_new_tensor_copies():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        a = np.array([1.0, 2.0], dtype=np.float32)
        y = x.new_tensor(a)
        a[0] = 9.0
        z = x.new_zeros(2)
        return y, z.requires_grad, z.is_leaf, x.new_tensor([1.0]).requires_grad
    both(scenario)


# ------------------------------------------------------------------------------- typename etc.
TYPENAME = {
    "float_tensor": lambda T: T.typename(T.zeros(2)),
    "long_tensor": lambda T: T.typename(T.zeros(2, dtype=T.long)),
    "requires_grad": lambda T: T.typename(T.zeros(2, requires_grad=True)),
    "int": lambda T: T.typename(3),
    "list": lambda T: T.typename([1]),
    "none": lambda T: T.typename(None),
    "Tensor_class": lambda T: T.typename(T.Tensor),
    "dtype": lambda T: T.typename(T.float32),
    "device": lambda T: T.typename(T.device("cpu")),
    "Size": lambda T: T.typename(T.Size([1])),
    "finfo": lambda T: T.typename(T.finfo()),
    "legacy_class": lambda T: T.typename(T.LongTensor),
    "function": lambda T: T.typename(np.sum),
    "user_class": lambda T: T.typename(_UserClass),
    "user_instance": lambda T: T.typename(_UserClass()),
}


class _UserClass:
    pass


@pytest.mark.parametrize("name", sorted(TYPENAME))
def test_typename(name):
    both(TYPENAME[name])


FINFO = {
    "default": lambda T: repr(T.finfo()),
    "float32": lambda T: repr(T.finfo(T.float32)),
    "float16": lambda T: repr(T.finfo(T.float16)),
    "float64": lambda T: repr(T.finfo(T.float64)),
    "float32_fields": lambda T: (lambda f: (f.bits, f.eps, f.max, f.min, f.tiny,
                                            f.smallest_normal, f.resolution, f.dtype,
                                            str(f)))(T.finfo(T.float32)),
    "float16_fields": lambda T: (lambda f: (f.bits, f.eps, f.max, f.min, f.tiny,
                                            f.resolution))(T.finfo(T.half)),
    "equal": lambda T: (T.finfo(T.float32) == T.finfo(T.float32),
                        T.finfo(T.float32) == T.finfo(T.float64)),
    "int": lambda T: T.finfo(T.int32),
    "bool": lambda T: T.finfo(T.bool),
    "string": lambda T: T.finfo("float32"),
    "iinfo_int32": lambda T: (lambda i: (repr(i), i.bits, i.min, i.max, i.dtype))(T.iinfo(T.int32)),
    "iinfo_all": lambda T: [repr(T.iinfo(d)) for d in (T.uint8, T.int8, T.int16, T.int64)],
    "iinfo_bool": lambda T: T.iinfo(T.bool),
    "iinfo_float": lambda T: T.iinfo(T.float32),
    "iinfo_int": lambda T: T.iinfo(3),
    "finfo_read_only": lambda T: setattr(T.finfo(T.float16), "eps", 3.0),
    "iinfo_read_only": lambda T: setattr(T.iinfo(T.int8), "max", 3),
}


@pytest.mark.parametrize("name", sorted(FINFO))
def test_finfo_iinfo(name):
    both(FINFO[name])


PREDICATES = {
    "is_tensor": lambda T: (T.is_tensor(3), T.is_tensor(T.zeros(1)), T.is_tensor([1])),
    "is_floating_point": lambda T: (T.is_floating_point(T.zeros(1)),
                                    T.is_floating_point(T.zeros(1, dtype=T.long))),
    "is_floating_point_int": lambda T: T.is_floating_point(3),
    "numel": lambda T: T.numel(T.zeros(2, 3)),
    "numel_int": lambda T: T.numel(3),
    "is_storage": lambda T: (T.is_storage(3), T.is_storage(T.zeros(1))),
}


@pytest.mark.parametrize("name", sorted(PREDICATES))
def test_predicates(name):
    both(PREDICATES[name])


def test_legacy_types_reach_retrograd_namespace():
    assert retrograd.FloatTensor is retrograd._legacy.FloatTensor
    assert retrograd.cuda.FloatTensor is retrograd._legacy.CUDA_TYPES["FloatTensor"]
