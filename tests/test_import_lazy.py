"""``import retrograd`` leaves the rarely needed subsystems unloaded (``_LAZY`` tables, see
``retrograd/_lazy.py``), and every lazy name still resolves, to the very object its module
defines, whichever way a script reaches it. No timing here: the unloaded modules are what keeps
the import short, so the tests guard them (``benchmarks/run_all.py --only import`` times it).
"""
from __future__ import annotations

import copy
import importlib
import os
import pickle
import textwrap

import pytest
import torch

import retrograd

from _fresh import ROOT, run_fresh


# loaded on first use; none of them may be in sys.modules right after ``import retrograd``
UNLOADED = ["retrograd.nn", "retrograd.nn.modules", "retrograd.nn.functional", "retrograd.optim",
            "retrograd.utils.data", "retrograd.utils.data._utils.worker",
            "retrograd.utils.checkpoint", "retrograd.serialization._save",
            "retrograd.serialization._load", "retrograd.serialization._unpickler",
            "retrograd.serialization._zipio", "retrograd.func", "retrograd.func._vmap",
            "retrograd.autograd._explain", "retrograd.autograd._why", "dataclasses",
            "retrograd.ops.nn.pooling", "retrograd.ops.nn.pooling_unpool",
            "retrograd.ops.nn.pooling3d_adaptive",
            "retrograd.ops.nn.upsampling", "retrograd.ops.nn.normalization",
            "retrograd.ops.nn.attention", "retrograd.ops.nn.dropout", "retrograd.ops.loss.nll",
            "retrograd.ops.loss.regression", "retrograd.ops.loss.ctc",
            "retrograd.autograd.functional", "retrograd.backends", "traceback", "threading",
            "retrograd.ops.shape.pad", "retrograd.autograd._gradcheck_reverse",
            "retrograd.autograd._gradcheck_forward", "retrograd.autograd._gradcheck_batched",
            "retrograd.autograd.graph", "retrograd.cuda", "retrograd.linalg", "retrograd.random",
            "retrograd._typeinfo", "retrograd.utils", "retrograd.ops.nn.linear",
            "retrograd.ops.nn.distance", "retrograd.autograd.variable", "copy",
            "retrograd.ops.tensor_ns", "retrograd.ops.shape.einsum", "retrograd.autograd.function",
            "retrograd.autograd.forward_ad", "retrograd.autograd._fwd_dispatch",
            "retrograd.autograd._double_vjp", "retrograd.autograd._jvp_rules",
            "retrograd.autograd._dual"] + \
    ["retrograd.ops." + m for m in ("sorting.sort", "sorting.cpu_kernels", "reduction.cumulative",
                                    "reduction.stats", "elementwise.erfgamma", "linalg.products",
                                    "linalg.triangular", "random", "nn.rnn", "nn._lstm_kernels",
                                    "linalg.solve", "linalg._common", "linalg.decompositions",
                                    "linalg.matrix_functions", "linalg.pinv_lstsq", "linalg.norm",
                                    "nn.conv", "nn.fold", "nn.shuffle", "nn._conv_kernels",
                                    "activation.functions", "activation.softmax",
                                    "activation.piecewise", "activation.smooth",
                                    "activation._common", "elementwise.special_np")]


def _packages_with_lazy_tables() -> list:
    pkgs = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "retrograd")):
        if "__init__.py" in files:
            with open(os.path.join(dirpath, "__init__.py"), encoding="utf-8") as fh:
                if "\n_LAZY = " in fh.read():
                    rel = os.path.relpath(dirpath, ROOT).replace(os.sep, ".")
                    pkgs.append(rel)
    return sorted(pkgs)


def test_heavy_modules_stay_unloaded_after_import():
    res = run_fresh("import json, retrograd\n"
               f"print(json.dumps([m for m in {UNLOADED!r} if m in sys.modules]))")
    assert res == []


def test_lazy_names_resolve_in_a_fresh_process():
    # the way a PyTorch script reaches them: attribute access on the package, nothing imported;
    # the modules are imported afterwards, to check that the names are their very objects
    res = run_fresh(textwrap.dedent("""
        import json, retrograd as torch
        x = torch.tensor([1., 2.], requires_grad=True)
        x64 = x.double().detach().requires_grad_()
        out = {
            'jac': torch.autograd.grad(x * x, x, torch.eye(2), is_grads_batched=True)[0].tolist(),
            'hessian': torch.autograd.functional.hessian(lambda v: (v ** 3).sum(), x).tolist(),
            'gradcheck': torch.autograd.gradcheck(torch.sin, (x64,), check_batched_grad=True,
                                                  check_forward_ad=True),
            'hooks': type(torch.autograd.graph.saved_tensors_hooks(id, id)).__name__,
            'vmap': torch.vmap(torch.sum)(torch.ones(2, 3)).tolist(),
            'cudnn': torch.backends.cudnn.is_available(),
            'cuda': torch.cuda.is_available(), 'eps': torch.finfo(torch.float32).eps,
            'det': torch.linalg.det(torch.eye(2)).item(),
            'seed': isinstance(torch.random.initial_seed(), int),
            'special': torch.special.expit(torch.zeros(1)).item(),
            'variable': torch.autograd.Variable is not None,
            'pdist': torch.pdist(torch.tensor([[0., 0.], [3., 4.]])).tolist(),
            'F': torch.nn.functional.relu(torch.tensor([-1., 2.])).tolist(),
            'ckpt': callable(torch.utils.checkpoint.checkpoint),
            'safe': callable(torch.serialization.add_safe_globals),
        }
        m = torch.nn.Linear(2, 3)
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 2)),
                                         batch_size=2)
        out['batches'] = len(list(dl))
        import retrograd.nn.modules.linear as L, retrograd.utils.data.dataloader as D
        import retrograd.serialization._save as S, retrograd.serialization._load as LD
        import retrograd.optim.sgd as O
        out.update(linear=torch.nn.Linear is L.Linear, sgd=torch.optim.SGD is O.SGD,
                   loader=torch.utils.data.DataLoader is D.DataLoader, load=torch.load is LD.load,
                   save=torch.save is S.save and torch.serialization.save is S.save)
        print(json.dumps(out))
        """))
    assert res == {"jac": [[2.0, 0.0], [0.0, 4.0]], "hessian": [[6.0, 0.0], [0.0, 12.0]],
                   "gradcheck": True, "hooks": "saved_tensors_hooks", "vmap": [3.0, 3.0],
                   "cudnn": False, "cuda": False, "eps": float(torch.finfo(torch.float32).eps),
                   "det": 1.0, "seed": True, "special": 0.5, "variable": True,
                   "pdist": torch.pdist(torch.tensor([[0., 0.], [3., 4.]])).tolist(),
                   "F": [0.0, 2.0], "ckpt": True, "safe": True, "batches": 2,
                   "linear": True, "sgd": True, "loader": True, "load": True, "save": True}


def test_import_statements_reach_lazy_modules(tmp_path):
    # import and from-import forms, a save/load round trip, and a tensor's pickle/deepcopy, whose
    # hooks are attached at import (serialization._copy) without loading the pickler
    path = str(tmp_path / "t.pt")
    res = run_fresh(
        "import json, copy, pickle, retrograd\n"
        "t = retrograd.arange(6.).reshape(2, 3)[:, 1:]\n"
        "c = copy.deepcopy(t); p = pickle.loads(pickle.dumps(t))\n"
        "hooks_only = 'retrograd.serialization._save' not in sys.modules\n"
        "from retrograd import nn, optim, save, load\n"
        "import retrograd.nn.functional as F\n"
        "from retrograd.utils.data import DataLoader, TensorDataset\n"
        "from retrograd.serialization import add_safe_globals, DEFAULT_PROTOCOL\n"
        f"save({{'w': t}}, {path!r}); back = load({path!r})\n"
        "print(json.dumps({'copy': c.tolist(), 'pickle': p.tolist(), 'hooks_only': hooks_only,\n"
        "  'nn': nn is retrograd.nn, 'optim': optim is retrograd.optim, 'F': F is nn.functional,\n"
        "  'back': back['w'].tolist(), 'protocol': DEFAULT_PROTOCOL}))")
    assert res == {"copy": [[1.0, 2.0], [4.0, 5.0]], "pickle": [[1.0, 2.0], [4.0, 5.0]],
                   "hooks_only": True, "nn": True, "optim": True, "F": True,
                   "back": [[1.0, 2.0], [4.0, 5.0]],
                   "protocol": torch.serialization.DEFAULT_PROTOCOL}


def test_lazy_op_families_register_only_torch_and_functional_names():
    # A family of a _LAZY table may add torch.* names (reached through retrograd.__getattr__)
    # and nn.functional names (nn.functional loads every family first), and no Tensor method
    # (those of ops.METHOD_FAMILIES: test_method_families_*) and no linalg/special/fft name.
    res = run_fresh(
        "import json, importlib, retrograd\n"
        "from retrograd.ops import _registry as R, METHOD_FAMILIES\n"
        "for m in METHOD_FAMILIES: importlib.import_module('retrograd.ops.' + m)\n"
        "def tables():\n"
        "    return {'methods': sorted(R.METHODS), 'inplace': sorted(R.INPLACE),\n"
        "            **{k: sorted(v) for k, v in R.NAMESPACES.items() if k != 'nn.functional'}}\n"
        "before, names = tables(), set(R.FUNCTIONS)\n"
        "pool_loaded = 'retrograd.ops.nn.pooling' in sys.modules\n"
        "y = retrograd.max_pool2d(retrograd.arange(16.).reshape(1, 1, 4, 4), 2)\n"
        "new = sorted(set(R.FUNCTIONS) - names)\n"
        "print(json.dumps({'same': tables() == before, 'pool_loaded': pool_loaded,\n"
        "  'y': y.tolist(), 'reached': all(getattr(retrograd, n) is R.FUNCTIONS[n] for n in new),\n"
        "  'new': len(new), 'in_dir': [n for n in ('max_pool2d', 'dropout', '_trilinear')\n"
        "                              if n in dir(retrograd)]}))")
    assert res == {"same": True, "pool_loaded": False, "y": [[[[5.0, 7.0], [13.0, 15.0]]]],
                   "reached": True, "new": res["new"],
                   "in_dir": ["max_pool2d", "dropout", "_trilinear"]}
    assert res["new"] > 20   # max_pool*, dropout*, batch_norm, embedding, ... joined torch.*


def test_method_families_add_exactly_their_declared_methods():
    # ops.METHOD_FAMILIES lists the Tensor methods of each family that loads on first use: each
    # is a stub on Tensor after import, and importing the family registers exactly those
    res = run_fresh(
        "import json, importlib, retrograd\n"
        "from retrograd import _lazy\n"
        "from retrograd.ops import _registry as R, METHOD_FAMILIES\n"
        "T = retrograd.Tensor\n"
        "out = {'stubs': all(isinstance(T.__dict__[n], _lazy.MethodStub)\n"
        "                    for v in METHOD_FAMILIES.values() for n in v.split())}\n"
        "for m, names in METHOD_FAMILIES.items():\n"
        "    before = set(R.METHODS) | set(R.INPLACE)\n"
        "    importlib.import_module('retrograd.ops.' + m)\n"
        "    out[m] = sorted((set(R.METHODS) | set(R.INPLACE)) - before) == sorted(names.split())\n"
        "print(json.dumps(out))")
    from retrograd.ops import METHOD_FAMILIES
    assert res == {"stubs": True, **dict.fromkeys(METHOD_FAMILIES, True)}


def test_method_of_a_lazy_family_on_first_use():
    # the first lookup of a stub loads its family and puts the real method in its place: same
    # values and errors as PyTorch's, the same __name__/__qualname__/__doc__ as when the family
    # is loaded first, listed by dir(Tensor) before and after, reached from a subclass too
    code = textwrap.dedent("""
        import json, importlib, retrograd as torch
        T = torch.Tensor
        fam = lambda m: 'retrograd.ops.' + m in sys.modules
        x = torch.tensor([[3., 1., 2.], [0., 5., 4.]], requires_grad=True)
        out = {'before': [fam('sorting.sort'), fam('reduction.cumulative'), fam('nn.rnn'),
                          fam('random')],
               'in_dir': all(n in dir(T) for n in ('sort', 'cumsum_', 'unsafe_chunk', 'erf_')),
               'hasattr': hasattr(x, 'var')}
        FIRST
        v, i = x.sort(dim=1, descending=True)
        v.sum().backward()
        out.update(sort=[v.tolist(), i.tolist(), v.grad_fn.name()], grad=x.grad.tolist(),
                   cumsum=x.detach().clone().cumsum_(1).tolist(),
                   chunk=[c.tolist() for c in x.unsafe_chunk(2, 1)],
                   p=type(torch.nn.Parameter(torch.ones(2)).std()).__name__,
                   meta={n: [getattr(T, n).__name__, getattr(T, n).__qualname__,
                             getattr(T, n).__doc__] for n in ('sort', 'cumsum_', 'std', 'erf')},
                   after=[fam('sorting.sort'), fam('reduction.cumulative'), fam('nn.rnn')],
                   real=type(T.__dict__['sort']).__name__)
        try:
            x.topk(k=7)
        except Exception as e:
            out['error'] = [type(e).__name__, str(e)]
        out['uniform'] = torch.empty(3).uniform_(2, 2).tolist()
        print(json.dumps(out))
        """)
    lazy = run_fresh(code.replace("FIRST", ""))
    eager = run_fresh(code.replace("FIRST", "from retrograd.ops import load_families; load_families()"))
    assert lazy["before"] == [False, False, False, False] and lazy["in_dir"] and lazy["hasattr"]
    assert lazy["after"] == [True, True, True] and lazy["real"] == "function"
    assert {k: v for k, v in lazy.items() if k != "before"} == \
        {k: v for k, v in eager.items() if k != "before"}
    x = torch.tensor([[3., 1., 2.], [0., 5., 4.]], requires_grad=True)
    v, i = x.sort(dim=1, descending=True)
    v.sum().backward()
    assert lazy["sort"] == [v.tolist(), i.tolist(), "SortBackward0"]
    assert lazy["grad"] == x.grad.tolist()
    assert lazy["cumsum"] == x.detach().clone().cumsum_(1).tolist()
    assert lazy["chunk"] == [c.tolist() for c in x.unsafe_chunk(2, 1)]
    assert lazy["uniform"] == [2.0, 2.0, 2.0] and lazy["p"] == "Tensor"
    with pytest.raises(Exception) as t:
        x.topk(k=7)
    assert lazy["error"] == [type(t.value).__name__, str(t.value)]
    assert {n: m[0] for n, m in lazy["meta"].items()} == \
        {n: getattr(torch.Tensor, n).__name__ for n in ("sort", "cumsum_", "std", "erf")}


def test_torch_function_of_a_method_family_loads_that_family_alone():
    # torch.sort / torch.std load their family, not every family (retrograd._more), and then
    # the family's other torch.* names are there (torch.std_mean)
    res = run_fresh("import json, retrograd as torch\n"
               "v = torch.sort(torch.tensor([2., 1.])).values.tolist()\n"
               "torch.std(torch.ones(2))\n"
               "s = torch.std_mean(torch.tensor([1., 3.]))[0].item()\n"
               "print(json.dumps([v, s] + [m in sys.modules for m in ('retrograd.ops.sorting.sort',\n"
               "    'retrograd.ops.reduction.stats', 'retrograd.ops.nn.pooling',\n"
               "    'retrograd.ops.linalg.solve')]))")
    s = torch.std_mean(torch.tensor([1., 3.]))[0].item()
    assert res == [[1.0, 2.0], s, True, True, False, False]


def test_linalg_and_special_namespaces_load_only_their_families():
    # retrograd.linalg / retrograd.special (nn.init imports linalg) load the families with
    # names there, and those are all of their names
    res = run_fresh("import json, retrograd, retrograd.linalg, retrograd.special\n"
               "from retrograd.ops import load_families\n"
               "a = sorted(dir(retrograd.linalg)), sorted(dir(retrograd.special))\n"
               "sort = 'retrograd.ops.sorting.sort' in sys.modules\n"
               "load_families()\n"
               "from retrograd.ops._registry import NAMESPACES as N\n"
               "print(json.dumps([sort, [n for n in N['linalg'] if n not in a[0]],\n"
               "                  [n for n in N['special'] if n not in a[1]], len(a[0])]))")
    assert res[:3] == [False, [], []] and res[3] > 30


def test_formula_namespace_for_create_graph_loads_on_first_use():
    # tensor_ns (the backward formulas on Tensors) is imported by the first create_graph=True
    res = run_fresh("import json, retrograd\n"
               "x = retrograd.tensor([1., 2.], requires_grad=True)\n"
               "g, = retrograd.autograd.grad((x ** 3).sum(), x)\n"
               "before = 'retrograd.ops.tensor_ns' in sys.modules\n"
               "g, = retrograd.autograd.grad((x ** 3).sum(), x, create_graph=True)\n"
               "h, = retrograd.autograd.grad(g.sum(), x)\n"
               "print(json.dumps([before, 'retrograd.ops.tensor_ns' in sys.modules, g.tolist(),\n"
               "                  h.tolist(), g.grad_fn.name()]))")
    x = torch.tensor([1., 2.], requires_grad=True)
    g, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    h, = torch.autograd.grad(g.sum(), x)
    assert res == [False, True, g.tolist(), h.tolist(), g.grad_fn.name()]


def test_registry_functional_namespace_loads_the_families():
    # ops call nn.functional ops through the registry's namespace; a miss loads the families
    res = run_fresh("import json, retrograd\n"
               "from retrograd.ops._registry import functional as F\n"
               "x = retrograd.ones(1, 1, 2, 2)\n"
               "print(json.dumps(F.avg_pool2d(x, 2).tolist()))")
    assert res == [[[[1.0]]]]


@pytest.mark.parametrize("package", _packages_with_lazy_tables())
def test_every_lazy_entry_resolves_to_its_module_attribute(package):
    mod = importlib.import_module(package)
    assert mod._LAZY, package
    for name, target in mod._LAZY.items():
        module, _, attr = target.partition(":")
        real = importlib.import_module(f"{package}.{module}")
        want = getattr(real, attr) if attr else real
        assert getattr(mod, name) is want, (package, name)
        assert name in dir(mod), (package, name)


# retrograd's own diagnostics (no torch counterpart), lazy in retrograd.autograd
OWN = {"why_no_grad", "NoGradReason", "explain", "Explanation", "NodeRecord"}


def test_lazy_names_are_pytorchs_names():
    for package in _packages_with_lazy_tables():
        if package.startswith("retrograd.ops"):   # internal: the op families, no torch module
            continue
        torch_mod = importlib.import_module("torch" + package[len("retrograd"):])
        for name in importlib.import_module(package)._LAZY:
            assert hasattr(torch_mod, name) != (name in OWN), (package, name)


def test_dir_star_import_and_missing_names():
    names = dir(retrograd)
    for name in ("nn", "optim", "save", "load", "Tensor", "add", "autograd", "utils", "linalg",
                 "cuda", "finfo"):
        assert name in names
    ns: dict = {}
    exec("from retrograd import *", ns)
    assert ns["nn"] is retrograd.nn and ns["save"] is retrograd.save and ns["zeros"] is \
        retrograd.zeros and ns["max_pool2d"] is retrograd.max_pool2d
    assert "max_pool2d" in names and "_trilinear" in names
    for mod, torch_mod in ((retrograd, torch), (retrograd.utils, torch.utils)):
        with pytest.raises(AttributeError) as e:
            mod.no_such_name  # noqa: B018
        with pytest.raises(AttributeError) as t:
            torch_mod.no_such_name  # noqa: B018
        assert str(e.value) == str(t.value).replace("'torch", "'retrograd")


def test_tensor_pickles_like_before():
    t = retrograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert pickle.loads(pickle.dumps(t)).tolist() == t.tolist()
    assert copy.deepcopy(t).requires_grad
