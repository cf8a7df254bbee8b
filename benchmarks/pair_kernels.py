"""Benchmark: the switch-over-pairs block kernels (`qdist.sim.pairkernels`) against the interpreter's gathers.

Two parts, every number next to the 1-minute load average (the machine is shared):

* **per block**: a ``fori_loop`` over ``B`` random wire pairs (random unitaries), the pair a traced
  table entry as in the interpreter; kernels ``gather`` (``interpret._pair_indices`` /
  ``_inverse_positions``, today's interpreter), ``switch`` (`pairkernels.apply_pair`, one block
  per iteration) and ``switch_u2`` (two blocks per iteration: no per-iteration state copy); and the
  adjoint step (``ψ ← B†ψ``, ``G``, ``λ ← B†λ``) ``gather_step`` / ``switch_step`` /
  ``switch_step_u2`` (the ``G`` of every step is summed into the loop carry, so XLA cannot drop
it as dead code). Reported: µs per block, ``GB/s = 2·itemsize·2ⁿ / t`` (one read and one
  write of the state; the step moves two states) and the compile time of the first call (the
  persistent compile cache is off in this process).
* **end to end**: the hardware-efficient circuit (RY·RZ on every wire, then a CNOT chain; ``L``
  layers; ⟨Z₀⟩) at n = 16 and 20: value + gradient and forward value of a copy of the interpreter's
  ``forward`` / ``grad_program`` loops with the pair kernels wired in (``ours``), of the current
  interpreter (``interpret._program``) and of PennyLane ``lightning.qubit`` (adjoint), in this
  process; gradients cross-checked.

Output (atomic): ``benchmarks/results/pair_kernels.json`` (``pair_kernels_quick.json`` with
``--quick``: n = 10, 12 only, L = 2). Run: ``python benchmarks/pair_kernels.py [--quick]``
(full ≈ 18 min on the shared 2-core machine, most of it compiling: every pair is a branch).

Run of 2026-12-02 (AMD EPYC, 2 cores shared with other agents' test suites, load 2.9–5.7, so
±2× noise): per block, complex128, switch_u2 vs gather 10.3 vs 3.2 GB/s (n = 12), 11.5 vs 3.1
(n = 16), 7.2 vs 2.6 (n = 20); complex64 n = 20 4.7 vs 1.4 GB/s. The adjoint step *with* its
``G`` gains little: 52 vs 68 µs (n = 12), 772–1153 vs 1253 µs (n = 16), 24.5 vs 24.8 ms (n = 20) —
the ``G`` reduction (a ``(4, R) × (R, 4)`` product of stacked quarters) costs more than the two
state updates. End to end, L = 10: n = 16 gradient 0.39 s (interpreter 0.51 s, lightning 0.14 s),
forward 0.054 s (0.157 s); n = 20 gradient 5.9 s (8.2 s, lightning 4.0 s), forward 0.93 s
(2.29 s, lightning 3.9 s). First call (compile) of the gradient program: 83 s at n = 16, 149 s
at n = 20 (interpreter 3.3 s, 12.7 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QDIST_COMPILE_CACHE", "0")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import machine, median_time, write_json  # noqa: E402

import qdist  # noqa: E402
from qdist.sim import interpret, pairkernels  # noqa: E402

jax.config.update("jax_enable_compilation_cache", False)
EYE = jnp.eye(4)


def load() -> float:
    return round(os.getloadavg()[0], 2)


# ---------------------------------------------------------------------------------------------
# a copy of interpret.forward / grad_program with the pair kernels wired in
# ---------------------------------------------------------------------------------------------


def _blocks_only(tab):
    """``(count, ref, ids, block tables)`` from ``Tables.args()``; stages are not wired in here."""
    (count, _kind, ref, pair, *rest), stages = tab
    if stages is not None:
        raise ValueError("this copy of the interpreter loops runs block-only circuits")
    return count, ref, pairkernels.pair_ids(pair), rest


def forward(n, tab, mats, psi, unroll=2):
    """``ψ ← B_{count−1} ⋯ B_0 ψ`` (item ``i`` is block row ``ref[i]``, pair id from the ``pair`` table).

    ``unroll = 2``: two blocks per iteration, an identity past ``count`` (no per-iteration copy)."""
    count, ref, ids, _ = _blocks_only(tab)

    def one(i, s, valid=True):
        r = ref[i]
        m = mats[r] if valid is True else jnp.where(valid, mats[r], EYE.astype(mats.dtype))
        return pairkernels.apply_pair(n, ids[r], m.astype(s.dtype), s)

    if unroll == 1:
        return jax.lax.fori_loop(0, count, one, psi)
    last = ref.shape[0] - 1
    body = lambda k, s: one(jnp.minimum(2 * k + 1, last), one(2 * k, s), 2 * k + 1 < count)  # noqa: E731
    return jax.lax.fori_loop(0, (count + 1) // 2, body, psi)


def expval_program(n, tab, obs, params, data, psi, unroll=2):
    out = forward(n, tab, interpret.block_matrices(params, *_blocks_only(tab)[3]), psi, unroll)
    return jnp.real(jnp.vdot(out, interpret.apply_obs(n, obs, out)))


def grad_program(n, tab, obs, params, data, psi, unroll=2):
    """``interpret.grad_program`` (block-only) with `pairkernels.apply_pair_and_reduce` as the adjoint step."""
    count, ref, ids, rest = _blocks_only(tab)
    mats = interpret.block_matrices(params, *rest)
    psi = forward(n, tab, mats, psi, unroll)
    lam = interpret.apply_obs(n, obs, psi)
    val = jnp.real(jnp.vdot(psi, lam))
    daggers = jnp.conj(jnp.swapaxes(mats, 1, 2)).astype(psi.dtype)
    nb = mats.shape[0]

    def step(i, carry, valid=True):  # item i (i = −1: an identity step, G dropped)
        psi, lam, gs = carry
        r = ref[jnp.maximum(i, 0)]
        m = daggers[r] if valid is True else jnp.where(valid, daggers[r], EYE.astype(psi.dtype))
        psi, lam, g = pairkernels.apply_pair_and_reduce(n, ids[r], m, psi, lam)
        return psi, lam, gs.at[jnp.where(i >= 0, r, nb)].set(g, mode="drop")

    gs0 = jnp.zeros(mats.shape, psi.dtype)
    if unroll == 1:
        body = lambda k, c: step(count - 1 - k, c)  # noqa: E731
        trips = count
    else:
        body = lambda k, c: step(count - 2 - 2 * k, step(count - 1 - 2 * k, c), count - 2 - 2 * k >= 0)  # noqa: E731
        trips = (count + 1) // 2
    _, _, gs = jax.lax.fori_loop(0, trips, body, (psi, lam, gs0))
    gs = jax.lax.stop_gradient(gs.astype(mats.dtype))

    def reduced(p):
        return 2.0 * jnp.real(jnp.sum(interpret.block_matrices(p, *rest) * jnp.swapaxes(gs, 1, 2)))

    return val, jax.grad(reduced)(params)


# ---------------------------------------------------------------------------------------------
# per-block loops
# ---------------------------------------------------------------------------------------------


def _gather_apply(n, hi, lo, m, psi):
    out = interpret._times(m, psi[interpret._pair_indices(n, hi, lo)])
    return out.reshape(-1)[interpret._inverse_positions(n, hi, lo)]


def _gather_step(n, hi, lo, mdag, psi, lam):
    idx, pos = interpret._pair_indices(n, hi, lo), interpret._inverse_positions(n, hi, lo)
    vp, vl = interpret._times(mdag, psi[idx]), lam[idx]
    return vp.reshape(-1)[pos], interpret._times(mdag, vl).reshape(-1)[pos], vp @ jnp.conj(vl).T


def _block_loop(kind: str, n: int, blocks: int):
    unroll = 2 if kind.endswith("_u2") else 1
    step = kind.startswith(("gather_step", "switch_step"))

    def one(i, bits, ids, mats, c):
        if kind.startswith("gather"):
            if step:
                return _gather_step(n, bits[i, 0], bits[i, 1], mats[i], *c[:2])
            return _gather_apply(n, bits[i, 0], bits[i, 1], mats[i], c)
        if step:
            return pairkernels.apply_pair_and_reduce(n, ids[i], mats[i], *c[:2])
        return pairkernels.apply_pair(n, ids[i], mats[i], c)

    def prog(bits, ids, mats, c):
        def body(r, c):
            for u in range(unroll):
                out = one(unroll * r + u, bits, ids, mats, c)
                c = (out[0], out[1], c[2] + out[2]) if step else out  # Σ G keeps G live
            return c

        return jax.lax.fori_loop(0, blocks // unroll, body, c)

    return jax.jit(prog)


def per_block(n: int, dtype, kinds, blocks: int, repeats: int) -> list[dict]:
    rng = np.random.default_rng(n)
    all_pairs = np.array(pairkernels.pairs(n), np.int32)
    bits = all_pairs[rng.integers(0, len(all_pairs), blocks)]
    ids = pairkernels.pair_ids(bits)
    a = rng.normal(size=(blocks, 4, 4)) + 1j * rng.normal(size=(blocks, 4, 4))
    mats = jnp.asarray(np.linalg.qr(a)[0].astype(dtype))
    states = [rng.normal(size=2**n) + 1j * rng.normal(size=2**n) for _ in range(2)]
    states = [jnp.asarray((s / np.linalg.norm(s)).astype(dtype)) for s in states]
    rows, ref = [], {}
    for kind in kinds:
        step = "step" in kind
        c = (states[0], states[1], jnp.zeros((4, 4), dtype)) if step else states[0]
        f = _block_loop(kind, n, blocks)
        t0 = time.perf_counter()
        out = jax.block_until_ready(f(bits, ids, mats, c))
        compile_s = time.perf_counter() - t0
        t = median_time(lambda: jax.block_until_ready(f(bits, ids, mats, c)), repeats) / blocks  # noqa: B023
        key = "step" if step else "apply"
        out = np.concatenate([np.asarray(x).ravel() for x in (out if step else (out,))])
        err = float(np.max(np.abs(out - ref[key]))) if key in ref else 0.0
        ref.setdefault(key, out)
        nbytes = (2 if step else 1) * 2 * np.dtype(dtype).itemsize * 2**n
        rows.append(
            {
                "n": n,
                "dtype": np.dtype(dtype).name,
                "kernel": kind,
                "blocks": blocks,
                "us_per_block": t * 1e6,
                "GBps": nbytes / t / 1e9,
                "first_call_s": compile_s,
                "max_diff_vs_first_kernel": err,
                "load": load(),
            }
        )
        print(rows[-1], flush=True)
    return rows


# ---------------------------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------------------------


def hea(n: int, layers: int):
    """``[(gate, wires, param index or None)]``: RY·RZ on every wire, then a CNOT chain, per layer."""
    out, k = [], 0
    for _ in range(layers):
        for w in range(n):
            out += [("RY", (w,), k), ("RZ", (w,), k + 1)]
            k += 2
        out += [("CNOT", (w, w + 1), None) for w in range(n - 1)]
    return out


def lightning_qnode(n, sp):
    import pennylane as qml

    ops = {"RY": qml.RY, "RZ": qml.RZ, "CNOT": qml.CNOT}

    @qml.qnode(qml.device("lightning.qubit", wires=n), diff_method="adjoint")
    def circuit(p):
        for g, w, k in sp:
            ops[g](*(() if k is None else (p[k],)), wires=list(w))
        return qml.expval(qml.Z(0))

    return circuit


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def end_to_end(n: int, layers: int, repeats: int, unroll: int, with_lightning: bool) -> dict:
    sp = hea(n, layers)
    circuit = qdist.make_circuit(n, [qdist.gate(g, w, *(() if k is None else (k,))) for g, w, k in sp])
    params = np.random.default_rng(n).uniform(-np.pi, np.pi, circuit.num_params)
    t = interpret.circuit_tables(circuit)
    obs = interpret.observable_tables(qdist.pauli("Z", [0]), n)
    padded = jnp.asarray(np.pad(params, (0, t.padded_params - circuit.num_params)))
    data = jnp.zeros(t.padded_data)
    psi0 = np.zeros(2**n, complex)
    psi0[0] = 1.0
    tab = t.args()
    row = {"n": n, "layers": layers, "num_params": circuit.num_params, "blocks": t.count, "unroll": unroll}
    progs = {
        "ours": (
            jax.jit(lambda tb, o, p, d, s: grad_program(n, tb, o, p, d, s, unroll)),
            jax.jit(lambda tb, o, p, d, s: expval_program(n, tb, o, p, d, s, unroll)),
        ),
        "interpreter": (
            interpret._program("grad", n, (False, False, False)),
            interpret._program("expval", n, (False, False, False)),
        ),
    }
    grads = {}
    for name, (g, f) in progs.items():
        (v, gr), tg = _timed(lambda: jax.block_until_ready(g(tab, obs, padded, data, psi0)))  # noqa: B023
        _, tf = _timed(lambda: jax.block_until_ready(f(tab, obs, padded, data, psi0)))  # noqa: B023
        grads[name] = np.asarray(gr)[: circuit.num_params]
        row[name] = {
            "grad_first_call_s": tg,
            "forward_first_call_s": tf,
            "grad_s": median_time(lambda: jax.block_until_ready(g(tab, obs, padded, data, psi0)), repeats),  # noqa: B023
            "forward_s": median_time(lambda: jax.block_until_ready(f(tab, obs, padded, data, psi0)), repeats),  # noqa: B023
            "value": float(v),
            "load": load(),
        }
        print(name, row[name], flush=True)
    row["max_grad_diff_ours_vs_interpreter"] = float(np.max(np.abs(grads["ours"] - grads["interpreter"])))
    if with_lightning:
        import pennylane as qml

        q = lightning_qnode(n, sp)
        p = qml.numpy.array(params, requires_grad=True)
        gl = np.asarray(qml.grad(q)(p))
        row["lightning_adjoint"] = {
            "grad_s": median_time(lambda: qml.grad(q)(p), repeats),
            "forward_s": median_time(lambda: q(p), repeats),
            "max_grad_diff_vs_ours": float(np.max(np.abs(gl - grads["ours"]))),
            "load": load(),
        }
        print("lightning", row["lightning_adjoint"], flush=True)
        lg = row["lightning_adjoint"]["grad_s"]
        row["grad_speedup_vs_lightning"] = {k: lg / row[k]["grad_s"] for k in progs}
    row["grad_speedup_ours_vs_interpreter"] = row["interpreter"]["grad_s"] / row["ours"]["grad_s"]
    row["forward_speedup_ours_vs_interpreter"] = row["interpreter"]["forward_s"] / row["ours"]["forward_s"]
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="n = 10, 12 and L = 2 only")
    ap.add_argument("--sizes", type=int, nargs="*", help="per-block sizes (default 12 16 20)")
    ap.add_argument("--e2e-sizes", type=int, nargs="*", help="end-to-end sizes (default 16 20)")
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--blocks", type=int, default=200, help="blocks per per-block loop")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--unroll", type=int, default=2, choices=(1, 2), help="blocks per loop iteration, end to end"
    )
    ap.add_argument("--no-lightning", action="store_true")
    ap.add_argument("--skip-per-block", action="store_true")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([10, 12] if args.quick else [12, 16, 20])
    e2e_sizes = args.e2e_sizes if args.e2e_sizes is not None else ([10, 12] if args.quick else [16, 20])
    layers = 2 if args.quick else args.layers
    kinds = ["gather", "switch", "switch_u2", "gather_step", "switch_step", "switch_step_u2"]
    payload = {"machine": machine(), "args": vars(args), "per_block": [], "end_to_end": []}
    with jax.enable_x64(True):
        if not args.skip_per_block:
            for n in sizes:
                payload["per_block"] += per_block(n, np.complex128, kinds, args.blocks, args.repeats)
            big = max(sizes)
            payload["per_block"] += per_block(big, np.complex64, kinds[:3], args.blocks, args.repeats)
        for n in e2e_sizes:
            payload["end_to_end"].append(
                end_to_end(n, layers, args.repeats, args.unroll, not args.no_lightning)
            )
    payload["machine_end"] = machine()
    print(write_json("pair_kernels_quick" if args.quick else "pair_kernels", payload))


if __name__ == "__main__":
    main()
