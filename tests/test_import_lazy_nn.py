"""``import retrograd.nn, retrograd.optim, retrograd.nn.functional`` loads no layer, optimizer or
op family yet (``nn.modules._LAZY``, ``optim._LAZY``, ``ops.functional_families``): each loads
when its name is first looked up, and is then the very object it is when everything is loaded.
No timing here (``benchmarks/run_all.py --only import`` times it); see tests/test_import_lazy.py.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import textwrap

import numpy as np
import torch

import retrograd.optim

from _fresh import ROOT, run_fresh

IMPORTS = "import retrograd, retrograd.nn, retrograd.optim, retrograd.nn.functional\n"


def _files(package: str) -> list:
    path = os.path.join(ROOT, *package.split("."))
    return sorted(f"{package}.{f[:-3]}" for f in os.listdir(path)
                  if f.endswith(".py") and f != "__init__.py")


def test_nn_optim_functional_load_no_layer_optimizer_or_family():
    res = run_fresh("import json\n" + IMPORTS +
               "from retrograd.ops.functional_families import FUNCTIONAL_FAMILIES as FF\n"
               "print(json.dumps([sorted(m for m in sys.modules if m.startswith(\n"
               "    ('retrograd.nn', 'retrograd.optim'))),\n"
               "    sorted(m for m in FF if 'retrograd.ops.' + m in sys.modules)]))")
    loaded, families = res
    assert loaded == ["retrograd.nn", "retrograd.nn.functional", "retrograd.nn.modules",
                      "retrograd.nn.parameter", "retrograd.optim"]
    assert families == []
    # so every file of nn/modules/ and optim/, nn.init and nn.utils stay unloaded
    assert not set(loaded) & set(_files("retrograd.nn.modules") + _files("retrograd.optim") +
                                 ["retrograd.nn.init", "retrograd.nn.utils"])


def test_functional_families_register_exactly_their_names():
    # every nn.functional name registered by a family that loads on first use is listed under
    # the module that registers it (the @export's caller), and nothing else is listed
    res = run_fresh(textwrap.dedent("""
        import json, retrograd
        from retrograd.ops import _registry as R, load_families
        from retrograd.ops.functional_families import FUNCTIONAL_FAMILIES
        F, eager, by = R.NAMESPACES['nn.functional'], sorted(R.NAMESPACES['nn.functional']), {}
        add = R._add
        def _add(table, name, fn):
            if table is F and name not in F:
                m = sys._getframe(2).f_globals['__name__'][len('retrograd.ops.'):]
                by.setdefault(m, []).append(name)
            return add(table, name, fn)
        R._add = _add
        load_families()
        print(json.dumps({'eager': eager, 'by': {m: sorted(v) for m, v in by.items()},
                          'table': {m: sorted(v.split()) for m, v in FUNCTIONAL_FAMILIES.items()},
                          'all': sorted(F)}))
        """))
    assert res["by"] == res["table"]
    listed = [n for names in res["table"].values() for n in names]
    assert len(listed) == len(set(listed)) and not set(listed) & set(res["eager"])
    assert sorted(listed + res["eager"]) == res["all"] and len(listed) > 100


def test_lazy_names_are_the_objects_everything_loaded_gives():
    # each name looked up first (a fresh process, nothing else loaded), then everything
    # loaded: the names are the classes of their files and the registered functions
    res = run_fresh(textwrap.dedent("""
        import json, importlib, os, pickle
        """ + IMPORTS + """
        import retrograd.nn as nn, retrograd.optim as optim, retrograd.nn.functional as F
        import retrograd.nn.modules as M
        first = {(mod.__name__, n): getattr(mod, n) for mod in (nn, M, optim, F)
                 for n in dir(mod) if not n.startswith('__')}
        kinds = sorted({type(v).__name__ for v in first.values()})
        from retrograd.ops import load_families
        from retrograd.ops._registry import NAMESPACES, functional
        load_families()
        for f in os.listdir(os.path.dirname(M.__file__)):
            if f.endswith('.py') and f != '__init__.py':
                importlib.import_module('retrograd.nn.modules.' + f[:-3])
        import retrograd.nn.init, retrograd.nn.utils, retrograd.optim.lr_scheduler
        bad = []
        for (mod, n), v in first.items():
            if isinstance(v, type):
                home = sys.modules[v.__module__]
                if getattr(home, v.__qualname__) is not v or pickle.loads(pickle.dumps(v)) is not v:
                    bad.append([mod, n, 'class'])
            elif mod.endswith('functional') and n in NAMESPACES['nn.functional']:
                if NAMESPACES['nn.functional'][n] is not v or getattr(functional, n) is not v:
                    bad.append([mod, n, 'F'])
            if getattr(sys.modules[mod], n) is not v:
                bad.append([mod, n, 'changed'])
        stars = {}
        for mod in ('retrograd.nn', 'retrograd.nn.functional', 'retrograd.optim'):
            ns = {}
            exec('from ' + mod + ' import *', ns)
            stars[mod] = sorted(n for n in ns if n != '__builtins__')
        print(json.dumps({'bad': bad, 'kinds': kinds, 'n': len(first), 'stars': stars,
            'dirs': {m.__name__: sorted(n for n in dir(m) if not n.startswith('_'))
                     for m in (nn, F)},
            'modules': [nn.modules.linear.Linear is nn.Linear, nn.modules.conv.Conv2d is
                        nn.Conv2d, M.attention.MultiheadAttention is nn.MultiheadAttention,
                        nn.Linear.__module__, nn.Linear.__qualname__],
            'hidden': [hasattr(optim, m) for m in ('adam', 'sgd', 'optimizer')]}))
        """))
    assert res["bad"] == [] and res["n"] > 450 and "type" in res["kinds"]
    assert res["modules"] == [True, True, True, "retrograd.nn.modules.linear", "Linear"]
    assert res["hidden"] == [False, False, False]   # as in torch.optim
    # from X import * gives what the package lists (nn, F: no __all__, as in torch)
    assert res["stars"]["retrograd.nn"] == res["dirs"]["retrograd.nn"]
    assert res["stars"]["retrograd.nn.functional"] == res["dirs"]["retrograd.nn.functional"]
    assert res["stars"]["retrograd.optim"] == sorted(retrograd.optim.__all__)


def test_missing_names_raise_pytorchs_errors():
    res = run_fresh("import json\n" + IMPORTS +
               "out = []\n"
               "for mod in (retrograd.nn, retrograd.nn.functional, retrograd.optim,\n"
               "            retrograd.nn.modules):\n"
               "    try:\n"
               "        mod.no_such_name\n"
               "    except AttributeError as e:\n"
               "        out.append(str(e))\n"
               "print(json.dumps(out))")
    want = []
    for mod in (torch.nn, torch.nn.functional, torch.optim, torch.nn.modules):
        try:
            mod.no_such_name  # noqa: B018
        except AttributeError as e:
            want.append(str(e).replace("'torch", "'retrograd"))
    assert res == want


def test_model_of_lazily_loaded_classes_trains_like_pytorch():
    # a script's usual names, each loaded on first use: one SGD and one Adam step (with a
    # scheduler) match PyTorch's, and only the files those names need were loaded
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1, 6, 6)).astype(np.float32)
    y = np.array([0, 2, 1, 2])
    code = textwrap.dedent("""
        import json
        import LIB as torch
        import LIB.nn as nn
        import LIB.optim as optim
        import LIB.nn.functional as F
        torch.manual_seed(0)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 2, 3)
                self.body = nn.Sequential(nn.Flatten(), nn.Linear(32, 8), nn.ReLU(),
                                          nn.Dropout(0.0), nn.Linear(8, 3))
            def forward(self, x):
                return self.body(F.relu(self.conv(x)))
        net = Net()
        W = json.loads(sys.argv[1])
        with torch.no_grad():
            for k, p in net.named_parameters():
                p.copy_(torch.tensor(W[k]))
        x, y = torch.tensor(W['x']), torch.tensor(W['y'])
        loss_fn = nn.CrossEntropyLoss()
        losses = []
        for opt in (optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
                    optim.Adam(net.parameters(), lr=0.01)):
            sched = optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
            opt.zero_grad()
            loss = loss_fn(net(x), y) + 0.1 * F.mse_loss(net(x), torch.zeros(4, 3))
            loss.backward()
            opt.step()
            sched.step()
            losses.append([loss.item(), loss.grad_fn.name(), sched.get_last_lr()])
        print(json.dumps({'losses': losses, 'params': {k: p.tolist() for k, p in
                                                       net.named_parameters()},
                          'files': sorted(m for m in sys.modules if m.startswith(
                              ('LIB.nn.modules.', 'LIB.optim.')))}))
        """)
    torch.manual_seed(0)
    weights = {k: (rng.standard_normal(s) * 0.3).astype(np.float32).tolist()
               for k, s in (("conv.weight", (2, 1, 3, 3)), ("conv.bias", (2,)),
                            ("body.1.weight", (8, 32)), ("body.1.bias", (8,)),
                            ("body.4.weight", (3, 8)), ("body.4.bias", (3,)))}
    arg = json.dumps({**weights, "x": x.tolist(), "y": y.tolist()})

    ours = run_fresh(code.replace("LIB", "retrograd").replace("sys.argv[1]", repr(arg)))
    out = io.StringIO()   # PyTorch's run in this process (torch is loaded here already)
    with contextlib.redirect_stdout(out):
        exec(code.replace("LIB", "torch").replace("sys.argv[1]", repr(arg)), {"sys": sys})
    theirs = json.loads(out.getvalue())
    assert [r[1:] for r in ours["losses"]] == [r[1:] for r in theirs["losses"]]
    np.testing.assert_allclose([r[0] for r in ours["losses"]], [r[0] for r in theirs["losses"]],
                               rtol=1e-5)
    for k, v in theirs["params"].items():
        np.testing.assert_allclose(ours["params"][k], v, rtol=1e-4, atol=1e-6)
    assert ours["files"] == sorted(  # the classes' files (loss imports distance), no others
        ["retrograd.nn.modules." + m for m in ("_hooks", "_state_dict", "_utils", "activation",
                                               "container", "conv", "distance", "dropout",
                                               "flatten", "linear", "loss", "module")] +
        ["retrograd.optim." + m for m in ("_lr_base", "_lr_cyclic", "adam", "lr_scheduler",
                                          "optimizer", "sgd")])


def test_interpolate_antialias_in_a_fresh_process():
    """interpolate(antialias=True) is the first use of its family in a fresh interpreter (its
    kernels live in a module of their own, loaded at that first call), compared with torch."""
    res = run_fresh(textwrap.dedent("""
        import json
        import numpy as np
        import retrograd
        x = retrograd.tensor(np.arange(64, dtype=np.float32).reshape(1, 1, 8, 8) / 7)
        y = retrograd.nn.functional.interpolate(x, size=(3, 5), mode="bilinear", antialias=True)
        print(json.dumps(y.tolist()))
    """))
    x = torch.tensor(np.arange(64, dtype=np.float32).reshape(1, 1, 8, 8) / 7)
    ref = torch.nn.functional.interpolate(x, size=(3, 5), mode="bilinear", antialias=True)
    np.testing.assert_allclose(res, ref.tolist(), rtol=1e-6, atol=1e-6)
