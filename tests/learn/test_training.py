"""Training: the batched estimators against the simulator and the shadow estimator, the ledger of
the batched engine against the real protocols, loss decrease, resume = uninterrupted, the MLP's
pipeline ledger, the report schema, bad inputs.

Small registers (6 features → n = 3 qubits, 2–3 layers) and one model shape shared by most tests,
so the jitted functions compile once per process.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import qdist
from qdist.learn.data import Dataset
from qdist.learn.mlp import MLPTrainer, train_mlp
from qdist.learn.train import QuantumTrainer, TrainConfig, train_quantum
from qdist.network import costs
from qdist.network.model import ModelSpec, build_model, encode_samples, flat_circuit
from qdist.reports.training import SUMMARY_FIELDS, write_training_report

N = 6
SPEC = ModelSpec(features=N, layers=2, parties=2)


def toy(n_train=24, n_test=12, classes=2, seed=0) -> Dataset:
    """Features in [0, 1]; binary label: x0 + x1 > x2 + x3; multi-class: argmax of three pairs."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n_train + n_test, N))
    if classes == 2:
        y = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(np.int64)
    else:
        y = np.argmax(x[:, :classes], axis=1).astype(np.int64)
    names = tuple(str(c) for c in range(classes))
    return Dataset(
        "toy", x[:n_train], y[:n_train], x[n_train:], y[n_train:], names, tuple(f"f{i}" for i in range(N))
    )


def small(method="exact", **kw) -> TrainConfig:
    base = dict(layers=2, parties=2, epochs=2, batch_size=8, lr=0.1, seed=3, epsilon=0.3, delta=0.1)
    base.update(schedule="pipeline", model="hea")  # the small HEA model these tests were sized for
    return TrainConfig(method=method, **{**base, **kw})


# ------------------------------------------------------------------------------------------------
# the batched estimators
# ------------------------------------------------------------------------------------------------


def _inputs(spec, rows=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (rows, spec.features))
    theta = rng.uniform(-np.pi, np.pi, spec.num_params)
    states, data = encode_samples(spec, x)
    return x, theta, states, data


def test_batched_gradients_equal_adjoint_and_layer_circuits():
    """One estimator call with a batch of input states gives, per sample, the adjoint gradient of the
    model built party by party; the ancilla states the exact device takes from two sweeps are the
    states the layer circuits prepare (what any other device runs)."""
    from qdist.devices.exact import run_states
    from qdist.devices.protocol import Run
    from shadows.layer_shadow import _Sweeps
    from shadows.layers import find_layers, layer_circuit

    spec = ModelSpec(features=N, layers=3, parties=3, classes=3)  # as in the ledger test below
    circuit = flat_circuit(spec)
    x, theta, states, data = _inputs(spec, rows=2)
    z1 = qdist.pauli("Z", (1,))
    g = {
        m: qdist.grad(circuit, theta, z1, method=m, state=states, data=data, **kw).value
        for m, kw in (("exact", {}), ("shadow", {"shots": None}), ("param-shift", {"shots": None}))
    }
    layers = find_layers(circuit)
    sweeps = _Sweeps(circuit, theta, z1, layers, states, data)
    for i in range(len(x)):
        model = build_model(spec, x[i], theta)
        psi0, d = model.initial_state(), model.flat_data()
        assert np.max(np.abs(states[i] - psi0)) < 1e-12 and np.max(np.abs(data[i] - d)) < 1e-12
        val, ge = qdist.value_and_grad(circuit, theta, z1, state=psi0, data=d)
        assert abs(model.exact_values()[1] - val) < 1e-12
        for m in g:
            assert np.max(np.abs(g[m][i] - ge)) < 1e-12, m
        psi1 = np.kron(psi0, [1.0, 0.0])
        for ell, layer in enumerate(layers):
            ref = run_states(
                Run(layer_circuit(circuit, layer, ((1, "Z"),)), theta[None, :], (), None, psi1, d)
            )[0]
            assert np.max(np.abs(sweeps.of(ell, 0)(None)[i] - ref)) < 1e-12


def test_sampled_estimators_are_unbiased():
    """Mean of R independent batched estimates within 5 standard errors of the exact gradient
    (per component, normal approximation: false-failure probability < 1e-6 × components)."""
    circuit = flat_circuit(SPEC)
    _, theta, states, data = _inputs(SPEC, rows=2, seed=1)
    z0 = qdist.pauli("Z", (0,))
    exact = qdist.grad(circuit, theta, z0, state=states, data=data).value
    R, shots = 200, 50
    for name in ("shadow", "param-shift"):
        draws = np.stack(
            [
                qdist.grad(
                    circuit, theta, z0, method=name, shots=shots, seed=r, state=states, data=data
                ).value
                for r in range(R)
            ]
        )
        se = draws.std(axis=0, ddof=1) / math.sqrt(R)
        assert np.all(np.abs(draws.mean(axis=0) - exact) <= 5 * se + 1e-12), name
        assert np.all(se > 0), name  # really sampled
    ds = toy(n_train=2, n_test=2, seed=1)
    tr = QuantumTrainer(ds, small("shadow"))
    f = tr._readout_values(theta, states, data, None, 0)
    draws = np.stack([tr._readout_values(theta, states, data, shots, r) for r in range(R)])
    se = draws.std(axis=0, ddof=1) / math.sqrt(R)
    assert np.all(np.abs(draws.mean(axis=0) - f) <= 5 * se)


@pytest.mark.parametrize("classes", [2, 3])
def test_exact_step_gradient_equals_autodiff_of_the_loss(classes):
    """The training step's exact gradient (weights w_c = ∂ℓ/∂f_c times the layer gradients) equals
    jax.grad of the mean cross-entropy built independently from qdist.expval_fn."""
    import jax
    import jax.numpy as jnp
    import optax

    ds = toy(n_train=6, n_test=2, classes=classes, seed=2)
    K = 2 if classes == 2 else 3  # the model shapes of the other tests (compiled once)
    cfg = small("exact", batch_size=4, layers=K, parties=K)
    tr = QuantumTrainer(ds, cfg)
    with jax.enable_x64(True):  # the reference composes qdist.expval_fn under jax.grad, in 64-bit
        params = tr.init_params()
        params = {**params, "bias": jnp.linspace(-0.3, 0.2, tr.m), "scale": jnp.linspace(1.5, 2.5, tr.m)}
        idx = np.array([4, 1, 5, 1])  # the last row is padding
        grads, stats, charges = tr.step(params, idx, 3, np.random.default_rng(0))
        fns = [qdist.expval_fn(tr.circuit, qdist.pauli("Z", (c,))) for c in range(tr.m)]
        states, data = encode_samples(tr.spec, ds.x_train[idx[:3]])
        y = jnp.asarray(ds.y_train[idx[:3]])

        def loss(p):
            f = jnp.stack(
                [jax.vmap(fn, in_axes=(None, 0, 0))(p["theta"], states, data) for fn in fns], axis=1
            )
            z = f * p["scale"] + p["bias"]
            if classes == 2:
                return jnp.mean(optax.sigmoid_binary_cross_entropy(z[:, 0], y.astype(float)))
            return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(z, y))

        value, ref = jax.value_and_grad(loss)(params)
        assert abs(stats["loss"] / stats["count"] - float(value)) < 1e-12
        for k in ("theta", "scale", "bias"):
            assert np.max(np.abs(np.asarray(grads[k]) - np.asarray(ref[k]))) < 1e-12, k
    assert all(v.qubits == 0 and v.classical_bits == 0 for v in charges.values())


# ------------------------------------------------------------------------------------------------
# the ledger: batched closed forms = real protocol runs
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, parties, classes",
    [("shadow", 3, 3), ("param-shift", 2, 2), ("spsa", 2, 2)],
)
def test_batched_ledger_equals_protocol_runs(method, parties, classes):
    ds = toy(n_train=4, n_test=3, classes=classes, seed=4)
    layers = 3 if parties == 3 else 2
    cfg = small(method, epochs=1, batch_size=3, parties=parties, layers=layers)
    from dataclasses import replace

    batched = train_quantum(ds, replace(cfg, engine="batched"), progress=False)
    proto = train_quantum(ds, replace(cfg, engine="protocol"), progress=False)
    assert batched.by_purpose == proto.by_purpose
    assert [s["qubits"] for s in batched.steps] == [s["qubits"] for s in proto.steps]
    assert [s["classical_bits"] for s in batched.steps] == [s["classical_bits"] for s in proto.steps]
    # and the closed forms of the network layer per sample / per step
    tr = QuantumTrainer(ds, cfg)
    spec = tr.spec
    m = 1 if classes == 2 else classes
    S = costs.shots_for(cfg.epsilon, cfg.delta / spec.num_params)
    S2 = math.ceil(math.log(2 * spec.num_params / cfg.delta) / cfg.epsilon**2)  # Hoeffding, difference
    copies = {"shadow": 2 * layers * S, "param-shift": 2 * spec.num_params * S2}.get(method)
    if copies is not None:
        assert tr.per_sample["gradient"].copies == m * copies
    assert tr.per_sample["inference"] == costs.quantum_inference_cost(spec, cfg.epsilon, cfg.delta, "last")
    n = len(ds.y_train)
    assert batched.by_purpose["inference"]["copies"] == n * costs.shots_for(cfg.epsilon, cfg.delta / m)
    assert batched.by_purpose["label"]["classical_bits"] == n * math.ceil(math.log2(classes))


def test_tomography_runs_through_the_protocols():
    ds = toy(n_train=2, n_test=2, seed=5)
    r = train_quantum(ds, small("tomography", epochs=1, batch_size=2, epsilon=0.4), progress=False)
    assert r.model["engine"] == "protocol"
    assert r.by_purpose["gradient"]["copies"] > 0 and r.summary()["gradient_copies"] > 0
    assert r.totals["qubits"] == r.by_purpose["gradient"]["qubits"] + r.by_purpose["inference"]["qubits"]


def test_exact_method_sends_nothing():
    r = train_quantum(toy(), small("exact", epochs=1), progress=False)
    assert r.totals == {
        "qubits": 0,
        "classical_bits": 0,
        "messages": 0,
        "copies": 0,
        "ebits": 0,
        "transmissions": 0,
    }


# ------------------------------------------------------------------------------------------------
# training
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["exact", "shadow"])
def test_short_training_lowers_the_loss(method):
    ds = toy(n_train=48, n_test=16)
    cfg = small(method, epochs=4, epsilon=0.2)
    trainer = QuantumTrainer(ds, cfg)
    before = trainer.evaluate(trainer.init_params())["train_loss"]
    r = train_quantum(ds, cfg, progress=False)
    after = r.history[-1]["train_loss"]
    assert after < before - 0.02, (before, after)
    # the ledger accumulates: per step, per epoch, total
    assert len(r.steps) == 4 * math.ceil(48 / 8) and len(r.history) == 4
    if method == "shadow":
        epochs = [h["communication"]["qubits"] for h in r.history]
        assert sum(epochs) == r.totals["qubits"] == sum(s["qubits"] for s in r.steps) > 0
        assert r.history[-1]["cumulative"] == r.totals


def test_resume_with_cosine_schedule_after_interruption(tmp_path):
    ds = toy(n_train=20, n_test=8)
    cfg = small("shadow", epochs=3, lr_schedule="cosine")
    full = train_quantum(ds, cfg, out_dir=tmp_path / "a", progress=False)
    cut = train_quantum(ds, cfg, out_dir=tmp_path / "b", progress=False, stop_after=2)
    assert len(cut.history) == 2
    resumed = train_quantum(ds, cfg, out_dir=tmp_path / "b", resume=True, progress=False)
    assert resumed.resumed_from == 2 and resumed.params == full.params and resumed.totals == full.totals
    with pytest.raises(
        ValueError, match=r"^resume: .*different run \(config\.epochs: 3 in the checkpoint, 4 now\)"
    ):
        train_quantum(
            ds, small("shadow", epochs=4, lr_schedule="cosine"), out_dir=tmp_path / "b", resume=True
        )


@pytest.mark.parametrize("method", ["shadow", "exact"])
def test_resume_equals_uninterrupted(tmp_path, method):
    ds = toy(n_train=20, n_test=8)
    full = train_quantum(ds, small(method, epochs=3), out_dir=tmp_path / "a", progress=False)
    part = train_quantum(ds, small(method, epochs=1), out_dir=tmp_path / "b", progress=False)
    assert part.resumed_from is None
    resumed = train_quantum(ds, small(method, epochs=3), out_dir=tmp_path / "b", resume=True, progress=False)
    assert resumed.resumed_from == 1
    for k in full.params:
        assert np.array_equal(np.asarray(full.params[k]), np.asarray(resumed.params[k])), k  # bitwise
    assert resumed.by_purpose == full.by_purpose
    strip = lambda h: [{k: v for k, v in e.items() if k != "wall_seconds"} for e in h]  # noqa: E731
    assert strip(resumed.history) == strip(full.history)
    # a different run refuses the checkpoint
    with pytest.raises(
        ValueError, match=r"^resume: the checkpoint .* belongs to a different run \(config\.lr"
    ):
        train_quantum(
            ds, small(method, epochs=3, lr=0.2), out_dir=tmp_path / "b", resume=True, progress=False
        )


def test_mlp_pipeline_ledger_and_training(tmp_path):
    ds = toy(n_train=24, n_test=8, classes=3)
    cfg = small(epochs=3, parties=3, layers=3, bits=64)
    tr = MLPTrainer(ds, cfg, hidden="10,7", lr=0.05)
    assert tr.shape.widths == (N, 10, 7, 3) and tr.shape.owners == (0, 1, 2)
    per = {k: v.classical_bits for k, v in tr.per_sample.items()}
    assert per == {"activation": (10 + 7) * 64, "activation gradient": (10 + 7) * 64, "label": 2}
    before = tr.evaluate(tr.init_params())["train_loss"]
    r = train_mlp(ds, cfg, hidden="10,7", lr=0.05, out_dir=tmp_path, progress=False)
    assert r.history[-1]["train_loss"] < before
    assert r.totals["classical_bits"] == 3 * 24 * (2 * 17 * 64 + 2) and r.totals["qubits"] == 0
    assert r.totals["messages"] == 3 * 24 * (2 * 2 + 1)
    resumed = train_mlp(ds, cfg, hidden="10,7", lr=0.05, out_dir=tmp_path, resume=True, progress=False)
    assert resumed.params == r.params  # already finished: the checkpoint is the result
    with pytest.raises(ValueError, match=r"^mlp_hidden: 3 parties need at least 3 weight layers"):
        MLPTrainer(ds, cfg, hidden="10")


def test_report_schema(tmp_path):
    ds = toy(n_train=16, n_test=8)
    results = [
        train_quantum(ds, small("exact", epochs=1), progress=False, task="toy"),
        train_quantum(ds, small("shadow", epochs=1), progress=False, task="toy"),
        train_mlp(ds, small(epochs=1), progress=False, task="toy"),
    ]
    report = write_training_report(tmp_path, results, datasets={"toy": ds.to_dict()})
    on_disk = json.loads((tmp_path / "report.json").read_text())
    assert on_disk["format"] == "qdist-training-report-v1"
    assert set(on_disk["models"]) == {"quantum-exact", "quantum-shadow", "mlp"}
    for name, m in on_disk["models"].items():
        for key in SUMMARY_FIELDS:
            assert key in m, (name, key)
        assert 0.0 <= m["test_accuracy"] <= 1.0 and 0.0 <= m["train_accuracy"] <= 1.0
        assert isinstance(m["qubits_sent"], int) and isinstance(m["classical_bits_sent"], int)
        assert m["wall_seconds"] > 0 and m["history"] and m["task"] == "toy"
    assert on_disk["models"]["quantum-shadow"]["qubits_sent"] > 0
    assert on_disk["models"]["quantum-shadow"]["gradient_copies"] > 0
    assert (
        on_disk["models"]["mlp"]["qubits_sent"] == 0 and on_disk["models"]["mlp"]["classical_bits_sent"] > 0
    )
    for key in ("learning_curves", "accuracy_vs_communication"):
        assert open(report["files"][key], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "kwargs, start",
    [
        ({"epochs": 0}, "epochs: expected an integer ≥ 1, got 0"),
        ({"epochs": -3}, "epochs: expected an integer ≥ 1, got -3"),
        ({"method": "adjoint"}, "method: unknown gradient method 'adjoint'"),
        ({"optimizer": "lbfgs"}, "optimizer:"),
        ({"lr": 0.0}, "lr:"),
        ({"batch_size": 0}, "batch_size:"),
        ({"shots": 0, "method": "shadow"}, "shots:"),
        ({"epsilon": -1.0}, "epsilon:"),
        ({"delta": 1.5}, "delta:"),
        ({"engine": "batched", "method": "tomography"}, "engine:"),
    ],
)
def test_config_errors_are_one_line(kwargs, start):
    with pytest.raises(ValueError) as err:
        TrainConfig(**kwargs)
    assert str(err.value).startswith(start) and "\n" not in str(err.value)


def test_shape_errors_are_one_line():
    with pytest.raises(ValueError, match=r"^classes: the quantum model reads one class per qubit: at most 3"):
        QuantumTrainer(toy(classes=4), small())
    with pytest.raises(ValueError, match=r"^parties: 3 parties need at least 3 layers"):
        QuantumTrainer(toy(), small(parties=3, layers=2))
