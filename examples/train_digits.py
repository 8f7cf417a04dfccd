"""Train a small CNN (or an MLP) on the handwritten digits that ship inside scikit-learn.

The seed's five steps, the way PyTorch users write them: define the model, forward, compute the
loss, backpropagate, update by a learning rate, with DataLoader batches, an LR scheduler, a
progress bar with the running loss, held-out accuracy, the trained weights saved as a
checkpoint that ``torch.load`` reads too, and a loss/accuracy curve. Next to the curve, the
pictures of one training step (retrograd backend): its backward graph (``step_graph.svg`` and
``.png`` through graphviz, else ``step_graph.dot``) and ``step_backward.html``, a page that steps
through that backward node by node (``retrograd.autograd.explain``).

    python examples/train_digits.py                 # CNN, 10 epochs, outputs in ./runs/digits
    python examples/train_digits.py --model mlp --optimizer sgd --epochs 20 --out /tmp/run

Needs the demo extra (``pip install -e '.[demo]'``: scikit-learn, tqdm, matplotlib). The same
script runs on PyTorch with ``--backend torch``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

HINT = "this demo needs the optional '{0}' package: pip install -e '.[demo]' (or pip install {0})"


def _need(module: str, package: str | None = None):
    try:
        return importlib.import_module(module)
    except ImportError:
        sys.exit(HINT.format(package or module))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Train a CNN or an MLP on scikit-learn's 8x8 digits.")
    p.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 0.01 for adam, 0.05 for sgd)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/digits", help="folder for the checkpoint and the plot")
    p.add_argument("--backend", choices=["retrograd", "torch"], default="retrograd",
                   help="run the same script on retrograd (default) or on PyTorch")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def build_model(torch, kind: str):
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64),
                             nn.ReLU(), nn.Linear(64, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 2 x 2
        nn.Flatten(), nn.Linear(128, 10))


def load_digits(torch, seed: int):
    datasets = _need("sklearn.datasets", "scikit-learn")
    model_selection = _need("sklearn.model_selection", "scikit-learn")
    import numpy as np
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]       # (n, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = model_selection.train_test_split(
        x, y, test_size=0.2, random_state=seed, stratify=y)
    data = torch.utils.data
    train = data.TensorDataset(torch.from_numpy(x_tr), torch.from_numpy(y_tr))
    test = data.TensorDataset(torch.from_numpy(x_te), torch.from_numpy(y_te))
    return train, test


def evaluate(torch, model, loader) -> tuple[float, float]:
    model.eval()
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")
    total, correct, loss = 0, 0, 0.0
    with torch.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            loss += loss_fn(logits, yb).item()
            correct += (logits.argmax(dim=1) == yb).sum().item()
            total += yb.shape[0]
    model.train()
    return loss / total, correct / total


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch = importlib.import_module(args.backend)
    tqdm = _need("tqdm").tqdm
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    train, test = load_digits(torch, args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    train_loader = torch.utils.data.DataLoader(train, batch_size=args.batch_size, shuffle=True,
                                               generator=gen)
    test_loader = torch.utils.data.DataLoader(test, batch_size=256)

    # 1. define the model
    model = build_model(torch, args.model)
    loss_fn = torch.nn.CrossEntropyLoss()
    lr = args.lr if args.lr is not None else (0.01 if args.optimizer == "adam" else 0.05)
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    print(model)
    print(f"{len(train)} training and {len(test)} held-out images; {args.optimizer}, lr {lr}, "
          f"{args.epochs} epochs, backend {args.backend}")

    history = {"epoch": [], "train_loss": [], "test_loss": [], "test_accuracy": [], "lr": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        running, seen = 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch:2d}/{args.epochs}", leave=False,
                   disable=args.quiet)
        for xb, yb in bar:
            logits = model(xb)                    # 2. forward
            loss = loss_fn(logits, yb)            # 3. the loss
            optimizer.zero_grad()
            loss.backward()                       # 4. backpropagate
            optimizer.step()                      # 5. update by the learning rate
            running += loss.item() * yb.shape[0]
            seen += yb.shape[0]
            bar.set_postfix(loss=f"{running / seen:.4f}")
        history["lr"].append(scheduler.get_last_lr()[0])
        scheduler.step()
        test_loss, acc = evaluate(torch, model, test_loader)
        history["epoch"].append(epoch)
        history["train_loss"].append(running / seen)
        history["test_loss"].append(test_loss)
        history["test_accuracy"].append(acc)
        print(f"epoch {epoch:2d}  train loss {running / seen:.4f}  held-out loss {test_loss:.4f}"
              f"  accuracy {acc:.2%}")
    elapsed = time.perf_counter() - start

    checkpoint = out / "model.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": args.epochs, "model_kind": args.model}, checkpoint)
    (out / "history.json").write_text(json.dumps(history, indent=1))
    plot = _plot(history, out / "curves.png")
    print(f"held-out accuracy {history['test_accuracy'][-1]:.2%} after {args.epochs} epochs "
          f"({elapsed:.1f} s); checkpoint {checkpoint}" + (f", curves {plot}" if plot else ""))
    pictures = {}
    if args.backend == "retrograd":
        xb, yb = next(iter(test_loader))
        pictures = _step_pictures(torch, model, loss_fn, xb[:4], yb[:4], out)
    return {"accuracy": history["test_accuracy"][-1], "seconds": elapsed,
            "checkpoint": str(checkpoint), "history": history, "pictures": pictures}


def _step_pictures(torch, model, loss_fn, xb, yb, out: Path) -> dict:
    """The graph of one training step (forward, loss, backward on a small batch) drawn with
    ``make_dot``, and the explainer's page of its backward. Runs after training: it changes
    nothing that was trained or saved (only the parameters' .grad)."""
    viz = importlib.import_module(torch.__name__ + ".viz")
    params = dict(model.named_parameters())
    model.zero_grad()
    loss = loss_fn(model(xb), yb)
    with torch.autograd.explain(params=params) as rec:
        loss.backward()
    files = {"html": rec.to_html(out / "step_backward.html",
                                 title="retrograd: one training step's backward")}
    try:
        dot = viz.make_dot(loss, params=params, show_grad=True, style="seed")
        for fmt in ("svg", "png"):
            files[fmt] = dot.render(filename="step_graph", directory=str(out), format=fmt,
                                    cleanup=True)
    except (ImportError, RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        # no graphviz package (ImportError) or no dot binary (graphviz's ExecutableNotFound)
        path = out / "step_graph.dot"
        path.write_text(viz.to_dot(loss, params=params, show_grad=True, style="seed"))
        files = {"dot": str(path), "html": files["html"]}
        print(f"graph of one step: {path} (to draw it: apt-get install graphviz and pip install "
              f"graphviz; {type(exc).__name__})")
    model.zero_grad()
    print("one training step: " + ", ".join(str(v) for v in files.values()))
    return files


def _plot(history: dict, path: Path):
    try:
        import matplotlib
    except ImportError:
        print(HINT.format("matplotlib"))
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(history["epoch"], history["train_loss"], label="train")
    ax1.plot(history["epoch"], history["test_loss"], label="held-out")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy loss")
    ax1.legend()
    ax2.plot(history["epoch"], [100 * a for a in history["test_accuracy"]], color="tab:green")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("held-out accuracy (%)")
    fig.suptitle("retrograd: digits")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
