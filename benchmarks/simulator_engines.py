"""Simulator engines (issue 16): qdist's interpreter and unrolled program against what users pick instead.

All in this one process, same circuits, parameters and observable (Z on wire 0), machine and load
recorded: PennyLane ``lightning.qubit`` (adjoint) and ``default.qubit`` + ``jax.jit`` (n = 8 and only with
``QDIST_BENCH_DEFAULT_QUBIT=1``: its compile took over 2 minutes at n = 8, L = 10 here), qulacs (``backprop``), qsimcirq (forward), tensorcircuit-ng
(JAX backend, jitted, n = 8), Qiskit Aer (forward). Cases: n = 8, 12, 16 (20 with ``--full``),
two circuit shapes; forward, gradient, a 256-element batch, the first gradient of a structurally
new circuit after a warm-up of the same size, a cold call in a fresh process (empty and warm
persistent cache), XLA temp memory of the gradient against depth, achieved GB/s next to the
measured copy bandwidth.

Run: ``python benchmarks/simulator_engines.py [--quick | --full]``; writes
``benchmarks/results/simulator_engines.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine, median_time, write_json  # noqa: E402

import qdist  # noqa: E402
from qdist.sim import interpret, native  # noqa: E402

#: ``QDIST_BENCH_SLOW=1`` adds the engines that compile per circuit (qdist's unrolled program and
#: tensorcircuit-ng at n = 8: 15-25 s of compile each under load)
SLOW = bool(os.environ.get("QDIST_BENCH_SLOW"))

SHAPES = {
    "ryrz_cnot": (("RY", "RZ"), "chain"),  # RY·RZ on every wire, CNOT chain
    "rxrzry_czring": (("RX", "RZ", "RY"), "ring"),  # RX·RZ·RY on every wire, CZ ring
}
#: the depth each shape is timed at (about 400-540 parameters at n = 20)
LAYERS = {"ryrz_cnot": 10, "rxrzry_czring": 9}


def spec(shape: str, n: int, layers: int, layer_major: bool = False) -> list[tuple]:
    """``[(gate, wires, param index or None)]``; ``layer_major``: each rotation kind on every wire first."""
    rots, ent = SHAPES[shape]
    out, k = [], 0
    for _ in range(layers):
        if layer_major:
            out += [(r, (w,), k + w * len(rots) + j) for j, r in enumerate(rots) for w in range(n)]
        else:
            out += [(r, (w,), k + w * len(rots) + j) for w in range(n) for j, r in enumerate(rots)]
        k += n * len(rots)
        if ent == "chain":
            out += [("CNOT", (w, w + 1), None) for w in range(n - 1)]
        else:
            out += [("CZ", (w, (w + 1) % n), None) for w in range(n)]
    return out


def to_qdist(n, sp):
    return qdist.make_circuit(n, [qdist.gate(g, w, *(() if k is None else (k,))) for g, w, k in sp])


def lightning(n, sp, device="lightning.qubit", diff="adjoint", interface="autograd"):
    import pennylane as qml

    ops = {"RX": qml.RX, "RY": qml.RY, "RZ": qml.RZ, "CNOT": qml.CNOT, "CZ": qml.CZ}

    @qml.qnode(qml.device(device, wires=n), diff_method=diff, interface=interface)
    def circuit(p):
        for g, w, k in sp:
            ops[g](*(() if k is None else (p[k],)), wires=list(w))
        return qml.expval(qml.Z(0))

    return circuit


def qulacs_fns(n, sp, params):
    from qulacs import Observable, ParametricQuantumCircuit, QuantumState

    c = ParametricQuantumCircuit(n)
    for g, w, k in sp:  # qulacs parametric rotations are exp(+iθP/2): pass −θ
        if k is None:
            (c.add_CNOT_gate if g == "CNOT" else c.add_CZ_gate)(*w)
        else:
            getattr(c, f"add_parametric_{g}_gate")(w[0], -params[k])
    obs = Observable(n)
    obs.add_operator(1.0, "Z 0")

    def fwd():
        s = QuantumState(n)
        c.update_quantum_state(s)
        return obs.get_expectation_value(s)

    return fwd, lambda: -np.asarray(c.backprop(obs))


#: qsim's fused-gate sizes tried (its docs: 2 or 3 for fewer than 22 qubits); the faster is reported
QSIM_FUSED = (2, 3)


def qsim_fwd(n, sp, params, fused=2, threads=None):
    """qsimcirq's ``<Z_0>``, with ``cpu_threads`` = the machine's cores unless ``threads`` is given
    (``QSimOptions`` defaults to one thread; its docs advise the number of cores)."""
    import cirq
    import qsimcirq

    q = cirq.LineQubit.range(n)
    gates = {"RX": cirq.rx, "RY": cirq.ry, "RZ": cirq.rz}
    ops = [
        gates[g](params[k]).on(q[w[0]])
        if k is not None
        else (cirq.CNOT if g == "CNOT" else cirq.CZ)(*(q[x] for x in w))
        for g, w, k in sp
    ]
    opts = qsimcirq.QSimOptions(max_fused_gate_size=fused, cpu_threads=threads or os.cpu_count())
    circuit, sim = cirq.Circuit(ops), qsimcirq.QSimSimulator(opts)
    return lambda: sim.simulate_expectation_values(circuit, observables=[cirq.Z(q[0])])[0].real


def qsim_best(n, sp, params, v0, reps) -> dict:
    """qsim on every core at each size in `QSIM_FUSED`; the fastest, with all the timings."""
    times = {}
    for f in QSIM_FUSED:
        fs = qsim_fwd(n, sp, params, fused=f)
        times[f] = (median_time(fs, reps), float(abs(fs() - v0)))
    best = min(times, key=lambda f: times[f][0])
    return {
        "forward_s": times[best][0],
        "value_diff": times[best][1],
        "max_fused_gate_size": best,
        "cpu_threads": os.cpu_count(),
        "forward_s_by_fused_size": {str(f): t for f, (t, _) in times.items()},
    }


def tc_fns(n, sp):
    import tensorcircuit as tc

    tc.set_backend("jax")

    def f(p):
        c = tc.Circuit(n)
        for g, w, k in sp:
            getattr(c, g.lower())(*w, **({} if k is None else {"theta": p[k]}))
        return jax.numpy.real(c.expectation_ps(z=[0]))

    return jax.jit(f), jax.jit(jax.value_and_grad(f))


def aer_fwd(circuit, params):
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_aer.primitives import EstimatorV2

    qc, n = qdist.to_qiskit(circuit), circuit.num_qubits
    est = EstimatorV2(options={"backend_options": {"method": "statevector"}})
    obs = SparsePauliOp("I" * (n - 1) + "Z")
    return lambda: float(est.run([(qc, obs, params[None, :])]).result()[0].data.evs[0])


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def steady(n, shape, layers, reps, with_compiled):
    sp = spec(shape, n, layers)
    circuit, obs = to_qdist(n, sp), qdist.pauli("Z", [0])
    params = np.random.default_rng(n).uniform(-np.pi, np.pi, circuit.num_params)
    row = {"n": n, "shape": shape, "layers": layers, "num_params": circuit.num_params}
    os.environ["QDIST_SIM_MODE"] = "interpret"
    v0, g0 = qdist.value_and_grad(circuit, params, obs)
    row["qdist_interpret"] = {
        "forward_s": median_time(lambda: qdist.expval(circuit, params, obs), reps),
        "grad_s": median_time(lambda: qdist.value_and_grad(circuit, params, obs), reps),
        "blocks": interpret.circuit_tables(circuit).count,
        "gates": len(circuit.ops),
    }
    # qsim computes in single precision: the like-for-like forward is qdist's complex64
    _, g64 = qdist.value_and_grad(circuit, params, obs, dtype="complex64")
    row["qdist_interpret_c64"] = {
        "forward_s": median_time(lambda: qdist.expval(circuit, params, obs, dtype="complex64"), reps),
        "grad_s": median_time(lambda: qdist.value_and_grad(circuit, params, obs, dtype="complex64"), reps),
        "max_grad_diff": float(np.max(np.abs(np.asarray(g64) - g0))),
    }
    if with_compiled:
        os.environ["QDIST_SIM_MODE"] = "compile"
        (_, gc), t = timed(lambda: qdist.value_and_grad(circuit, params, obs))
        row["qdist_compiled"] = {
            "first_grad_s": t,
            "forward_s": median_time(lambda: qdist.expval(circuit, params, obs), reps),
            "grad_s": median_time(lambda: qdist.value_and_grad(circuit, params, obs), reps),
            "max_grad_diff_vs_interpret": float(np.max(np.abs(gc - g0))),
        }
    os.environ["QDIST_SIM_MODE"] = "auto"
    import pennylane as qml

    lq = lightning(n, sp)
    p = qml.numpy.array(params, requires_grad=True)
    gl = np.asarray(qml.grad(lq)(p))
    row["lightning_adjoint"] = {
        "forward_s": median_time(lambda: lq(p), reps),
        "grad_s": median_time(lambda: qml.grad(lq)(p), reps),
        "max_grad_diff": float(np.max(np.abs(gl - g0))),
    }
    fq, gq = qulacs_fns(n, sp, params)
    row["qulacs"] = {
        "forward_s": median_time(fq, reps),
        "grad_s": median_time(gq, reps),
        "max_grad_diff": float(np.max(np.abs(gq() - g0))),
    }
    row["qsimcirq"] = qsim_best(n, sp, params, v0, reps)
    fs = qsim_fwd(n, sp, params, threads=1)  # QSimOptions' defaults, as the earlier runs timed it
    row["qsimcirq_defaults"] = {"forward_s": median_time(fs, reps), "value_diff": float(abs(fs() - v0))}
    fa = aer_fwd(circuit, params)
    row["aer"] = {"forward_s": median_time(fa, reps), "value_diff": float(abs(fa() - v0))}
    if n <= 8 and SLOW:
        tf, tg = tc_fns(n, sp)
        pj = jax.numpy.asarray(params)
        _, t = timed(lambda: jax.block_until_ready(tg(pj)))
        row["tensorcircuit_ng"] = {
            "first_grad_s": t,
            "forward_s": median_time(lambda: jax.block_until_ready(tf(pj)), reps),
            "grad_s": median_time(lambda: jax.block_until_ready(tg(pj)), reps),
            "max_grad_diff": float(np.max(np.abs(np.asarray(tg(pj)[1]) - g0))),
        }
    if n <= 8 and os.environ.get("QDIST_BENCH_DEFAULT_QUBIT"):
        dq = lightning(n, sp, "default.qubit", "backprop", "jax")
        df, dg = jax.jit(dq), jax.jit(jax.grad(dq))
        pj = jax.numpy.asarray(params)
        jax.block_until_ready(dg(pj))
        row["default_qubit_jit"] = {
            "forward_s": median_time(lambda: jax.block_until_ready(df(pj)), reps),
            "grad_s": median_time(lambda: jax.block_until_ready(dg(pj)), reps),
        }
    return row


def first_call(n: int) -> dict:
    """First gradient of a structurally new circuit after a warm-up circuit of the same size."""
    import pennylane as qml

    obs = qdist.pauli("Z", [0])
    os.environ["QDIST_SIM_MODE"] = "auto"
    warm = to_qdist(n, spec("ryrz_cnot", n, 8))
    qdist.value_and_grad(warm, np.zeros(warm.num_params), obs)
    sp = spec("rxrzry_czring", n, 9)
    new = to_qdist(n, sp)
    params = np.random.default_rng(1).uniform(-3, 3, new.num_params)
    _, tq = timed(lambda: qdist.value_and_grad(new, params, obs))
    lq = lightning(n, sp)
    p = qml.numpy.array(params, requires_grad=True)
    _, tl = timed(lambda: qml.grad(lq)(p))
    return {"n": n, "layers": 9, "qdist_first_grad_s": tq, "lightning_first_grad_s": tl, "ratio": tq / tl}


_COLD = """
import time; t0 = time.perf_counter()
import numpy as np, qdist
ops = [qdist.gate(g, w, k) for l in range(10) for w in range(12) for g, k in (("RY", 24*l+2*w), ("RZ", 24*l+2*w+1))]
ops = [o for l in range(10) for o in ops[24*l:24*l+24] + [qdist.gate("CZ", (w, (w+1) % 12)) for w in range(12)]]
c = qdist.make_circuit(12, ops); t1 = time.perf_counter()
qdist.value_and_grad(c, np.full(c.num_params, 0.3), qdist.pauli("Z", [0])); t2 = time.perf_counter()
print(t2 - t1, t2 - t0)
"""


def cold_calls() -> dict:
    """A fresh process: ``nothing_built`` (an empty qdist cache: the block kernels are compiled
    first, 10–20 s, once per machine), ``empty_cache`` (the kernels built, as after ``make setup``,
    found in ``~/.cache/qdist/native``; JAX's caches empty) and ``warm_cache`` (a second process)."""
    import shutil

    out, made = {}, []
    for label in ("nothing_built", "empty_cache", "warm_cache"):
        if label != "warm_cache":
            tmp = tempfile.mkdtemp()
            made.append(tmp)
        env = dict(os.environ, QDIST_CACHE=tmp, QDIST_SIM_MODE="auto", PYTHONPATH=os.getcwd())
        if label == "nothing_built":
            env["QDIST_NATIVE_DIR"] = str(Path(tmp) / "native")
        res = subprocess.run(
            [sys.executable, "-c", _COLD], env=env, capture_output=True, text=True, check=True
        )
        call, total = map(float, res.stdout.split())
        out[label] = {"first_grad_s": call, "process_s": total}
    for tmp in made:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def order_independence(n: int, layers: int, reps: int) -> dict:
    os.environ["QDIST_SIM_MODE"] = "interpret"
    obs, out = qdist.pauli("Z", [0]), {}
    for label, lm in (("layer_major", True), ("wire_major", False)):
        c = to_qdist(n, spec("ryrz_cnot", n, layers, layer_major=lm))
        p = np.full(c.num_params, 0.2)
        qdist.value_and_grad(c, p, obs)
        out[label] = median_time(lambda c=c, p=p: qdist.value_and_grad(c, p, obs), reps)
    out["ratio"] = out["layer_major"] / out["wire_major"]
    os.environ["QDIST_SIM_MODE"] = "auto"
    return {"n": n, "layers": layers, **out}


def batch(n: int, reps: int) -> dict:
    os.environ["QDIST_SIM_MODE"] = "interpret"
    c, obs = to_qdist(n, spec("ryrz_cnot", n, 10)), qdist.pauli("Z", [0])
    pb = np.random.default_rng(2).uniform(-3, 3, (256, c.num_params))
    qdist.expval(c, pb, obs)
    qdist.value_and_grad(c, pb, obs)
    out = {
        "n": n,
        "forward_256_s": median_time(lambda: qdist.expval(c, pb, obs), reps),
        "grad_256_s": median_time(lambda: qdist.value_and_grad(c, pb, obs), reps),
    }
    os.environ["QDIST_SIM_MODE"] = "auto"
    return out


def memory(n: int) -> dict:
    """XLA temp bytes of the interpreter's gradient program as the depth (and parameters) grow."""
    out = {}
    with jax.enable_x64(True):
        for layers in (2, 8, 32):
            c = to_qdist(n, spec("ryrz_cnot", n, layers))
            t = interpret.circuit_tables(c)
            obs = interpret.observable_tables(qdist.pauli("Z", [0]), n)
            psi = np.zeros(2**n, complex)
            f = interpret._program("grad", n, (False, False, False), native.available())
            args = (t.args(), obs, np.zeros(t.padded_params), np.zeros(t.padded_data), psi)
            ma = f.lower(*args).compile().memory_analysis()
            out[f"L{layers}"] = {"params": c.num_params, "temp_bytes": int(ma.temp_size_in_bytes)}
    out["state_bytes"] = 16 * 2**n
    return out


def bandwidth(n: int, forward_s: float, blocks: int) -> dict:
    a = np.ones(2**n, complex)
    b = np.empty_like(a)
    t = median_time(lambda: np.copyto(b, a), 9)
    t_in = median_time(lambda: np.multiply(b, 1.0, out=b), 9)  # in place, as the kernels update
    return {
        "n": n,
        "copy_GBps": 2 * a.nbytes / t / 1e9,
        "inplace_GBps": 2 * a.nbytes / t_in / 1e9,
        "interpreter_forward_GBps": blocks * 2 * a.nbytes / forward_s / 1e9,
    }


def markdown(payload: dict) -> str:
    lines = [
        "# Simulator engines (issue 16)",
        "",
        f"Machine: {payload['machine']['cpu']}, "
        f"{payload['machine']['cores']} cores, load {payload['machine']['load_average_1min']}.",
        "",
    ]
    lines += [
        "| n | shape | engine | forward ms | gradient ms | grad vs lightning |",
        "|---|---|---|---|---|---|",
    ]
    for row in payload["steady"]:
        lg = row["lightning_adjoint"]["grad_s"]
        for eng in (
            "qdist_interpret",
            "qdist_interpret_c64",
            "qdist_compiled",
            "lightning_adjoint",
            "qulacs",
            "tensorcircuit_ng",
            "default_qubit_jit",
            "qsimcirq",
            "qsimcirq_defaults",
            "aer",
        ):
            if eng not in row:
                continue
            r = row[eng]
            g = r.get("grad_s")
            gs = f"{1e3 * g:.2f}" if g else "–"
            ratio = f"{lg / g:.2f}× faster" if g else "–"
            lines.append(
                f"| {row['n']} | {row['shape']} | {eng} | {1e3 * r['forward_s']:.2f} | {gs} | {ratio} |"
            )
    fc = payload["first_call"]
    lines += [
        "",
        f"First gradient of a new n = {fc['n']} circuit after warm-up: qdist {fc['qdist_first_grad_s']:.3f} s, "
        f"lightning {fc['lightning_first_grad_s']:.3f} s (ratio {fc['ratio']:.2f}).",
        f"Cold process, n = 12 L = 10 first gradient: nothing built "
        f"{payload['cold'].get('nothing_built', {}).get('first_grad_s', float('nan')):.2f} s, "
        f"empty cache {payload['cold']['empty_cache']['first_grad_s']:.2f} s, "
        f"warm cache {payload['cold']['warm_cache']['first_grad_s']:.2f} s.",
        f"Order independence n = {payload['order']['n']}: layer-major / wire-major = {payload['order']['ratio']:.3f}.",
        f"256-batch n = {payload['batch']['n']}: forward {payload['batch']['forward_256_s']:.3f} s, "
        f"gradient {payload['batch']['grad_256_s']:.3f} s.",
        f"Gradient temp memory vs depth: {payload['memory']}.",
        f"Bandwidth: {payload['bandwidth']}.",
        "",
        "Not installed / left out: " + payload["left_out"],
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="add n = 20")
    ap.add_argument("--quick", action="store_true", help="n = 8 only (what run_all --quick runs)")
    args = ap.parse_args(argv)
    sizes = [8] if args.quick else [8, 12, 16] + ([20] if args.full else [])
    steady_rows = []
    for n in sizes:
        for shape in SHAPES:
            steady_rows.append(steady(n, shape, LAYERS[shape], 5 if n < 16 else 3, n <= 8 and SLOW))
            print(steady_rows[-1], flush=True)
    big = [r for r in steady_rows if r["n"] == max(sizes) and r["shape"] == "ryrz_cnot"][0]
    payload = {
        "machine": machine(),
        "steady": steady_rows,
        "first_call": first_call(8 if args.quick else 12),
        "cold": cold_calls(),
        "order": order_independence(8 if args.quick else 16, 10, 3),
        "batch": batch(8 if args.quick else 12, 3),
        "memory": memory(12),
        "bandwidth": bandwidth(
            big["n"], big["qdist_interpret"]["forward_s"], big["qdist_interpret"]["blocks"]
        ),
        "left_out": "qdist's unrolled program and tensorcircuit-ng only with QDIST_BENCH_SLOW=1, at n = 8 (an earlier run "
        "of this script, same machine: unrolled first grad 14.6 s, grad 0.77 ms, fwd 0.98 ms; tensorcircuit-ng first "
        "grad 25 s, grad 2.8 ms, fwd 2.5 ms for ryrz_cnot n = 8 L = 10); the unrolled program is timed at n = 8 only (its compile takes 25-70 s per circuit at "
        "n >= 12 here); default.qubit+jit off by default (compile > 2 min at n = 8, L = 10 under load 6); "
        "tensorcircuit-ng at n = 8 only (jit compile grows with the circuit); qsimcirq and Aer forward only.",
    }
    name = "simulator_engines_quick" if args.quick else "simulator_engines"
    write_json(name, payload)
    (RESULTS / f"{name}.md").write_text(markdown(payload))
    return payload


if __name__ == "__main__":
    main()
