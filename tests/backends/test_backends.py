"""Backends (issue 6): one string per backend, one job per task, registry and resume, fake devices.

All offline: fake devices and ``QiskitRuntimeService(channel="local")``; the ``ibm:`` path with real
credentials is only tested for its one-line error (and that no service is even constructed).

Tolerances. Shot noise: every comparison with an exact value allows ``Z = 5`` standard errors
(two-sided Gaussian tail 5.7e-7; the ~300 comparisons below fail by chance with probability
< 2e-4). Qiskit's Estimator reports ``Σ_k |c_k| σ_k/√shots`` for a Pauli sum, an upper bound of the
true standard error. Device noise (fake devices): the bias of a ±1 Pauli measurement is at most
``Σ_gates ‖E_g − id‖◇ + 2·Σ_measured max(P(1|0), P(0|1))`` from the device's own error rates
(`qdist.backends.noise_bound`; diamond norms bounded by ``2(1 − p_identity)`` or the Choi trace
norm), scaled by ``Σ|c_k|`` and through the shift rule / the layer construction
(`qdist.backends.gradient_error_budget`). The test adds it to the shot tolerance.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import qdist
import qdist.backends as qb
from qdist.backends import BackendError, JobFailedError, JobRegistry
from qdist.backends.compile import BASIS_ANGLES, little_endian, measured_circuit, qiskit_circuit

Z = 5.0


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory):
    """A private cache (noise models, default registry) for this module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QDIST_CACHE", str(tmp_path_factory.mktemp("qdist-cache")))
        yield


def hea(n: int, layers: int) -> qdist.Circuit:
    ops, k = [], 0
    for _ in range(layers):
        for name in ("RY", "RZ"):
            for w in range(n):
                ops.append(qdist.gate(name, w, k))
                k += 1
        for w in range(n - 1):
            ops.append(qdist.gate("CX", (w, w + 1)))
    return qdist.make_circuit(n, ops, num_params=k)


CIRCUIT = hea(3, 2)
PARAMS = np.random.default_rng(11).uniform(-np.pi, np.pi, CIRCUIT.num_params)
OBS = qdist.pauli_sum({"ZII": 0.7, "XXI": 0.4, "IYZ": -0.3})
EXACT = float(qdist.expval(CIRCUIT, PARAMS, OBS))
GRAD = np.asarray(qdist.value_and_grad(CIRCUIT, PARAMS, OBS)[1])

SMALL = qdist.make_circuit(
    2, [qdist.gate("RY", 0, 0), qdist.gate("RZ", 1, 1), qdist.gate("CX", (0, 1)), qdist.gate("RX", 1, 2)], 3
)
SMALL_P = np.array([0.9, -0.4, 1.3])
SMALL_OBS = qdist.pauli_sum({"ZI": 1.0, "IZ": 0.5})


def backend(name, tmp_path, **kw):
    return qb.get_backend(name, registry=JobRegistry(tmp_path / "jobs"), **kw)


class Counter:
    """Counts ``SamplerV2.run`` / ``EstimatorV2.run`` calls of qiskit_ibm_runtime (one per job)."""

    def __init__(self, monkeypatch):
        import qiskit_ibm_runtime

        self.calls = []
        for cls in (qiskit_ibm_runtime.SamplerV2, qiskit_ibm_runtime.EstimatorV2):
            orig = cls.run

            def run(prim, pubs, *a, _orig=orig, _name=cls.__name__, **k):
                self.calls.append((_name, len(list(pubs))))
                return _orig(prim, pubs, *a, **k)

            monkeypatch.setattr(cls, "run", run)


# ---------------------------------------------------------------------------------------------
# backend strings and one-line errors
# ---------------------------------------------------------------------------------------------
def test_parse_backend_forms_and_errors():
    assert qb.parse_backend("jax") == qb.BackendSpec("jax")
    assert str(qb.parse_backend("fake:Fake_Torino")) == "fake:torino"
    assert qb.parse_backend("pennylane:lightning.qubit").name == "lightning.qubit"
    assert qb.parse_backend("ibm:least_busy") == qb.BackendSpec("ibm", "least_busy")
    for bad, text in [
        ("cuda", "unknown backend 'cuda'"),
        ("fake", "needs a device name"),
        ("aer:torino", "takes no device name"),
        ("", "expected jax"),
    ]:
        with pytest.raises(BackendError, match=text) as e:
            qb.parse_backend(bad)
        assert str(e.value).startswith("backend: ") and "\n" not in str(e.value)


def test_unknown_devices_are_one_line_errors():
    with pytest.raises(BackendError, match=r"^backend: unknown fake device 'torrino'; e\.g\. torino"):
        qb.get_backend("fake:torrino")
    with pytest.raises(BackendError, match=r"^backend: cannot open PennyLane device 'no.such'"):
        qb.get_backend("pennylane:no.such")


def test_ibm_without_credentials_never_touches_the_network(monkeypatch, tmp_path):
    import qiskit_ibm_runtime
    import qiskit_ibm_runtime.accounts.management as mgmt

    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL", "QISKIT_IBM_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(mgmt, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json"))

    def forbidden(*a, **k):
        raise AssertionError("QiskitRuntimeService must not be constructed without credentials")

    monkeypatch.setattr(qiskit_ibm_runtime.QiskitRuntimeService, "__init__", forbidden)
    assert not qb.has_credentials()
    for name in ("ibm:ibm_torino", "ibm:least_busy"):
        with pytest.raises(BackendError) as e:
            qb.get_backend(name)
        msg = str(e.value)
        assert msg.startswith(f"backend: {name} needs IBM Quantum credentials") and "\n" not in msg
        assert "QISKIT_IBM_TOKEN" in msg and "save_account" in msg


def test_width_and_shots_errors(tmp_path):
    manila = backend("fake:manila", tmp_path)
    wide = hea(6, 1)
    with pytest.raises(BackendError, match=r"^circuit: needs 6 qubits, but fake:manila has 5$"):
        qb.expval(manila, wide, np.zeros(wide.num_params), qdist.pauli("Z", (0,)), shots=10, seed=0)
    four = hea(5, 1)
    with pytest.raises(BackendError, match=r"^circuit \(with the ancilla\): needs 6 qubits"):
        qb.gradient(
            manila, four, np.zeros(four.num_params), qdist.pauli("Z", (0,)), method="shadow", shots=10, seed=0
        )
    for shots in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match=r"^shots: expected an integer ≥ 1"):
            qb.expval(manila, SMALL, SMALL_P, SMALL_OBS, shots=shots, seed=0)
    with pytest.raises(ValueError, match=r"^snapshots: expected an integer ≥ 1"):
        qb.shadow(manila, SMALL, SMALL_P, 0, seed=0)


def test_mitigation_one_warning_locally_and_options_on_devices():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = qb.get_backend("fake:manila", resilience_level=1, twirling=True, dynamical_decoupling="XY4")
    msgs = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(msgs) == 1 and "ignored by local emulation" in msgs[0] and "resilience_level=1" in msgs[0]
    assert b.mitigation == {"resilience_level": 1, "twirling": True, "dynamical_decoupling": "XY4"}
    with pytest.raises(ValueError, match="^resilience_level: expected 0, 1 or 2"):
        qb.get_backend("aer", resilience_level=5)
    with pytest.raises(ValueError, match="^dynamical_decoupling: expected one of"):
        qb.get_backend("aer", dynamical_decoupling="ZZ")
    # on a real device the options reach the Runtime primitives (set here without submitting)
    from qiskit_ibm_runtime import EstimatorV2, SamplerV2

    from qdist.backends.execute import _configure

    class Service:  # any service that is not Runtime's local one counts as real hardware
        pass

    real = qb.Backend(
        qb.BackendSpec("ibm", "x"),
        device=qb.fake_device("manila"),
        service=Service(),
        mitigation=b.mitigation,
    )
    assert real.real_device
    est = EstimatorV2(mode=qb.fake_device("manila"))
    _configure(est, real, "estimator", 0, 1234)
    o = est.options
    assert o.resilience_level == 1 and o.default_shots == 1234
    assert o.twirling.enable_gates and o.twirling.enable_measure
    assert o.dynamical_decoupling.enable and o.dynamical_decoupling.sequence_type == "XY4"
    smp = SamplerV2(mode=qb.fake_device("manila"))
    with pytest.warns(UserWarning, match="resilience_level applies to Estimator jobs"):
        _configure(smp, real, "sampler", 0, None)
    assert smp.options.twirling.enable_gates and smp.options.dynamical_decoupling.sequence_type == "XY4"


# ---------------------------------------------------------------------------------------------
# conversions at the boundary
# ---------------------------------------------------------------------------------------------
def test_qiskit_circuit_state_data_and_basis_layer():
    from qiskit.quantum_info import Operator, Statevector

    rng = np.random.default_rng(3)
    x = rng.normal(size=4)
    psi0 = x / np.linalg.norm(x)
    c = qdist.make_circuit(
        2, [qdist.data_phase((0, 1), scale=0.8), qdist.gate("RY", 0, 0), qdist.gate("CX", (0, 1))], 1
    )
    data = rng.uniform(-1, 1, 4)
    qc = qiskit_circuit(c, state=psi0, data=data).assign_parameters([0.37])
    got = little_endian(Statevector(qc).data, 2)  # back to qdist order
    want = np.asarray(qdist.state(c, np.array([0.37]), state=psi0, data=data))
    assert abs(abs(np.vdot(got, want)) - 1) < 1e-10
    # the basis layer: (θ, λ) of each recipe gives H (X), H·S† (Y), I (Z)
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    sdg = np.diag([1, -1j])
    m = measured_circuit(qdist.make_circuit(1, [], 0), random_wires=(0,))
    for r, want_u in enumerate([h, h @ sdg, np.eye(2)]):
        u = Operator(qiskit_circuit(m).assign_parameters(BASIS_ANGLES[r])).data
        assert abs(abs(np.trace(u.conj().T @ want_u)) - 2) < 1e-10


def test_noise_bound_of_known_channels():
    from qiskit_aer.noise import NoiseModel, ReadoutError, depolarizing_error

    from qdist.backends.devices import _choi_bound

    # depolarising: ‖E − id‖◇ = 2p(1 − 1/d²) exactly
    assert _choi_bound(depolarizing_error(0.01, 1)) == pytest.approx(0.015, rel=1e-9)
    assert _choi_bound(depolarizing_error(0.02, 2)) == pytest.approx(0.02 * 2 * 15 / 16, rel=1e-9)
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    qc.sx(0)
    qc.measure(0, 0)
    nm = NoiseModel(basis_gates=["sx", "rz"])
    nm.add_quantum_error(depolarizing_error(0.01, 1), "sx", [0])
    nm.add_readout_error(ReadoutError([[0.97, 0.03], [0.05, 0.95]]), [0])
    out = qb.noise_bound(nm, qc, [0])
    assert out["gates"] == pytest.approx(0.03) and out["readout"] == pytest.approx(0.1)
    assert qb.error_budget("aer", SMALL, SMALL_OBS)["total"] == 0.0


# ---------------------------------------------------------------------------------------------
# every task on the noiseless backends agrees with the exact values
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["jax", "aer", "pennylane:lightning.qubit"])
def test_expval_and_gradients_noiseless(name, tmp_path):
    b = backend(name, tmp_path)
    r = qb.expval(b, CIRCUIT, PARAMS, OBS, shots=20000, seed=1)
    assert abs(r.value - EXACT) <= Z * r.std_error
    assert r.shots == 2 * 20000  # two qubit-wise-commuting groups
    for method in ("param-shift", "shadow"):
        g = qb.gradient(b, CIRCUIT, PARAMS, OBS, method=method, shots=4000, seed=2)
        assert np.all(np.abs(g.value - GRAD) <= Z * g.std_error + 1e-12), (method, g.value - GRAD)
        assert g.extra["backend"] == name


def test_shadow_gradient_random_basis_aer(tmp_path):
    g = qb.gradient(
        backend("aer", tmp_path), CIRCUIT, PARAMS, OBS, method="shadow", basis="random", shots=3000, seed=4
    )
    # median of means with 10 groups: std_error includes the √(π/2) factor of shadows.estimate
    assert np.all(np.abs(g.value - GRAD) <= Z * g.std_error + 1e-12)
    assert g.extra["basis"] == "random" and len(g.extra["jobs"]) == 1


def test_shadow_recipes_bits_and_estimates(tmp_path):
    # |1⟩|+⟩|0⟩: Z-recipe bits are deterministic, so any mix-up of rows or columns shows
    c = qdist.make_circuit(3, [qdist.gate("X", 0), qdist.gate("H", 1)], 0)
    res = qb.shadow(backend("aer", tmp_path), c, None, 3000, seed=5)
    sh = res.shadow
    assert sh.bits.shape == (3000, 3) and sh.wires == (0, 1, 2)
    assert np.all(sh.bits[sh.recipes[:, 0] == 2, 0] == 1)
    assert np.all(sh.bits[sh.recipes[:, 1] == 0, 1] == 0)  # |+⟩ measured in X
    assert np.all(sh.bits[sh.recipes[:, 2] == 2, 2] == 0)
    assert res.bases <= 27 and len(res.jobs) == 1
    same = qb.shadow("jax", c, None, 3000, seed=5).shadow
    assert np.array_equal(same.recipes, sh.recipes)  # one seed, one set of bases, on every backend
    # estimates of the HEA circuit's state on aer with bases grouped 10 shots each
    obs = [qdist.pauli("Z", (0,)), qdist.pauli("XX", (0, 1)), qdist.pauli("Y", (2,))]
    r = qb.shadow(backend("aer", tmp_path), CIRCUIT, PARAMS, 6000, seed=6, shots_per_basis=10)
    import shadows

    est = shadows.estimate(r.shadow, obs)
    exact = np.array([float(qdist.expval(CIRCUIT, PARAMS, o)) for o in obs])
    # grouped bases: the s = 10 snapshots of a basis are correlated, so the i.i.d. std_error would
    # be optimistic. A basis group's mean X_g has Var ≤ Var(E[X|r]) + E[X²]/s ≤ 3^w (1 + 1/s) for a
    # weight-w Pauli (X = ±3^w when the recipe matches, probability 3^−w), and the T/s groups are
    # independent: σ ≤ √(3^w (1 + 1/s) / (T/s)).
    w = np.array([1, 2, 1])
    sigma = np.sqrt(3.0**w * (1 + 1 / 10) / (6000 / 10))
    assert np.all(np.abs(est.mean - exact) <= Z * sigma)
    assert r.bases == 600


# ---------------------------------------------------------------------------------------------
# fake devices: restricted noise model, error budget, one job per task
# ---------------------------------------------------------------------------------------------
def test_restricted_noise_model_counts_equal_full_device():
    """Runtime's local mode with the whole Kolkata noise model (27 qubits; the one full-device run)
    against qdist's restricted model: the same counts for the same seed."""
    from collections import Counter as Tally

    from qiskit_ibm_runtime import SamplerV2

    from qdist.backends.compile import isa_circuit
    from qdist.backends.execute import simulator_seed

    dev = qb.fake_device("kolkata")
    isa = isa_circuit(dev, SMALL, measure=(0, 1))
    s = SamplerV2(mode=dev)
    s.options.simulator.seed_simulator = simulator_seed(7)
    full = s.run([(isa, SMALL_P[None, :], 3000)]).result()[0].data.c.to_bool_array(order="little")
    mine = qb.run_sampler("fake:kolkata", SMALL, SMALL_P[None, :], 3000, 7, measure=(0, 1)).bits[0]
    tally = lambda bits: Tally(map(int, bits.reshape(-1, 2).astype(int) @ np.array([1, 2])))  # noqa: E731
    assert tally(full) == tally(mine)
    assert len(tally(mine)) == 4  # noisy: every outcome occurs


def test_fake_torino_within_shot_and_noise_tolerance(tmp_path, monkeypatch):
    calls = Counter(monkeypatch)
    b = backend("fake:torino", tmp_path)
    r = qb.expval(b, SMALL, SMALL_P, SMALL_OBS, shots=8000, seed=3)
    exact = float(qdist.expval(SMALL, SMALL_P, SMALL_OBS))
    bound = qb.error_budget(b, SMALL, SMALL_OBS)
    assert 0 < bound["total"] < 0.5  # a meaningful tolerance, from Torino's calibration
    assert abs(r.value - exact) <= Z * r.std_error + bound["total"]
    grad = np.asarray(qdist.value_and_grad(SMALL, SMALL_P, SMALL_OBS)[1])
    for method in ("param-shift", "shadow"):
        before = len(calls.calls)
        g = qb.gradient(b, SMALL, SMALL_P, SMALL_OBS, method=method, shots=4000, seed=4)
        bias = qb.gradient_error_budget(b, SMALL, SMALL_OBS, method=method)
        assert np.all(np.abs(g.value - grad) <= Z * g.std_error + bias), (method, g.value - grad, bias)
        assert len(calls.calls) - before == 1  # ONE primitive job for the whole gradient
    before = len(calls.calls)
    sh = qb.shadow(b, SMALL, SMALL_P, 2000, seed=5)
    assert len(calls.calls) - before == 1 and calls.calls[-1][0] == "SamplerV2"
    assert len(JobRegistry(tmp_path / "jobs").records()) == len(calls.calls) == 4
    assert sh.shadow.num_snapshots == 2000


def test_one_job_per_gradient_and_shadow_6_qubits(tmp_path, monkeypatch):
    """The issue's size: 6 qubits, 36 parameters — still one job each (param-shift: one PUB with 72
    bindings; shadow: one job with a PUB per layer; shadow: one job with ≤ 3^6 bases)."""
    calls = Counter(monkeypatch)
    c = hea(6, 3)
    p = np.random.default_rng(0).uniform(-np.pi, np.pi, c.num_params)
    obs = qdist.pauli("Z", (0,))
    b = backend("fake:torino", tmp_path)
    g = qb.gradient(b, c, p, obs, method="param-shift", shots=200, seed=1)
    assert calls.calls == [("EstimatorV2", 1)] and g.circuits == 72
    g = qb.gradient(b, c, p, obs, method="shadow", shots=200, seed=1)
    assert calls.calls[-1] == ("EstimatorV2", 6) and len(calls.calls) == 2  # 6 layers, 1 term
    recs = JobRegistry(tmp_path / "jobs").records()
    assert len(recs) == 2 and recs[0]["bindings_shapes"] == [[72, 36]]
    assert [r["task"] for r in recs] == ["gradient/param-shift", "gradient/shadow"]


def test_ibm_path_through_the_local_service_matches_fake(tmp_path):
    """``ibm:<name>`` with ``QiskitRuntimeService(channel="local")``: the hardware code path, run
    by Runtime's local mode with Manila's full noise model — identical to ``fake:manila``."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    svc = QiskitRuntimeService(channel="local")
    ibm = backend("ibm:manila", tmp_path, service=svc)
    assert not ibm.real_device and ibm.device.name == "fake_manila"
    fake = backend("fake:manila", tmp_path)
    a = qb.expval(ibm, SMALL, SMALL_P, SMALL_OBS, shots=4000, seed=9)
    bb = qb.expval(fake, SMALL, SMALL_P, SMALL_OBS, shots=4000, seed=9)
    assert a.value == bb.value and a.std_error == bb.std_error
    rec, arrays = qb.execute.fetch_job(a.jobs[0], JobRegistry(tmp_path / "jobs"))
    assert rec["backend"] == "ibm:manila" and rec["status"] == "done"
    assert arrays["evs_0"][0, 0] == pytest.approx(a.value)


# ---------------------------------------------------------------------------------------------
# distributed protocols, flattened
# ---------------------------------------------------------------------------------------------
def test_distributed_protocols_flattened(tmp_path):
    from qdist.network.model import ModelSpec, random_model

    model = random_model(ModelSpec(features=4, layers=2, parties=2, classes=2), seed=3)
    b = backend("aer", tmp_path)
    inf = qb.inference(b, model, shots=8000, seed=1)
    exact = np.asarray(inf.extra["exact"])
    assert np.all(np.abs(inf.value - exact) <= Z * inf.std_error)
    assert inf.extra["ledger"]["copies"] == 8000 and len(inf.jobs) == 1
    m1 = random_model(ModelSpec(features=4, layers=2, parties=2), seed=4)
    for method in ("param-shift", "shadow"):
        g = qb.distributed_gradient(b, m1, method=method, shots=4000, seed=2)
        assert np.all(np.abs(g.value - g.extra["exact"]) <= Z * g.std_error + 1e-12), method
        assert len(g.extra["jobs"]) == 1


# ---------------------------------------------------------------------------------------------
# registry: record before awaiting, resume across processes, retries
# ---------------------------------------------------------------------------------------------
def test_record_exists_before_the_result_is_awaited(tmp_path, monkeypatch):
    from qdist.backends import execute

    reg = JobRegistry(tmp_path / "jobs")
    seen = {}
    orig = execute.convert_result

    def spy(primitive, result, meta):  # called right after job.result() returned
        (rec,) = reg.records()
        seen.update(rec)
        return orig(primitive, result, meta)

    monkeypatch.setattr(execute, "convert_result", spy)
    qb.expval(qb.get_backend("aer", registry=reg), SMALL, SMALL_P, SMALL_OBS, shots=100, seed=0)
    assert seen["status"] == "submitted" and seen["id"] and seen["submitted_at"]
    for k in ("backend", "circuits", "bindings_shapes", "shots", "seed", "key"):
        assert seen.get(k) is not None
    assert reg.records()[0]["status"] == "done"


SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    import qdist, qdist.backends as qb
    c = qdist.make_circuit(2, [qdist.gate("RY", 0, 0), qdist.gate("RZ", 1, 1), qdist.gate("CX", (0, 1)),
                               qdist.gate("RX", 1, 2)], 3)
    p = np.array([0.9, -0.4, 1.3])
    obs = qdist.pauli_sum({"ZI": 1.0, "IZ": 0.5})
    b = qb.get_backend("fake:manila", registry=qb.JobRegistry(sys.argv[1]))
    g = qb.gradient(b, c, p, obs, method="param-shift", shots=500, seed=1)
    print(g.extra["jobs"][0], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # killed before its second job
    """
)


def test_killed_run_resumes_without_resubmitting(tmp_path, monkeypatch):
    jobs = tmp_path / "jobs"
    env = {**os.environ, "QDIST_CACHE": os.environ["QDIST_CACHE"], "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(jobs)], capture_output=True, text=True, env=env)
    assert proc.returncode == -9, proc.stderr[-2000:]
    first_id = proc.stdout.strip()
    # a fresh registry object, as a new process would have; the same two-step computation
    calls = Counter(monkeypatch)
    b = qb.get_backend("fake:manila", registry=JobRegistry(jobs))
    g = qb.gradient(b, SMALL, SMALL_P, SMALL_OBS, method="param-shift", shots=500, seed=1)
    assert g.extra["jobs"] == [first_id] and g.extra["resumed"] and calls.calls == []
    s = qb.shadow(b, SMALL, SMALL_P, 500, seed=1)  # the step the killed run never reached
    assert not s.resumed and len(calls.calls) == 1
    # a record left "submitted" (process died while waiting) is run again for local modes
    reg = JobRegistry(jobs)
    key = reg.find(s.jobs[0])["key"]
    rec = reg.get(key)
    rec.update(status="submitted")
    from qdist.backends.cache import atomic_write_json

    atomic_write_json(reg.root / f"{key}.json", rec)
    (reg.root / f"{key}.npz").unlink()
    s2 = qb.shadow(b, SMALL, SMALL_P, 500, seed=1)
    assert not s2.resumed and len(calls.calls) == 2
    assert np.array_equal(s2.shadow.bits, s.shadow.bits)  # same seed, same numbers
    assert len(reg.get(key)["attempts"]) == 2 and reg.get(key)["status"] == "done"


def test_retries_then_clear_failure(tmp_path, monkeypatch):
    import qiskit_ibm_runtime

    orig = qiskit_ibm_runtime.EstimatorV2.run
    fails = {"left": 2}

    def flaky(prim, pubs, *a, **k):
        if fails["left"] > 0:
            fails["left"] -= 1
            raise RuntimeError("device went into maintenance")
        return orig(prim, pubs, *a, **k)

    monkeypatch.setattr(qiskit_ibm_runtime.EstimatorV2, "run", flaky)
    reg = JobRegistry(tmp_path / "jobs")
    b = qb.get_backend("aer", registry=reg, backoff=0.0)
    r = qb.expval(b, SMALL, SMALL_P, SMALL_OBS, shots=100, seed=0)
    (rec,) = reg.records()
    assert rec["status"] == "done" and len(rec["attempts"]) == 3 and r.jobs == (rec["id"],)
    assert [a["error"] for a in rec["attempts"]][:2] == ["RuntimeError: device went into maintenance"] * 2
    fails["left"] = 10
    with pytest.raises(JobFailedError) as e:
        qb.expval(b, SMALL, SMALL_P, SMALL_OBS, shots=101, seed=0)
    msg = str(e.value)
    assert "failed after 3 attempts: RuntimeError: device went into maintenance" in msg and "\n" not in msg
    assert msg.startswith("job (not submitted) (estimator on aer, key ")
    failed = [r for r in reg.records() if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["error"].endswith("maintenance")


def test_registry_lists_across_processes(tmp_path):
    reg = JobRegistry(tmp_path / "jobs")
    r = qb.expval(qb.get_backend("aer", registry=reg), SMALL, SMALL_P, SMALL_OBS, shots=50, seed=0)
    code = "import json,sys; from qdist.backends import JobRegistry; print(json.dumps(JobRegistry(sys.argv[1]).records()))"
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "jobs")], capture_output=True, text=True, check=True
    )
    (rec,) = json.loads(out.stdout)
    assert rec["id"] == r.jobs[0] and rec["status"] == "done" and rec["primitive"] == "estimator"
