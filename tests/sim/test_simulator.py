"""Correctness of the state-vector simulator against Qiskit ``Statevector`` and PennyLane ``default.qubit``.

Every reference circuit is built independently from a plain op list (see ``tests/helpers/circuits.py``); qdist's
own converters are not used. Tolerances: 1e-10 in complex128 (docs/concepts/conventions.md#precision), 1e-5 in complex64.
"""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest
from qiskit.quantum_info import Statevector
from scipy.stats import unitary_group

import qdist

ATOL = 1e-10
NUM_RANDOM = 200


@cache
def _device(n: int):
    return qml.device("default.qubit", wires=n)


def pennylane_run(ref, n, spec, params, data, terms, init=None):
    """(state, expval) from PennyLane default.qubit (qdist order)."""
    ops = ref.build_pennylane(n, spec, params, data)
    if init is not None:
        ops = [qml.StatePrep(np.asarray(init), wires=range(n))] + ops
    tape = qml.tape.QuantumScript(ops, [qml.state(), qml.expval(ref.obs_pennylane(terms))])
    psi, val = _device(n).execute(tape)
    return np.asarray(psi), float(val)


def qiskit_run(ref, n, spec, params, data, terms, init=None):
    """(state in qdist order, expval) from Qiskit Statevector."""
    qc = ref.build_qiskit(n, spec, params, data)
    sv = Statevector.from_int(0, 2**n) if init is None else Statevector(ref.from_qiskit_order(init, n))
    sv = sv.evolve(qc)
    return ref.from_qiskit_order(sv.data, n), float(np.real(sv.expectation_value(ref.obs_qiskit(terms))))


def state_and_expval(circuit, observable):
    """One jit-compiled ``(params, data) -> (state, expval)``: ``qdist.state_fn`` and ``qdist.expval``
    called on traced inputs share a single XLA compilation.

    XLA compilation dominates the run time of the random-circuit tests, so it runs with
    ``jax_disable_most_optimizations`` (same arithmetic, about a third less compile time); the
    public entry points below are tested with the default settings.
    """
    sf = qdist.state_fn(circuit)
    zero = qdist.zero_state(circuit.num_qubits)

    @jax.jit
    def f(p, d):
        return sf(p, zero, d), qdist.expval(circuit, p, observable, data=d if circuit.num_data else None)

    def run(p, d):
        old = jax.config.read("jax_disable_most_optimizations")
        jax.config.update("jax_disable_most_optimizations", True)
        try:
            return jax.block_until_ready(f(p, d))
        finally:
            jax.config.update("jax_disable_most_optimizations", old)

    return run


def random_state(rng, n):
    v = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return v / np.linalg.norm(v)


# ----------------------------------------------------------------------------------------------
# 200 random circuits
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(NUM_RANDOM))
def test_random_circuit_matches_qiskit_and_pennylane(ref, seed):
    n, spec, params, data = ref.random_case(seed, max_ops=25 if seed % 10 == 0 else 8)
    terms = ref.random_observable(np.random.default_rng(10_000 + seed), n)
    circuit = ref.build_qdist(n, spec, len(params))
    assert circuit.num_data == len(data)
    psi, val = state_and_expval(circuit, ref.obs_qdist(terms))(jnp.asarray(params), jnp.asarray(data))
    psi = np.asarray(psi)

    psi_qk, val_qk = qiskit_run(ref, n, spec, params, data, terms)
    psi_pl, val_pl = pennylane_run(ref, n, spec, params, data, terms)
    np.testing.assert_allclose(psi, psi_qk, rtol=0, atol=ATOL)
    np.testing.assert_allclose(psi, psi_pl, rtol=0, atol=ATOL)
    assert abs(float(val) - val_qk) < ATOL
    assert abs(float(val) - val_pl) < ATOL
    assert abs(np.linalg.norm(psi) - 1.0) < ATOL  # unitarity: the norm is preserved


def test_random_circuits_cover_every_kind(ref):
    """The 200 random circuits above use every gate, op kind and parameter-reference style."""
    names, kinds, styles, shared = set(), set(), set(), 0
    for seed in range(NUM_RANDOM):
        _, spec, _, _ = ref.random_case(seed, max_ops=25 if seed % 10 == 0 else 8)
        counts: dict[int, int] = {}
        for kind, name, _, payload in spec:
            kinds.add(kind)
            if kind == "gate":
                names.add(name)
            if kind in ("gate", "pauli_rot"):
                for a in payload:
                    styles.add(type(a).__name__)
                    if not isinstance(a, float):
                        key = a if isinstance(a, int) else a.index
                        counts[key] = counts.get(key, 0) + 1
        shared += any(c > 1 for c in counts.values())
    assert names == {g[0] for g in ref.GATE_TABLE}
    assert kinds == {"gate", "pauli_rot", "unitary", "diagonal", "data_phase"}
    assert styles == {"int", "float", "Angle"}
    assert shared > 50


# ----------------------------------------------------------------------------------------------
# every gate on its own, on reversed / non-adjacent wires, from a random state
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gate", "pauli_rot", "unitary", "diagonal", "data_phase"])
def test_each_gate_from_random_state(ref, kind):
    """Each gate (or op kind) alone on wires given in descending, non-adjacent order, e.g. (3, 1)."""
    rng = np.random.default_rng(7)
    n = 4
    if kind == "gate":
        specs = [[("gate", name, (3, 1, 0)[:nw], tuple(range(na)))] for name, nw, na in ref.GATE_TABLE]
    elif kind == "pauli_rot":
        specs = [
            [("pauli_rot", p, w, (qdist.Angle(0, -1.5, 0.3),))]
            for p, w in [("Y", (2,)), ("XZ", (3, 0)), ("YIXZ", (1, 3, 0, 2))]
        ]
    elif kind == "unitary":
        specs = [
            [("unitary", "U", w, unitary_group.rvs(2 ** len(w), random_state=rng))]
            for w in [(2,), (3, 0), (2, 0, 3)]
        ]
    elif kind == "diagonal":
        specs = [
            [("diagonal", "D", w, np.exp(1j * rng.uniform(-3, 3, 2 ** len(w))))]
            for w in [(1,), (3, 1), (2, 0, 3)]
        ]
    else:
        specs = [[("data_phase", "DP", w, (-0.8, s))] for w, s in [((1,), 2), ((3, 0), 0), ((2, 0, 3), 1)]]
    for spec in specs:
        init = random_state(rng, n)
        params = rng.uniform(-np.pi, np.pi, 3)
        data = rng.uniform(-2, 2, 10)
        circuit = ref.build_qdist(n, spec, 3)
        got = qdist.state(
            circuit, params, state=init, data=data[: circuit.num_data] if circuit.num_data else None
        )
        want = ref.qiskit_state(ref.build_qiskit(n, spec, params, data), init)
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL, err_msg=str(spec[0][:3]))


# ----------------------------------------------------------------------------------------------
# the public (validated, cached, compiled) entry points
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(1000, 1012))
def test_public_state_and_expval(ref, seed):
    """``qdist.state``/``qdist.expval`` (own jit cache) on random circuits from random input states."""
    n, spec, params, data = ref.random_case(seed, max_qubits=6)
    rng = np.random.default_rng(seed)
    terms = ref.random_observable(rng, n)
    circuit = ref.build_qdist(n, spec, len(params))
    init = random_state(rng, n)
    d = data if len(data) else None
    psi = qdist.state(circuit, params, state=init, data=d)
    val = qdist.expval(circuit, params, ref.obs_qdist(terms), state=init, data=d)
    assert isinstance(psi, np.ndarray) and psi.dtype == np.complex128 and isinstance(val, float)
    psi_qk, val_qk = qiskit_run(ref, n, spec, params, data, terms, init=init)
    psi_pl, val_pl = pennylane_run(ref, n, spec, params, data, terms, init=init)
    np.testing.assert_allclose(psi, psi_qk, rtol=0, atol=ATOL)
    np.testing.assert_allclose(psi, psi_pl, rtol=0, atol=ATOL)
    assert abs(val - val_qk) < ATOL and abs(val - val_pl) < ATOL


# ----------------------------------------------------------------------------------------------
# batches: params (B, P), input states (B, 2^n) by amplitude encoding, data (B, D)
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [2001, 2002, 2003])
def test_batched_params_states_and_data(ref, seed):
    rng = np.random.default_rng(seed)
    n, B = 4, 5
    spec = ref.random_spec(rng, n, 12, 3, data=True)
    spec.append(("data_phase", "DP", (2, 0), (0.9, 1)))  # make sure the circuit takes data
    circuit = ref.build_qdist(n, spec, 3)
    terms = ref.random_observable(rng, n)
    obs = ref.obs_qdist(terms)
    P = rng.uniform(-np.pi, np.pi, (B, 3))
    X = rng.normal(size=(B, 11))  # 11 features, zero-padded to 16 amplitudes
    states, norms = qdist.amplitude_encode(X, num_qubits=n)
    np.testing.assert_allclose(norms, np.linalg.norm(X, axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(states)[:, :11] * norms[:, None], X, atol=1e-12)
    assert np.all(np.asarray(states)[:, 11:] == 0)
    D = rng.uniform(-2, 2, (B, circuit.num_data))

    want = [qiskit_run(ref, n, spec, P[b], D[b], terms, init=np.asarray(states[b])) for b in range(B)]
    vals = qdist.expval(circuit, P, obs, state=states, data=D)  # all three batched together
    psis = qdist.state(circuit, P, state=states, data=D)
    assert vals.shape == (B,) and psis.shape == (B, 2**n)
    np.testing.assert_allclose(vals, [w[1] for w in want], rtol=0, atol=ATOL)
    np.testing.assert_allclose(psis, [w[0] for w in want], rtol=0, atol=ATOL)

    # one batched axis at a time, the others shared
    vals_p = qdist.expval(circuit, P, obs, data=D[0])
    want_p = [qiskit_run(ref, n, spec, P[b], D[0], terms)[1] for b in range(B)]
    np.testing.assert_allclose(vals_p, want_p, rtol=0, atol=ATOL)
    vals_s = qdist.expval(circuit, P[0], obs, state=states, data=D[0])
    want_s = [qiskit_run(ref, n, spec, P[0], D[0], terms, init=np.asarray(states[b]))[1] for b in range(B)]
    np.testing.assert_allclose(vals_s, want_s, rtol=0, atol=ATOL)
    vals_d = qdist.expval(circuit, P[0], obs, data=D)
    want_d = [qiskit_run(ref, n, spec, P[0], D[b], terms)[1] for b in range(B)]
    np.testing.assert_allclose(vals_d, want_d, rtol=0, atol=ATOL)


def test_amplitude_encode_single_vector():
    x = np.array([3.0, -4.0, 0.0, 12.0, 1.0])
    psi, norm = qdist.amplitude_encode(x)
    assert qdist.num_qubits_for(5) == 3 and psi.shape == (8,) and norm == pytest.approx(np.sqrt(170))
    np.testing.assert_allclose(np.asarray(psi), np.pad(x, (0, 3)) / np.sqrt(170), atol=1e-15)


# ----------------------------------------------------------------------------------------------
# data re-upload against an explicit diagonal matrix
# ----------------------------------------------------------------------------------------------


def _dense_gate(m, wires, n):
    """Dense 2^n matrix of ``m`` on ``wires`` (first wire most significant), built entry by entry."""
    k = len(wires)
    full = np.zeros((2**n, 2**n), dtype=complex)
    for col in range(2**n):
        bits = [(col >> (n - 1 - w)) & 1 for w in range(n)]
        sub = sum(bits[w] << (k - 1 - j) for j, w in enumerate(wires))
        for r in range(2**k):
            out = list(bits)
            for j, w in enumerate(wires):
                out[w] = (r >> (k - 1 - j)) & 1
            full[sum(b << (n - 1 - w) for w, b in enumerate(out)), col] += m[r, sub]
    return full


def _data_diag(x, wires, n, scale, start):
    """diag(exp(i·scale·x[start + index of the bits of ``wires``])) as an explicit 2^n × 2^n matrix."""
    d = np.empty(2**n, dtype=complex)
    for i in range(2**n):
        sub = sum(((i >> (n - 1 - w)) & 1) << (len(wires) - 1 - j) for j, w in enumerate(wires))
        d[i] = np.exp(1j * scale * x[start + sub])
    return np.diag(d)


def test_data_reupload_against_explicit_diagonal():
    n = 3
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)

    def ry(t):
        return np.array([[np.cos(t / 2), -np.sin(t / 2)], [np.sin(t / 2), np.cos(t / 2)]])

    cx = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    ops = [qdist.gate("H", w) for w in range(n)]
    ops += [qdist.data_phase((2, 0), scale=0.7, start=1), qdist.gate("RY", 1, 0)]
    ops += [qdist.data_phase((0, 1, 2), scale=-1.3, start=0), qdist.gate("CX", (1, 2))]
    ops += [qdist.data_phase((1,), scale=2.0, start=6)]
    circuit = qdist.make_circuit(n, ops)
    assert circuit.num_data == 8
    obs = qdist.pauli_sum({"XIY": 0.4, "ZXZ": -1.1, "IYI": 0.25})
    rng = np.random.default_rng(5)
    theta = np.array([0.83])
    X = rng.uniform(-3, 3, (4, 8))

    def reference(x):
        U = (
            _data_diag(x, (1,), n, 2.0, 6)
            @ _dense_gate(cx, (1, 2), n)
            @ _data_diag(x, (0, 1, 2), n, -1.3, 0)
            @ _dense_gate(ry(theta[0]), (1,), n)
            @ _data_diag(x, (2, 0), n, 0.7, 1)
            @ np.kron(np.kron(h, h), h)
        )
        psi = U[:, 0]
        return psi, float(np.real(psi.conj() @ obs.matrix(n) @ psi))

    for x in X:
        psi, val = reference(x)
        np.testing.assert_allclose(qdist.state(circuit, theta, data=x), psi, rtol=0, atol=ATOL)
        assert abs(qdist.expval(circuit, theta, obs, data=x) - val) < ATOL
    np.testing.assert_allclose(
        qdist.expval(circuit, theta, obs, data=X), [reference(x)[1] for x in X], rtol=0, atol=ATOL
    )


# ----------------------------------------------------------------------------------------------
# complex64 mode
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [3001, 3002, 3003, 3004])
def test_complex64_mode(ref, seed):
    n, spec, params, data = ref.random_case(seed, max_qubits=8)
    terms = ref.random_observable(np.random.default_rng(seed), n)
    circuit = ref.build_qdist(n, spec, len(params))
    d = data if len(data) else None
    psi = qdist.state(circuit, params, data=d, dtype="complex64")
    val = qdist.expval(circuit, params, ref.obs_qdist(terms), data=d, dtype=np.complex64)
    assert psi.dtype == np.complex64
    psi_qk, val_qk = qiskit_run(ref, n, spec, params, data, terms)
    np.testing.assert_allclose(psi, psi_qk, rtol=0, atol=1e-5)
    assert abs(val - val_qk) < 1e-5 * max(1.0, sum(abs(c) for c, _ in terms))


# ----------------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4000, 4010))
def test_inverse_returns_start_state(ref, seed):
    """U⁻¹U|ψ⟩ = |ψ⟩ from a random state (every gate kind, affine angles, data ops); norm preserved."""
    n, spec, params, data = ref.random_case(seed, max_qubits=5, max_ops=12)
    circuit = ref.build_qdist(n, spec, len(params))
    inv = circuit.inverse()
    assert (inv.num_qubits, inv.num_params, inv.num_data) == (n, circuit.num_params, circuit.num_data)
    both = qdist.make_circuit(n, circuit.ops + inv.ops, num_params=circuit.num_params)
    init = random_state(np.random.default_rng(seed), n)
    d = data if len(data) else None
    np.testing.assert_allclose(qdist.state(both, params, state=init, data=d), init, rtol=0, atol=ATOL)


def test_inverse_of_every_gate(ref):
    """``inverse()`` of one circuit holding every gate equals the Qiskit inverse's state."""
    n = 3
    spec = [
        ("gate", name, (2, 0, 1)[:nw], tuple(qdist.Angle(i, 0.5 + i, -0.3) for i in range(na)))
        for name, nw, na in ref.GATE_TABLE
    ]
    spec += [("pauli_rot", "XIY", (0, 2, 1), (qdist.Angle(1, -2.0, 0.1),))]
    params = np.array([0.7, -1.9, 2.4])
    circuit = ref.build_qdist(n, spec, 3)
    init = random_state(np.random.default_rng(1), n)
    got = qdist.state(circuit.inverse(), params, state=init)
    want = ref.qiskit_state(ref.build_qiskit(n, spec, params).inverse(), init)
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_empty_circuit_pauli_expectations(n):
    """On |0…0⟩ an identity-free Pauli string has ⟨P⟩ = 1 if it has only Z's, else 0."""
    rng = np.random.default_rng(n)
    circuit = qdist.make_circuit(n, [])
    assert circuit.num_params == 0
    labels = ["Z" * n, "X" + "I" * (n - 1), "I" * (n - 1) + "Y"] + [
        "".join(rng.choice(list("IXYZ"), n)) for _ in range(5)
    ]
    labels = [lab for lab in labels if set(lab) != {"I"}]
    for lab in labels:
        want = 1.0 if set(lab) <= {"I", "Z"} else 0.0
        assert qdist.expval(circuit, None, qdist.pauli(lab)) == pytest.approx(want, abs=1e-15)
        assert qdist.expval(circuit, np.zeros(0), qdist.pauli(lab, coeff=-2.5)) == pytest.approx(
            -2.5 * want, abs=1e-15
        )
    np.testing.assert_array_equal(qdist.state(circuit), np.eye(2**n)[0])


def test_twenty_qubit_hea_layer():
    """20 qubits, one hardware-efficient layer RY·RZ then a CZ chain; analytic expectations.

    On the product state the Bloch vector of qubit q is (sinθ cosφ, sinθ sinφ, cosθ); the CZ chain
    maps X_q → X_q Z_{q−1} Z_{q+1}, so ⟨X_q⟩ = sinθ_q cosφ_q · cosθ_{q−1} cosθ_{q+1} and ⟨Z_q⟩ = cosθ_q.
    """
    n = 20
    rng = np.random.default_rng(20)
    ops = [qdist.gate("RY", q, q) for q in range(n)] + [qdist.gate("RZ", q, n + q) for q in range(n)]
    ops += [qdist.gate("CZ", (q, q + 1)) for q in range(n - 1)]
    circuit = qdist.make_circuit(n, ops)
    params = rng.uniform(-np.pi, np.pi, 2 * n)
    th, ph = params[:n], params[n:]
    cz = np.concatenate([[1.0], np.cos(th), [1.0]])  # padded ⟨Z⟩ of the neighbours
    qs = [0, 7, 19]
    terms = [(0.5, {q: "X"}) for q in qs] + [(-0.3, {q: "Y"}) for q in qs] + [(0.2, {3: "Z", 11: "Z"})]
    obs = qdist.pauli_sum(terms)
    want = sum(0.5 * np.sin(th[q]) * np.cos(ph[q]) * cz[q] * cz[q + 2] for q in qs)
    want += sum(-0.3 * np.sin(th[q]) * np.sin(ph[q]) * cz[q] * cz[q + 2] for q in qs)
    want += 0.2 * np.cos(th[3]) * np.cos(th[11])
    assert abs(qdist.expval(circuit, params, obs) - want) < ATOL


def test_twenty_two_qubit_state():
    """22 qubits, state only: an RY layer, then CNOTs 0→1→…→K. The chain maps basis |b⟩ to its
    prefix-XOR on wires 0..K, so output amplitude c is product-state amplitude ``c ^ ((c >> 1) & M)``
    with M the bits of wires 1..K."""
    n, K = 22, 5
    rng = np.random.default_rng(22)
    th = rng.uniform(-np.pi, np.pi, n)
    ops = [qdist.gate("RY", q, q) for q in range(n)] + [qdist.gate("CX", (q, q + 1)) for q in range(K)]
    psi = qdist.state(qdist.make_circuit(n, ops), th)
    assert psi.shape == (2**n,)
    prod = np.ones(1)
    for t in th:
        prod = np.kron(prod, [np.cos(t / 2), np.sin(t / 2)])
    idx = np.arange(2**n)
    mask = sum(1 << (n - 1 - k) for k in range(1, K + 1))
    np.testing.assert_allclose(psi, prod[idx ^ ((idx >> 1) & mask)], rtol=0, atol=ATOL)


@pytest.mark.parametrize("seed", range(7000, 7004))
def test_runs_of_fixed_monomial_gates(ref, seed):
    """Long runs of fixed permutation/phase gates (the simulator may fuse them) from a random state,
    and the inverse circuit taking the result back."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7))
    spec = ref.monomial_runs_spec(rng, n, num_runs=3, run_length=6, num_params=2)
    circuit = ref.build_qdist(n, spec, 2)
    params, init = rng.uniform(-np.pi, np.pi, 2), random_state(rng, n)
    psi = qdist.state(circuit, params, state=init)
    np.testing.assert_allclose(
        psi, ref.qiskit_state(ref.build_qiskit(n, spec, params), init), rtol=0, atol=ATOL
    )
    np.testing.assert_allclose(qdist.state(circuit.inverse(), params, state=psi), init, rtol=0, atol=ATOL)
