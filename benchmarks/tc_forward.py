"""Forward at n = 16 against tensorcircuit-ng (issue 16: "at n = 16 at least as fast as tensorcircuit-ng").

One process, the circuits of `simulator_engines` (RY·RZ + CNOT chain, L = 10; RX·RZ·RY + CZ ring,
L = 9), Z on wire 0: tensorcircuit-ng on its JAX backend under `jax.jit` (its first call is the
compile, timed apart; it computes in complex64, its default, so the like-for-like ratio is the one
against qdist's complex64), qdist's interpreter in complex128 and complex64, and qsimcirq (single
precision, on every core, fused-gate size 2) as the third opinion. Values are cross-checked against qdist's complex128 value.
Writes `results/tc_forward.{json,md}`.

    python benchmarks/tc_forward.py [--n 16] [--reps 5] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os

import jax
import numpy as np
from _common import RESULTS, machine, median_time, write_json
from simulator_engines import LAYERS, SHAPES, qsim_fwd, spec, tc_fns, timed, to_qdist

import qdist


def row(n: int, shape: str, reps: int, rounds: int) -> dict:
    """Each engine timed (median of ``reps`` calls) once per round, the engines alternating within
    a round, so a slow spell of the machine falls on all of them; the reported time is the median
    over rounds and each ratio is taken round by round."""
    layers = LAYERS[shape]
    sp = spec(shape, n, layers)
    circuit, obs = to_qdist(n, sp), qdist.pauli("Z", [0])
    params = np.random.default_rng(n).uniform(-np.pi, np.pi, circuit.num_params)
    os.environ["QDIST_SIM_MODE"] = "interpret"
    v0 = float(qdist.expval(circuit, params, obs))
    qdist.expval(circuit, params, obs, dtype="complex64")
    out = {"n": n, "shape": shape, "layers": layers, "value": v0, "rounds": rounds}
    tf, _ = tc_fns(n, sp)
    pj = jax.numpy.asarray(params)
    value, first = timed(lambda: jax.block_until_ready(tf(pj)))
    out["tensorcircuit_ng_first_call_s"] = first
    out["tensorcircuit_ng_value_diff"] = abs(float(value) - v0)
    fs = qsim_fwd(n, sp, params)
    out["qsimcirq_value_diff"] = abs(float(fs()) - v0)
    engines = {
        "qdist_interpret": lambda: qdist.expval(circuit, params, obs),
        "qdist_interpret_c64": lambda: qdist.expval(circuit, params, obs, dtype="complex64"),
        "tensorcircuit_ng": lambda: jax.block_until_ready(tf(pj)),
        "qsimcirq": fs,
    }
    times = {name: [] for name in engines}
    for _ in range(rounds):
        for name, fn in engines.items():
            times[name].append(1e3 * median_time(fn, reps))
    for name, ts in times.items():
        out[f"{name}_ms"] = float(np.median(ts))
        out[f"{name}_rounds_ms"] = ts
    for key, base in (
        ("ratio_tc_over_qdist", "qdist_interpret"),
        ("ratio_tc_over_qdist_c64", "qdist_interpret_c64"),
    ):
        per_round = [t / q for t, q in zip(times["tensorcircuit_ng"], times[base], strict=True)]
        out[key] = float(np.median(per_round))
        out[f"{key}_rounds"] = per_round
    return out


def markdown(payload: dict) -> str:
    m = payload["machine"]
    lines = [
        "# Forward at n = 16 against tensorcircuit-ng (issue 16)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, load {m['load_average_1min']}.",
        "",
        "Times: the median over rounds of each engine's median call (engines alternating within a round);",
        "ratios: the median of the per-round ratios, with their range.",
        "",
        "| n | shape | qdist ms | qdist c64 ms | tensorcircuit-ng ms (first call s) | qsimcirq ms | tc-ng / qdist (c64) | range |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in payload["rows"]:
        lines.append(
            f"| {r['n']} | {r['shape']} | {r['qdist_interpret_ms']:.2f} | {r['qdist_interpret_c64_ms']:.2f} | "
            f"{r['tensorcircuit_ng_ms']:.2f} ({r['tensorcircuit_ng_first_call_s']:.1f}) | {r['qsimcirq_ms']:.2f} | "
            f"{r['ratio_tc_over_qdist']:.2f}× ({r['ratio_tc_over_qdist_c64']:.2f}×) | "
            f"{min(r['ratio_tc_over_qdist_rounds']):.2f}–{max(r['ratio_tc_over_qdist_rounds']):.2f}× "
            f"({min(r['ratio_tc_over_qdist_c64_rounds']):.2f}–{max(r['ratio_tc_over_qdist_c64_rounds']):.2f}×) |"
        )
    lines += [
        "",
        "Value differences against qdist complex128: "
        + ", ".join(
            f"{r['shape']} tc-ng {r['tensorcircuit_ng_value_diff']:.1e}, qsim {r['qsimcirq_value_diff']:.1e}"
            for r in payload["rows"]
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16, help="register size (default 16)")
    ap.add_argument("--reps", type=int, default=5, help="timed calls per median (default 5)")
    ap.add_argument("--rounds", type=int, default=7, help="rounds of alternating engines (default 7)")
    args = ap.parse_args(argv)
    if not 2 <= args.n <= 24:
        ap.error("--n: expected an integer in [2, 24]")
    if args.reps < 1 or args.rounds < 1:
        ap.error("--reps, --rounds: expected positive integers")
    rows = []
    for shape in SHAPES:
        rows.append(row(args.n, shape, args.reps, args.rounds))
        print(rows[-1], flush=True)
    payload = {"machine": machine(), "rows": rows}
    write_json("tc_forward", payload)
    (RESULTS / "tc_forward.md").write_text(markdown(payload))
    return payload


if __name__ == "__main__":
    main()
