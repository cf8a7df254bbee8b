"""Draw the figures of docs/concepts/links.md from the closed forms (no simulation):

    PYTHONPATH=. .venv/bin/python docs/_links_figures.py docs/concepts/figures

* ``links_volume.png`` — inference on the default model against N: quantum traffic on ideal links,
  teleported (ebits + 2 bits per qubit), and heralded loss p = 0.5 (expected transmissions), next
  to the cheapest classical baseline;
* ``links_time.png`` — the expected network time against N (latency 1 ms per hop, 10⁶ bits/s) of
  inference and of one layer-shadow gradient step, direct, teleported and lossy.

Every number comes from `qdist.network.costs` / `qdist.network.timing`, which the tests check
against the simulated ledgers.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from qdist.network import costs  # noqa: E402
from qdist.network.links import IDEAL, Link, Links  # noqa: E402
from qdist.network.model import ModelSpec  # noqa: E402
from qdist.network.spec import DEFAULT_MODEL  # noqa: E402
from qdist.network.timing import gradient_step_seconds, inference_seconds  # noqa: E402

EPS, DELTA = 0.1, 0.05
GRID = [2**k for k in range(1, 41)]
LAT, BW = 1e-3, 1e6
LINKS = {
    "ideal links (direct)": IDEAL,
    "teleport (F = 1)": Links.uniform(Link(transport="teleport")),
    "direct, loss p = 0.5": Links.uniform(Link(loss=0.5)),
}
TIMED = {
    "direct": Links.uniform(Link(latency=LAT, bandwidth=BW)),
    "teleport": Links.uniform(Link(transport="teleport", latency=LAT, bandwidth=BW)),
    "direct, loss p = 0.5": Links.uniform(Link(loss=0.5, latency=LAT, bandwidth=BW)),
}


def spec(N: int) -> ModelSpec:
    return ModelSpec(features=N, **{k: DEFAULT_MODEL[k] for k in ("layers", "parties", "schedule", "model")})


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _log_axes(*axes, ylabel: str | None = None) -> None:
    """N on a log₂ axis against a log scale, gridded (every panel of these figures)."""
    for a in axes:
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xlabel("N (features)")
        if ylabel is not None:
            a.set_ylabel(ylabel)
        a.grid(True, alpha=0.3)


def volume_figure() -> bytes:
    fig, (ax, axt) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    for i, (name, links) in enumerate(LINKS.items()):
        totals = [costs.quantum_inference_cost(spec(N), EPS, DELTA, links=links) for N in GRID]
        ax.plot(GRID, [t.communication for t in totals], color=f"C{i}", label=name)
        axt.plot(GRID, [t.transmissions for t in totals], color=f"C{i}", label=name)
    best = [costs.best_classical(spec(N), "inference")[1].communication for N in GRID]
    ax.plot(GRID, best, color="k", ls="--", label="best classical baseline")
    ax.set_ylabel("communication (qubits + ebits + bits)")
    axt.set_ylabel("quantum transmissions (expected)")
    _log_axes(ax, axt)
    ax.legend(fontsize=8)
    fig.suptitle(f"inference, default model, ε = {EPS}, δ = {DELTA}", fontsize=9)
    return _png(fig)


def time_figure() -> bytes:
    fig, (ax, axg) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    for i, (name, links) in enumerate(TIMED.items()):
        ax.plot(
            GRID,
            [inference_seconds(spec(N), EPS, DELTA, links=links) for N in GRID],
            color=f"C{i}",
            label=name,
        )
        grad = [gradient_step_seconds(spec(N), "shadow", EPS, DELTA, links=links) for N in GRID]
        axg.plot(GRID, grad, color=f"C{i}", label=name)
    ax.set_title("inference", fontsize=9)
    axg.set_title("one gradient step (layer shadows)", fontsize=9)
    _log_axes(ax, axg, ylabel="network time (s, expected)")
    ax.legend(fontsize=8)
    fig.suptitle(f"latency {LAT * 1e3:g} ms per hop, {BW:g} classical bits/s", fontsize=9)
    return _png(fig)


def main(out: str) -> None:
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    (d / "links_volume.png").write_bytes(volume_figure())
    (d / "links_time.png").write_bytes(time_figure())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/concepts/figures")
