"""The curves of one problem of a cost-curve sweep, from its rows (no matplotlib): the closed-form line
and the simulated points of each scheme (`Curve`), the best naive classical cost per N, each quantum
scheme's ratio to it, the zoom window where the curves cross (`zoom_max`), the y range of a window
(`y_range`) and the checked operating points (`check_operating_points`).

The rows are those of [`run_curves`][qdist.reports.curves.run_curves] (``curves.csv``): one per
(scheme, N, source) with ``problem``, ``scheme``, ``kind`` (``"quantum"``, ``"classical"`` — a
classical protocol, an upper bound on the classical cost — or ``"lower-bound"``), ``N``,
``communication`` (qubits + bits) and ``source`` (``"formula"`` or ``"simulated"``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

KINDS = ("quantum", "classical", "lower-bound")
#: Schemes whose closed form is a worst-case bound, not the cost of a run: their crossover does not
#: set the zoom window while another scheme has a finite one.
WORST_CASE = ("tomography", "tomography-model")  # far crossovers: they do not set the zoom
#: The zoom window reaches at least this N (so that a crossover at N = 2 still shows a slope).
MIN_ZOOM = 2**6
#: With no finite crossover the window reaches at least this N.
NO_CROSSOVER_ZOOM = 2**20
#: The zoom window ends this many times past the largest finite crossover.
ZOOM_FACTOR = 4


@dataclass(frozen=True)
class Curve:
    """One scheme of one problem: the closed form at the sweep's N (``N``, ``y``) and the simulated
    ledger points (``sim_N``, ``sim_y``); communication is floored at 1 for the log axes."""

    name: str
    kind: str
    N: tuple[int, ...]
    y: tuple[float, ...]
    sim_N: tuple[int, ...]
    sim_y: tuple[float, ...]


def problems(rows: Sequence[Mapping]) -> list[str]:
    """The problems of the rows: ``model`` first, then ``linear``, then any other, in row order."""
    seen = list(dict.fromkeys(r["problem"] for r in rows))
    order = {"model": 0, "linear": 1}
    return sorted(seen, key=lambda p: (order.get(p, 2), seen.index(p)))


def curves(rows: Sequence[Mapping], problem: str) -> dict[str, Curve]:
    """The curves of one problem: quantum, then classical protocols, then lower bounds, each in the
    order the schemes first appear in the rows."""
    mine = [r for r in rows if r["problem"] == problem]
    out: dict[str, Curve] = {}
    for name in dict.fromkeys(r["scheme"] for r in mine):
        rs = [r for r in mine if r["scheme"] == name]
        kind = rs[0]["kind"]
        if kind not in KINDS:
            raise ValueError(f"rows: scheme {name!r} has kind {kind!r}, expected one of {', '.join(KINDS)}")
        pts = {
            src: sorted((int(r["N"]), max(float(r["communication"]), 1.0)) for r in rs if r["source"] == src)
            for src in ("formula", "simulated")
        }
        f, s = pts["formula"], pts["simulated"]
        out[name] = Curve(
            name,
            kind,
            tuple(n for n, _ in f),
            tuple(y for _, y in f),
            tuple(n for n, _ in s),
            tuple(y for _, y in s),
        )
    return dict(sorted(out.items(), key=lambda kv: KINDS.index(kv[1].kind)))


def best_classical(cs: Mapping[str, Curve]) -> dict[int, float]:
    """min over the classical schemes (upper bounds; not the lower bound) of the cost, per N."""
    best: dict[int, float] = {}
    for c in cs.values():
        if c.kind == "classical":
            for n, y in zip(c.N, c.y, strict=True):
                best[n] = min(best.get(n, math.inf), y)
    return best


def ratio(c: Curve, best: Mapping[int, float]) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The curve divided by the best classical cost, at the N where both are known."""
    pts = [(n, y / best[n]) for n, y in zip(c.N, c.y, strict=True) if n in best]
    return tuple(n for n, _ in pts), tuple(r for _, r in pts)


def finite_crossovers(cross: Mapping, cs: Mapping[str, Curve]) -> dict[str, int]:
    """``vs_best_classical`` of each quantum scheme of these curves that has one."""
    out = {}
    for name, c in cs.items():
        v = (cross.get(name) or {}).get("vs_best_classical") if c.kind == "quantum" else None
        if v is not None:
            out[name] = int(v)
    return out


def lower_bound_crossings(cross: Mapping, cs: Mapping[str, Curve]) -> dict[str, tuple[str, int]]:
    """Per quantum scheme, the first N from which it is below a classical lower bound of these
    curves (``vs_lower_bound``: cheaper than any classical protocol on the bound's instances), with
    the bound's name; the smallest such N over the bounds."""
    out = {}
    for name, c in cs.items():
        vs = (cross.get(name) or {}).get("vs_lower_bound") or {} if c.kind == "quantum" else {}
        hits = [(int(N), b) for b, N in vs.items() if N is not None and b in cs]
        if hits:
            N, b = min(hits)
            out[name] = (b, N)
    return out


def zoom_max(cs: Mapping[str, Curve], cross: Mapping, extra_N: Sequence[float] = ()) -> int:
    """The right end of the zoom window: `ZOOM_FACTOR` × the largest finite crossover (schemes in
    `WORST_CASE` count only when no other has one); with none, the N where the best quantum /
    best classical ratio is smallest, at least `NO_CROSSOVER_ZOOM`. At least `MIN_ZOOM` and twice
    every N of ``extra_N`` (the operating points), at most the sweep's largest N."""
    full = max((n for c in cs.values() for n in c.N + c.sim_N), default=MIN_ZOOM)
    fin = finite_crossovers(cross, cs)
    pick = [v for k, v in fin.items() if k not in WORST_CASE] or list(fin.values())
    if pick:
        hi = ZOOM_FACTOR * max(pick)
    else:
        best = best_classical(cs)
        rs = {}
        for c in cs.values():
            if c.kind == "quantum":
                for n, r in zip(*ratio(c, best), strict=True):
                    rs[n] = min(rs.get(n, math.inf), r)
        n_min = min(rs, key=lambda n: (rs[n], n)) if rs else full
        hi = max(n_min, NO_CROSSOVER_ZOOM)
    hi = max([hi, MIN_ZOOM] + [2 * n for n in extra_N])
    return int(min(hi, full))


def y_range(cs: Mapping[str, Curve], names: Sequence[str], x_max: float, pad: float = 3.0) -> tuple:
    """(low, high) of the named curves (lines and points) for N ≤ x_max, widened by ``pad`` on
    each side (log scale); (1, 10) when nothing is in the window."""
    ys = [
        y
        for name in names
        for n, y in zip(cs[name].N + cs[name].sim_N, cs[name].y + cs[name].sim_y, strict=True)
        if n <= x_max
    ]
    if not ys:
        return 1.0, 10.0
    return min(ys) / pad, max(ys) * pad


def _number(v, positive: bool) -> bool:
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
    return ok and (v > 0 or not positive)


def check_operating_points(points, by_problem: Mapping[str, Mapping[str, Curve]]) -> list[dict]:
    """Validate ``operating_points`` (dicts ``{"label": str, "N": int ≥ 1, "communication": > 0,
    "scheme": str (optional), "problem": str (optional)}``) and give each its problem: the given
    one, else the problem of its scheme, else ``model`` (or the first problem)."""
    if isinstance(points, (str, bytes, Mapping)) or not isinstance(points, Sequence):
        raise ValueError(f"operating_points: expected a sequence of dicts, got {type(points).__name__}")
    default = "model" if "model" in by_problem else next(iter(by_problem), "model")
    out = []
    for i, p in enumerate(points):
        arg = f"operating_points[{i}]"
        if not isinstance(p, Mapping):
            raise ValueError(f"{arg}: expected a dict with label, N and communication, got {p!r}")
        if not isinstance(p.get("label"), str):
            raise ValueError(f"{arg}['label']: expected a string, got {p.get('label')!r}")
        N = p.get("N")
        if not (isinstance(N, numbers.Integral) and not isinstance(N, bool) and N >= 1):
            raise ValueError(f"{arg}['N']: expected an integer ≥ 1, got {N!r}")
        if not _number(p.get("communication"), positive=True):
            raise ValueError(f"{arg}['communication']: expected a number > 0, got {p.get('communication')!r}")
        scheme, problem = p.get("scheme"), p.get("problem")
        if problem is not None and problem not in by_problem:
            raise ValueError(f"{arg}['problem']: expected one of {', '.join(by_problem)}, got {problem!r}")
        if scheme is not None:
            owners = [q for q, cs in by_problem.items() if scheme in cs and problem in (None, q)]
            if not owners:
                names = sorted({s for cs in by_problem.values() for s in cs})
                raise ValueError(f"{arg}['scheme']: expected one of {', '.join(names)}, got {scheme!r}")
            problem = owners[0]
        out.append(
            {
                "label": p["label"],
                "N": int(N),
                "communication": float(p["communication"]),
                "scheme": scheme,
                "problem": problem or default,
            }
        )
    return out
