"""Benchmark: the C++ block kernels (`qdist.sim.native`) against the interpreter's two XLA gathers.

**What is measured.** Per block, inside one jitted `jax.lax.fori_loop` of K = 20 blocks whose wire
pair is *traced* (read from a `(K, 2)` table argument, as in the interpreter; all K rows hold the
same pair, the matrices are K random unitaries):

* *apply*: `ψ ← B ψ`, gathers (`interpret._apply_block(..., kernels=False)`) against
  `native.apply4`;
* *adjoint step*: `(Bψ, Bλ, G)` with `G` stored per block in the carry, as in the interpreter's
  adjoint sweep (`interpret._adjoint_block`, gathers against `native.adjoint4`);

for n = 12, 16, 20 (`--quick`: 10, 12), pairs (hi, lo) = (1, 0), (n/2, n/2−1), (n−1, n−2),
(n−1, 0), (5, 2), complex128 and complex64. Reported: µs per block (median call time / K, so it
includes the loop's one entry copy of the state and the call's dispatch, which dominate at
n ≤ 12), GB/s with 2 × state bytes per apply and 4 × state bytes per adjoint step, and each GB/s
as a fraction of the in-place streaming bandwidth measured in the same process
(`np.multiply(a, 1.0001, out=a)`, `a` 2²¹ complex128, 2 × 32 MiB per call). The kernels read
`QDIST_THREADS` once per process, so the native rows for 1 and 2 threads come from two
subprocesses (this script with `--threads 1` / `--threads 2`); states below 2¹⁵ amplitudes run on
one thread anyway. Every native result (ψ, λ and every `G`) is checked against the gather result
of the same inputs, computed in the same subprocess: the max abs difference is recorded and must
be < 1e-10 for complex128.

**Run.** `python benchmarks/block_kernels.py [--quick] [--repeats R]` (full ≈ 3.5 min, quick
≈ 30 s on 2 cores).

**Output** (atomic): `benchmarks/results/block_kernels.json` (`block_kernels_quick.json` with
`--quick`).

**Latest run** (2026-12-02, Intel Xeon, 2 cores shared with other jobs: load 3.0–3.7, so the
2-thread rows are contended and noisy; streaming bandwidth 14.9 GB/s in the gather process, 14.8
and 22.0 in the 1- and 2-thread ones). GB/s over the five pairs, min–max (fraction of streaming):

| n, dtype | apply: gather | native, 1 / 2 threads | adjoint: gather | native, 1 / 2 threads |
|---|---|---|---|---|
| 12, c128 | 2.7–3.5 (0.18–0.23) | 17–25 (1.1–1.7) / 16–25 | 3.2–3.3 (0.22) | 8–15 (0.55–1.0) / 7–16 |
| 16, c128 | 1.6–1.8 (0.11–0.12) | 7–21 (0.47–1.4) / 3–15 | 1.7–1.8 (0.12) | 6–11 (0.38–0.72) / 1–8 |
| 20, c128 | 2.0–2.7 (0.13–0.18) | 12–25 (0.81–1.7) / 6–20 | 1.4–1.9 (0.09–0.13) | 8–14 (0.57–0.93) / 5–10 |
| 20, c64 | 1.0–1.5 (0.07–0.10) | 7–22 (0.45–1.5) / 3–22 | 1.1–1.6 (0.07–0.11) | 3–14 (0.22–0.91) / 3–9 |

Native against gathers on 1 thread: apply 5–17× at n = 12, 3.5–32× at n = 16, 5.5–15× at n = 20;
adjoint 2.5–7×, 2–6×, 3–9×. Fractions above 1 are states that stay in cache (the streaming
array is 32 MiB). Max abs difference native − gathers: complex128 4.7e-17, complex64 2.3e-8.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import machine, median_time, write_json  # noqa: E402

from qdist.sim import interpret, native  # noqa: E402

jax.config.update("jax_enable_x64", True)

K = 20  # blocks per jitted loop
STREAM_SIZE = 2**21  # complex128 elements of the streaming-bandwidth array (32 MiB)
DTYPES = (np.complex128, np.complex64)
OPS = {"apply": 2, "adjoint": 4}  # state bytes moved per block, in units of the state's size
TOLERANCE = {"complex128": 1e-10}


def load() -> float:
    return round(os.getloadavg()[0], 2)


def pairs(n: int) -> list[tuple[int, int]]:
    """The measured `(hi, lo)` state-index bit pairs, `hi > lo`."""
    return [(1, 0), (n // 2, n // 2 - 1), (n - 1, n - 2), (n - 1, 0), (5, 2)]


def stream_gbps(repeats: int = 21) -> float:
    """In-place streaming bandwidth of this process: one read and one write of 32 MiB per call."""
    a = np.ones(STREAM_SIZE, np.complex128)
    t = median_time(lambda: np.multiply(a, 1.0001, out=a), repeats, warmup=3)
    return 2 * a.nbytes / t / 1e9


@cache
def loop(op: str, n: int, kernels: bool):
    """A jitted `fori_loop` of K blocks on the pairs of a `(K, 2)` table (apply or adjoint step);
    one per `(op, n, engine)`, so a pair (traced) or dtype change does not rebuild it."""

    def apply(tab, mats, psi, lam):
        def body(i, s):
            return interpret._apply_block(n, mats[i], s, tab[i, 0], tab[i, 1], kernels)

        return (jax.lax.fori_loop(0, K, body, psi),)

    def adjoint(tab, mats, psi, lam):
        def body(i, c):
            p, q, gs = c
            p, q, g = interpret._adjoint_block(n, mats[i], p, q, tab[i, 0], tab[i, 1], kernels)
            return p, q, gs.at[i].set(g)  # G kept live, as in the interpreter's sweep

        return jax.lax.fori_loop(0, K, body, (psi, lam, jnp.zeros((K, 4, 4), psi.dtype)))

    return jax.jit(apply if op == "apply" else adjoint)


def inputs(n: int, dtype, pair: tuple[int, int]):
    """`(table, K random unitaries, ψ, λ)` on the device, seeded by `(n, pair)`."""
    rng = np.random.default_rng([n, *pair])
    a = rng.normal(size=(K, 4, 4)) + 1j * rng.normal(size=(K, 4, 4))
    mats = np.linalg.qr(a)[0].astype(dtype)
    states = [rng.normal(size=2**n) + 1j * rng.normal(size=2**n) for _ in range(2)]
    psi, lam = (jnp.asarray((s / np.linalg.norm(s)).astype(dtype)) for s in states)
    tab = jnp.asarray(np.tile(np.array(pair, np.int32), (K, 1)))
    return tab, jnp.asarray(mats), psi, lam


def result(f, args) -> np.ndarray:
    """All outputs of one call, flattened into one numpy vector."""
    return np.concatenate([np.asarray(x).ravel() for x in jax.block_until_ready(f(*args))])


def measure(op: str, n: int, dtype, pair, kernels: bool, repeats: int, stream: float) -> dict:
    """One row: µs per block, GB/s and its fraction of `stream`; native rows add the check."""
    args = inputs(n, dtype, pair)
    f = loop(op, n, kernels)
    out = result(f, args)  # compiles
    t = median_time(lambda: jax.block_until_ready(f(*args)), repeats) / K
    gbps = OPS[op] * np.dtype(dtype).itemsize * 2**n / t / 1e9
    row = {
        "op": op,
        "engine": "native" if kernels else "gather",
        "n": n,
        "dtype": np.dtype(dtype).name,
        "pair": list(pair),
        "us_per_block": t * 1e6,
        "GBps": gbps,
        "fraction_of_stream": gbps / stream,
        "load": load(),
    }
    if kernels:
        row["max_abs_diff_vs_gather"] = float(np.max(np.abs(out - result(loop(op, n, False), args))))
    return row


def run(sizes, kernels: bool, repeats: int) -> dict:
    """Every (n, dtype, pair, op) row for one engine, with this process's streaming bandwidth."""
    stream = stream_gbps()
    rows = []
    for n in sizes:
        for dtype in DTYPES:
            for pair in pairs(n):
                for op in OPS:
                    rows.append(measure(op, n, dtype, pair, kernels, repeats, stream))
                    print({k: v for k, v in rows[-1].items() if k != "load"}, flush=True)
    return {"stream_GBps": stream, "stream_GBps_after": stream_gbps(), "rows": rows}


def child(threads: int, quick: bool, repeats: int) -> dict:
    """Run this script with `--threads threads` in a fresh process (it reads `QDIST_THREADS` once)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "native.json"
        cmd = [sys.executable, __file__, "--threads", str(threads), "--child-out", str(out)]
        cmd += ["--repeats", str(repeats)] + (["--quick"] if quick else [])
        env = {**os.environ, "QDIST_THREADS": str(threads)}
        subprocess.run(cmd, env=env, check=True)
        return json.loads(out.read_text())


def key(row: dict) -> tuple:
    return row["op"], row["n"], row["dtype"], tuple(row["pair"])


def merge(gather: dict, natives: dict[int, dict]) -> dict:
    """Rows of all engines, native rows with `threads` and `speedup_vs_gather`; stream per process."""
    base = {key(r): r for r in gather["rows"]}
    rows = [dict(r, threads=None) for r in gather["rows"]]
    for threads, part in natives.items():
        for r in part["rows"]:
            speedup = base[key(r)]["us_per_block"] / r["us_per_block"]
            rows.append(dict(r, threads=threads, speedup_vs_gather=speedup))
    stream = {
        "gather": gather["stream_GBps"],
        **{f"native_{t}": p["stream_GBps"] for t, p in natives.items()},
    }
    return {"stream_GBps": stream, "rows": rows}


def checks(rows: list[dict]) -> dict:
    """Worst native − gather difference per dtype; complex128 must stay below 1e-10."""
    out = {}
    for dtype in (np.dtype(d).name for d in DTYPES):
        diffs = [r["max_abs_diff_vs_gather"] for r in rows if r["dtype"] == dtype and r["engine"] == "native"]
        out[dtype] = {"max_abs_diff_vs_gather": max(diffs), "tolerance": TOLERANCE.get(dtype)}
        if dtype in TOLERANCE:
            out[dtype]["agree"] = max(diffs) < TOLERANCE[dtype]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 10, 12 only")
    ap.add_argument("--repeats", type=int, default=None, help="timed calls per row (default 7, quick 3)")
    ap.add_argument("--threads", type=int, default=None, help="(internal) native rows only, this count")
    ap.add_argument("--child-out", default=None, help="(internal) where a --threads run writes its rows")
    args = ap.parse_args(argv)
    sizes = [10, 12] if args.quick else [12, 16, 20]
    repeats = args.repeats or (3 if args.quick else 7)
    if not native.available():
        print(native.status(), file=sys.stderr)
        return 1
    if args.threads is not None:
        part = run(sizes, True, repeats)
        Path(args.child_out).write_text(json.dumps(dict(part, threads=args.threads, machine=machine())))
        return 0
    start = machine()
    gather = run(sizes, False, repeats)
    natives = {t: child(t, args.quick, repeats) for t in (1, 2)}
    merged = merge(gather, natives)
    payload = {
        "benchmark": "block_kernels",
        "quick": args.quick,
        "machine": start,
        "settings": {
            "sizes": sizes,
            "blocks_per_loop": K,
            "repeats": repeats,
            "stream_elements": STREAM_SIZE,
        },
        "bytes_per_block_in_states": OPS,
        **merged,
        "checks": checks(merged["rows"]),
        "machine_end": machine(),
    }
    print(write_json("block_kernels_quick" if args.quick else "block_kernels", payload))
    ok = all(c.get("agree", True) for c in payload["checks"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
