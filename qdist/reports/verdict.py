"""What a training run means for the communication question: the classical schemes' cost at the
run's own size, the crossovers, and one verdict line ([reading the verdict][demo-verdict]).

`classical_costs` evaluates every classical training scheme (naive protocols — upper bounds — and
the hard family's lower bound) at the run's N, steps T and batch B; `verdict_line` compares them
with the communication the run's ledger recorded and with the crossovers of
[`run_curves`][qdist.reports.curves.run_curves]; `accuracy_summary` gives mean ± standard deviation
of the test accuracy over seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qdist.reports.schemes import schemes_for

#: Names in words for the printed lines.
WORDS = {
    "pipeline": "pipeline backprop",
    "ship-data": "ship the data",
    "ship-model": "ship the model every step",
    "ship-model-once": "ship the model once",
    "importance-sampling": "importance sampling",
    "lower-bound-hard-family": "classical lower bound (hard family)",
}


def classical_costs(cfg: dict, N: int) -> dict[str, dict]:
    """``{scheme: {"kind", "communication"}}`` of the classical training schemes at N (closed forms)."""
    out = {}
    for s in schemes_for("training", cfg):
        if s.kind in ("classical", "lower-bound") and s.problem == "model":
            out[s.name] = {"kind": s.kind, "communication": s.cost(N).communication}
    return out


def _pow2(N: int | None) -> str:
    return "never (N ≤ 2^n_max)" if N is None else f"N ≈ 2^{math.log2(N):.1f}"


def verdict_line(label: str, used: float, N: int, classical: dict[str, dict], crossover: dict | None) -> str:
    """One sentence: who is cheaper at N, and from which N quantum is cheaper than every naive
    classical protocol and than the lower bound. ``crossover``: the quantum scheme's entry of
    crossover.json (``vs_best_classical``, ``vs``, ``vs_lower_bound``)."""
    naive = {k: v["communication"] for k, v in classical.items() if v["kind"] == "classical"}
    best = min(naive, key=naive.get)
    here = "quantum is cheaper here" if used < naive[best] else "classical is cheaper here"
    head = (
        f"{label}: at N = {N} training used {used:.3g} qubits + bits against "
        f"{naive[best]:.3g} bits for the cheapest naive classical protocol ({WORDS.get(best, best)}) — {here}"
    )
    if not crossover:
        return head + "."
    n_best = crossover.get("vs_best_classical")
    if n_best is None:
        culprit = [k for k, v in (crossover.get("vs") or {}).items() if v is None]
        why = ", ".join(WORDS.get(k, k) for k in culprit) or "a classical protocol"
        return head + f"; quantum is never cheaper up to 2^n_max ({why} cheaper at every N)."
    lower = [v for v in (crossover.get("vs_lower_bound") or {}).values()]
    tail = f"; quantum is cheaper than every naive classical protocol from {_pow2(n_best)}"
    if lower and lower[0] is not None:
        tail += f" and than the hard family's classical lower bound from {_pow2(lower[0])}"
    elif lower:
        tail += ", but stays above the hard family's classical lower bound up to 2^n_max"
    return head + tail + "."


def accuracy_summary(results: Sequence) -> dict[str, float]:
    """Mean and standard deviation (ddof = 1; 0 for one run) of the final test accuracy."""
    acc = np.array([r.summary()["test_accuracy"] for r in results], dtype=float)
    std = float(acc.std(ddof=1)) if acc.size > 1 else 0.0
    return {"mean": float(acc.mean()), "std": std, "runs": int(acc.size)}


def mean_communication(results: Sequence) -> float:
    """Mean over runs of everything the ledger recorded (qubits + classical bits)."""
    vals = [r.summary()["qubits_sent"] + r.summary()["classical_bits_sent"] for r in results]
    return float(np.mean(vals))
