"""The main job (examples/train_digits.py): it trains, saves a checkpoint torch.load reads, and
with the same seed prints the same losses as the same script on PyTorch (retrograd draws
PyTorch's random numbers: the same initial weights and the same shuffled batches)."""
from __future__ import annotations

import importlib.util
import pathlib
import shutil
import sys

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")   # the demo extra; installed by the test extra too
pytest.importorskip("tqdm")

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _demo():
    spec = importlib.util.spec_from_file_location("train_digits", ROOT / "examples" / "train_digits.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_cnn_trains_like_pytorch_and_its_checkpoint_loads_in_torch(tmp_path):
    demo = _demo()
    ours = demo.main(["--epochs", "2", "--quiet", "--out", str(tmp_path / "r")])
    ref = demo.main(["--epochs", "2", "--quiet", "--backend", "torch", "--out", str(tmp_path / "t")])
    np.testing.assert_allclose(ours["history"]["train_loss"], ref["history"]["train_loss"],
                               rtol=1e-4)
    assert ours["history"]["test_accuracy"] == ref["history"]["test_accuracy"]
    assert ours["history"]["lr"] == ref["history"]["lr"]
    ck = torch.load(ours["checkpoint"])           # weights_only=True, PyTorch's own loader
    model = demo.build_model(torch, "cnn")
    assert str(model.load_state_dict(ck["model"])) == "<All keys matched successfully>"
    assert (tmp_path / "r" / "curves.png").stat().st_size > 0
    # next to the curves: one training step's graph and its backward, step by step
    pics = ours["pictures"]
    page = (tmp_path / "r" / "step_backward.html").read_text(encoding="utf-8")
    assert pics["html"] == str(tmp_path / "r" / "step_backward.html")
    assert page.count('class="node rg-op') == 17 and "ConvolutionBackward0" in page
    if shutil.which("dot"):
        for fmt in ("svg", "png"):
            assert pathlib.Path(pics[fmt]) == tmp_path / "r" / ("step_graph." + fmt)
            assert pathlib.Path(pics[fmt]).stat().st_size > 0
        assert "NllLossBackward0" in (tmp_path / "r" / "step_graph.svg").read_text()
    assert ref["pictures"] == {}                  # the torch backend draws nothing


def test_the_mlp_reaches_a_useful_accuracy(tmp_path):
    res = _demo().main(["--model", "mlp", "--optimizer", "sgd", "--epochs", "3", "--quiet",
                        "--out", str(tmp_path)])
    assert res["accuracy"] > 0.9


def test_a_missing_optional_package_gives_a_one_line_hint(monkeypatch, tmp_path):
    demo = _demo()
    real = demo.importlib.import_module

    def fake(name, *a):
        if name == "tqdm":
            raise ImportError("no tqdm")
        return real(name, *a)
    monkeypatch.setattr(demo.importlib, "import_module", fake)
    with pytest.raises(SystemExit) as info:
        demo.main(["--epochs", "1", "--quiet", "--out", str(tmp_path)])
    assert str(info.value) == ("this demo needs the optional 'tqdm' package: "
                               "pip install -e '.[demo]' (or pip install tqdm)")


def test_without_graphviz_the_step_graph_is_written_as_dot_text_with_a_hint(monkeypatch, tmp_path,
                                                                              capsys):
    import retrograd as rt
    import retrograd.viz

    def no_graphviz(*a, **k):
        raise ImportError("make_dot needs the graphviz Python package")
    monkeypatch.setattr(retrograd.viz, "make_dot", no_graphviz)
    demo = _demo()
    rt.manual_seed(0)
    model = demo.build_model(rt, "mlp")
    xb, yb = rt.rand(4, 1, 8, 8), rt.tensor([0, 1, 2, 3])
    files = demo._step_pictures(rt, model, rt.nn.CrossEntropyLoss(), xb, yb, tmp_path)
    assert set(files) == {"dot", "html"}
    text = (tmp_path / "step_graph.dot").read_text()
    assert text.startswith("digraph {") and "NllLossBackward0" in text and "1.weight" in text
    out = capsys.readouterr().out
    assert "to draw it: apt-get install graphviz and pip install graphviz; ImportError" in out
    assert all(p.grad is None for p in model.parameters())
