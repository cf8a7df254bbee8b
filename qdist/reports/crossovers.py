"""Crossovers of the cost curves: [`crossovers`][qdist.reports.crossovers.crossovers] finds, for each quantum scheme, the smallest N
from which it is cheaper (qubits + bits) than the best classical scheme of its problem — and than
each classical scheme — for every larger N of the sweep, refined to the exact integer N by
bisection on the closed forms (`_first_cheaper`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from qdist.reports.schemes import Scheme

# ------------------------------------------------------------------------------------------------
# crossovers
# ------------------------------------------------------------------------------------------------


def _first_cheaper(q: Callable[[int], int], c: Callable[[int], int], grid: Sequence[int]) -> int | None:
    """Smallest N with q(N) < c(N) for N and every larger grid point, refined by bisection between
    the previous grid point and the first good one (exact when, inside that interval, q is constant
    and c non-decreasing — true for these costs, which depend on N through n = ⌈log₂ N⌉ and N·b)."""
    good = [q(N) < c(N) for N in grid]
    if not good[-1]:
        return None
    i = len(grid) - 1
    while i > 0 and good[i - 1]:
        i -= 1
    if i == 0:
        return grid[0]
    lo, hi = grid[i - 1], grid[i]  # q(lo) ≥ c(lo), q(hi) < c(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if q(mid) < c(mid):
            hi = mid
        else:
            lo = mid
    return hi


#: Public name of the refinement, for other sweeps (e.g. the tomography benchmark's M).
first_cheaper = _first_cheaper


def crossovers(schemes: list[Scheme], grid: Sequence[int]) -> dict:
    """For each quantum scheme: crossover N against the best classical protocol of its problem,
    against each classical protocol (``vs``; these are upper bounds on the classical cost) and
    against each classical lower bound (``vs_lower_bound``: from there on quantum is cheaper than
    ANY classical protocol on the bound's family of instances)."""
    out = {}
    for q in (s for s in schemes if s.kind == "quantum"):
        classical = [s for s in schemes if s.kind == "classical" and s.problem == q.problem]
        bounds = [s for s in schemes if s.kind == "lower-bound" and s.problem == q.problem]
        qc = lambda N, q=q: q.cost(N).communication  # noqa: E731
        best = lambda N, cl=classical: min(s.cost(N).communication for s in cl)  # noqa: E731
        n_best = _first_cheaper(qc, best, grid)
        vs = {s.name: _first_cheaper(qc, lambda N, s=s: s.cost(N).communication, grid) for s in classical}
        lower = {s.name: _first_cheaper(qc, lambda N, s=s: s.cost(N).communication, grid) for s in bounds}
        top = grid[-1]
        out[q.name] = {
            "problem": q.problem,
            # how much cheaper (>1) or dearer (<1) quantum is at the largest N of the sweep
            "classical_over_quantum_at_n_max": round(best(top) / max(qc(top), 1), 6) if classical else None,
            "vs_best_classical": n_best,
            "log2_N": None if n_best is None else round(math.log2(n_best), 3),
            "communication_at_crossover": None if n_best is None else qc(n_best),
            "vs": vs,
            # below the classical LOWER bound: cheaper than every classical protocol (hard family)
            "vs_lower_bound": lower,
        }
    return out
