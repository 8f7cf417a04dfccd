"""What PyTorch programs expect of a CPU-only torch, compared with torch 2.13 (CPU build):
torch.device, the default device, CUDA/accelerator queries and errors, torch.backends flags,
thread and determinism settings."""
from __future__ import annotations

import pathlib
import pickle
import subprocess
import sys

import pytest
import torch

import retrograd
from _both import both

DEVICE_ARGS = [("cpu",), ("cpu", 0), ("cpu", 1), ("cuda",), ("cuda:0",), ("cuda", 3), ("cpu:0",),
               ("mps",), ("meta",), ("privateuseone",), ("foo",), ("CPU",), (" cpu",), ("",),
               ("cuda:x",), ("cuda:-1",), ("cuda:01",), ("cuda:",), (":0",), ("cuda:0:1",),
               ("foo:0",), ("cpu:0 ",), ("cuda_:0",), ("cuda:99999999999999999999",),
               ("cpu", -1), ("cpu:0", 1), ("cuda", "x"), ("cpu", True), ("cpu", 1.0),
               ("cpu", None), (0,), (None,), (1.5,), ()]


@pytest.mark.parametrize("args", DEVICE_ARGS, ids=repr)
def test_device_construction(args):
    both(lambda T: (lambda d: (repr(d), str(d), d.type, d.index))(T.device(*args)))


def test_device_keywords_and_copies():
    both(lambda T: repr(T.device(type="cuda", index=1)))
    both(lambda T: repr(T.device(T.device("cuda", 1))))
    both(lambda T: T.device(device="cuda", index=2))
    both(lambda T: T.device(type="cuda", index=1, foo=2))


def test_device_equality_hash_immutability():
    def scenario(T):
        d = T.device("cpu")
        out = [d == T.device("cpu"), d == T.device("cpu", 0), d == "cpu", d != T.device("cuda"),
               T.device("cuda", 0) == T.device("cuda:0"), hash(d) == hash(T.device("cpu")),
               len({d, T.device("cpu"), T.device("cuda:0"), T.device("cuda", 0)})]
        try:
            d.type = "cuda"
        except AttributeError as e:
            out.append(str(e))
        return out
    both(scenario)


def test_device_pickles_within_retrograd():
    d = retrograd.device("cuda", 1)
    assert pickle.loads(pickle.dumps(d)) == d


def test_device_context_manager():
    def scenario(T):
        before = T.get_default_device()
        with T.device("cpu", 0):
            inside = (T.get_default_device(), T.zeros(1).device)
        return repr(before), repr(inside), repr(T.get_default_device())
    both(scenario)


CUDA_ERRORS = {
    "zeros": lambda T: T.zeros(3, device="cuda"),
    "zeros_index": lambda T: T.zeros(3, device="cuda:1"),
    "zeros_device_object": lambda T: T.zeros(3, device=T.device("cuda")),
    "ones": lambda T: T.ones(2, device="cuda"),
    "empty": lambda T: T.empty(2, device="cuda"),
    "full": lambda T: T.full((2,), 1.0, device="cuda"),
    "arange": lambda T: T.arange(3, device="cuda"),
    "linspace": lambda T: T.linspace(0, 1, 3, device="cuda"),
    "logspace": lambda T: T.logspace(0, 1, 3, device="cuda"),
    "eye": lambda T: T.eye(2, device="cuda"),
    "rand": lambda T: T.rand(2, device="cuda"),
    "randn": lambda T: T.randn(2, device="cuda"),
    "randint": lambda T: T.randint(0, 3, (2,), device="cuda"),
    "randperm": lambda T: T.randperm(3, device="cuda"),
    "tensor": lambda T: T.tensor([1.0], device="cuda"),
    "as_tensor": lambda T: T.as_tensor([1.0], device="cuda"),
    "zeros_like": lambda T: T.zeros_like(T.ones(2), device="cuda"),
    "randn_like": lambda T: T.randn_like(T.ones(2), device="cuda"),
    "method_cuda": lambda T: T.zeros(3).cuda(),
    "method_cuda_index": lambda T: T.zeros(3).cuda(0),
    "to_cuda": lambda T: T.zeros(3).to("cuda"),
    "to_cuda_0": lambda T: T.zeros(3).to("cuda:0"),
    "to_cuda_device": lambda T: T.zeros(3).to(T.device("cuda")),
    "to_cuda_kwarg": lambda T: T.zeros(3).to(device="cuda"),
    "to_int": lambda T: T.zeros(3).to(0),
    "factory_int_device": lambda T: T.zeros(3, device=0),
    "bad_device_string": lambda T: T.zeros(3, device="foo"),
    "to_bad_device_string": lambda T: T.zeros(3).to("foo"),
    "new_ones_cuda": lambda T: T.zeros(2).new_ones(2, device="cuda"),
    "new_tensor_cuda": lambda T: T.zeros(2).new_tensor([1], device="cuda"),
    "legacy_cuda": lambda T: T.FloatTensor(2, device="cuda"),
    "legacy_meta": lambda T: T.FloatTensor(2, device="meta"),
    "pin_memory_method": lambda T: T.zeros(2).pin_memory(),
}

# pin_memory=True: no pinned-memory allocator without an accelerator
PINNED = {
    "zeros": lambda T, **k: T.zeros(2, **k),
    "ones": lambda T, **k: T.ones(2, **k),
    "empty": lambda T, **k: T.empty(2, **k),
    "full": lambda T, **k: T.full((2,), 1.0, **k),
    "arange": lambda T, **k: T.arange(3, **k),
    "linspace": lambda T, **k: T.linspace(0, 1, 3, **k),
    "eye": lambda T, **k: T.eye(2, **k),
    "rand": lambda T, **k: T.rand(2, **k),
    "randn": lambda T, **k: T.randn(2, **k),
    "randint": lambda T, **k: T.randint(3, (2,), **k),
    "randperm": lambda T, **k: T.randperm(3, **k),
    "tensor": lambda T, **k: T.tensor([1.0], **k),
    "as_tensor": lambda T, **k: T.as_tensor([1.0], **k),  # no such argument
    "zeros_like": lambda T, **k: T.zeros_like(T.ones(2), **k),
    "empty_like": lambda T, **k: T.empty_like(T.ones(2), **k),
    "new_zeros": lambda T, **k: T.ones(2).new_zeros(2, **k),
    "new_full": lambda T, **k: T.ones(2).new_full((2,), 1.0, **k),
    "new_tensor": lambda T, **k: T.ones(2).new_tensor([1.0], **k),  # no such argument
}
CUDA_ERRORS.update({f"pin_memory_{name}": (lambda f: lambda T: f(T, pin_memory=True))(f)
                    for name, f in PINNED.items()})


@pytest.mark.parametrize("name", sorted(CUDA_ERRORS))
def test_cuda_errors_of_a_cpu_build(name):
    both(CUDA_ERRORS[name])


CPU_OK = {
    "cpu_index": lambda T: repr(T.zeros(2, device="cpu:1").device),
    "cpu_device_object": lambda T: T.zeros(2, device=T.device("cpu", 0)),
    "to_cpu_index": lambda T: repr(T.zeros(2).to("cpu:3").device),
    "to_cpu_dtype": lambda T: T.zeros(2).to("cpu", T.float64),
    "cpu_method": lambda T: T.zeros(2).cpu(),
    "get_device": lambda T: T.zeros(2).get_device(),
    "is_cuda": lambda T: T.zeros(2).is_cuda,
    "cpu_tensor_flags": lambda T: (lambda x: (x.is_meta, x.is_sparse, x.is_quantized, x.is_mps,
                                              x.is_mkldnn, x.is_xpu, x.is_pinned(), x.itemsize,
                                              x.nbytes, x[:, :2].nbytes))(T.zeros(2, 3)),
    "pin_memory_false": lambda T: T.zeros(2, pin_memory=False),
    "like_follows_input": lambda T: T.zeros_like(T.ones(2), device="cpu"),
}


@pytest.mark.parametrize("name", sorted(CPU_OK))
def test_cpu_devices_work(name):
    both(CPU_OK[name])


def test_cuda_device_context():
    def scenario(T):
        with T.device("cuda"):
            out = [repr(T.zeros(1, device="cpu").device)]
            try:
                T.zeros(1)
            except AssertionError as e:
                out.append(str(e))
        out.append(repr(T.zeros(1).device))
        return out
    both(scenario)


def test_meta_and_mps_are_not_available():
    """PyTorch has meta tensors (and an op-specific NotImplementedError for mps); retrograd
    refuses both with NotImplementedError."""
    for dev in ("meta", "mps"):
        with pytest.raises(NotImplementedError, match="CPU only"):
            retrograd.zeros(2, device=dev)


def test_default_device():
    def scenario(T):
        out = [repr(T.get_default_device())]
        try:
            T.set_default_device("cpu:0")
            out += [repr(T.get_default_device()), repr(T.zeros(2).device)]
            T.set_default_device(T.device("cpu"))
            out.append(repr(T.get_default_device()))
            T.set_default_device("cuda")  # accepted; creating anything then fails
            for fn in (T.get_default_device, lambda: T.zeros(2), lambda: T.tensor([1.0])):
                try:
                    fn()
                except AssertionError as e:
                    out.append(str(e))
            out.append(repr(T.zeros(2, device="cpu").device))  # explicit device wins
            out.append(repr(T.zeros_like(T.empty(0, device="cpu")).device))  # *_like: the input's
        finally:
            T.set_default_device(None)
        out.append(repr(T.get_default_device()))
        for bad in ("foo", 0):
            try:
                T.set_default_device(bad)
            except RuntimeError as e:
                out.append(str(e))
        T.set_default_device(None)
        return out
    both(scenario)


CUDA_CALLS = ["is_available", "device_count", "is_initialized", "is_bf16_supported",
              "is_tf32_supported", "get_arch_list", "seed", "seed_all", "empty_cache",
              "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
              "get_rng_state_all", "current_device", "get_device_name", "synchronize", "init",
              "initial_seed", "get_rng_state", "get_device_properties", "mem_get_info",
              "current_stream", "default_stream", "ipc_collect", "get_device_capability"]


@pytest.mark.parametrize("name", CUDA_CALLS)
def test_torch_cuda_queries(name):
    both(lambda T: getattr(T.cuda, name)())


def test_torch_cuda_seeding_and_devices():
    both(lambda T: (T.cuda.manual_seed(1), T.cuda.manual_seed_all(2), T.cuda.manual_seed(2 ** 70),
                    T.cuda.set_rng_state(T.zeros(2, dtype=T.uint8)), T.cuda.set_rng_state_all([])))
    both(lambda T: T.cuda.manual_seed("x"))
    both(lambda T: T.cuda.set_device(0))
    both(lambda T: T.cuda.set_device(-1))
    both(lambda T: T.cuda.memory_allocated(0))
    both(lambda T: dict(T.cuda.memory_stats()))
    both(lambda T: T.cuda.device("cuda:0").idx)

    def enter(T):
        with T.cuda.device(0):
            return "entered"
    both(enter)


def test_torch_cuda_legacy_types():
    both(lambda T: (repr(T.cuda.FloatTensor), repr(T.cuda.LongTensor),
                    isinstance(T.zeros(2), T.cuda.FloatTensor), T.cuda.FloatTensor.is_cuda,
                    T.cuda.DoubleTensor.dtype))
    both(lambda T: T.cuda.FloatTensor([1.0]))


def test_accelerator():
    both(lambda T: (T.accelerator.is_available(), T.accelerator.current_accelerator(),
                    T.accelerator.current_accelerator(check_available=True),
                    T.accelerator.device_count()))
    for name in ("current_device_index", "synchronize", "empty_cache", "memory_allocated",
                 "memory_stats"):
        both(lambda T: getattr(T.accelerator, name)())
    both(lambda T: T.accelerator.set_device_index(0))


def test_backends_mps_and_cuda():
    both(lambda T: (T.backends.mps.is_available(), T.backends.mps.is_built(),
                    T.backends.cuda.is_built(), T.backends.cuda.matmul.allow_tf32,
                    T.backends.cuda.matmul.allow_fp16_reduced_precision_reduction))

    def set_matmul(T):
        m, out = T.backends.cuda.matmul, []
        for name, value in (("allow_tf32", 1), ("allow_fp16_reduced_precision_reduction", 1),
                            ("foo", True)):
            try:
                setattr(m, name, value)
            except Exception as e:  # noqa: BLE001 - the error is the result
                out.append((type(e).__name__, str(e)))
        m.allow_tf32 = True
        out.append(m.allow_tf32)
        m.allow_tf32 = False
        return out
    both(set_matmul)


CUDNN = ["enabled", "deterministic", "benchmark", "allow_tf32", "depthwise_kernel"]


@pytest.mark.parametrize("name", CUDNN)
def test_cudnn_flags(name):
    def scenario(T):
        c = T.backends.cudnn
        old = getattr(c, name)
        out = [old]
        new = "native" if name == "depthwise_kernel" else not old
        try:
            setattr(c, name, new)
            out.append(getattr(c, name))
            for bad in (1, "x", None):
                try:
                    setattr(c, name, bad)
                except RuntimeError as e:
                    out.append(str(e))
            out.append(getattr(c, name))
        finally:
            setattr(c, name, old)
        return out
    both(scenario)


def test_cudnn_queries_and_flags_context():
    def scenario(T):
        c = T.backends.cudnn
        out = [c.is_available(), c.version(), c.benchmark_limit]
        with c.flags(enabled=False, deterministic=True):
            out += [c.enabled, c.deterministic, c.benchmark]
        out += [c.enabled, c.deterministic]
        return out
    both(scenario)


def test_num_threads():
    def scenario(T):
        old = T.get_num_threads()
        out = [old >= 1]
        try:
            T.set_num_threads(1)
            out.append(T.get_num_threads())
            for bad in (0, -1, 1.5, "2", True):
                try:
                    T.set_num_threads(bad)
                except RuntimeError as e:
                    out.append(str(e))
        finally:
            T.set_num_threads(old)
        out.append(T.get_num_threads() == old)
        out.append(T.get_num_interop_threads() >= 1)
        for bad in (0, 1.5):
            try:
                T.set_num_interop_threads(bad)
            except RuntimeError as e:
                out.append(str(e))
        return out
    both(scenario)


_INTEROP_SCRIPT = """
import retrograd, torch
for T in (retrograd, torch):
    out = []
    for n in (2, 3):
        try:
            out.append(T.set_num_interop_threads(n))
        except RuntimeError as e:
            out.append(str(e))
    out.append(T.get_num_interop_threads())
    print(out)
"""


def test_set_num_interop_threads_once():
    """Once per process, as in PyTorch (a fresh interpreter: nothing ran in parallel yet)."""
    root = pathlib.Path(__file__).resolve().parents[1]  # this checkout's retrograd
    lines = subprocess.run([sys.executable, "-c", _INTEROP_SCRIPT], capture_output=True,
                           text=True, check=True, cwd=root).stdout.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]


def test_deterministic_algorithms():
    def scenario(T):
        out = [T.are_deterministic_algorithms_enabled(),
               T.is_deterministic_algorithms_warn_only_enabled()]
        try:  # (mode=True costs torch 4 s of imports: checked on retrograd alone below)
            T.use_deterministic_algorithms(False, warn_only=True)
            out += [T.are_deterministic_algorithms_enabled(),
                    T.is_deterministic_algorithms_warn_only_enabled()]
            for args, kw in (((("x",)), {}), ((True,), {"warn_only": "x"})):
                try:
                    T.use_deterministic_algorithms(*args, **kw)
                except TypeError as e:
                    out.append(str(e))
        finally:
            T.use_deterministic_algorithms(False)
        return out
    both(scenario)
    retrograd.use_deterministic_algorithms(True)
    try:
        assert retrograd.are_deterministic_algorithms_enabled()
        assert not retrograd.is_deterministic_algorithms_warn_only_enabled()
    finally:
        retrograd.use_deterministic_algorithms(False)
    assert not retrograd.are_deterministic_algorithms_enabled()


def test_float32_matmul_precision():
    def scenario(T):
        out = [T.get_float32_matmul_precision()]
        try:
            for v in ("high", "medium", "x", "HIGH", 3):
                try:
                    T.set_float32_matmul_precision(v)
                except RuntimeError as e:
                    out.append(str(e))
                out.append(T.get_float32_matmul_precision())
        finally:
            T.set_float32_matmul_precision("highest")
        return out
    both(scenario)
