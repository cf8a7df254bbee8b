"""Quantum protocols executed on the simulated network, with a ledger of every hop ([quantum protocols][quantum-protocols]).

* [`run_inference`][qdist.network.protocols.run_inference] — f_c(θ; x) to ±ε with probability ≥ 1 − δ. Alice encodes |x⟩; the register
  is handed from owner to owner, each applying its own block; the last owner measures all readouts
  in the computational basis, S = ⌈2 ln(2m/δ)/ε²⌉ times (outcomes sampled exactly from the final
  state's distribution with the given seed); with ``result_to="alice"`` the S·m outcome bits go back
  to Alice in one classical message. Every copy goes through the same unitaries, so the register is
  propagated once and each hop is recorded once with multiplicity S (see [`ledger`][qdist.network.ledger]).
* [`run_gradient`][qdist.network.protocols.run_gradient] — ∇_θ f_c with the estimators of ``qdist.grad``: the estimator's
  [`GradientResult`][qdist.GradientResult] says how many copies it used, and each copy makes its journey:
  - ``"exact"``: the adjoint sweep on the flattened circuit, a *simulation-only reference* with no
    communication (a real network cannot run it: it needs the state vector);
  - ``"param-shift"``, ``"spsa"``: every copy is a forward pass (n qubits, H hops); the last owner
    sends each other party its gradient block (P_k floats of b bits);
  - ``"shadow"``, ``"tomography"``: one estimator run per segment s with only that segment's
    parameters trainable (the others fixed at their values); its copies carry the ancilla
    (n + 1 qubits) forward through H hops and back to the segment's owner (H − s hops) who
    uncomputes U_{>j}† within its block, measures, and keeps its own derivatives.
* [`run_training`][qdist.network.protocols.run_training] — T SGD steps on the mean readout over B fresh samples per step.

The estimators simulate on `DistributedModel.flat_circuit` (the same unitary as the parties'
blocks in order — tested); the network accounting is driven by the copies they report.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from qdist.gradients import get_estimator, grad
from qdist.measure.seeds import child_seeds
from qdist.network import costs
from qdist.network.costs import CostTotals, shots_for
from qdist.network.ledger import CLASSICAL, Ledger, Message
from qdist.network.links import IDEAL, Links, check_links
from qdist.network.model import (
    DistributedModel,
    ModelSpec,
    assemble_params,
    build_model,
    param_index,
    sample_z_from_probabilities,
    split_params,
    z_expectations,
)
from qdist.network.noisy import check_method, hop_channels, is_noisy, noisy_gradient, noisy_readout
from qdist.network.privacy import classical_leakage, privacy_report
from qdist.network.result import ProtocolResult
from qdist.network.timing import gradient_step_seconds, inference_seconds
from qdist.network.transport import link_details, loss_rng, network_seconds, record_journey
from qdist.sim.circuit import Angle, Circuit, make_circuit
from qdist.sim.execute import value_and_grad
from qdist.validate import check_seed


def _record(ledger: Ledger, model: DistributedModel, msg: Message) -> Ledger:
    return ledger.add(model.network.check(msg))


def _check_model(model) -> DistributedModel:
    if not isinstance(model, DistributedModel):
        raise TypeError(f"model: expected a DistributedModel, got {type(model).__name__}")
    return model


def _seed(seed) -> int:
    return check_seed(seed)


# ------------------------------------------------------------------------------------------------
# inference
# ------------------------------------------------------------------------------------------------


def forward(model: DistributedModel) -> np.ndarray:
    """Hand the register from party to party: Alice encodes |x⟩, each owner applies its block."""
    register, _norm = model.alice.prepare()  # ‖x‖ stays with Alice: f does not depend on it
    for s in range(len(model.spec.segments)):
        register = model.owner_of(s).apply(s, register)
    return np.asarray(register)


def sample_z(psi: np.ndarray, n: int, classes: int, shots: int, seed: int) -> np.ndarray:
    """Means of the ±1 outcomes of Z_0 … Z_{m−1} over ``shots`` computational-basis measurements,
    sampled exactly (multinomial over the 2ⁿ outcomes) from |ψ|²."""
    probs = np.abs(np.asarray(psi, dtype=np.complex128)) ** 2
    return sample_z_from_probabilities(probs, n, classes, shots, seed)


def run_inference(
    model: DistributedModel,
    epsilon: float,
    delta: float,
    seed: int = 0,
    *,
    result_to: str = "alice",
    links: Links = IDEAL,
) -> ProtocolResult:
    """Distributed inference of every readout to ±ε w.p. ≥ 1 − δ ([quantum protocols][quantum-protocols] table, first row).

    ``result_to``: ``"alice"`` — the last owner sends the S·m outcome bits to Alice (one message);
    ``"last"`` — the result stays with the last owner.
    ``links``: the [link models][link-models] of the network ([`IDEAL`][qdist.network.links.IDEAL]:
    perfect, instantaneous links).
    """
    model = _check_model(model)
    links = check_links(links).check(model.network)
    spec = model.spec
    eps, dlt, seed = costs.check_epsilon(epsilon), costs.check_delta(delta), _seed(seed)
    formula = costs.quantum_inference_cost(spec, eps, dlt, result_to, links)
    S = shots_for(eps, dlt / spec.classes)
    psi = forward(model)
    rng = loss_rng(seed)
    ledger = record_journey(
        Ledger(), model, size=spec.n, count=S, purpose="forward pass", links=links, rng=rng
    )
    estimate = sample_z(psi, spec.n, spec.classes, S, seed)
    exact, noisy_exact, noise_details = z_expectations(psi, spec.n, spec.classes), None, {}
    if is_noisy(chans := hop_channels(model.spec, links)):  # the register through the links' channels
        estimate, noisy_exact, noise_details = noisy_readout(model, chans, S, seed)
    last = spec.party_names[spec.last_owner]
    if result_to == "alice" and spec.last_owner != 0:
        msg = Message(last, "alice", CLASSICAL, S * spec.classes, "measurement result", spec.hops, 1, 0)
        ledger = _record(ledger, model, msg)
    return ProtocolResult(
        "inference",
        "quantum",
        spec,
        eps,
        dlt,
        estimate,
        exact,
        ledger,
        formula,
        privacy=privacy_report(ledger, spec.party_names, classical_leakage(spec)),
        details={
            "shots": S,
            "measured_by": last,
            "result_to": result_to,
            "result_bits": "1 bit per shot and readout, sent to Alice" if result_to == "alice" else "none",
            "norm_sent": False,
            **noise_details,
            **link_details(ledger, links, inference_seconds(spec, eps, dlt, result_to, links)),
        },
        noisy_exact=noisy_exact,
    )


# ------------------------------------------------------------------------------------------------
# gradients
# ------------------------------------------------------------------------------------------------


def freeze_except(circuit: Circuit, params, keep: np.ndarray) -> tuple[Circuit, np.ndarray]:
    """The circuit with only the parameters ``keep`` (global indices) trainable, renumbered 0…;
    every other angle becomes a fixed angle at its current value."""
    params = np.asarray(params, dtype=np.float64)
    new_index = {int(g): i for i, g in enumerate(keep)}

    def angle(a: Angle) -> Angle:
        if not a.trainable:
            return a
        if a.index in new_index:
            return Angle(new_index[a.index], a.coeff, a.offset)
        return Angle(-1, 0.0, float(a.coeff * params[a.index] + a.offset))

    ops = tuple(
        replace(op, angles=tuple(angle(a) for a in op.angles)) if op.angles else op for op in circuit.ops
    )
    sub = make_circuit(circuit.num_qubits, ops, num_params=len(keep))
    return sub, params[np.asarray(keep, dtype=np.int64)]


def _segment_indices(spec: ModelSpec, segment: int) -> np.ndarray:
    start = sum(spec.layer_params(ell) for ell in range(spec.segments[segment][1]))
    return np.arange(start, start + spec.segment_params(segment))


def estimator_options(
    method, spec: ModelSpec, epsilon: float, delta: float, segment: int | None = None
) -> dict:
    """Options for the estimator (besides state, data, seed) so that every component is ±ε w.p.
    ≥ 1 − δ: asked of the estimator (`Estimator.sized_options`) with the shape of the whole model
    or, for the ancilla estimators, of ``segment`` (`qdist.network.costs.copy_shape`). For example
    param-shift and layer shadows take ``shots = S(ε, δ/P)``, SPSA ``S(ε, δ)``, and tomography runs
    on the segment circuit with ``δ_s = δ·P_s/P``."""
    est = get_estimator(method)
    return est.sized_options(costs.copy_shape(spec, segment), epsilon, delta)


def _require_method(method):
    return get_estimator(method)


def _gradient_sample(
    model: DistributedModel,
    method: str,
    eps: float,
    dlt: float,
    seed: int,
    cls: int,
    options: dict,
    reference: bool = True,
    channels=None,
    links: Links = IDEAL,
) -> tuple[np.ndarray, np.ndarray, float, Ledger, dict]:
    """One sample's gradient: (estimate, exact, exact f, quantum ledger, details); through noisy
    link ``channels`` (per hop) ``details["noisy_exact"]`` is the exact noisy gradient."""
    est = get_estimator(method)
    spec = model.spec
    circuit, theta = model.flat_circuit(), model.flat_params()
    obs = model.readout(cls)
    psi0, data = model.initial_state(), model.flat_data()
    if reference or est.name == "exact":
        f_exact, g_exact = value_and_grad(circuit, theta, obs, state=psi0, data=data)
    else:  # skip compiling the flattened circuit (cost sweeps need only the ledger)
        f_exact, g_exact = float("nan"), np.full(spec.num_params, np.nan)
    ledger, rng = Ledger(), loss_rng(seed)
    details: dict = {"note": est.note}
    seeded = {"seed": seed} if "seed" in est.defaults else {}
    if est.ancilla:
        estimate = np.zeros(spec.num_params)
        per_seg = []
        seeds = child_seeds(seed, len(spec.segments))
        for s in range(len(spec.segments)):
            keep = _segment_indices(spec, s)
            sub, sub_theta = freeze_except(circuit, theta, keep)
            opts = {**estimator_options(est, spec, eps, dlt, s), **options, "seed": seeds[s]}
            res = grad(sub, sub_theta, obs, est, state=psi0, data=data, **opts)
            estimate[keep] = np.asarray(res.value)
            per_seg.append(int(res.copies))
            ledger = record_journey(
                ledger,
                model,
                size=spec.n + est.ancilla,
                count=int(res.copies),
                purpose="ancilla pass",
                back_to_segment=s,
                links=links,
                rng=rng,
            )
        details.update(copies_per_segment=per_seg, segment_deltas=costs.segment_deltas(spec, dlt))
        return estimate, np.asarray(g_exact), float(f_exact), ledger, details
    opts = {**estimator_options(est, spec, eps, dlt), **options}
    if is_noisy(channels):
        res, details["noisy_exact"] = noisy_gradient(model, est.name, channels, cls, seed, opts)
    else:
        res = grad(circuit, theta, obs, est, state=psi0, data=data, **seeded, **opts)
    if res.copies:
        ledger = record_journey(
            ledger, model, size=spec.n, count=int(res.copies), purpose="forward pass", links=links, rng=rng
        )
        details.update(copies=int(res.copies), circuits=int(res.circuits), shots=int(res.shots), options=opts)
    return np.asarray(res.value), np.asarray(g_exact), float(f_exact), ledger, details


def _gradient_results(model: DistributedModel, method, bits: int, round_: int) -> Ledger:
    """Forward-pass estimators: the last owner sends every other party its gradient block (none for
    the ancilla estimators, whose owners measure their own derivatives, or for simulation-only
    references that use no copies)."""
    est = get_estimator(method)
    if est.ancilla or est.copies(costs.copy_shape(model.spec), 0.5, 0.5, {}) == 0:
        return Ledger()
    spec, names = model.spec, model.spec.party_names
    last, ledger = spec.last_owner, Ledger()
    for k in range(spec.parties):
        if k != last:
            msg = Message(
                names[last], names[k], CLASSICAL, spec.party_params(k) * bits, "gradient result", round_
            )
            ledger = _record(ledger, model, msg)
    return ledger


def _formula_copies(method: str, details: dict):
    """The copies the formula uses: the closed form (None) except for tomography, whose copies are
    random — then the measured per-segment counts (the closed form is only an upper bound)."""
    est = get_estimator(method)
    if est.ancilla and est.simulation_only:
        return list(details["copies_per_segment"])
    return None


def run_gradient(
    model: DistributedModel,
    method: str,
    epsilon: float,
    delta: float,
    seed: int = 0,
    *,
    bits: int = costs.DEFAULT_BITS,
    cls: int = 0,
    reference: bool = True,
    links: Links = IDEAL,
    **options,
) -> ProtocolResult:
    """∇_θ f_cls on the network with a ``qdist.grad`` estimator (module docstring).

    ``reference=False`` skips the exact adjoint gradient (``exact`` is NaN): cost sweeps need only
    the ledger, and compiling the flattened circuit dominates their time. Other keyword options go
    to the estimator (e.g. ``samples`` for SPSA, ``basis`` for shadows). ``links``: the
    [link models][link-models] of the network.
    """
    model = _check_model(model)
    links = check_links(links).check(model.network)
    method = _require_method(method).name
    eps, dlt, seed = costs.check_epsilon(epsilon), costs.check_delta(delta), _seed(seed)
    b = costs.check_bits(bits)
    check_method(method, chans := hop_channels(model.spec, links))
    estimate, exact, f_exact, ledger, details = _gradient_sample(
        model, method, eps, dlt, seed, cls, options, reference, chans, links
    )
    rounds = 2 * model.spec.hops + 1
    ledger = ledger + _gradient_results(model, method, b, rounds)
    samples = int(options.get("samples", 1))
    copies = _formula_copies(method, details)
    formula = costs.quantum_gradient_cost(
        model.spec, method, eps, dlt, b, copies, samples=samples, links=links
    )
    seconds = gradient_step_seconds(model.spec, method, eps, dlt, b, copies, samples=samples, links=links)
    est = get_estimator(method)
    if est.ancilla and est.simulation_only:  # random copies: report them against the closed-form bound
        bound = costs.estimator_copies(model.spec, est, eps, dlt)
        details.update(
            copies_bound_per_segment=bound,
            within_bound=all(c <= u for c, u in zip(details["copies_per_segment"], bound, strict=True)),
        )
    details.update(expval=f_exact, bits=b, **link_details(ledger, links, seconds))
    return ProtocolResult(
        "gradient",
        method,
        model.spec,
        eps,
        dlt,
        estimate,
        exact,
        ledger,
        formula,
        privacy=privacy_report(ledger, model.spec.party_names, classical_leakage(model.spec, b)),
        details=details,
        noisy_exact=details.pop("noisy_exact", None),
    )


def run_training(
    spec: ModelSpec,
    method: str,
    epsilon: float,
    delta: float,
    seed: int = 0,
    *,
    steps: int = 3,
    batch: int = 1,
    lr: float = 0.1,
    bits: int = costs.DEFAULT_BITS,
    reference: bool = True,
    links: Links = IDEAL,
    **options,
) -> ProtocolResult:
    """T steps of SGD minimising the mean readout f_0 over B fresh samples per step.

    The data samples x ~ N(0, 1)ᴺ (Alice's) and the initial parameters are drawn from ``seed``. Each
    party updates only its own parameters with the gradient block it holds (the update never
    leaves the party). ``estimate``/``exact``: the last step's mean gradient, estimated and exact;
    ``details["losses"]``: the exact mean readout of each step's batch. ``links``: the
    [link models][link-models] of the network.
    """
    links = check_links(links).check(spec.network())
    method = _require_method(method).name
    check_method(method, chans := hop_channels(spec, links))
    eps, dlt, seed = costs.check_epsilon(epsilon), costs.check_delta(delta), _seed(seed)
    steps, batch = costs.check_count(steps, "steps"), costs.check_count(batch, "batch")
    b = costs.check_bits(bits)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7EA1]))
    theta = rng.uniform(-np.pi, np.pi, spec.num_params)
    seeds = child_seeds(seed, steps * batch)
    samples = int(options.get("samples", 1))
    ledger, formula, losses, seconds, expected = Ledger(), CostTotals(), [], [], []
    g_est = g_ex = np.zeros(spec.num_params)
    g_noisy = None
    for t in range(steps):
        est, ex, fs, step, step_copies = [], [], [], Ledger(), []
        noisy: list = []  # the exact noisy gradients (= ex on noiseless links)
        for i in range(batch):
            model = build_model(spec, rng.normal(size=spec.features), theta)
            g, gx, f, led, det = _gradient_sample(
                model, method, eps, dlt, seeds[t * batch + i], 0, options, reference, chans, links
            )
            est.append(g)
            ex.append(gx)
            noisy.append(det.pop("noisy_exact", gx))
            fs.append(f)
            step = step + led
            copies = _formula_copies(method, det)
            step_copies.append(
                copies if copies is not None else costs.estimator_copies(spec, method, eps, dlt, samples)
            )
            per_sample, per_step = costs.gradient_parts(spec, method, eps, dlt, b, copies, samples, links)
            formula = formula + per_sample
        step = step + _gradient_results(model, method, b, 2 * spec.hops + 1)
        ledger = ledger + step
        formula = formula + per_step
        seconds.append(network_seconds(step, links))  # the steps run one after the other
        expected.append(gradient_step_seconds(spec, method, eps, dlt, b, step_copies, links=links))
        g_est, g_ex = np.mean(est, axis=0), np.mean(ex, axis=0)
        g_noisy = np.mean(noisy, axis=0) if is_noisy(chans) else None
        parts = [
            p - lr * g_est[ix] for p, ix in zip(split_params(spec, theta), param_index(spec), strict=True)
        ]
        theta = assemble_params(spec, parts)
        losses.append(float(np.mean(fs)))
    return ProtocolResult(
        "training",
        method,
        spec,
        eps,
        dlt,
        g_est,
        g_ex,
        ledger,
        formula,
        privacy=privacy_report(ledger, spec.party_names, classical_leakage(spec, b)),
        details={
            "steps": steps,
            "batch": batch,
            "lr": lr,
            "bits": b,
            "losses": losses,
            "network_seconds": math.fsum(seconds),
            "expected_network_seconds": math.fsum(expected),
            **({} if links.ideal else {"links": links.to_dict()}),
        },
        noisy_exact=g_noisy,
    )


__all__ = [
    "ProtocolResult",
    "forward",
    "freeze_except",
    "record_journey",
    "run_gradient",
    "run_inference",
    "run_training",
    "sample_z",
]
