"""Benchmark: a 6-qubit, 36-parameter gradient on ``fake:torino`` — qdist against the usual ways.

The problem: a hardware-efficient circuit (per layer RY, RZ on every wire, a CNOT chain; 6 qubits,
3 layers → 36 parameters), O = Z on wire 0, parameter shift with 4,000 shots per shifted circuit
(72 circuits), on IBM Torino's noise (docs/concepts/hardware-stack.md#local-testing-mode):

* **qdist** — ``qdist.backends.gradient("fake:torino", …, method="param-shift")``: one Runtime
  ``EstimatorV2`` job with one PUB of 72 bindings, local mode with Torino's noise model restricted
  to the qubits the ISA circuit uses (cached on disk). Timed end to end *cold* (first call in the
  process, empty cache: pass manager, transpilation, noise model) and *warm* (median of repeats,
  fresh job registry each time so the job really runs). The layer-shadow gradient is timed too.
* **(a) Runtime, one job per circuit** — ``EstimatorV2(mode=FakeTorino())``: the circuit is
  transpiled once (parameterised), then every shifted binding is its own job, as a user of the
  primitives without batching writes it (Runtime hands Torino's full noise model to Aer each job).
* **(b) pennylane-qiskit** — ``qml.device("qiskit.remote", backend=FakeTorino())`` with
  ``diff_method="parameter-shift"``: one job per circuit (``qml.grad`` runs 72 + 1).

Each competitor job costs the same whatever its binding (the full-device noise model dominates),
so the competitors run ``--competitor-circuits`` of their circuits (default 6; ``--full`` all of
them) and the end-to-end time is extrapolated as ``first job + (C − 1) × median(other jobs)`` —
the JSON says ``"extrapolated": true`` and keeps every measured job time. Accuracy: all estimators
sample the same noise model with the same shots; the components the competitors computed are
compared with qdist's, and qdist's whole gradient with the exact adjoint one. qdist's first shifted
circuit is also run by (a) with the same seed: the two expectation values must be identical
(restricted vs full noise model). Output: ``benchmarks/results/hardware_path.json`` (``--quick``:
3 qubits, 1 layer, 1,000 shots, 2 competitor circuits → ``hardware_path_quick.json``).

Run: ``python benchmarks/hardware_path.py [--quick] [--full]`` (≈ 5 min on 2 cores; quick ≈ 2 min).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine, write_json  # noqa: E402

import qdist  # noqa: E402
import qdist.backends as qb  # noqa: E402
from qdist.backends.compile import isa_circuit, isa_observable, slot_circuit  # noqa: E402
from qdist.backends.execute import simulator_seed  # noqa: E402
from qdist.cli.submit import hea_circuit  # noqa: E402

TARGET = 10.0
DEVICE = "torino"


def problem(n: int, layers: int, seed: int):
    circuit = hea_circuit(n, layers)
    params = np.random.default_rng(seed).uniform(-np.pi, np.pi, circuit.num_params)
    return circuit, params, qdist.pauli("Z", wires=(0,))


def shifted_rows(circuit, params) -> np.ndarray:
    """The 2P shifted parameter vectors of parameter shift, (+π/2, −π/2) per parameter (every
    parameter of the HEA circuit is one RY/RZ angle with coefficient 1)."""
    P = circuit.num_params
    rows = np.repeat(params[None, :], 2 * P, axis=0)
    for j in range(P):
        rows[2 * j, j] += np.pi / 2
        rows[2 * j + 1, j] -= np.pi / 2
    return rows


def errors(est, exact) -> dict:
    d = np.asarray(est) - np.asarray(exact)
    return {"max_abs_error": float(np.max(np.abs(d))), "rms_error": float(np.sqrt(np.mean(d**2)))}


# ---------------------------------------------------------------------------------------------
# qdist
# ---------------------------------------------------------------------------------------------
def run_qdist(circuit, params, obs, shots, seed, method, repeats, exact) -> dict:
    reg_root = Path(tempfile.mkdtemp(prefix="qdist-bench-jobs-"))
    times, res = [], None
    for r in range(repeats + 1):  # r = 0: cold (first call in this process, empty cache)
        b = qb.get_backend(f"fake:{DEVICE}", registry=qb.JobRegistry(reg_root / f"run{r}"))
        t0 = time.perf_counter()
        res = qb.gradient(b, circuit, params, obs, method=method, shots=shots, seed=seed)
        times.append(time.perf_counter() - t0)
        if r == 0:
            first = res
    job_s = [
        rec[0]["seconds"]
        for r in range(repeats + 1)
        if (rec := qb.JobRegistry(reg_root / f"run{r}").records())
    ]
    bias = qb.gradient_error_budget(f"fake:{DEVICE}", circuit, obs, method=method)
    z = np.abs(first.value - exact) / np.maximum(first.std_error, 1e-12)
    return {
        "method": method,
        "cold_seconds": times[0],
        "warm_seconds": float(np.median(times[1:])) if repeats else None,
        "warm_runs": times[1:],
        "job_seconds": job_s,  # the primitive job alone (submit → result), cold run first
        "jobs_per_gradient": len(first.extra["jobs"]),
        "circuits": first.circuits,
        "copies": first.copies,
        **errors(first.value, exact),
        "mean_std_error": float(np.mean(first.std_error)),
        "max_z": float(np.max(z)),
        "max_bias_bound": float(np.max(bias)),
        "value": np.asarray(first.value).tolist(),
        "std_error": np.asarray(first.std_error).tolist(),
    }


# ---------------------------------------------------------------------------------------------
# (a) Runtime primitives, one job per circuit
# ---------------------------------------------------------------------------------------------
def run_runtime(circuit, params, obs, shots, seed, k) -> dict:
    from qiskit_ibm_runtime import EstimatorV2
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    dev = FakeTorino()  # a fresh instance: its noise model is built at the first job, as for a user
    t0 = time.perf_counter()
    sc = slot_circuit(circuit)
    isa = isa_circuit(dev, sc)
    ob = isa_observable(obs, isa, circuit.num_qubits)
    setup = time.perf_counter() - t0
    rows = shifted_rows(circuit, params)
    vals, stds, times = [], [], []
    for i in range(k):
        est = EstimatorV2(mode=dev)
        # circuit 0 uses qdist's seed: with the full noise model it must give qdist's value exactly
        est.options.simulator.seed_simulator = (
            simulator_seed(seed) if i == 0 else simulator_seed(seed, 1000 + i)
        )
        t0 = time.perf_counter()
        res = est.run(
            [(isa, ob, rows[i][[p.index for p in isa.parameters]])], precision=(1 + 1e-12) / math.sqrt(shots)
        )
        pub = res.result()[0]
        times.append(time.perf_counter() - t0)
        vals.append(float(pub.data.evs))
        stds.append(float(pub.data.stds))
    C = 2 * circuit.num_params
    steady = float(np.median(times[1:])) if k > 1 else times[0]
    grad = [(vals[2 * j] - vals[2 * j + 1]) / 2 for j in range(k // 2)]
    grad_std = [math.hypot(stds[2 * j], stds[2 * j + 1]) / 2 for j in range(k // 2)]
    return {
        "what": "qiskit_ibm_runtime EstimatorV2(mode=FakeTorino()), one job per shifted circuit",
        "measured_circuits": k,
        "circuits_per_gradient": C,
        "setup_seconds": setup,
        "job_seconds": times,
        "extrapolated": k < C,
        "end_to_end_seconds": setup + times[0] + (C - 1) * steady if k < C else setup + sum(times),
        "first_circuit_value": vals[0],
        "components": grad,
        "components_std_error": grad_std,
    }


# ---------------------------------------------------------------------------------------------
# (b) pennylane-qiskit remote device
# ---------------------------------------------------------------------------------------------
def run_pennylane(circuit, params, obs, shots, seed, k) -> dict:
    import pennylane as qml
    from qiskit_ibm_runtime.fake_provider import FakeTorino

    n = circuit.num_qubits
    try:
        dev = qml.device(
            "qiskit.remote",
            wires=n,
            backend=FakeTorino(),
            simulator={"seed_simulator": simulator_seed(seed, 7)},
        )
    except Exception as exc:  # noqa: BLE001 - report, fall back to (a) only
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    qfunc = qdist.to_pennylane(circuit)

    @qml.set_shots(shots=shots)
    @qml.qnode(dev, diff_method="parameter-shift")
    def f(theta):
        qfunc(theta)
        return qml.expval(qml.PauliZ(0))

    rows = shifted_rows(circuit, params)
    vals, times = [], []
    for i in range(k):
        t0 = time.perf_counter()
        vals.append(float(f(qml.numpy.array(rows[i], requires_grad=False))))
        times.append(time.perf_counter() - t0)
    C = 2 * circuit.num_params + 1  # qml.grad also evaluates f(θ)
    steady = float(np.median(times[1:])) if k > 1 else times[0]
    return {
        "available": True,
        "what": "pennylane-qiskit qml.device('qiskit.remote', backend=FakeTorino()), diff_method='parameter-shift'",
        "measured_circuits": k,
        "circuits_per_gradient": C,
        "job_seconds": times,
        "extrapolated": k < C,
        "end_to_end_seconds": times[0] + (C - 1) * steady if k < C else sum(times),
        "components": [(vals[2 * j] - vals[2 * j + 1]) / 2 for j in range(k // 2)],
    }


# ---------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="3 qubits, 1 layer, 1,000 shots, 2 competitor circuits"
    )
    ap.add_argument(
        "--full", action="store_true", help="run every competitor circuit (no extrapolation; ~1 h)"
    )
    ap.add_argument("--competitor-circuits", type=int, default=None, help="competitor jobs actually run")
    ap.add_argument("--repeats", type=int, default=3, help="warm qdist repeats (default 3)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    n, layers, shots = (3, 1, 1000) if args.quick else (6, 3, 4000)
    k = args.competitor_circuits or (2 if args.quick else 6)
    os.environ["QDIST_CACHE"] = tempfile.mkdtemp(prefix="qdist-bench-cache-")  # cold start: no noise models
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    circuit, params, obs = problem(n, layers, args.seed)
    if args.full:
        k = 2 * circuit.num_params
    exact = np.asarray(qdist.value_and_grad(circuit, params, obs)[1])
    print(
        f"hardware_path: {n} qubits, {circuit.num_params} parameters, {shots} shots, fake:{DEVICE}",
        flush=True,
    )

    ours = run_qdist(circuit, params, obs, shots, args.seed, "param-shift", args.repeats, exact)
    print(
        f"  qdist param-shift: cold {ours['cold_seconds']:.2f} s, warm {ours['warm_seconds']:.2f} s, "
        f"job {np.median(ours['job_seconds'][1:] or ours['job_seconds']):.2f} s, max error {ours['max_abs_error']:.3f}",
        flush=True,
    )
    shadow = run_qdist(circuit, params, obs, shots, args.seed, "shadow", args.repeats, exact)
    print(
        f"  qdist shadow: cold {shadow['cold_seconds']:.2f} s, warm {shadow['warm_seconds']:.2f} s",
        flush=True,
    )
    rt = run_runtime(circuit, params, obs, shots, args.seed, k)
    print(
        f"  (a) runtime one job per circuit: {np.median(rt['job_seconds']):.1f} s per job, "
        f"{rt['end_to_end_seconds']:.0f} s per gradient{' (extrapolated)' if rt['extrapolated'] else ''}",
        flush=True,
    )
    pl = run_pennylane(circuit, params, obs, shots, args.seed, k)
    if pl["available"]:
        print(
            f"  (b) pennylane-qiskit remote: {np.median(pl['job_seconds']):.1f} s per job, "
            f"{pl['end_to_end_seconds']:.0f} s per gradient{' (extrapolated)' if pl['extrapolated'] else ''}",
            flush=True,
        )
    else:
        print(
            f"  (b) pennylane-qiskit remote device unavailable offline: {pl['reason']}; (a) only", flush=True
        )

    m = len(rt["components"])
    cover = {
        "components": m,
        "qdist_errors": errors(ours["value"][:m], exact[:m]),
        "runtime_errors": errors(rt["components"], exact[:m]),
        "qdist_std_error": ours["std_error"][:m],
        "runtime_std_error": rt["components_std_error"],
    }
    if pl["available"]:
        cover["pennylane_errors"] = errors(pl["components"], exact[:m])
    speed = {
        "vs_runtime_warm": rt["end_to_end_seconds"] / ours["warm_seconds"],
        "vs_runtime_cold": rt["end_to_end_seconds"] / ours["cold_seconds"],
    }
    if pl["available"]:
        speed["vs_pennylane_warm"] = pl["end_to_end_seconds"] / ours["warm_seconds"]
        speed["vs_pennylane_cold"] = pl["end_to_end_seconds"] / ours["cold_seconds"]
    speed["target"] = TARGET
    speed["target_met_cold"] = all(v >= TARGET for key, v in speed.items() if key.endswith("_cold"))
    result = {
        "benchmark": "hardware_path",
        "quick": args.quick,
        "machine": machine(),
        "config": {
            "qubits": n,
            "layers": layers,
            "params": circuit.num_params,
            "shots": shots,
            "device": f"fake:{DEVICE}",
            "observable": "Z0",
            "seed": args.seed,
            "competitor_circuits": k,
        },
        "qdist_param_shift": ours,
        "qdist_shadow": shadow,
        "runtime_one_job_per_circuit": rt,
        "pennylane_qiskit_remote": pl,
        "accuracy_on_competitor_components": cover,
        "first_circuit_identical_to_full_device": None,
        "speedup": speed,
        "exact_gradient": exact.tolist(),
    }
    result["first_circuit_identical_to_full_device"] = _first_circuit_check(
        circuit, params, obs, shots, args.seed, rt
    )
    name = "hardware_path_quick" if args.quick else "hardware_path"
    path = write_json(name, result)
    print(
        f"  speed-up (warm / cold): vs (a) {speed['vs_runtime_warm']:.0f}× / {speed['vs_runtime_cold']:.0f}×"
        + (
            f", vs (b) {speed['vs_pennylane_warm']:.0f}× / {speed['vs_pennylane_cold']:.0f}×"
            if pl["available"]
            else ""
        )
    )
    print(f"  wrote {path}")


def _first_circuit_check(circuit, params, obs, shots, seed, rt) -> dict:
    """qdist's value of shifted circuit 0 (restricted noise model, same seed) against (a)'s."""
    rows = shifted_rows(circuit, params)
    run = qb.run_estimator(
        qb.get_backend(
            f"fake:{DEVICE}", registry=qb.JobRegistry(tempfile.mkdtemp(prefix="qdist-bench-first-"))
        ),
        [slot_circuit(circuit)],
        [[obs]],
        [rows[:1]],
        shots,
        seed,
    )
    ours = float(run.values[0][0, 0])
    return {
        "qdist": ours,
        "runtime_full_device": rt["first_circuit_value"],
        "identical": ours == rt["first_circuit_value"],
    }


if __name__ == "__main__":
    main()
