"""``import retrograd`` leaves the rarely needed subsystems unloaded (``_LAZY`` tables, see
``retrograd/_lazy.py``), and every lazy name still resolves, to the very object its module
defines, whichever way a script reaches it. No timing here: the unloaded modules are what keeps
the import short, so the tests guard them (``benchmarks/run_all.py --only import`` times it).
"""
from __future__ import annotations

import copy
import importlib
import json
import os
import pickle
import subprocess
import sys
import textwrap

import pytest
import torch

import retrograd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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
            "retrograd.ops.nn.distance", "retrograd.autograd.variable", "copy"]


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (this checkout first on sys.path); its last stdout
    line is JSON."""
    code = f"import sys; sys.path.insert(0, {ROOT!r})\n" + code
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    res = _run("import json, retrograd\n"
               f"print(json.dumps([m for m in {UNLOADED!r} if m in sys.modules]))")
    assert res == []


def test_lazy_names_resolve_in_a_fresh_process():
    # the way a PyTorch script reaches them: attribute access on the package, nothing imported;
    # the modules are imported afterwards, to check that the names are their very objects
    res = _run(textwrap.dedent("""
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
    res = _run(
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
    # A family that loads on first use may add torch.* names (reached through
    # retrograd.__getattr__) and nn.functional names (nn.functional loads every family first),
    # and no Tensor method and no linalg/special/fft name: those tables are read once, at import.
    res = _run(
        "import json, retrograd\n"
        "from retrograd.ops import _registry as R\n"
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


def test_registry_functional_namespace_loads_the_families():
    # ops call nn.functional ops through the registry's namespace; a miss loads the families
    res = _run("import json, retrograd\n"
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
