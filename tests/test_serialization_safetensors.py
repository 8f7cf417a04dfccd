"""retrograd.serialization.safetensors against safetensors.torch: round trips both ways, bit
for bit, the same refusals (shared memory, non-contiguous), and the hint without the package."""
from __future__ import annotations

import os
import sys

import pytest
import torch

import retrograd
from retrograd.serialization import safetensors as rst

sft = pytest.importorskip("safetensors.torch")  # in the test extra; absent only in bare installs

DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "bool"]


def tensors(T):
    out = {}
    for i, name in enumerate(DTYPES):
        out[name] = (T.arange(12).reshape(3, 4) - 5 * i).to(getattr(T, name))
    out["scalar"] = T.tensor(-0.0)
    out["empty"] = T.zeros(0, 2)
    out["special"] = T.tensor([float("nan"), float("inf"), -float("inf"), 1e-40])
    return out


def same(r, t) -> bool:
    return str(r.dtype) == str(t.dtype) and tuple(r.shape) == tuple(t.shape) and \
        r.numpy().tobytes() == t.numpy().tobytes()


def test_save_file_read_by_safetensors_torch(tmp_path):
    path = tmp_path / "m.safetensors"
    rst.save_file(tensors(retrograd), path, metadata={"format": "pt"})
    back, mine, ref = sft.load_file(path), tensors(retrograd), tensors(torch)
    assert set(back) == set(ref)
    assert all(same(mine[k], back[k]) and same(mine[k], ref[k]) for k in ref)
    from safetensors import safe_open
    with safe_open(str(path), framework="np") as f:
        assert f.metadata() == {"format": "pt"}
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_safetensors_torch_file_read_by_retrograd(tmp_path):
    path = tmp_path / "t.safetensors"
    sft.save_file(tensors(torch), path)
    back = rst.load_file(path)
    assert all(same(back[k], t) for k, t in tensors(torch).items())
    back["float32"].add_(1)  # loaded tensors are ordinary writable tensors
    via_load = retrograd.load(path)  # torch.load dispatches .safetensors paths the same way
    assert all(same(via_load[k], t) for k, t in tensors(torch).items())


def test_bytes_api_both_ways():
    data = rst.save({"w": retrograd.tensor([[1.5, -2.0]])})
    assert sft.load(data)["w"].tolist() == [[1.5, -2.0]]
    back = rst.load(sft.save({"w": torch.tensor([3, 4], dtype=torch.int16)}))
    assert back["w"].dtype is retrograd.int16 and back["w"].tolist() == [3, 4]


@pytest.mark.parametrize("case", ["shared", "non_contiguous", "not_tensor"])
def test_refusals_match_safetensors_torch(case):
    def build(T):
        a = T.arange(6.0)
        return {"shared": {"x": a, "y": a[1:]}, "non_contiguous": {"x": a.reshape(2, 3).t()},
                "not_tensor": {"x": 1}}[case]

    errors = []
    for save in (rst.save, sft.save):
        with pytest.raises(Exception) as e:
            save(build(retrograd if save is rst.save else torch))
        errors.append((type(e.value), str(e.value)))
    if case == "not_tensor":  # the message names each library's tensor type
        assert errors[0][0] is errors[1][0]
    else:
        assert errors[0] == errors[1]


def test_disjoint_slices_of_one_storage_may_be_saved():
    a = retrograd.arange(6.0)
    back = sft.load(rst.save({"x": a[:3], "y": a[3:]}))
    assert back["x"].tolist() == [0.0, 1.0, 2.0] and back["y"].tolist() == [3.0, 4.0, 5.0]


def test_without_the_package_a_one_line_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError) as e:
        rst.save({"x": retrograd.ones(1)})
    assert "pip install safetensors" in str(e.value) and "\n" not in str(e.value)
