"""``qdist simulate``: run one protocol on the simulated network and report its ledger.

    qdist simulate --task inference|gradient|training --features N --layers L --parties K
                   --method M --epsilon E --delta D --seed S [--json]
                   [--link-loss P] [--link-noise KIND:P …] [--transport direct|teleport]
                   [--ebit-fidelity F] [--link-latency S] [--link-bandwidth BITS_PER_S]

Random data x ~ N(0, 1)ᴺ and parameters θ ~ U(−π, π)ᴾ from the seed. With ``--json`` ONE JSON object
is printed: the ledger totals (``qubits``, ``classical_bits``, ``messages``, ``copies``, ``ebits``,
``transmissions``), ``network_seconds``, the closed form for the same configuration (``formula``),
``matches_formula``, the ``estimate`` and the
``exact`` value, per-link / per-purpose totals, the Holevo privacy report, and the closed-form costs
of the classical baselines (``classical``). Without ``--json``: a short table.

Methods: inference — ``quantum`` (default), ``linear`` (sign⟨w, x⟩ with a random w, two parties),
``pipeline``, ``ship-data``, ``ship-model``; gradient/training — ``param-shift`` (default),
``shadow``, ``tomography``, ``spsa``, ``exact`` (simulation-only reference) and the classical
baselines.

The link flags ([link models][link-models], `qdist.cli.link_args`) give every hop of the network the
same link; they apply to the quantum protocols.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from qdist.cli.args import flag_map, flag_message, parse_float, parse_int
from qdist.cli.link_args import add_link_arguments, links_from_args
from qdist.network.spec import DEFAULT_MODEL as _D
from qdist.validate import check_memory, check_output_file, state_vector_bytes

INFERENCE_METHODS = ("quantum", "linear", "pipeline", "ship-data", "ship-model")
GRADIENT_METHODS = (
    "param-shift",
    "shadow",
    "tomography",
    "spsa",
    "exact",
    "pipeline",
    "ship-data",
    "ship-model",
)
_FLAGS = {
    "features",
    "layers",
    "parties",
    "method",
    "epsilon",
    "delta",
    "seed",
    "bits",
    "schedule",
    "model",
    "classes",
    "steps",
    "batch",
    "task",
    "result_to",
    "entangler",
    "gamma",
    "lr",
}


_FLAG_NAMES = flag_map(_FLAGS)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "simulate",
        help="run one distributed protocol on the simulated network",
        description=__doc__.split("\n\n")[0],
    )
    # values are parsed in run() so that every mistake is a one-line error naming the flag
    p.add_argument("--task", default="inference", help="inference | gradient | training (default inference)")
    p.add_argument("--features", default="16", help="N, the input dimension (default 16)")
    p.add_argument(
        "--layers", default=str(_D["layers"]), help=f"L, number of layers (default {_D['layers']})"
    )
    p.add_argument(
        "--parties", default=str(_D["parties"]), help=f"K ≥ 2 parties, K ≤ L (default {_D['parties']})"
    )
    p.add_argument("--method", default=None, help="scheme / gradient method (see above)")
    p.add_argument("--epsilon", default="0.1", help="target accuracy ε > 0 (default 0.1)")
    p.add_argument("--delta", default="0.05", help="failure probability δ in (0, 1) (default 0.05)")
    p.add_argument("--seed", default="0", help="seed for data, parameters and shots (default 0)")
    p.add_argument("--bits", default="32", help="bits per classical float: 32 or 64 (default 32)")
    p.add_argument(
        "--schedule", default=_D["schedule"], help=f"pipeline | interleaved (default {_D['schedule']})"
    )
    p.add_argument(
        "--model", default=_D["model"], help=f"diag | hea (the model owners' layers; default {_D['model']})"
    )
    p.add_argument("--classes", default="1", help="number of Z readouts (inference; default 1)")
    p.add_argument("--result-to", dest="result_to", default="alice", help="alice | last (default alice)")
    p.add_argument("--steps", default="3", help="training: SGD steps (default 3)")
    p.add_argument("--batch", default="1", help="training: samples per step (default 1)")
    add_link_arguments(p)
    p.add_argument("--ledger-out", default=None, help="also write the full ledger as JSON to this file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _classical_summary(spec, task: str, bits: int, batch: int = 1, steps: int = 1) -> dict:
    from qdist.network import costs

    t = "inference" if task == "inference" else "gradient"
    out = {
        s: costs.classical_cost(spec, s, t, bits, batch=batch).scale(steps).to_dict()
        for s in costs.CLASSICAL_SCHEMES
    }
    best = min(out, key=lambda s: out[s]["classical_bits"])
    return {"schemes": out, "best": best, "bits_per_float": bits}


def simulate(args) -> tuple[dict, object]:
    """Run the configuration in ``args`` (parsed strings): ``(JSON-able report, ledger)``."""
    from qdist.network import costs
    from qdist.network.classical import run_classical
    from qdist.network.linear import linear_cost, run_linear
    from qdist.network.model import ModelSpec, random_instance, random_model
    from qdist.network.protocols import run_gradient, run_inference, run_training

    task = args.task
    if task not in ("inference", "gradient", "training"):
        raise ValueError(f"--task: expected inference, gradient or training, got {task!r}")
    features = parse_int(args.features, "--features")
    layers = parse_int(args.layers, "--layers")
    parties = parse_int(args.parties, "--parties")
    eps = parse_float(args.epsilon, "--epsilon")
    dlt = parse_float(args.delta, "--delta")
    seed = parse_int(args.seed, "--seed")
    bits = parse_int(args.bits, "--bits")
    if bits not in (32, 64):
        raise ValueError(f"--bits: expected 32 or 64, got {bits}")
    classes = parse_int(args.classes, "--classes")
    steps, batch = parse_int(args.steps, "--steps"), parse_int(args.batch, "--batch")
    costs.check_epsilon(eps)
    costs.check_delta(dlt)
    if seed < 0:
        raise ValueError(f"--seed: expected an integer ≥ 0, got {seed}")
    links = links_from_args(args)
    method = args.method or ("quantum" if task == "inference" else "param-shift")
    note = None
    if task == "inference" and method in ("param-shift", "shadow", "tomography", "spsa", "exact"):
        # one quantum inference protocol: a gradient method name selects it (and is reported)
        note = f"--method {method} is a gradient method; inference ran the quantum protocol"
        method = "quantum"
    allowed = INFERENCE_METHODS if task == "inference" else GRADIENT_METHODS
    if method not in allowed:
        raise ValueError(
            f"--method: unknown method {method!r} for --task {task}; expected one of {', '.join(allowed)}"
        )
    spec = ModelSpec(
        features=features,
        layers=layers,
        parties=parties,
        schedule=args.schedule,
        model=args.model,
        classes=classes if task == "inference" else 1,
    )
    what = f"the simulated states of n = {spec.n} qubits (4 × 2^{spec.n} amplitudes × 16 bytes)"
    check_memory("features", state_vector_bytes(spec.n), what, features)
    if args.result_to not in ("alice", "last"):
        raise ValueError(f"--result-to: expected alice or last, got {args.result_to!r}")
    if not links.ideal and (method == "linear" or method in costs.CLASSICAL_SCHEMES):
        raise ValueError(
            f"--transport: the link models apply to the quantum protocols, not to --method {method}"
        )

    if method == "linear":
        x, _ = random_instance(spec, seed)
        w = np.random.default_rng([seed, 0x11]).normal(size=features)
        r = run_linear(x, w, delta=dlt, seed=seed, epsilon=eps, bits=bits)
        led = r["ledger"]
        report = {
            "task": task,
            "method": method,
            "config": {
                "features": features,
                "n": spec.n,
                "parties": 2,
                "epsilon": eps,
                "delta": dlt,
                "seed": seed,
            },
            **led.totals(),
            "formula": r["formula"].to_dict(),
            "matches_formula": led.totals() == r["formula"].to_dict(),
            "estimate": r["estimate"],
            "exact": r["exact"],
            "max_abs_error": abs(r["estimate"] - r["exact"]),
            "decision": r["decision"],
            "exact_decision": r["exact_decision"],
            "classical": {
                s: linear_cost(features, s, max(abs(r["exact"]), 1e-12), dlt, bits).to_dict()
                for s in ("sketch", "ship-data", "ship-model")
            },
            "by_link": led.by_link(),
            "by_purpose": led.by_purpose(),
            "privacy": r["privacy"],
        }
        return report, led

    if task == "training":
        if method in costs.CLASSICAL_SCHEMES:
            raise ValueError(
                "--method: training runs a quantum gradient method; see --task gradient for baselines"
            )
        res = run_training(spec, method, eps, dlt, seed, steps=steps, batch=batch, bits=bits, links=links)
        summary = _classical_summary(spec, task, bits, batch, steps)
    else:
        model = random_model(spec, seed)
        if method in costs.CLASSICAL_SCHEMES:
            res = run_classical(model, method, task, bits=bits, result_to=args.result_to)
        elif task == "inference":
            res = run_inference(model, eps, dlt, seed, result_to=args.result_to, links=links)
        else:
            res = run_gradient(model, method, eps, dlt, seed, bits=bits, links=links)
        summary = _classical_summary(spec, task, bits)
    report = res.to_dict()
    report = {
        "task": task,
        "method": method,
        **{k: v for k, v in report.items() if k not in ("task", "scheme")},
    }
    report["config"].update(seed=seed, bits=bits)
    report["classical"] = summary
    if note:
        report["note"] = note
    return report, res.ledger


def _table(report: dict) -> str:
    lines = [
        f"qdist simulate: task={report['task']} method={report['method']}",
        f"  {'':16}{'ledger':>16}{'formula':>16}",
    ]
    for k in ("qubits", "classical_bits", "messages", "copies", "ebits", "transmissions"):
        f = report["formula"].get(k, 0)
        lines.append(f"  {k:16}{report[k]:>16}{f if isinstance(f, int) else f'{f:.1f} (mean)':>16}")
    lines.append(f"  matches formula: {report['matches_formula']}")
    if report.get("network_seconds"):
        expected = report.get("details", {}).get("expected_network_seconds")
        tail = f" (closed form {expected:.6g} s)" if expected is not None else ""
        lines.append(f"  network time: {report['network_seconds']:.6g} s{tail}")
    est, ex = np.atleast_1d(report["estimate"]), np.atleast_1d(report["exact"])
    show = min(len(est), 6)
    lines.append(f"  estimate: {np.array2string(est[:show], precision=4)}{' …' if len(est) > show else ''}")
    lines.append(f"  exact:    {np.array2string(ex[:show], precision=4)}{' …' if len(ex) > show else ''}")
    if "noisy_exact" in report:  # the value through the links' noise, and what the noise did to it
        nx, bias = np.atleast_1d(report["noisy_exact"]), np.atleast_1d(report["bias"])
        lines.append(
            f"  noisy exact: {np.array2string(nx[:show], precision=4)}{' …' if len(nx) > show else ''}"
        )
        lines.append(f"  bias (noisy − exact): {np.array2string(bias[:show], precision=4)}")
    lines.append(f"  max |estimate − exact| = {report['max_abs_error']:.4g}")
    if "max_abs_error_noisy" in report and np.any(np.atleast_1d(report["bias"]) != 0):
        lines.append(f"  max |estimate − noisy exact| = {report['max_abs_error_noisy']:.4g}")
    if "classical" in report and "schemes" in report["classical"]:
        cl = report["classical"]["schemes"]
        lines.append(
            "  classical baselines (bits): " + ", ".join(f"{s}={v['classical_bits']}" for s, v in cl.items())
        )
    if "privacy" in report:
        hb = {p: v["holevo_bound_bits"] for p, v in report["privacy"]["holevo"].items()}
        lines.append(
            "  Holevo bound on information sent (bits): " + ", ".join(f"{p}={v}" for p, v in hb.items())
        )
        leak = report["privacy"]["classical_baselines"]
        lines.append(
            "  classical baselines reveal in clear (bits): "
            + ", ".join(f"{s}={sum(v['bits_in_clear'].values())}" for s, v in leak.items())
        )
    return "\n".join(lines)


def run(args) -> int:
    if args.ledger_out:
        check_output_file("--ledger-out", args.ledger_out)  # before the simulation
    try:
        report, ledger = simulate(args)
    except (ValueError, TypeError) as exc:
        raise ValueError(flag_message(exc, _FLAG_NAMES)) from None
    if args.ledger_out:
        ledger.to_json(args.ledger_out)
    if args.json:
        print(json.dumps(report))
    else:
        print(_table(report))
    return 0
