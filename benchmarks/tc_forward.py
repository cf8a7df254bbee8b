"""Forward at n = 16 against tensorcircuit-ng (issue 16: "at n = 16 at least as fast as tensorcircuit-ng").

One process, the circuits of `simulator_engines` (RY·RZ + CNOT chain, L = 10; RX·RZ·RY + CZ ring,
L = 9), Z on wire 0: tensorcircuit-ng on its JAX backend under `jax.jit` (its first call is the
compile, timed apart; it computes in complex64, its default, so the like-for-like ratio is the one
against qdist's complex64), qdist's interpreter in complex128 and complex64, and qsimcirq (single
precision) as the third opinion. Values are cross-checked against qdist's complex128 value.
Writes `results/tc_forward.{json,md}`.

    python benchmarks/tc_forward.py [--n 16] [--reps 5]
"""

from __future__ import annotations

import argparse
import os

import jax
import numpy as np
from _common import RESULTS, machine, median_time, write_json
from simulator_engines import LAYERS, SHAPES, qsim_fwd, spec, tc_fns, timed, to_qdist

import qdist


def row(n: int, shape: str, reps: int) -> dict:
    layers = LAYERS[shape]
    sp = spec(shape, n, layers)
    circuit, obs = to_qdist(n, sp), qdist.pauli("Z", [0])
    params = np.random.default_rng(n).uniform(-np.pi, np.pi, circuit.num_params)
    os.environ["QDIST_SIM_MODE"] = "interpret"
    v0 = float(qdist.expval(circuit, params, obs))
    qdist.expval(circuit, params, obs, dtype="complex64")
    out = {"n": n, "shape": shape, "layers": layers, "value": v0}
    out["qdist_interpret_ms"] = 1e3 * median_time(lambda: qdist.expval(circuit, params, obs), reps)
    out["qdist_interpret_c64_ms"] = 1e3 * median_time(
        lambda: qdist.expval(circuit, params, obs, dtype="complex64"), reps
    )
    tf, _ = tc_fns(n, sp)
    pj = jax.numpy.asarray(params)
    value, first = timed(lambda: jax.block_until_ready(tf(pj)))
    out["tensorcircuit_ng_first_call_s"] = first
    out["tensorcircuit_ng_ms"] = 1e3 * median_time(lambda: jax.block_until_ready(tf(pj)), reps)
    out["tensorcircuit_ng_value_diff"] = abs(float(value) - v0)
    fs = qsim_fwd(n, sp, params)
    out["qsimcirq_ms"] = 1e3 * median_time(fs, reps)
    out["qsimcirq_value_diff"] = abs(float(fs()) - v0)
    out["ratio_tc_over_qdist"] = out["tensorcircuit_ng_ms"] / out["qdist_interpret_ms"]
    out["ratio_tc_over_qdist_c64"] = out["tensorcircuit_ng_ms"] / out["qdist_interpret_c64_ms"]
    return out


def markdown(payload: dict) -> str:
    m = payload["machine"]
    lines = [
        "# Forward at n = 16 against tensorcircuit-ng (issue 16)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, load {m['load_average_1min']}.",
        "",
        "| n | shape | qdist ms | qdist c64 ms | tensorcircuit-ng ms (first call s) | qsimcirq ms | tc-ng / qdist (c64) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in payload["rows"]:
        lines.append(
            f"| {r['n']} | {r['shape']} | {r['qdist_interpret_ms']:.2f} | {r['qdist_interpret_c64_ms']:.2f} | "
            f"{r['tensorcircuit_ng_ms']:.2f} ({r['tensorcircuit_ng_first_call_s']:.1f}) | {r['qsimcirq_ms']:.2f} | "
            f"{r['ratio_tc_over_qdist']:.2f}× ({r['ratio_tc_over_qdist_c64']:.2f}×) |"
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
    args = ap.parse_args(argv)
    if not 2 <= args.n <= 24:
        ap.error("--n: expected an integer in [2, 24]")
    rows = []
    for shape in SHAPES:
        rows.append(row(args.n, shape, args.reps))
        print(rows[-1], flush=True)
    payload = {"machine": machine(), "rows": rows}
    write_json("tc_forward", payload)
    (RESULTS / "tc_forward.md").write_text(markdown(payload))
    return payload


if __name__ == "__main__":
    main()
