"""retrograd.save / retrograd.load against torch.save / torch.load: round trips both ways,
bit-exact values, dtypes, shapes, strides, storage offsets and sharing, requires_grad,
containers, the zip layout, mmap, map_location, the legacy format and atomic writes."""
from __future__ import annotations

import contextlib
import io
import os
import pathlib
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import retrograd
from retrograd.serialization import _rebuild, _zipio

DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "bool"]


def sample(name: str) -> np.ndarray:
    """Values that exercise every bit pattern class of the dtype (NaN, inf, -0.0, extremes)."""
    dt = np.dtype(name if name != "bool" else np.bool_)
    if dt.kind == "f":
        vals = [0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, np.finfo(dt).max,
                np.finfo(dt).tiny, 1e-3, 3.0, 7.0]
    elif dt.kind == "b":
        vals = [True, False, True, True, False, False, True, False, True, False, False, True]
    else:
        info = np.iinfo(dt)
        vals = [info.min, info.max, 0, 1, -1 if info.min < 0 else 2, 3, 4, 5, 6, 7, 8, 9]
    return np.array(vals, dtype=dt).reshape(3, 4)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and \
        np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def rg_np(t) -> np.ndarray:
    return t.detach().numpy()


def th_np(t) -> np.ndarray:
    return t.detach().numpy()


def saved_by_torch(obj, **kw) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def saved_by_rg(obj, **kw) -> bytes:
    buf = io.BytesIO()
    retrograd.save(obj, buf, **kw)
    return buf.getvalue()


def check_pair(r, t):
    """A retrograd tensor and a torch tensor are the same tensor, bit for bit and in layout."""
    assert str(r.dtype) == str(t.dtype)
    assert tuple(r.shape) == tuple(t.shape)
    assert r.stride() == t.stride()
    assert r.storage_offset() == t.storage_offset()
    assert r.requires_grad == t.requires_grad
    assert same_bits(rg_np(r), th_np(t))


# -- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_retrograd_to_torch_every_dtype(name):
    base = retrograd.from_numpy(sample(name).copy())
    obj = {"full": base, "t": base.t(), "row": base[1], "cols": base[:, 1::2], "zero_d": base[2, 3]}
    out = torch.load(io.BytesIO(saved_by_rg(obj)))
    for k in obj:
        check_pair(obj[k], out[k])
    # one storage in the file: the views came back sharing it
    ptr = out["full"].untyped_storage().data_ptr()
    assert all(out[k].untyped_storage().data_ptr() == ptr for k in obj)


@pytest.mark.parametrize("name", DTYPES)
def test_torch_to_retrograd_every_dtype(name):
    base = torch.from_numpy(sample(name).copy())
    obj = {"full": base, "t": base.t(), "row": base[1], "cols": base[:, 1::2], "zero_d": base[2, 3]}
    out = retrograd.load(io.BytesIO(saved_by_torch(obj)))
    for k in obj:
        check_pair(out[k], obj[k])
    full = rg_np(out["full"])
    assert all(np.shares_memory(rg_np(out[k]), full) for k in obj)


def test_views_share_memory_after_load_in_both_libraries():
    def scenario(T, data):
        d = T.load(io.BytesIO(data))
        d["a"].add_(100)  # through the base: every view sees it
        return [d[k].tolist() for k in ("a", "v", "w")]

    a = retrograd.arange(6.0).reshape(2, 3)
    data = saved_by_rg({"a": a, "v": a.t(), "w": a[1, 1:]})
    assert scenario(retrograd, data) == scenario(torch, data)
    ta = torch.arange(6.0).reshape(2, 3)
    tdata = saved_by_torch({"a": ta, "v": ta.t(), "w": ta[1, 1:]})
    assert scenario(retrograd, tdata) == scenario(torch, tdata)


def test_storages_written_once_and_distinct_storages_apart():
    a, b = retrograd.ones(4), retrograd.zeros(3)
    names = zipfile.ZipFile(io.BytesIO(saved_by_rg([a, a[1:], a[::2], b, b]))).namelist()
    assert sorted(n for n in names if "/data/" in n) == ["archive/data/0", "archive/data/1"]


def test_empty_scalar_expanded_and_offset_tensors_both_ways():
    r = {"empty": retrograd.zeros(0, 3), "empty1": retrograd.ones(5)[5:], "scalar":
         retrograd.tensor(2.5), "expanded": retrograd.tensor([1.0, 2.0]).expand(3, 2),
         "offset": retrograd.arange(10, dtype=retrograd.int64)[7:]}
    t = torch.load(io.BytesIO(saved_by_rg(r)))
    for k in r:
        assert str(r[k].dtype) == str(t[k].dtype) and tuple(r[k].shape) == tuple(t[k].shape)
        assert same_bits(rg_np(r[k]), th_np(t[k]))
    assert t["expanded"].stride() == (0, 1) and t["offset"].storage_offset() == 7
    tt = {"empty": torch.zeros(0, 3), "scalar": torch.tensor(2.5),
          "expanded": torch.tensor([1.0, 2.0]).expand(3, 2),
          "offset": torch.arange(10)[7:]}
    back = retrograd.load(io.BytesIO(saved_by_torch(tt)))
    for k in tt:
        check_pair(back[k], tt[k])


def test_requires_grad_and_non_leaf_both_ways():
    x = retrograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3  # a non-leaf is saved as its data, requires_grad=True, as torch does
    t = torch.load(io.BytesIO(saved_by_rg({"x": x, "y": y, "n": x.detach()})))
    assert t["x"].requires_grad and t["y"].requires_grad and t["y"].is_leaf
    assert not t["n"].requires_grad
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    back = retrograd.load(io.BytesIO(saved_by_torch({"x": tx, "y": tx * 3})))
    assert back["x"].requires_grad and back["y"].requires_grad and back["y"].is_leaf
    assert back["y"].tolist() == [3.0, 6.0]


def test_parameter_from_torch():
    p = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    q = torch.nn.Parameter(torch.tensor([2.0]), requires_grad=False)
    back = retrograd.load(io.BytesIO(saved_by_torch({"p": p, "q": q})))
    cls = _rebuild.parameter_class()
    # retrograd.nn.Parameter where it exists, else a plain leaf tensor with requires_grad set
    expected = cls if cls is not None else retrograd.Tensor
    assert type(back["p"]) is expected and type(back["q"]) is expected
    assert back["p"].requires_grad and back["p"].is_leaf and not back["q"].requires_grad
    assert back["p"].tolist() == [1.0, -1.0]


def test_state_dict_of_a_torch_module_keeps_metadata():
    sd = torch.nn.Linear(3, 2).state_dict()
    back = retrograd.load(io.BytesIO(saved_by_torch(sd)))
    assert type(back) is OrderedDict and list(back) == ["weight", "bias"]
    assert back._metadata == sd._metadata
    for k in sd:
        check_pair(back[k], sd[k])


def test_containers_and_python_values_both_ways():
    def build(T):
        return {"od": OrderedDict([("z", 1), ("a", 2)]), "list": [1, 2.5, "s", None, True],
                "tuple": (T.tensor([1, 2]), (3, (4,))), "big": 2 ** 80, "neg": -7,
                "float": float("inf"), "bytes": b"\x00\xff", "size": T.Size([2, 3]),
                "dtypes": [T.float16, T.int64, T.bool], "device": T.device("cpu"),
                "set": {1, 2}, "complex": 1 + 2j, "nested": {"x": {"y": [T.zeros(1)]}}}

    def plain(obj):
        if isinstance(obj, (torch.Tensor, retrograd.Tensor)):
            return ("tensor", str(obj.dtype), obj.tolist())
        if isinstance(obj, (torch.Size, retrograd.Size)):
            return ("size", tuple(obj))
        if isinstance(obj, (torch.dtype, retrograd.dtype, torch.device, retrograd.device)):
            return repr(obj)
        if isinstance(obj, dict):
            return type(obj).__name__, [(k, plain(v)) for k, v in obj.items()]
        if isinstance(obj, (list, tuple)):
            return type(obj).__name__, [plain(v) for v in obj]
        return obj

    from_rg = torch.load(io.BytesIO(saved_by_rg(build(retrograd))))
    from_torch = retrograd.load(io.BytesIO(saved_by_torch(build(torch))))
    assert plain(from_rg) == plain(build(torch))
    assert plain(from_torch) == plain(build(retrograd))
    assert from_torch["dtypes"][0] is retrograd.float16 and type(from_torch["size"]) is \
        retrograd.Size


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols(protocol):
    obj = {"a": retrograd.arange(3.0), "d": retrograd.int8, "s": retrograd.Size([1])}
    data = saved_by_rg(obj, pickle_protocol=protocol)
    # torch's weights-only unpickler stops at protocol 4's FRAME opcode (also on files torch
    # wrote itself); its full unpickler reads them. retrograd's reads them all, warning as torch.
    with pytest.warns(UserWarning) if protocol == 3 else contextlib.nullcontext():
        t = torch.load(io.BytesIO(data), weights_only=protocol < 4)
    if protocol == 2:
        r = retrograd.load(io.BytesIO(data))
    else:
        with pytest.warns(UserWarning, match=f"Detected pickle protocol {protocol}"):
            r = retrograd.load(io.BytesIO(data))
    assert t["a"].tolist() == r["a"].tolist() == [0.0, 1.0, 2.0]
    assert t["d"] is torch.int8 and r["d"] is retrograd.int8
    assert t["s"] == torch.Size([1]) and type(r["s"]) is retrograd.Size


# -- the file itself ---------------------------------------------------------------------------
def records(data: bytes):
    """(name, data offset) of each record, read from the local headers."""
    z = zipfile.ZipFile(io.BytesIO(data))
    out = []
    for info in z.infolist():
        h = info.header_offset
        n, m = struct.unpack("<HH", data[h + 26:h + 30])
        out.append((info.filename, h + 30 + n + m))
    return out


def test_layout_matches_torch(tmp_path):
    obj = {"a": retrograd.ones(3), "b": retrograd.zeros(2, dtype=retrograd.int64)}
    mine = records(saved_by_rg(obj))
    theirs = records(saved_by_torch({"a": torch.ones(3), "b": torch.zeros(2, dtype=torch.long)}))
    assert [n for n, _ in mine] == [n for n, _ in theirs]
    assert all(off % 64 == 0 for _, off in mine)
    z = zipfile.ZipFile(io.BytesIO(saved_by_rg(obj)))
    assert z.read("archive/.format_version") == b"1"
    assert z.read("archive/.storage_alignment") == b"64"
    assert z.read("archive/byteorder") == b"little"
    assert z.read("archive/version") == b"3\n"
    sid = z.read("archive/.data/serialization_id")
    assert len(sid) == 40 and sid.isdigit()
    assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
    path = tmp_path / "model.v1.pt"
    retrograd.save(obj, path)
    assert zipfile.ZipFile(path).namelist()[0] == "model.v1/data.pkl"  # torch: the file's stem


def test_paths_pathlike_and_file_objects(tmp_path):
    t = retrograd.arange(4.0)
    retrograd.save(t, str(tmp_path / "a.pt"))
    retrograd.save(t, pathlib.Path(tmp_path / "b.pt"))
    with open(tmp_path / "c.pt", "wb") as f:
        retrograd.save(t, f)
    for name in ("a.pt", "b.pt", "c.pt"):
        assert torch.load(tmp_path / name).tolist() == [0.0, 1.0, 2.0, 3.0]
        with open(tmp_path / name, "rb") as f:
            assert retrograd.load(f).tolist() == [0.0, 1.0, 2.0, 3.0]
        assert retrograd.load(pathlib.Path(tmp_path / name)).tolist() == [0.0, 1.0, 2.0, 3.0]


def test_mmap_both_ways(tmp_path):
    a = retrograd.arange(24.0).reshape(4, 6)
    retrograd.save({"a": a, "v": a[1:, ::2], "i": retrograd.arange(5)}, tmp_path / "r.pt")
    before = (tmp_path / "r.pt").read_bytes()
    t = torch.load(tmp_path / "r.pt", mmap=True)
    check_pair(a[1:, ::2], t["v"])
    r = retrograd.load(tmp_path / "r.pt", mmap=True)
    check_pair(r["v"], t["v"])
    r["a"].add_(1)  # copy-on-write: the views see it, the file does not
    assert r["v"].tolist() == (a[1:, ::2] + 1).tolist()
    assert (tmp_path / "r.pt").read_bytes() == before
    torch.save({"w": torch.arange(6.0).reshape(2, 3).t()}, tmp_path / "t.pt")
    check_pair(retrograd.load(tmp_path / "t.pt", mmap=True)["w"],
               torch.arange(6.0).reshape(2, 3).t())
    for T in (torch, retrograd):
        with pytest.raises(ValueError, match="f must be a file path in order to use the mmap"):
            T.load(io.BytesIO(before), mmap=True)


def with_location(data: bytes, location: str) -> bytes:
    """The same checkpoint with its storages tagged ``location`` (as if saved on a GPU)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.endswith("data.pkl"):
                body = body.replace(b"X\x03\x00\x00\x00cpu",
                                    b"X" + struct.pack("<I", len(location)) + location.encode())
            dst.writestr(info.filename, body)
    return out.getvalue()


def test_map_location_like_torch():
    data = with_location(saved_by_torch({"a": torch.arange(3.0)}), "cuda:0")
    for T in (torch, retrograd):
        ok = [T.load(io.BytesIO(data), map_location="cpu"),
              T.load(io.BytesIO(data), map_location=T.device("cpu")),
              T.load(io.BytesIO(data), map_location={"cuda:0": "cpu"}),
              T.load(io.BytesIO(data), map_location=lambda storage, loc: storage)]
        assert all(d["a"].tolist() == [0.0, 1.0, 2.0] for d in ok)
    for bad in ({}, None, lambda storage, loc: None):
        errors = []
        for T in (torch, retrograd):
            with pytest.raises(RuntimeError) as e:
                T.load(io.BytesIO(data), map_location=bad)
            errors.append(str(e.value))
        assert errors[0] == errors[1]
        assert errors[0].startswith("Attempting to deserialize object on a CUDA device")
    seen = []
    retrograd.load(io.BytesIO(saved_by_rg(retrograd.ones(2))),
                   map_location=lambda s, loc: seen.append((s.dtype, s.size(), loc)))
    assert seen == [(retrograd.float32, 2, "cpu")]


def test_legacy_format_both_ways():
    ta = torch.arange(6.0).reshape(2, 3)
    data = saved_by_torch({"a": ta, "v": ta.t(), "i": torch.tensor([1, 2], dtype=torch.int16)},
                          _use_new_zipfile_serialization=False)
    back = retrograd.load(io.BytesIO(data))
    check_pair(back["a"], ta)
    check_pair(back["v"], ta.t())
    assert np.shares_memory(rg_np(back["a"]), rg_np(back["v"]))
    assert back["i"].dtype is retrograd.int16
    a = retrograd.arange(6.0).reshape(2, 3)
    out = torch.load(io.BytesIO(saved_by_rg({"a": a, "v": a.t()},
                                            _use_new_zipfile_serialization=False)))
    check_pair(a.t(), out["v"])
    assert out["v"].untyped_storage().data_ptr() == out["a"].untyped_storage().data_ptr()
    for T in (torch, retrograd):
        with pytest.raises(RuntimeError, match="mmap can only be used with files saved with"):
            T.load(io.BytesIO(data), mmap=True)


class Custom:
    def __init__(self, value):
        self.value = value


def test_weights_only_false_loads_arbitrary_objects():
    data = saved_by_torch({"c": Custom(torch.tensor([1.0]))})
    out = retrograd.load(io.BytesIO(data), weights_only=False)
    assert isinstance(out["c"], Custom) and type(out["c"].value) is retrograd.Tensor
    assert out["c"].value.tolist() == [1.0]
    with pytest.raises(Exception) as e:
        retrograd.load(io.BytesIO(data))
    assert type(e.value).__name__ == "UnpicklingError"
    mine = saved_by_rg({"c": Custom(retrograd.tensor([2.0]))})
    assert torch.load(io.BytesIO(mine), weights_only=False)["c"].value.tolist() == [2.0]


def test_same_memory_as_two_dtypes_is_refused_like_torch():
    errors = []
    for T in (retrograd, torch):
        a = T.arange(4, dtype=T.int32)
        with pytest.raises(RuntimeError) as e:
            T.save([a, a.view(T.float32)], io.BytesIO())
        errors.append(str(e.value))
    assert errors[0] == errors[1]


# -- atomic writes -----------------------------------------------------------------------------
def test_interrupted_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    retrograd.save({"step": 1, "w": retrograd.ones(3)}, path)
    old = path.read_bytes()
    real = _zipio.ZipWriter.write_record

    def failing(self, name, data):
        if name.startswith("data/"):  # after data.pkl and the small records went out
            raise OSError("disk full")
        return real(self, name, data)

    monkeypatch.setattr(_zipio.ZipWriter, "write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        retrograd.save({"step": 2, "w": retrograd.zeros(3)}, path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    monkeypatch.undo()
    assert retrograd.load(path)["step"] == 1
    with pytest.raises(Exception):  # a lambda cannot be pickled: nothing is written either
        retrograd.save({"f": lambda: 0}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ckpt.pt"]
    retrograd.save({"step": 3, "w": retrograd.zeros(3)}, path)
    assert torch.load(path)["step"] == 3 and os.listdir(tmp_path) == ["ckpt.pt"]


def test_new_file_has_default_permissions(tmp_path):
    retrograd.save(retrograd.ones(1), tmp_path / "r.pt")
    torch.save(torch.ones(1), tmp_path / "t.pt")
    assert (tmp_path / "r.pt").stat().st_mode == (tmp_path / "t.pt").stat().st_mode


def test_dtypes_retrograd_lacks_are_a_clear_error():
    data = saved_by_torch({"x": torch.ones(2, dtype=torch.bfloat16)})
    for wo in (True, False):
        with pytest.raises(RuntimeError, match="retrograd cannot load torch.BFloat16Storage"):
            retrograd.load(io.BytesIO(data), weights_only=wo)


def test_missing_parent_directory_like_torch(tmp_path):
    errors = []
    for T in (torch, retrograd):
        with pytest.raises(RuntimeError) as e:
            T.save(T.ones(1), str(tmp_path / "no" / "such" / "f.pt"))
        errors.append(str(e.value).replace(str(tmp_path), "TMP"))
    assert errors[0] == errors[1] and not os.path.exists(tmp_path / "no")


def test_pickle_load_args_like_torch():
    data = saved_by_rg({"a": retrograd.ones(1)})
    for T in (torch, retrograd):
        with pytest.warns(UserWarning, match="pickle_load_args only works if `weights_only=False`"):
            T.load(io.BytesIO(data), encoding="latin1")
        assert T.load(io.BytesIO(data), weights_only=False, encoding="latin1")["a"].tolist() == [1.0]


def test_parameter_goes_through_retrograd_nn_parameter_once_it_exists(monkeypatch):
    from retrograd.serialization._copy import _as_type

    class Parameter(retrograd.Tensor):  # the shape retrograd.nn.Parameter will have
        def __new__(cls, data=None, requires_grad=True):
            t = retrograd.Tensor._make(data._data, None, False)
            t.requires_grad = requires_grad
            return _as_type(t, cls)

    monkeypatch.setattr(retrograd.nn, "Parameter", Parameter, raising=False)
    back = retrograd.load(io.BytesIO(saved_by_torch(
        {"p": torch.nn.Parameter(torch.tensor([1.0, 2.0])), "t": torch.ones(1)})))
    assert type(back["p"]) is Parameter and back["p"].requires_grad
    assert type(back["t"]) is retrograd.Tensor
    out = torch.load(io.BytesIO(saved_by_rg({"p": Parameter(retrograd.tensor([3.0]))})))
    assert type(out["p"]) is torch.nn.Parameter and out["p"].requires_grad
    assert out["p"].tolist() == [3.0]


class _WriteOnly(io.RawIOBase):
    """A stream that can only be written (a pipe, a socket): no seek, no tell."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += bytes(b)
        return len(b)


def test_save_to_a_stream_that_cannot_seek():
    a = retrograd.arange(5.0)
    for T, obj in ((retrograd, {"a": a, "v": a[2:]}), (torch, {"a": torch.arange(5.0)})):
        out = _WriteOnly()
        T.save(obj, out)
        assert torch.load(io.BytesIO(bytes(out.buf)))["a"].tolist() == [0.0, 1, 2, 3, 4]
        assert retrograd.load(io.BytesIO(bytes(out.buf)))["a"].tolist() == [0.0, 1, 2, 3, 4]


def test_big_endian_checkpoints_are_swapped_like_torch():
    src = zipfile.ZipFile(io.BytesIO(saved_by_torch({"a": torch.tensor([1.5, -2.0, 3.25]),
                                                     "i": torch.tensor([1, 256])})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.endswith("byteorder"):
                body = b"big"
            elif "/data/" in info.filename:
                size = 4 if info.filename.endswith("/0") else 8
                body = np.frombuffer(body, f"<u{size}").astype(f">u{size}").tobytes()
            dst.writestr(info, body)
    mine = retrograd.load(io.BytesIO(out.getvalue()))
    theirs = torch.load(io.BytesIO(out.getvalue()))
    for k in theirs:
        check_pair(mine[k], theirs[k])
    assert mine["a"].tolist() == [1.5, -2.0, 3.25] and mine["i"].tolist() == [1, 256]


def test_legacy_storage_views_like_torch(monkeypatch):
    """Files from torch < 1.6 may reference a slice of a storage (view_metadata)."""
    from retrograd.serialization import _save

    class ViewPickler(_save._TorchPickler):
        def persistent_id(self, obj):
            pid = super().persistent_id(obj)
            return None if pid is None else pid[:5] + (("view", 2, 3),)

    monkeypatch.setattr(_save, "_TorchPickler", ViewPickler)
    data = saved_by_rg({"a": retrograd.arange(6.0)[:3]}, _use_new_zipfile_serialization=False)
    monkeypatch.undo()
    mine, theirs = retrograd.load(io.BytesIO(data)), torch.load(io.BytesIO(data))
    assert mine["a"].tolist() == theirs["a"].tolist() == [2.0, 3.0, 4.0]
