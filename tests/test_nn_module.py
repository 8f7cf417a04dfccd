"""nn.Module against torch: forward and backward of a model with copied weights, registration and
attribute rules with their errors, traversal, modes, conversion, printing."""
from __future__ import annotations

import copy

import pytest
from _both import both
from _nn_models import data, grads, make_net, set_params


def test_forward_backward_matches_torch():
    def f(T):
        net = make_net(T)
        x = data(T, 5, 3, requires_grad=True)
        y = net(x)
        y.sum().backward()
        return y, x.grad, grads(net), y.grad_fn.next_functions[0][0].name()
    both(f)


def test_traversal_names_and_order():
    def f(T):
        net = make_net(T)
        return ([n for n, _ in net.named_parameters()],
                [n for n, _ in net.named_parameters(prefix="m", recurse=False)],
                [n for n, _ in net.named_buffers()],
                [n for n, _ in net.named_children()],
                [n for n, _ in net.named_modules()],
                [n for n, _ in net.named_modules(prefix="root")],
                [type(m).__name__ for m in net.modules()],
                [type(m).__name__ for m in net.children()],
                len(list(net.parameters())), len(list(net.buffers(recurse=False))))
    both(f)


def test_shared_modules_and_parameters_dedup():
    def f(T):
        lin = T.nn.Linear(2, 2)
        seq = T.nn.Sequential(lin, T.nn.ReLU(), lin)
        p = T.nn.Parameter(T.ones(1))
        m = T.nn.Module()
        m.a = p
        m.b = p
        return ([n for n, _ in seq.named_modules()],
                [n for n, _ in seq.named_modules(remove_duplicate=False)],
                [n for n, _ in seq.named_parameters()],
                [n for n, _ in seq.named_parameters(remove_duplicate=False)],
                [n for n, _ in seq.named_children()],
                [n for n, _ in m.named_parameters()], list(m.state_dict()))
    both(f)


def test_repr_of_nested_model():
    both(lambda T: repr(make_net(T)))


def test_repr_multiline_extra_repr_and_empty():
    def f(T):
        class Multi(T.nn.Module):
            def extra_repr(self):
                return "a=1\nb=2"

        class WithChild(Multi):
            def __init__(self):
                super().__init__()
                self.inner = T.nn.Linear(1, 1)

        class Empty(T.nn.Module):
            pass
        return repr(Multi()), repr(WithChild()), repr(Empty()), repr(T.nn.Module())
    both(f)


@pytest.mark.parametrize("bad", [
    "assign_tensor_to_param", "assign_int_to_child", "assign_str_to_buffer",
    "register_tensor_as_param", "param_name_dot", "param_name_empty", "param_name_int",
    "param_name_exists", "buffer_name_dot", "buffer_name_empty", "buffer_not_tensor",
    "buffer_name_exists", "buffer_name_int", "add_module_not_module", "add_module_dot",
    "add_module_empty", "add_module_exists", "add_module_name_int", "missing_attr",
    "param_before_init", "module_before_init", "buffer_before_init", "register_before_init",
    "no_forward", "init_args", "init_kwargs", "train_not_bool", "to_int_dtype",
    "get_submodule_missing", "get_submodule_not_module", "get_parameter_not_param",
    "get_parameter_missing", "get_buffer_not_buffer", "delattr_missing", "set_submodule_empty",
    "param_to_module", "child_to_tensor", "set_submodule_not_module",
])
def test_errors(bad):
    def f(T):
        nn = T.nn

        def net():
            return make_net(T)
        if bad == "assign_tensor_to_param":
            net().fc1.weight = T.ones(4, 3)
        elif bad == "assign_int_to_child":
            net().fc1 = 3
        elif bad == "assign_str_to_buffer":
            net().shift = "x"
        elif bad == "register_tensor_as_param":
            net().register_parameter("w", T.ones(2, dtype=T.float64))
        elif bad == "param_name_dot":
            net().register_parameter("a.b", None)
        elif bad == "param_name_empty":
            net().register_parameter("", None)
        elif bad == "param_name_int":
            net().register_parameter(3, None)
        elif bad == "param_name_exists":
            net().register_parameter("fc1", nn.Parameter(T.ones(1)))
        elif bad == "buffer_name_dot":
            net().register_buffer("a.b", None)
        elif bad == "buffer_name_empty":
            net().register_buffer("", None)
        elif bad == "buffer_not_tensor":
            net().register_buffer("b", [1.0])
        elif bad == "buffer_name_exists":
            net().register_buffer("scale", T.ones(1))
        elif bad == "buffer_name_int":
            net().register_buffer(1.5, None)
        elif bad == "add_module_not_module":
            net().add_module("m", T.ones(1))
        elif bad == "add_module_dot":
            net().add_module("a.b", nn.ReLU())
        elif bad == "add_module_empty":
            net().add_module("", nn.ReLU())
        elif bad == "add_module_exists":
            net().add_module("scale", nn.ReLU())
        elif bad == "add_module_name_int":
            net().add_module(0, nn.ReLU())
        elif bad == "missing_attr":
            return net().nope
        elif bad in ("param_before_init", "module_before_init", "buffer_before_init",
                     "register_before_init"):
            class Bad(nn.Module):
                def __init__(self):
                    if bad == "param_before_init":
                        self.w = nn.Parameter(T.ones(1))
                    elif bad == "module_before_init":
                        self.m = nn.ReLU()
                    elif bad == "buffer_before_init":
                        self.register_buffer("b", T.ones(1))
                    else:
                        self.register_parameter("w", None)
            Bad()
        elif bad == "no_forward":
            nn.Module()(T.ones(1))
        elif bad == "init_args":
            nn.Module(1, 2)
        elif bad == "init_kwargs":
            nn.Module(a=1)
        elif bad == "train_not_bool":
            net().train(1)
        elif bad == "to_int_dtype":
            net().to(T.int64)
        elif bad == "get_submodule_missing":
            net().get_submodule("block.nope")
        elif bad == "get_submodule_not_module":
            net().get_submodule("block.lin.weight")
        elif bad == "get_parameter_not_param":
            net().get_parameter("block.lin")
        elif bad == "get_parameter_missing":
            net().get_parameter("block.lin.nope")
        elif bad == "get_buffer_not_buffer":
            net().get_buffer("fc1.weight")
        elif bad == "delattr_missing":
            del net().nope
        elif bad == "set_submodule_empty":
            net().set_submodule("", nn.ReLU())
        elif bad == "set_submodule_not_module":
            net().set_submodule("fc1", T.ones(1))
        elif bad == "param_to_module":
            net().scale = nn.ReLU()
        elif bad == "child_to_tensor":
            net().fc1 = T.ones(1)
    out = both(f)
    assert out.error is not None


def test_attribute_rules():
    def f(T):
        nn = T.nn
        m = make_net(T)
        m.fc1.bias = None                      # a parameter may become None
        m.extra = nn.Parameter(T.ones(1))      # a Parameter registers itself
        m.shift = T.full((2,), 3.0)            # a buffer name keeps taking tensors
        m.block = None                         # a child may become None
        m.plain = T.ones(1)                    # a plain tensor is a plain attribute
        m.buf = nn.Buffer(T.ones(3), persistent=False)
        names = ([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()],
                 list(m.state_dict()), [n for n, _ in m.named_children()])
        del m.extra
        m.extra = nn.ReLU()                    # a free name takes a module
        m.shift = nn.Parameter(T.ones(2))      # ... or to parameters
        del m.fc2
        del m.scratch
        after = ([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()],
                 [n for n, _ in m.named_children()], m.fc1.bias, m.block, "plain" in m.__dict__)
        return names, after, [k for k in dir(m) if k in ("fc1", "shift", "extra", "plain",
                                                          "buf", "scratch", "training")]
    both(f)


def test_get_submodule_parameter_buffer():
    def f(T):
        m = make_net(T)
        return (type(m.get_submodule("block.lin")).__name__, m.get_submodule("") is m,
                m.get_parameter("block.lin.bias"), m.get_buffer("shift"),
                m.get_parameter("scale"))
    both(f)


def test_set_submodule():
    def f(T):
        m = make_net(T)
        m.set_submodule("block.act", T.nn.ReLU())
        m.set_submodule("block.new", T.nn.Sigmoid())
        return repr(m)
    both(f)


def test_train_eval_requires_grad_zero_grad_apply():
    def f(T):
        m = make_net(T)
        out = [m.training, m.block.act.training]
        m.eval()
        out += [m.training, m.block.act.training, m.train() is m, m.block.training]
        m(data(T, 2, 3)).sum().backward()
        m.zero_grad(set_to_none=False)
        out.append(grads(m))
        m.zero_grad()
        out.append(grads(m))
        m.requires_grad_(False)
        out.append([p.requires_grad for p in m.parameters()])
        seen = []
        m.apply(lambda mod: seen.append(type(mod).__name__))
        out.append(seen)
        return out
    both(f)


def test_double_and_float_keep_parameter_identity():
    def f(T):
        m = make_net(T)
        w = m.fc1.weight
        m(data(T, 2, 3)).sum().backward()
        m.double()
        out = [m.fc1.weight is w, w.dtype, w.grad.dtype, m.shift.dtype,
               type(m.fc1.weight).__name__, m(data(T, 2, 3).double())]
        m.float()
        out += [w.dtype, m.to(T.float64).fc1.weight.dtype, m.to("cpu", T.float32).shift.dtype,
                m.to(T.ones(1, dtype=T.float64)).fc1.bias.dtype, m.half().scale.dtype,
                m.type(T.float64).scale.dtype, m.cpu() is m, m.to("cpu") is m]
        return out
    both(f)


def test_int_buffers_are_not_converted():
    def f(T):
        m = T.nn.Module()
        m.register_buffer("count", T.tensor([3]))
        m.double()
        return m.count.dtype, m.to(T.float16).count.dtype
    both(f)


def test_cuda_fails_only_with_tensors():
    def f(T):
        assert isinstance(T.nn.ReLU().cuda(), T.nn.ReLU)
        assert isinstance(T.nn.ReLU().to("cuda"), T.nn.ReLU)
        return T.nn.Linear(1, 1).cuda()
    both(f)


def test_deepcopy_of_a_model():
    def f(T):
        m = make_net(T)
        c = copy.deepcopy(m)
        with T.no_grad():
            c.fc1.weight.add_(1)
        x = data(T, 2, 3)
        return (c.fc1.weight is m.fc1.weight, type(c.fc1.weight).__name__, repr(c) == repr(m),
                m(x), c(x), list(c.state_dict()))
    both(f)


def test_module_version_and_call_super_init():
    def f(T):
        class A:
            def __init__(self, *args, **kwargs):
                self.seen = (args, kwargs)

        class M(T.nn.Module, A):
            call_super_init = True
        return T.nn.Module._version, M(1, k=2).seen
    both(f)


def test_forward_with_kwargs_and_tuple_output():
    def f(T):
        class M(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = T.nn.Linear(3, 2)

            def forward(self, x, *, scale=1.0):
                y = self.lin(x)
                return y * scale, y.sum()
        m = set_params(M(), T)
        return m(data(T, 4, 3), scale=3.0)
    both(f)


def test_printouts_of_a_bigger_model():
    """What a script prints about a model built from every container: the module tree, the
    parameters, the state dict, outputs and gradients, text for text."""
    def f(T):
        nn = T.nn

        class Block(nn.Module):
            def __init__(self, d):
                super().__init__()
                self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(approximate="tanh"),
                                        nn.Linear(2 * d, d))
                self.gates = nn.ParameterList([nn.Parameter(T.ones(d)) for _ in range(2)])

            def forward(self, x):
                return x + self.ff(x) * self.gates[0]

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([Block(3) for _ in range(3)])
                self.heads = nn.ModuleDict({"a": nn.Linear(3, 1),
                                            "b": nn.Sequential(nn.Linear(3, 2),
                                                               nn.Softmax(dim=-1))})
                self.extra = nn.ParameterDict({"w": nn.Parameter(T.zeros(2, 2))})
                self.register_buffer("steps", T.tensor(0))
                self.drop = None

            def forward(self, x):
                for b in self.blocks:
                    x = b(x)
                return self.heads["a"](x), self.heads["b"](x)
        n = set_params(Net(), T)
        lines = [str(n), str(sum(p.numel() for p in n.parameters()))]
        lines += [f"{name} {p.size()} {p.requires_grad}" for name, p in n.named_parameters()]
        lines += [str(n.state_dict()), str(list(n.heads.parameters())[:1])]
        a, b = n(data(T, 4, 3))
        (a.sum() + b[:, 0].sum()).backward()
        lines += [str(a), str(b), str(n.blocks[1].gates[0].grad),
                  str(n.blocks[0].ff[0].weight.grad)]
        lines += [repr(n.blocks[0].gates), repr(n.extra), str(n.get_submodule("blocks.1.ff.2"))]
        lines += [repr(c) for c in (nn.Sequential(), nn.ModuleDict(), nn.ParameterList(),
                                    nn.ParameterDict())]
        lines.append(repr(nn.Sequential(nn.Sequential(nn.ReLU(), nn.Sequential(nn.Tanh())),
                                        nn.ModuleList([nn.ReLU(), nn.ReLU()]))))
        return "\n".join(lines)
    both(f)
