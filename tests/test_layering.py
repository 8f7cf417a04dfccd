"""The package's import graph is layered: each module imports only from its own layer or the
layers below it, and there is no import cycle.

Layers (lowest first; see ``LAYERS``):

0. dtype, device, grad mode, ``Size``, warnings, dispatch state: no Tensor yet
1. ``Tensor`` and its construction (``_tensor*``, ``_creation``, the random generators)
2. autograd's core: graph recording (``autograd._record``), ``Node``, the engine, custom
   ``Function``, forward AD, anomaly mode, saved-tensor hooks
3. the ops (``retrograd/ops/``): each op's forward, backward and forward-mode rule
4. the public namespaces: ``torch.*`` (``_functions``), Tensor's methods, ``linalg``, ``special``,
   ``fft``, ``nn.functional``
5. what is built on the whole autograd: ``autograd.functional``, ``gradcheck``, ``func``
   (``vmap``, ``grad``, ...), ``utils.checkpoint``; the ``retrograd.autograd`` package
6. ``nn``, ``optim``, ``utils.data``, ``serialization``, ``viz``
7. the ``retrograd`` package itself, which re-exports everything

Every ``import`` and ``from ... import`` naming a retrograd module is read with ``ast``, at
module level and inside functions (relative imports included; ``from . import x`` counts as an
import of the submodule ``x``), and so is every package's ``_LAZY`` table of attributes loaded on
first use (``retrograd/_lazy.py``), as imports inside a function. Executing ``import a.b.c``
also runs ``a/__init__.py``; such implicit parent-package imports are not edges (a package's
``__init__`` may re-export from higher layers, as ``torch.autograd`` does).

An import inside a function is allowed only where ``LAZY`` lists it, with the reason: optional
dependencies and modules deliberately loaded late. ``LAZY`` is the one place that says which.
"""
from __future__ import annotations

import ast
import os
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "retrograd")
PKG = "retrograd"

# (module prefix, layer); the longest matching prefix wins. Names are relative to ``retrograd``;
# "" is the package itself.
LAYERS = {
    # 0: no Tensor yet
    "_dtype": 0, "_device": 0, "_grad_mode": 0, "_size": 0, "_warn": 0, "_runtime": 0,
    "_dispatch": 0, "_quiet": 0, "_mt19937": 0, "_random_dists": 0, "_random_avx2": 0,
    "_shape_fmt": 0, "_hooks": 0,
    "utils.hooks": 0,
    "backends": 0,
    "_malloc": 0, "_lazy": 0,
    # 1: Tensor and its construction
    "_tensor": 1, "_tensor_str": 1, "_tensor_new": 1, "_interop": 1, "_factory": 1,
    "_creation": 1, "_random": 1, "_random_sampling": 1,
    # 2: autograd's core
    "autograd.node": 2, "autograd._record": 2, "autograd.engine": 2, "autograd.function": 2,
    "autograd.forward_ad": 2, "autograd._forward_ad": 2, "autograd._jvp_rules": 2,
    "autograd._dual": 2, "autograd._fwd_dispatch": 2, "autograd._double_vjp": 2,
    "autograd.anomaly_mode": 2, "autograd.graph": 2, "autograd.variable": 2,
    "autograd.provenance": 2, "autograd._explain": 2, "autograd._backward": 2,
    "autograd._saved": 2, "autograd._node_meta": 2, "autograd._engine_util": 2,
    "autograd._once_differentiable": 2,
    # 3: the ops
    "ops": 3,
    # 4: the public namespaces
    "_functions": 4, "_tensor_methods": 4, "_legacy": 4, "_typeinfo": 4, "linalg": 4,
    "special": 4, "fft": 4, "nn.functional": 4, "random": 4, "cuda": 4, "accelerator": 4,
    # 5: built on the whole autograd
    "autograd": 5, "func": 5, "utils.checkpoint": 5,
    # 6: nn, optim, data, serialization, viz
    "nn": 6, "optim": 6, "utils": 6, "serialization": 6, "viz": 6,
    # 7: the package
    "": 7,
}

# Imports inside functions that stay there on purpose: (importer, imported) -> why.
LAZY = {
    ("autograd.node", "autograd.provenance"):
        "provenance is off by default; a node reads it only once set_provenance turned it on",
    ("autograd.engine", "autograd.provenance"):
        "only on the error path of a backward run with provenance on",
    ("nn.utils", "nn.utils.prune"):
        "pruning loads on first use (nn.utils.__getattr__), as torch.nn.utils.prune is not "
        "loaded by import torch",
    ("autograd", "autograd._why"):
        "why_no_grad (retrograd's own diagnostic, no torch counterpart) loads on first use "
        "(autograd.__getattr__)",
    ("autograd", "autograd.functional"):
        "autograd.functional (jacobian, hessian, vjp, ...) loads on first use (autograd._LAZY), "
        "for a short import retrograd",
    ("autograd", "autograd.graph"):
        "autograd.graph (saved-tensor hooks, multi-grad hooks, GradientEdge helpers) loads on "
        "first use (autograd._LAZY), for a short import retrograd",
    ("autograd", "autograd._explain"):
        "autograd.explain (retrograd's own recorder, no torch counterpart) loads on first use "
        "(autograd._LAZY): its dataclasses cost more at import than the engine",
    ("autograd.engine", "autograd._explain"):
        "only when an explainer is active (engine.EXPLAINERS non-empty), i.e. after explain() "
        "loaded the module: the import binds its evaluator",
    ("autograd._explain", "viz.explain_html"):
        "the explainer records with autograd alone; its table and HTML page (viz) load when "
        "first printed or written",
    ("", "nn"):
        "torch.nn loads on first use (retrograd._LAZY): a fresh import retrograd stays short; "
        "retrograd.nn, import retrograd.nn and from retrograd import nn load it",
    ("", "optim"):
        "torch.optim loads on first use (retrograd._LAZY), for a short import retrograd",
    ("", "backends"):
        "torch.backends (cudnn/mps/cuda flags) loads on first use (retrograd._LAZY), for a short "
        "import retrograd",
    **{("", name): "a small namespace module loaded on first use (retrograd._LAZY): each costs "
                   "a module's load at import, whether a script uses it or not"
       for name in ("linalg", "special", "fft", "random", "cuda", "accelerator", "_typeinfo",
                    "utils")},
    ("autograd", "autograd.variable"):
        "Variable (a deprecated alias of Tensor) loads on first use (autograd._LAZY)",
    ("", "func"):
        "torch.func (vmap, grad, jacrev, ...) loads on first use (retrograd._LAZY), for a short "
        "import retrograd",
    ("autograd", "func"):
        "autograd.grad(is_grads_batched=True) needs vmap: _load_func imports func, which hands "
        "autograd its batched paths (_backward._BATCHED); before that no vmap can be running",
    ("serialization", "serialization._load"):
        "load() and its unpickler load on first use (serialization._LAZY); only the pickle/"
        "deepcopy hooks of Tensor (_copy) are attached at import",
    ("serialization", "serialization._save"):
        "save() and its pickler load on first use (serialization._LAZY)",
    ("serialization", "serialization._unpickler"):
        "the weights-only allow-list (add_safe_globals, ...) loads on first use "
        "(serialization._LAZY)",
    ("utils", "utils.data"):
        "utils.data (DataLoader, datasets, samplers, workers) loads on first use (utils._LAZY); "
        "nn's hooks import utils.hooks, which must not drag the data pipeline in",
    ("utils", "utils.checkpoint"):
        "checkpoint loads on first use (utils._LAZY), for a short import retrograd",
    ("ops.nn.upsampling", "ops.nn.upsampling_aa"):
        "interpolate(antialias=True) loads its kernels at its first call: upsampling_aa builds "
        "on upsampling (its taps and node), and nn.functional loads op families one by one",
    ("autograd.gradcheck", "autograd._gradcheck_reverse"):
        "gradcheck's checks load with the first gradcheck (_gradcheck), not with import retrograd",
    ("autograd.gradcheck", "autograd._gradcheck_forward"):
        "gradcheck's forward-mode checks load with the first gradcheck (_gradcheck)",
    ("autograd.gradcheck", "autograd._gradcheck_batched"):
        "gradcheck's batched (vmap) checks load with the first gradcheck (_gradcheck)",
    ("autograd._gradcheck_common", ""):
        "gradcheck is library-agnostic by design: _lib() finds the library at call time, so the "
        "same code runs against torch under RETROGRAD_SHIM_TORCH (tests/test_gradcheck_fn.py "
        "validates it so); the package imports gradcheck, so it cannot import the package back",
}

# The op families that load on first use (the _LAZY tables of retrograd/ops/nn/, loss/, shape/)
_FAMILY_WHY = ("an op family loaded on first use (its package's _LAZY, ops.load_families()): by "
               "nn.functional, by a torch.* lookup (retrograd._more) or by its own import")
LAZY.update({("ops.nn", "ops.nn." + family): _FAMILY_WHY
             for family in ("conv", "fold", "shuffle", "pooling", "pooling_unpool", "pooling_adaptive", "upsampling", "conv_functional",
                            "linear", "distance", "norms", "bilinear", "normalization", "dropout", "embedding", "embedding_bag",
                            "attention", "attention_mha", "local_response_norm", "pooling3d",
                            "pooling3d_adaptive", "grid_sample", "upsampling_aa")})
LAZY.update({("ops.loss", "ops.loss." + family): _FAMILY_WHY
             for family in ("regression", "nll", "bce", "margin", "torch_forms", "ctc")})
LAZY[("ops.shape", "ops.shape.pad")] = _FAMILY_WHY
LAZY[("ops.shape", "ops.shape.einsum")] = _FAMILY_WHY
_LINALG_WHY = ("the linalg op families load on first use (ops.METHOD_FAMILIES: Tensor method "
               "stubs, retrograd.linalg, nn.functional), for a short import retrograd")
LAZY.update({("ops.numpy_ns", "ops.linalg." + m): _LINALG_WHY
             for m in ("_common", "decompositions", "matrix_functions", "pinv_lstsq", "solve")})
LAZY[("nn.utils.clip_grad", "ops.linalg.norm")] = _LINALG_WHY
LAZY[("ops.numpy_ns", "ops.elementwise.special_np")] = (
    "the special-function kernels load with their op families (erfgamma, activation: "
    "ops.METHOD_FAMILIES), on first use")
LAZY[("nn.init", "linalg")] = _LINALG_WHY + " (only orthogonal_ uses it)"
LAZY[("_functions", "ops")] = (
    "a torch.* name of an op family that loads on first use (_functions.sort) loads it "
    "(ops.load_family_of / load_families) when first looked up")
LAZY.update({("ops.numpy_ns", "ops.nn." + m): _FAMILY_WHY
             for m in ("conv", "fold", "shuffle", "_conv_kernels")})
LAZY[("autograd", "autograd.forward_ad")] = (
    "forward-mode AD (dual tensors, its dispatch mode, the double-VJP fallback) loads on first "
    "use (autograd._LAZY), for a short import retrograd")
LAZY[("autograd.function", "autograd.forward_ad")] = (
    "a custom Function reaches forward AD only inside an open level (forward_ad loaded then); "
    "forward AD loads on first use (autograd._LAZY)")
_NN_WHY = ("the nn layers, nn.functional, nn.init and nn.utils load on first use (nn._LAZY, "
           "nn.modules._LAZY): import retrograd.nn costs only what a script uses")
LAZY.update({("nn.modules", "nn.modules." + m): _NN_WHY
             for m in ("module", "container", "linear", "flatten", "loss", "rnn", "activation",
                       "pooling", "upsampling", "conv", "fold", "padding", "bilinear",
                       "distance", "batchnorm", "instancenorm", "normalization", "dropout",
                       "sparse", "attention", "transformer", "pooling3d", "lazy")})
LAZY.update({("nn", "nn." + m): _NN_WHY for m in ("functional", "init", "utils")})
LAZY.update({("optim", "optim." + m): "the optimizers and schedulers load on first use "
             "(optim._LAZY), one file per class: import retrograd.optim costs only what is used"
             for m in ("_adafactor", "adadelta", "adagrad", "adam", "adamax", "asgd", "lbfgs",
                       "lr_scheduler", "_muon", "nadam", "optimizer", "radam", "rmsprop", "rprop",
                       "sgd", "swa_utils")})
LAZY[("autograd", "autograd.function")] = (
    "custom Functions load on first use (autograd._LAZY; nn imports them), for a short import "
    "retrograd")

# Imports that still run against the layering or sit inside functions without a reason. This
# list only shrinks: the test fails when an entry is no longer needed, so remove it then.
DEBT: set[tuple[str, str]] = set()

# Module-level imports inside one layer that close a cycle (a family's main file imports its
# spill-over files to register them, and they import it back). Ignored by the cycle check only;
# this list only shrinks too.
CYCLE_DEBT: set[tuple[str, str]] = set()


def _modules() -> dict:
    mods = {}
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                is_pkg = rel == "__init__" or rel.endswith(".__init__")
                name = "" if rel == "__init__" else rel[:-9] if is_pkg else rel
                mods[name] = (path, is_pkg)
    return mods


def _resolve(mods, mod, is_pkg, node) -> list:
    """The retrograd modules an import statement names (relative to the package)."""
    def full(name):
        return PKG + ("." + name if name else "")
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names if a.name.split(".")[0] == PKG]
    else:
        if node.level:
            base = full(mod).split(".")
            if not is_pkg:
                base = base[:-1]
            base = base[:len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        if prefix.split(".")[0] != PKG:
            return []
        targets = []
        for a in node.names:
            sub = prefix + "." + a.name
            targets.append(sub if sub[len(PKG) + 1:] in mods else prefix)
    out = []
    for t in targets:
        rel = t[len(PKG) + 1:] if t != PKG else ""
        while rel not in mods and rel:
            rel = rel.rsplit(".", 1)[0] if "." in rel else ""
        out.append(rel)
    return out


def import_graph():
    """{importer: {imported: "module" | "function"}} over the package's modules."""
    mods = _modules()
    graph = {}
    for mod, (path, is_pkg) in mods.items():
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        edges = graph.setdefault(mod, {})

        def visit(node, in_function):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for t in _resolve(mods, mod, is_pkg, child):
                        if t != mod:
                            kind = "function" if in_function else "module"
                            if edges.get(t) != "module":
                                edges[t] = kind
                visit(child, in_function or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))
        visit(tree, False)
        for t in _lazy_table(mods, mod, is_pkg, tree):
            if t != mod and edges.get(t) != "module":
                edges[t] = "function"
    return graph


def _lazy_table(mods, mod, is_pkg, tree) -> list:
    """The retrograd modules a package's ``_LAZY`` table (``retrograd/_lazy.py``) imports on
    first use: they count as imports inside a function, each with its ``LAZY`` entry."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY"
                                                for t in node.targets):
            assert is_pkg and isinstance(node.value, ast.Dict), f"{mod}: _LAZY must be a dict " \
                "literal in a package's __init__"
            for v in node.value.values:
                head, _, name = v.value.partition(":")[0].rpartition(".")
                out += _resolve(mods, mod, is_pkg, ast.ImportFrom(
                    module=head or None, names=[ast.alias(name=name)], level=1))
    return out


def function_level_imports() -> int:
    """How many import statements inside functions name a retrograd module."""
    mods = _modules()
    found = set()
    for mod, (path, is_pkg) in mods.items():
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and \
                            _resolve(mods, mod, is_pkg, node):
                        found.add((path, node.lineno, node.col_offset))
    return len(found)


def layer(mod: str):
    best = None
    for prefix, lay in LAYERS.items():
        if mod == prefix or (prefix and mod.startswith(prefix + ".")) or prefix == "":
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, lay)
    return best[1]


def sccs(graph) -> list:
    """Strongly connected components (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(graph.get(w, ()))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out


def violations(graph) -> set:
    """(importer, imported) pairs that import upward or inside a function without a reason."""
    bad = set()
    for mod, edges in graph.items():
        for t, kind in edges.items():
            if (mod, t) in LAZY:
                continue
            if kind == "function" or layer(t) > layer(mod):
                bad.add((mod, t))
    return bad


GRAPH = import_graph()


def test_every_module_has_a_layer():
    # a module matched only by "" (the package's layer) is one nobody placed
    unplaced = [m for m in GRAPH if m and layer(m) == 7]
    assert unplaced == []


def test_lazy_entries_exist_and_say_why():
    for (mod, t), why in LAZY.items():
        assert t in GRAPH.get(mod, {}), f"LAZY entry {mod} -> {t} no longer imports"
        assert GRAPH[mod][t] == "function", f"{mod} -> {t} is imported at module level"
        assert len(why) > 10, f"LAZY entry {mod} -> {t} needs a reason"


def test_imports_follow_the_layers():
    bad = violations(GRAPH)
    new = sorted(bad - DEBT)
    gone = sorted(DEBT - bad)
    assert new == [], "imports against the layering (or inside functions without a LAZY " \
        "entry):\n" + "\n".join(f"  {a} -> {b} ({GRAPH[a][b]}, layer {layer(a)} -> " \
                                f"{layer(b)})" for a, b in new)
    assert gone == [], f"fixed, remove from DEBT: {gone}"


def test_no_import_cycle():
    ignored = set(LAZY) | DEBT | CYCLE_DEBT
    graph = {m: {t for t in e if (m, t) not in ignored} for m, e in GRAPH.items()}
    cycles = [c for c in sccs(graph) if len(c) > 1]
    assert cycles == []
    gone = sorted(e for e in CYCLE_DEBT if e[1] not in GRAPH.get(e[0], ()))
    assert gone == [], f"fixed, remove from CYCLE_DEBT: {gone}"


if __name__ == "__main__":  # the numbers for a report
    comps = sccs({m: set(e) for m, e in GRAPH.items()})
    big = max(comps, key=len)
    sizes = sorted((sum(1 for _ in open(p, encoding="utf-8")), m)
                   for m, (p, _) in _modules().items())
    print("modules", len(GRAPH), "| biggest SCC (all imports)", len(big),
          "| function-level import statements", function_level_imports(),
          "| importer->imported pairs at function level",
          sum(k == "function" for e in GRAPH.values() for k in e.values()),
          "| violations", len(violations(GRAPH)), "| largest file", sizes[-1])
    if "-v" in sys.argv:
        for a, b in sorted(violations(GRAPH)):
            print(f"    ({a!r}, {b!r}),")
