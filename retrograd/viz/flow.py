"""Gradient flow of a Module after backward: per parameter the gradient norm, the weight norm,
their ratio and the update/weight ratio of a step, with flags for vanishing and exploding layers;
as a text table (``str(report)``), as data, and as a matplotlib bar chart (``report.plot``).

    loss.backward()
    before = retrograd.viz.weights_snapshot(model)      # optional: to measure a real step
    optimizer.step()
    print(retrograd.viz.gradient_flow(model, before=before))
    # or, before the step, the SGD estimate: gradient_flow(model, lr=0.1)

Norms are 2-norms over all elements, computed in float64. A parameter's flag is
``non-finite`` (NaN or inf in its gradient), ``exploding`` (gradient norm above ``exploding``),
``vanishing`` (gradient norm below ``vanishing`` times the weight norm, or below ``vanishing``
when the weights are all zero), ``no grad`` (requires grad but ``.grad`` is None) or empty.
A layer (the module that owns the parameters) takes the worst flag of its parameters, except
that it is ``vanishing`` only when all of them are.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

__all__ = ["gradient_flow", "weights_snapshot", "GradientFlow", "ParamFlow"]

_WORST = ("non-finite", "exploding", "no grad", "vanishing", "")


@dataclass
class ParamFlow:
    name: str                 # as named_parameters() names it ("0.weight")
    shape: tuple
    grad_norm: float          # nan when .grad is None
    weight_norm: float
    grad_ratio: float         # grad_norm / weight_norm (inf when the weights are all zero)
    update_ratio: float       # |update| / |weights before the update|; None when unknown
    flag: str                 # "", "vanishing", "exploding", "non-finite", "no grad"

    @property
    def layer(self) -> str:
        return self.name.rpartition(".")[0]


@dataclass
class GradientFlow:
    params: list = field(default_factory=list)     # ParamFlow, in named_parameters() order
    vanishing: float = 1e-7
    exploding: float = 1e3

    def layers(self) -> dict:
        """Layer name ("" for the model's own parameters) -> its flag, in parameter order."""
        groups = {}
        for p in self.params:
            groups.setdefault(p.layer, []).append(p.flag)
        out = {}
        for layer, flags in groups.items():
            if all(f == "vanishing" for f in flags):
                out[layer] = "vanishing"
            else:
                out[layer] = next((w for w in _WORST[:3] if w in flags), "")
        return out

    @property
    def vanishing_layers(self) -> list:
        return [k for k, v in self.layers().items() if v == "vanishing"]

    @property
    def exploding_layers(self) -> list:
        return [k for k, v in self.layers().items() if v in ("exploding", "non-finite")]

    def table(self) -> str:
        head = ("parameter", "shape", "grad norm", "weight norm", "grad/weight", "update/weight",
                "flag")
        rows = [head]
        for p in self.params:
            rows.append((p.name, "(" + ", ".join(str(s) for s in p.shape) + ")",
                         _num(p.grad_norm), _num(p.weight_norm), _num(p.grad_ratio),
                         "-" if p.update_ratio is None else _num(p.update_ratio), p.flag))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = []
        for r in rows:
            cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
            cells += [c.rjust(w) for c, w in zip(r[2:6], widths[2:6])]
            cells.append(r[6])
            lines.append("  ".join(cells).rstrip())
        bad = [f"{k or '(model)'}: {v}" for k, v in self.layers().items() if v]
        lines.append("flagged layers: " + (", ".join(bad) if bad else "none"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path=None, ax=None, title="gradient flow"):
        """A bar chart of each parameter's gradient norm (log scale; vanishing bars grey,
        exploding or non-finite red, the exploding threshold as a dashed line) and, below it,
        the update/weight ratios when known. Draws the gradient norms on ``ax`` if given, else
        on a new Figure; ``path`` saves it (PNG, SVG, PDF by suffix). Returns the Figure, or
        None with a one-line hint when matplotlib is not installed."""
        try:
            from matplotlib.figure import Figure
        except ImportError:
            print("gradient_flow(...).plot needs matplotlib (pip install matplotlib); "
                  "print(report) shows the same numbers as a table", file=sys.stderr)
            return None
        ups = [p.update_ratio for p in self.params]
        with_updates = ax is None and any(u is not None for u in ups)
        if ax is None:
            fig = Figure(figsize=(max(6.0, 0.6 * len(self.params) + 2),
                                  6.5 if with_updates else 4.5), layout="constrained")
            axes = fig.subplots(2 if with_updates else 1, 1, sharex=True, squeeze=False)[:, 0]
            ax = axes[0]
        else:
            fig, axes = ax.figure, [ax]
        x = np.arange(len(self.params))
        names = [p.name for p in self.params]
        heights, floor, top = _bar_heights([p.grad_norm for p in self.params],
                                           [self.vanishing, self.exploding])
        colours = [{"vanishing": "0.6", "exploding": "tab:red", "non-finite": "tab:red",
                    "no grad": "0.85"}.get(p.flag, "tab:blue") for p in self.params]
        for i, p in enumerate(self.params):
            if p.flag == "non-finite":
                heights[i] = top
        ax.bar(x, heights, 0.7, color=colours)
        ax.axhline(self.exploding, color="tab:red", ls="--", lw=1, label="exploding threshold")
        ax.set_yscale("log")
        ax.set_ylim(floor, top * 10)
        for i, p in enumerate(self.params):
            if p.flag:
                ax.annotate(p.flag, (i, heights[i]), ha="center", va="bottom",
                            fontsize="x-small")
        ax.set_ylabel("gradient norm")
        ax.set_title(title)
        ax.legend(fontsize="small", loc="upper left")
        if with_updates:
            bx = axes[1]
            uh, ufloor, utop = _bar_heights([u if u is not None else 0.0 for u in ups], [])
            bx.bar(x, uh, 0.7, color="tab:orange")
            bx.set_yscale("log")
            bx.set_ylim(ufloor, utop * 10)
            bx.set_ylabel("update / weight")
        axes[-1].set_xticks(x, names, rotation=45, ha="right", fontsize="small")
        if path is not None:
            fig.savefig(path)
        return fig


def _bar_heights(values, marks):
    """Bar heights for a log axis: non-positive or non-finite values drawn at the floor (inf
    at the top); returns (heights, floor, top)."""
    ok = [v for v in values if v is not None and np.isfinite(v) and v > 0]
    floor = min(ok + [m for m in marks if m > 0] + [1.0]) / 10
    top = max(ok + list(marks) + [floor * 100])
    out = []
    for v in values:
        if v is None or np.isnan(v) or v <= 0:
            out.append(floor)
        elif np.isinf(v):
            out.append(top)
        else:
            out.append(v)
    return out, floor, top


def _num(v) -> str:
    if v is None:
        return "-"
    return "%.3e" % v


def _norm(a) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(np.sqrt(np.sum(a * a)))


def weights_snapshot(model) -> dict:
    """A copy of every parameter's values (name -> ndarray): pass it as ``before=`` to
    ``gradient_flow`` after an optimizer step to get the real update/weight ratios."""
    return {k: np.array(p._data, copy=True) for k, p in model.named_parameters()}


def gradient_flow(model, lr=None, *, before=None, vanishing=1e-7, exploding=1e3):
    """The gradient flow of ``model`` (a Module, after backward) as a ``GradientFlow``.

    ``before``: a ``weights_snapshot`` taken before an optimizer step (call this after the
    step): update/weight = |w - w_before| / |w_before|. Else ``lr``: the plain SGD estimate
    lr * |grad| / |w|. Neither: no update ratio. ``vanishing``: relative threshold (gradient norm
    / weight norm); ``exploding``: absolute threshold on the gradient norm."""
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"gradient_flow: expected a Module, got {type(model).__name__}")
    if lr is not None and (not isinstance(lr, (int, float)) or lr < 0):
        raise ValueError(f"Invalid learning rate: {lr}")
    report = GradientFlow(vanishing=float(vanishing), exploding=float(exploding))
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        w = np.asarray(p._data)
        wn = base = _norm(w)
        update = None
        if before is not None:
            if name not in before:
                raise KeyError(f"gradient_flow: before= has no entry for parameter {name!r}")
            w_old = np.asarray(before[name])
            base = _norm(w_old)
            update = _norm(w.astype(np.float64) - w_old)
        g = p.grad
        if g is None:
            gn, flag = float("nan"), "no grad"
        else:
            ga = np.asarray(g._data)
            gn = _norm(ga)
            if not np.isfinite(ga).all():
                flag = "non-finite"
            elif gn > exploding:
                flag = "exploding"
            elif gn < vanishing * (wn if wn > 0 else 1.0):
                flag = "vanishing"
            else:
                flag = ""
        ratio = gn / wn if wn > 0 else (float("inf") if gn > 0 else 0.0)
        if update is None and lr is not None and np.isfinite(gn):
            update = lr * gn
        if update is not None:
            update = update / base if base > 0 else float("inf") if update > 0 else 0.0
        report.params.append(ParamFlow(name, tuple(w.shape), gn, wn, ratio, update, flag))
    return report
