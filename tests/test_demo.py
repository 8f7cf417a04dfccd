"""The main job (examples/train_digits.py): it trains, saves a checkpoint torch.load reads, and
with the same seed prints the same losses as the same script on PyTorch (retrograd draws
PyTorch's random numbers: the same initial weights and the same shuffled batches)."""
from __future__ import annotations

import importlib.util
import pathlib
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
