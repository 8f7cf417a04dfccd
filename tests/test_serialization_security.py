"""retrograd.load on hostile and broken files: a pickle that would run code is refused with
torch's UnpicklingError and runs nothing; truncated, corrupted or lying archives give a clear
RuntimeError / UnpicklingError / EOFError (the type torch raises), never a crash, a hang or an
allocation the file does not justify."""
from __future__ import annotations

import io
import os
import pickle
import struct
import tracemalloc
import zipfile

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import retrograd
from retrograd.serialization import add_safe_globals, clear_safe_globals, safe_globals

HOSTILE = (RuntimeError, pickle.UnpicklingError, EOFError)


def checkpoint(pkl: bytes, records: dict | None = None) -> bytes:
    """A zip checkpoint holding ``pkl`` as data.pkl and the given data records."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
        for name, body in (records or {}).items():
            z.writestr(f"archive/{name}", body)
    return out.getvalue()


def outcome(T, data: bytes, **kw):
    try:
        T.load(io.BytesIO(data), **kw)
    except Exception as e:  # noqa: BLE001 - the type and text are what is compared
        return type(e), str(e)
    return None, None


def same_error(data: bytes, **kw):
    mine, theirs = outcome(retrograd, data, **kw), outcome(torch, data, **kw)
    assert mine == theirs
    assert mine[0] is not None
    return mine


def tensor_pickle(numel=6, size=(6,), stride=(1,), offset=0, storage="FloatStorage") -> bytes:
    """The pickle torch writes for one tensor, with every field under the test's control."""
    body = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
            b"ctorch\n" + storage.encode() + b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
            + _int(numel) + b"tQ" + _int(offset) + b"(" + b"".join(_int(s) for s in size)
            + b"t(" + b"".join(_int(s) for s in stride)
            + b"t\x89ccollections\nOrderedDict\n)RtR.")
    return body


def _int(v: int) -> bytes:
    if 0 <= v < 2 ** 31:
        return b"J" + struct.pack("<i", v)
    raw = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw


FLOATS = struct.pack("<6f", *range(6))


def test_handmade_pickle_is_read_like_torch():
    data = checkpoint(tensor_pickle(), {"data/0": FLOATS})
    assert retrograd.load(io.BytesIO(data)).tolist() == torch.load(io.BytesIO(data)).tolist()


# -- code execution is refused -----------------------------------------------------------------
class Evil:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return os.system, (self.cmd,)


@pytest.mark.parametrize("legacy", [False, True])
def test_reduce_to_os_system_is_refused_and_nothing_runs(tmp_path, legacy):
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2), "x": Evil(f"touch {marker}")}, buf,
               _use_new_zipfile_serialization=not legacy)
    typ, msg = same_error(buf.getvalue())
    assert typ is pickle.UnpicklingError
    assert msg.splitlines()[0].startswith("Weights only load failed.")
    assert "whose module posix is blocked" in msg
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("builtins", "exec"),
                                         ("subprocess", "Popen"), ("os", "system"),
                                         ("builtins", "getattr"), ("numpy", "load")])
def test_handmade_globals_are_refused_like_torch(tmp_path, module, name):
    marker = tmp_path / "pwned"
    code = f"open({str(marker)!r}, 'w').write('x')"
    arg = code.encode()
    pkl = (b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X" + struct.pack("<I", len(arg))
           + arg + b"\x85R.")
    typ, msg = same_error(checkpoint(pkl))
    assert typ is pickle.UnpicklingError and msg.startswith("Weights only load failed.")
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_other_routes_to_code_are_closed(tmp_path):
    marker = tmp_path / "pwned"
    cmd = f"touch {marker}".encode()
    routes = [
        # protocol 4: STACK_GLOBAL with the names on the stack
        b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(cmd)]) + cmd + b"\x85R.",
        # protocol 0/1 INST and OBJ build instances of any class
        b"(S'" + cmd + b"'\nios\nsystem\n.",
        b"(cos\nsystem\nS'" + cmd + b"'\no.",
        # persistent ids other than storages
        b"\x80\x02X\x03\x00\x00\x00abcQ.",
        # an allowed callable used on a foreign object through BUILD
        b"\x80\x02ccollections\nOrderedDict\n)R}X\x03\x00\x00\x00__class__cos\nsystem\nsb.",
    ]
    for pkl in routes:
        typ, _ = outcome(retrograd, checkpoint(pkl))
        assert typ is pickle.UnpicklingError
    assert not marker.exists()


def test_only_rebuild_functions_may_be_called():
    # torch.Tensor / torch.float32 are names a checkpoint may carry, not functions to call
    for g in (b"torch\nTensor\n", b"torch\nfloat32\n"):
        pkl = b"\x80\x02c" + g + b"J\x00\x00\x00\x40\x85R."
        typ, msg = outcome(retrograd, checkpoint(pkl))
        assert typ is pickle.UnpicklingError and "unrecognized function" in msg


def test_weights_only_false_is_the_explicit_opt_in(tmp_path):
    class Box:
        def __init__(self, v):
            self.v = v
    globals()["Box"] = Box
    Box.__qualname__ = "Box"
    buf = io.BytesIO()
    retrograd.save({"b": Box(retrograd.ones(1))}, buf)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL test_serialization_security.Box"):
        retrograd.load(io.BytesIO(buf.getvalue()))
    assert retrograd.load(io.BytesIO(buf.getvalue()), weights_only=False)["b"].v.tolist() == [1.0]
    with safe_globals([Box]):
        assert retrograd.load(io.BytesIO(buf.getvalue()))["b"].v.tolist() == [1.0]
    with pytest.raises(pickle.UnpicklingError):
        retrograd.load(io.BytesIO(buf.getvalue()))
    add_safe_globals([Box])
    try:
        assert isinstance(retrograd.load(io.BytesIO(buf.getvalue()))["b"], Box)
    finally:
        clear_safe_globals()


# -- broken files ------------------------------------------------------------------------------
def good_file() -> bytes:
    buf = io.BytesIO()
    torch.save({"a": torch.arange(6.0), "b": [1, "x"]}, buf)
    return buf.getvalue()


def test_truncated_files_fail_like_torch():
    data = good_file()
    for n in [0, 1, 3, 4, 10, 30, 64, 100] + list(range(150, len(data), 97)) + [len(data) - 1]:
        mine, theirs = outcome(retrograd, data[:n]), outcome(torch, data[:n])
        assert mine[0] is theirs[0], (n, mine, theirs)
        if mine[0] is RuntimeError:
            assert mine[1].startswith("PytorchStreamReader failed reading zip archive")


def test_garbage_and_empty_files_fail_like_torch():
    same_error(b"garbage, not a checkpoint")  # both: "Unsupported operand 103"
    # torch lets an IndexError escape from its unpickler here ('t' with no MARK); retrograd
    # reports the malformed pickle as an UnpicklingError
    assert outcome(torch, b"this is not a checkpoint")[0] is IndexError
    assert outcome(retrograd, b"this is not a checkpoint")[0] is pickle.UnpicklingError
    assert outcome(retrograd, b"")[0] is outcome(torch, b"")[0] is EOFError


def test_missing_record_fails_like_torch():
    same_error(checkpoint(tensor_pickle()))


def test_record_shorter_than_its_storage_fails_like_torch():
    same_error(checkpoint(tensor_pickle(), {"data/0": FLOATS[:10]}))


def test_absurd_numel_fails_like_torch_without_allocating():
    tracemalloc.start()
    try:
        for numel in (2 ** 40, 2 ** 62, 2 ** 100):
            data = checkpoint(tensor_pickle(numel=numel), {"data/0": FLOATS})
            typ, msg = outcome(retrograd, data)
            assert typ is RuntimeError and "does not match expected size" in msg
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2 ** 20
    same_error(checkpoint(tensor_pickle(numel=2 ** 40), {"data/0": FLOATS}))


def test_tensor_bigger_than_its_storage_fails_like_torch():
    same_error(checkpoint(tensor_pickle(size=(7,)), {"data/0": FLOATS}))
    same_error(checkpoint(tensor_pickle(size=(2, 3), stride=(3, 2)), {"data/0": FLOATS}))
    same_error(checkpoint(tensor_pickle(size=(1,), offset=6), {"data/0": FLOATS}))


@pytest.mark.parametrize("size,stride,offset", [((2 ** 62, 2 ** 62), (0, 0), 0),
                                                ((2 ** 63,), (1,), 0), ((3,), (2 ** 70,), 0),
                                                ((3,), (1,), 2 ** 70)])
def test_absurd_geometry_is_a_runtime_error(size, stride, offset):
    data = checkpoint(tensor_pickle(size=size, stride=stride, offset=offset), {"data/0": FLOATS})
    assert outcome(retrograd, data)[0] is RuntimeError


def test_lying_zip_headers_are_refused_without_allocating():
    data = bytearray(good_file())
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    cd = bytes(data).index(b"PK\x01\x02")  # the central directory entry of data.pkl
    assert z.infolist()[0].filename.endswith("data.pkl")
    data[cd + 20:cd + 28] = struct.pack("<II", 0xFFFFFFF0, 0xFFFFFFF0)  # sizes: ~4 GiB
    tracemalloc.start()
    try:
        typ, msg = outcome(retrograd, bytes(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert typ is RuntimeError and msg.startswith("PytorchStreamReader failed")
    assert peak < 8 * 2 ** 20


@pytest.mark.parametrize("claim", [b"X\xf0\xff\xff\xff", b"\x8d" + struct.pack("<Q", 2 ** 60),
                                   b"B\xf0\xff\xff\x7f", b"\x8e" + struct.pack("<Q", 2 ** 62),
                                   b"\x8b\xf0\xff\xff\x7f"])
def test_huge_lengths_inside_the_pickle_are_refused_without_allocating(claim):
    tracemalloc.start()
    try:
        typ, msg = outcome(retrograd, checkpoint(b"\x80\x02" + claim + b"abc."))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert typ is pickle.UnpicklingError and "pickle data was truncated" in msg
    assert peak < 8 * 2 ** 20


def test_malformed_pickles_are_unpickling_errors():
    bad = [b"\x80\x02.", b"\x80\x02K\x01K\x02.", b"\x80\x02h\x05.", b"\x80\x02t.", b"\x80\x02]a.",
           b"\x80\x02}]]s.", b"\x80\x02K\x01R.", b"\x80\x02K\x01(K\x02u.", b"\xff",
           b"\x80\x02" + b"(" * 100000 + b"."]
    for pkl in bad:
        typ, _ = outcome(retrograd, checkpoint(pkl))
        assert typ in (pickle.UnpicklingError, EOFError), pkl[:20]


def test_deep_nesting_does_not_recurse():
    depth = 50000
    pkl = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."
    out = retrograd.load(io.BytesIO(checkpoint(pkl)))
    for _ in range(depth - 1):
        out = out[0]
    assert out == []


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 2 ** 16), st.integers(0, 255)), min_size=1,
                max_size=4))
def test_random_corruption_gives_a_clear_error_or_a_result(flips):
    data = bytearray(_GOOD)
    for pos, val in flips:
        data[pos % len(data)] = val
    try:
        retrograd.load(io.BytesIO(bytes(data)))
    except (*HOSTILE, ValueError) as e:
        # ValueError only where torch raises it too: an unknown byte order record
        assert not isinstance(e, ValueError) or "Unknown endianness type" in str(e)


_GOOD = good_file()


def test_build_cannot_plant_dunder_attributes_or_odd_codecs():
    plant = (b"\x80\x02ccollections\nOrderedDict\n)R}X\x0c\x00\x00\x00__reduce_ex__"
             b"ccollections\nOrderedDict\nsb.")
    assert outcome(retrograd, checkpoint(plant))[0] is pickle.UnpicklingError
    codec = b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x09\x00\x00\x00rot13_xyz\x86R."
    assert outcome(retrograd, checkpoint(codec))[0] is pickle.UnpicklingError
    meta = (b"\x80\x02ccollections\nOrderedDict\n)R}X\t\x00\x00\x00_metadata}sb.")
    assert retrograd.load(io.BytesIO(checkpoint(meta)))._metadata == {}
