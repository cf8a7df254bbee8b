"""``qdist submit``: run one measuring task on a backend — the exact simulator, a PennyLane device,
Aer, a fake IBM device emulated locally, or real IBM hardware — and print the result and the job ids.

    qdist submit --backend fake:torino --task gradient --method shadow --qubits 6 --layers 3 --shots 4000
    qdist submit --backend ibm:least_busy --task expval --qubits 6 --layers 3 --shots 4000 --resilience-level 1

Tasks (each ONE primitive job): ``expval`` — ⟨O⟩ of a hardware-efficient circuit (per layer RY and
RZ on every wire, then a CNOT chain; θ ~ U(−π, π) from ``--seed``); ``gradient`` — its gradient by
``--method param-shift`` or ``shadow`` ([layer shadows][layer-shadows]); ``shadow`` — a classical
shadow of its state (``--shots`` snapshots), with the single- and nearest-neighbour ZZ estimates;
``inference`` — the distributed model's readouts ⟨Z_c⟩ (flattened onto one device: |x⟩ by state
preparation, Alice's data bound in). ``--circuit network`` runs expval/gradient/shadow on that
flattened distributed model instead. The exact simulator's values are printed next to the
estimate, with the bias bound from the device's error rates (fake devices).

Jobs are recorded in the registry (``$QDIST_CACHE`` or ``~/.cache/qdist``; ``--registry``) before
they are awaited; running the same command again loads finished jobs instead of resubmitting them.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import warnings

import numpy as np

from qdist.cli.args import flag_map, flag_message, parse_int
from qdist.sim.circuit import gate, make_circuit
from qdist.sim.execute import expval as simulate_expval
from qdist.sim.execute import value_and_grad
from qdist.sim.observables import pauli, pauli_sum
from qdist.validate import check_memory, check_output_dir, check_sample_count, state_vector_bytes

TASKS = ("expval", "gradient", "shadow", "inference")
_FLAGS = {
    "backend",
    "task",
    "method",
    "qubits",
    "layers",
    "shots",
    "seed",
    "observable",
    "features",
    "parties",
    "classes",
    "basis",
    "shots_per_basis",
    "resilience_level",
    "dynamical_decoupling",
    "optimization_level",
    "retries",
    "registry",
    "circuit",
}
#: API argument names that the CLI calls differently
_RENAME = {
    "snapshots": "--shots",
    "dynamical_decoupling": "--dd",
    "noise_model": "--backend",
    "circuit": "--qubits",
}
_FLAG_NAMES = flag_map(_FLAGS, _RENAME)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "submit",
        help="run expval / gradient / shadow / inference on a simulator, fake device or IBM hardware",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--backend",
        default="jax",
        help="jax | pennylane:<device> | aer | fake:<name> | ibm:<name> | ibm:least_busy (default jax)",
    )
    p.add_argument("--task", default="expval", help="expval | gradient | shadow | inference (default expval)")
    p.add_argument(
        "--method", default="param-shift", help="gradient: param-shift | shadow (default param-shift)"
    )
    p.add_argument("--basis", default="derandomized", help="shadow gradient: derandomized | random")
    p.add_argument("--circuit", default="hea", help="hea | network (the flattened distributed model)")
    p.add_argument("--qubits", default="4", help="qubits of the circuit (default 4)")
    p.add_argument("--layers", default="2", help="layers (default 2)")
    p.add_argument("--shots", default="4000", help="shots per circuit / snapshots of a shadow (default 4000)")
    p.add_argument(
        "--shots-per-basis", dest="shots_per_basis", default="1", help="shadow: shots per random basis"
    )
    p.add_argument("--seed", default="0", help="seed for parameters, data and sampling (default 0)")
    p.add_argument("--observable", default=None, help="e.g. ZIII or '0.5*ZZII+XIII' (default Z on wire 0)")
    p.add_argument("--features", default=None, help="inference/network: N features (default 2^qubits)")
    p.add_argument("--parties", default="2", help="inference/network: parties (default 2)")
    p.add_argument("--classes", default="1", help="inference: Z readouts (default 1)")
    p.add_argument(
        "--resilience-level", dest="resilience_level", default=None, help="IBM Estimator: 0, 1 or 2"
    )
    p.add_argument("--twirling", action="store_true", help="IBM: Pauli twirling of gates (and measurements)")
    p.add_argument(
        "--dd", dest="dynamical_decoupling", default=None, help="IBM: dynamical decoupling XX|XpXm|XY4"
    )
    p.add_argument("--optimization-level", dest="optimization_level", default="2", help="transpiler: 2 or 3")
    p.add_argument("--retries", default="2", help="retries of a failed job (default 2, backoff 2 s doubling)")
    p.add_argument("--registry", default=None, help="job registry folder (default <cache>/jobs)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


# ---------------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------------
def parse_observable(text: str | None, n: int):
    """``"0.5*ZZII+XIII"`` (dense labels, wire 0 first) → qdist observable; default Z on wire 0."""

    if text is None:
        return pauli("Z", wires=(0,))
    terms = {}
    # split before a sign that is not an exponent's ("1e-3*ZIII" is one term)
    for part in re.split(r"(?<![eE])(?=[+-])", text.replace(" ", "")):
        part = part.removeprefix("+")
        if not part:
            continue
        coeff, _, label = part.rpartition("*")
        if coeff in ("", "-", "+"):
            c = -1.0 if coeff == "-" or label.startswith("-") else 1.0
        else:
            try:
                c = float(coeff)
            except ValueError:
                raise ValueError(f"--observable: bad coefficient {coeff!r} in {text!r}") from None
            if not math.isfinite(c):
                raise ValueError(f"--observable: expected finite coefficients, got {coeff!r} in {text!r}")
        label = label.lstrip("-").upper()
        if len(label) != n or set(label) - set("IXYZ"):
            raise ValueError(f"--observable: expected Pauli labels of {n} letters I, X, Y, Z, got {label!r}")
        terms[label] = terms.get(label, 0.0) + c
    if not terms:
        raise ValueError(f"--observable: no terms in {text!r}")
    return pauli_sum(terms)


def hea_circuit(num_qubits: int, layers: int):
    """Per layer: RY then RZ on every wire, then a CNOT chain (2·n·L parameters)."""

    ops, k = [], 0
    for _ in range(layers):
        for name in ("RY", "RZ"):
            for w in range(num_qubits):
                ops.append(gate(name, w, k))
                k += 1
        for w in range(num_qubits - 1):
            ops.append(gate("CX", (w, w + 1)))
    return make_circuit(num_qubits, ops, num_params=k)


def _config(args) -> dict:
    task = args.task
    if task not in TASKS:
        raise ValueError(f"--task: expected one of {', '.join(TASKS)}, got {task!r}")
    if args.circuit not in ("hea", "network"):
        raise ValueError(f"--circuit: expected hea or network, got {args.circuit!r}")
    cfg = {
        "task": task,
        "qubits": parse_int(args.qubits, "--qubits", 1),
        "layers": parse_int(args.layers, "--layers", 1),
        "shots": parse_int(args.shots, "--shots"),
        "seed": parse_int(args.seed, "--seed", 0),
        "shots_per_basis": parse_int(args.shots_per_basis, "--shots-per-basis", 1),
        "parties": parse_int(args.parties, "--parties", 2),
        "classes": parse_int(args.classes, "--classes", 1),
        "optimization_level": parse_int(args.optimization_level, "--optimization-level"),
        "retries": parse_int(args.retries, "--retries", 0),
        "method": args.method,
        "basis": args.basis,
    }
    if cfg["shots"] < 1:
        raise ValueError(f"--shots: expected an integer ≥ 1, got {cfg['shots']}")
    cfg["features"] = (
        2 ** cfg["qubits"] if args.features is None else parse_int(args.features, "--features", 1)
    )
    cfg["resilience_level"] = (
        None if args.resilience_level is None else parse_int(args.resilience_level, "--resilience-level")
    )
    if task == "gradient" and args.method not in ("param-shift", "shadow"):
        raise ValueError(f"--method: expected param-shift or shadow, got {args.method!r}")
    return cfg


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------
def _backend(args, cfg, min_qubits: int):
    from qdist.backends import JobRegistry, get_backend

    registry = JobRegistry(args.registry) if args.registry else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend = get_backend(
            args.backend,
            resilience_level=cfg["resilience_level"],
            twirling=args.twirling,
            dynamical_decoupling=args.dynamical_decoupling or False,
            optimization_level=cfg["optimization_level"],
            registry=registry,
            retries=cfg["retries"],
            min_qubits=min_qubits,
        )
    for w in caught:
        if issubclass(w.category, UserWarning) and "mitigation" in str(w.message):
            print(f"qdist submit: warning: {w.message}", file=sys.stderr)
    return backend


def _model(cfg):
    from qdist.network.model import ModelSpec, random_model

    spec = ModelSpec(
        features=cfg["features"],
        layers=cfg["layers"],
        parties=cfg["parties"],
        classes=cfg["classes"] if cfg["task"] == "inference" else 1,
    )
    return random_model(spec, cfg["seed"])


def _problem(cfg, args):
    """``(circuit, params, observable, state, data, model)`` of the task."""
    if cfg["circuit"] == "network" or cfg["task"] == "inference":
        model = _model(cfg)
        n = model.spec.n
        obs = parse_observable(args.observable, n) if args.observable else model.readout(0)
        return model.flat_circuit(), model.flat_params(), obs, model.initial_state(), model.flat_data(), model
    n = cfg["qubits"]
    circuit = hea_circuit(n, cfg["layers"])
    rng = np.random.default_rng(np.random.SeedSequence([cfg["seed"], 0xC1]))
    params = rng.uniform(-np.pi, np.pi, circuit.num_params)
    return circuit, params, parse_observable(args.observable, n), None, None, None


def _check_paths(args) -> None:
    """The registry (``--registry``, else ``$QDIST_CACHE/jobs``) must be a writable folder before
    anything runs: a job is recorded there before it is awaited."""
    import os

    from qdist.backends.cache import cache_dir

    if args.registry:
        check_output_dir("--registry", args.registry)
    else:
        name = "QDIST_CACHE" if os.environ.get("QDIST_CACHE") else "cache"
        check_output_dir(name, cache_dir(create=False))


def _check_sizes(args, cfg) -> None:
    """Memory and count bounds, estimated before anything is built (`qdist.validate`): a simulated
    backend holds the state vector (``4 · 2ⁿ · 16`` bytes) and the sampled bit strings
    (``shots · (n + 1) · 8`` bytes); the exact simulator counts outcomes (at most 2⁶² per draw)."""
    from qdist.network.spec import num_qubits

    network = cfg["circuit"] == "network" or cfg["task"] == "inference"
    n, name = (num_qubits(cfg["features"]), "features") if network else (cfg["qubits"], "qubits")
    value = cfg[name]
    simulated = not args.backend.startswith("ibm:")
    if simulated or n <= 20:  # the exact reference is computed for n ≤ 20 on every backend
        what = f"the simulated states of {n} qubits (4 × 2^{n} amplitudes × 16 bytes)"
        check_memory(name, state_vector_bytes(n), what, value)
    shots = cfg["shots"]
    check_sample_count("shots", shots, shots)
    if cfg["task"] == "shadow" or (simulated and args.backend != "jax"):
        what = f"the sampled outcomes ({shots} shots × {n + 1} wires × 8 bytes)"
        check_memory("shots", shots * (n + 1) * 8, what, shots)


def submit(args) -> dict:
    """Run the task of ``args``; the JSON-able report."""
    import qdist.backends as qb

    cfg = _config(args)
    _check_paths(args)
    cfg["circuit"] = args.circuit
    _check_sizes(args, cfg)
    circuit, params, obs, state, data, model = _problem(cfg, args)
    n = circuit.num_qubits
    extra_wire = 1 if (cfg["task"] == "gradient" and cfg["method"] == "shadow") else 0
    backend = _backend(args, cfg, n + extra_wire)
    task, shots, seed = cfg["task"], cfg["shots"], cfg["seed"]
    report = {
        "task": task,
        "backend": str(backend.spec),
        "device": getattr(backend.device, "name", None),
        "qubits": n,
        "layers": cfg["layers"],
        "params": circuit.num_params,
        "shots": shots,
        "seed": seed,
        "mitigation": backend.mitigation,
    }
    exact_ok = n <= 20
    if task == "inference":
        res = qb.inference(backend, model, shots=shots, seed=seed)
        report.update(
            _common(res),
            estimate=np.atleast_1d(res.value).tolist(),
            std_error=np.atleast_1d(res.std_error).tolist(),
            exact=np.asarray(res.extra["exact"]).tolist(),
            ledger=res.extra["ledger"],
            features=model.spec.features,
            parties=model.spec.parties,
        )
        budgets = [
            qb.error_budget(backend, circuit, pauli("Z", wires=(c,)), state=state, data=data)
            for c in range(model.spec.classes)
        ]
        report["bias_bound"] = max(b["total"] for b in budgets)
    elif task == "expval":
        res = qb.expval(backend, circuit, params, obs, shots=shots, seed=seed, state=state, data=data)
        report.update(_common(res), estimate=res.value, std_error=res.std_error)
        if exact_ok:
            report["exact"] = float(simulate_expval(circuit, params, obs, state=state, data=data))
        report["bias_bound"] = qb.error_budget(backend, circuit, obs, state=state, data=data)["total"]
    elif task == "gradient":
        res = qb.gradient(
            backend,
            circuit,
            params,
            obs,
            method=cfg["method"],
            shots=shots,
            seed=seed,
            state=state,
            data=data,
            **({"basis": cfg["basis"]} if cfg["method"] == "shadow" else {}),
        )
        report.update(
            method=res.method,
            jobs=res.extra["jobs"],
            resumed=res.extra["resumed"],
            seconds=res.extra["seconds"],
            copies=res.copies,
            circuits=res.circuits,
            estimate=np.asarray(res.value).tolist(),
            std_error=np.asarray(res.std_error).tolist(),
        )
        if exact_ok:
            report["exact"] = np.asarray(
                value_and_grad(circuit, params, obs, state=state, data=data)[1]
            ).tolist()
        bounds = qb.gradient_error_budget(backend, circuit, obs, method=cfg["method"], state=state, data=data)
        report["bias_bound"] = float(np.max(bounds)) if bounds.size else 0.0
    else:
        res = qb.shadow(
            backend,
            circuit,
            params,
            shots,
            seed=seed,
            shots_per_basis=cfg["shots_per_basis"],
            state=state,
            data=data,
        )
        report.update(
            jobs=list(res.jobs),
            resumed=res.resumed,
            seconds=res.seconds,
            copies=res.shots,
            circuits=res.bases,
        )
        report.update(_shadow_estimates(res.shadow, circuit, params, state, data, exact_ok))
    if "exact" in report:
        est, ex = np.atleast_1d(report["estimate"]), np.atleast_1d(report["exact"])
        report["max_abs_error"] = float(np.max(np.abs(est - ex)))
    return report


def _common(res) -> dict:
    return {
        "jobs": list(res.jobs),
        "resumed": res.resumed,
        "seconds": res.seconds,
        "copies": res.shots,
        "circuits": res.circuits,
    }


def _shadow_estimates(sh, circuit, params, state, data, exact_ok) -> dict:
    """⟨Z_w⟩ and ⟨Z_w Z_{w+1}⟩ from the shadow (plain means) and exactly."""
    import shadows

    n = circuit.num_qubits
    obs = [pauli("Z", wires=(w,)) for w in range(n)]
    obs += [pauli("ZZ", wires=(w, w + 1)) for w in range(n - 1)]
    labels = [f"Z{w}" for w in range(n)] + [f"Z{w}Z{w + 1}" for w in range(n - 1)]
    est = shadows.estimate(sh, obs)
    out = {"observables": labels, "estimate": est.mean.tolist(), "std_error": est.std_error.tolist()}
    if exact_ok:
        from qdist.devices.exact import run_states
        from qdist.devices.protocol import Run
        from qdist.sim.apply import apply_pauli

        psi = run_states(Run(circuit, np.asarray(params, dtype=float)[None, :], (), None, state, data))[0]
        out["exact"] = [float(np.real(np.vdot(psi, apply_pauli(psi, o.words[0], n)))) for o in obs]
    return out


def _fmt(x, width: int = 8) -> str:
    arr = np.atleast_1d(np.asarray(x, dtype=float))
    head = np.array2string(arr[:width], precision=4, suppress_small=True, max_line_width=120)
    return head + (f" … ({len(arr)} values)" if len(arr) > width else "")


def table(report: dict) -> str:
    what = report["task"] + (f" ({report['method']})" if "method" in report else "")
    lines = [
        f"qdist submit: {what} on {report['backend']}"
        + (f" [{report['device']}]" if report.get("device") else "")
        + f": {report['qubits']} qubits, {report['params']} parameters, {report['shots']} shots, seed {report['seed']}",
    ]
    jobs = report.get("jobs") or []
    state = (
        "loaded from the registry (not resubmitted)"
        if report.get("resumed")
        else f"{report['seconds']:.2f} s"
    )
    lines.append(f"  jobs: {', '.join(jobs) if jobs else 'none (exact simulator)'} — {state}")
    lines.append(f"  copies (shots in total): {report['copies']}, circuits: {report['circuits']}")
    if "observables" in report:
        lines.append(
            f"  observables: {' '.join(report['observables'][:8])}{' …' if len(report['observables']) > 8 else ''}"
        )
    lines.append(f"  estimate:  {_fmt(report['estimate'])}")
    lines.append(f"  std error: {_fmt(report['std_error'])}")
    if "exact" in report:
        lines.append(f"  exact:     {_fmt(report['exact'])}")
        lines.append(f"  max |estimate − exact| = {report['max_abs_error']:.4g}")
    if report.get("bias_bound"):
        lines.append(f"  device-noise bias bound (from its error rates): {report['bias_bound']:.3g}")
    if report.get("mitigation"):
        lines.append(f"  mitigation: {report['mitigation']}")
    return "\n".join(lines)


def run(args) -> int:
    from qdist.backends import JobFailedError

    try:
        report = submit(args)
    except JobFailedError as exc:
        print(f"qdist submit: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as exc:
        raise ValueError(flag_message(exc, _FLAG_NAMES)) from None
    if args.json:
        print(json.dumps(report, default=float))
    else:
        print(table(report))
    return 0
