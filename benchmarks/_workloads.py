"""The workloads of ``run_all.py``, one function per row, each run inside one library's own process.

Every timed function takes the library module ``T`` (retrograd or torch; both spell the same code),
a ``scale`` (1.0 normally, smaller under ``--quick``) and returns ``{row label: value}``. The nn
rows reuse the measure functions of ``bench_nn_mlp.py``, ``bench_cnn.py``, ``bench_lstm.py`` and
``bench_forward_ad.py`` so that those scripts and this table time the same steps.

The reference libraries (HIPS autograd, MyGrad, JAX) get only the rows that need no nn: the chain,
the 2M-element graph and the import time (``REFERENCE_ROWS``).
"""
from __future__ import annotations

import math
import statistics
import time

import numpy as np


def median_time(fn, number: int, repeats: int) -> float:
    """Median over ``repeats`` samples of the mean time (s) of ``number`` calls, after a warm-up."""
    fn()
    samples = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def _n(scale: float, full: int) -> int:
    return max(1, round(full * scale))


# --- chain: the per-op overhead -------------------------------------------------------------

def chain(T, scale: float) -> dict:
    from bench_chain import OPS_PER_STEP, STEPS, workload
    t = median_time(workload(T), 1, _n(scale, 30))
    return {"chain": t / (STEPS * OPS_PER_STEP) * 1e6}


# --- 25 common ops on small tensors -----------------------------------------------------------

def _op_table(T):
    F = T.nn.functional
    return [
        ("add", lambda x, y, i: x + y), ("sub", lambda x, y, i: x - y),
        ("mul", lambda x, y, i: x * y), ("div", lambda x, y, i: x / y),
        ("neg", lambda x, y, i: -x), ("exp", lambda x, y, i: x.exp()),
        ("log", lambda x, y, i: y.log()), ("sin", lambda x, y, i: x.sin()),
        ("tanh", lambda x, y, i: x.tanh()), ("sigmoid", lambda x, y, i: x.sigmoid()),
        ("relu", lambda x, y, i: x.relu()), ("sqrt", lambda x, y, i: y.sqrt()),
        ("pow", lambda x, y, i: x ** 2), ("abs", lambda x, y, i: x.abs()),
        ("clamp", lambda x, y, i: x.clamp(-0.5, 0.5)), ("sum", lambda x, y, i: x.sum()),
        ("mean", lambda x, y, i: x.mean()), ("max(dim)", lambda x, y, i: x.max(dim=-1)[0]),
        ("softmax", lambda x, y, i: F.softmax(x, dim=-1)),
        ("log_softmax", lambda x, y, i: F.log_softmax(x, dim=-1)),
        ("matmul", lambda x, y, i: x @ y), ("gather", lambda x, y, i: x.gather(-1, i)),
        ("slice", lambda x, y, i: x[..., :1]), ("reshape", lambda x, y, i: x.reshape(-1)),
        ("cat", lambda x, y, i: T.cat([x, y])),
    ]


def ops(T, scale: float) -> dict:
    """Forward + backward (``out.backward(ones)``) of each op, µs per call, on (1,) and (16, 16)."""
    rng = np.random.default_rng(0)
    res = {}
    for shape in ((1,), (16, 16)):
        x = T.tensor(rng.standard_normal(shape), dtype=T.float32, requires_grad=True)
        y = T.tensor(rng.random(shape) + 0.5, dtype=T.float32, requires_grad=True)
        idx = T.tensor(rng.integers(0, shape[-1], shape[:-1] + (min(4, shape[-1]),)))
        label = "x".join(map(str, shape))
        for name, op in _op_table(T):
            grad = T.ones(op(x, y, idx).shape)

            def run(op=op, grad=grad):
                op(x, y, idx).backward(grad)
                x.grad = y.grad = None
            res[f"ops {label}: {name}"] = median_time(run, _n(scale, 200), _n(scale, 9)) * 1e6
    return res


# --- hand-written MLP, the 2M-element graph --------------------------------------------------

def mlp_step(T):
    """784-512-256-10, batch 128, relu, log_softmax + gather cross entropy, SGD under no_grad:
    one training step as a function (``mlp``, ``ab_min.py --row mlp`` and ``mlp_floor.py``)."""
    rng = np.random.default_rng(0)
    F = T.nn.functional
    x = T.tensor(rng.standard_normal((128, 784), dtype=np.float32))
    y = T.tensor(rng.integers(0, 10, (128, 1)))
    params = []
    for fan_in, fan_out in ((784, 512), (512, 256), (256, 10)):
        w = rng.standard_normal((fan_in, fan_out)).astype(np.float32) / math.sqrt(fan_in)
        params += [T.tensor(w, requires_grad=True), T.zeros(fan_out, requires_grad=True)]

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        loss = -F.log_softmax(h @ w3 + b3, dim=1).gather(1, y).mean()
        loss.backward()
        with T.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
    return step


def mlp(T, scale: float) -> dict:
    return {"mlp": median_time(mlp_step(T), _n(scale, 10), _n(scale, 9)) * 1e3}


def graph2m(T, scale: float) -> dict:
    x = T.tensor(np.random.default_rng(0).standard_normal(2_000_000, dtype=np.float32),
                 requires_grad=True)

    def run():
        ((x * x + x.sin()) * 0.5).tanh().sum().backward()
        x.grad = None
    return {"graph2m": median_time(run, _n(scale, 10), _n(scale, 9)) * 1e3}


# --- seeded random draws (the same numbers as PyTorch's, bit for bit) ------------------------

RANDOM_ROWS = [
    ("randn", "randn 1M float32", lambda T: T.randn(1_000_000)),
    ("randn64", "randn 1M float64", lambda T: T.randn(1_000_000, dtype=T.float64)),
    ("normal_", "normal_(1, 2) 1M float32", lambda T: T.empty(1_000_000).normal_(1.0, 2.0)),
    ("rand", "rand 1M float32", lambda T: T.rand(1_000_000)),
    ("rand64", "rand 1M float64", lambda T: T.rand(1_000_000, dtype=T.float64)),
    ("uniform_", "uniform_(-1, 1) 1M float32", lambda T: T.empty(1_000_000).uniform_(-1.0, 1.0)),
    ("randint", "randint(0, 10, 1M)", lambda T: T.randint(0, 10, (1_000_000,))),
    ("randperm", "randperm(1M)", lambda T: T.randperm(1_000_000)),
    ("randn small", "randn(64, 64) float32", lambda T: T.randn(64, 64)),
]


def random(T, scale: float) -> dict:
    """Seeded draws, ms per call (µs for the small one)."""
    T.manual_seed(0)
    res = {}
    for key, _, fn in RANDOM_ROWS:
        small = key.endswith("small")
        t = median_time(lambda fn=fn: fn(T), _n(scale, 200 if small else 3), _n(scale, 5))
        res[f"random {key}"] = t * (1e6 if small else 1e3)
    return res


# --- the nn rows and forward AD: the per-script benchmarks' own measure functions ----------

def nn_mlp(T, scale: float) -> dict:
    import bench_nn_mlp
    return {"nn_mlp": bench_nn_mlp.measure(T.__name__, _n(scale, 15))}


def cnn(T, scale: float) -> dict:
    import bench_cnn
    import os
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    res = bench_cnn.measure(T.__name__, _n(scale, 9), "max_pool2d", threads)
    return {"cnn": res["step"], "cnn conv1": res["conv1 1->16 on 32x1x28x28"],
            "cnn conv2": res["conv2 16->32 on 32x16x14x14"]}


def lstm(T, scale: float) -> dict:
    import bench_lstm
    res = list(bench_lstm.measure(T.__name__, _n(scale, 7)).values())
    return {"lstm": res[0], "lstm64": res[1], "gru": res[2]}


def forward_ad(T, scale: float) -> dict:
    import bench_forward_ad
    res = list(bench_forward_ad.measure(T.__name__, _n(scale, 15)).values())
    return {"fwad sin": res[0], "fwad mlp": res[1], "fwad jvp": res[2]}


def nn_mlp_step(T, batch: int = 128):
    """The nn issue's MLP written with nn modules: Sequential(Linear 784-512, ReLU, Linear
    512-256, ReLU, Linear 256-10), batch 128 (or ``batch``), CrossEntropyLoss, optim.SGD; one
    training step as a function (``bench_nn_mlp.py``, ``rss`` and ``ab_min.py --row nn_mlp``)."""
    T.manual_seed(0)
    nn = T.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = T.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x = T.tensor(rng.standard_normal((batch, 784)).astype("float32"))
    y = T.tensor(rng.integers(0, 10, batch))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def rss(T, scale: float) -> dict:
    """Peak resident set (MiB) of this process after 200 steps of the nn MLP (run in its own
    process: ru_maxrss covers the import and everything since)."""
    import resource
    step = nn_mlp_step(T)
    for _ in range(_n(scale, 200)):
        step()
    return {"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


TIMED = {"chain": chain, "ops": ops, "mlp": mlp, "graph2m": graph2m, "nn_mlp": nn_mlp, "cnn": cnn,
         "lstm": lstm, "forward_ad": forward_ad, "random": random}
ISOLATED = {"rss": rss}  # each in a fresh process of its own


# --- the reference libraries: chain, 2M graph ----------------------------------------------

def reference_chain(lib: str, scale: float) -> dict:
    from bench_chain import OPS_PER_STEP, STEPS
    if lib == "mygrad":
        import mygrad as mg
        w, b, x = mg.tensor([0.5]), mg.tensor([0.1]), mg.tensor([0.3])

        def run():
            y = x
            for _ in range(STEPS):
                y = mg.tanh(y * w + b)
            y.sum().backward()
    else:
        if lib == "autograd":
            import autograd
            import autograd.numpy as anp
            grad = autograd.grad
        else:
            import jax
            import jax.numpy as anp
            grad = jax.grad

        def f(params):
            w, b, y = params
            for _ in range(STEPS):
                y = anp.tanh(y * w + b)
            return anp.sum(y)
        g = grad(f)
        args = [anp.array([0.5], dtype="float32"), anp.array([0.1], dtype="float32"),
                anp.array([0.3], dtype="float32")]

        def run():
            out = g(args)
            if lib == "jax":
                out[0].block_until_ready()
    t = median_time(run, 1, _n(scale, 30))
    return {"chain": t / (STEPS * OPS_PER_STEP) * 1e6}


def reference_graph2m(lib: str, scale: float) -> dict:
    data = np.random.default_rng(0).standard_normal(2_000_000, dtype=np.float32)
    if lib == "mygrad":
        import mygrad as mg
        x = mg.tensor(data)

        def run():
            mg.sum(mg.tanh((x * x + mg.sin(x)) * 0.5)).backward()
    else:
        if lib == "autograd":
            import autograd
            import autograd.numpy as anp
            grad = autograd.grad
        else:
            import jax
            import jax.numpy as anp
            grad = jax.grad
        g = grad(lambda v: anp.sum(anp.tanh((v * v + anp.sin(v)) * 0.5)))
        x = anp.asarray(data)

        def run():
            out = g(x)
            if lib == "jax":
                out.block_until_ready()
    return {"graph2m": median_time(run, _n(scale, 10), _n(scale, 9)) * 1e3}


REFERENCE_ROWS = {"chain": reference_chain, "graph2m": reference_graph2m}
