"""The interpreter (`qdist.sim.interpret`), its fusion (`qdist.sim.blocks`) and the routing.

Every number is checked against the compiled (unrolled) path — the two must agree to 1e-12 in
complex128 — and against an independent reference: Qiskit ``Statevector`` for values and states,
PennyLane ``default.qubit`` parameter shift and fourth-order finite differences for gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.oracles import finite_difference, pennylane_param_shift, qiskit_expval
from qiskit.quantum_info import Statevector

import qdist
from qdist.sim import blocks, interpret, jaxcache, native, routing
from qdist.sim.circuit import data_phase, gate, make_circuit

ROUTE_ATOL = 1e-12
GRAD_ATOL = (
    1e-7  # finite differences of step 1e-3, fourth order: error ~h⁴·f⁽⁵⁾ ≈ 1e-12 + rounding/h ≈ 1e-13/1e-3
)


def _both(monkeypatch, fn):
    out = {}
    for m in ("interpret", "compile"):
        monkeypatch.setenv("QDIST_SIM_MODE", m)
        out[m] = fn()
    return out["interpret"], out["compile"]


def _case(ref, seed):
    """A random interpretable circuit: every gate of the library on ≤ 2 wires, Pauli rotations,
    fixed unitaries and diagonals (no data re-upload, no 3-wire ops)."""
    rng = np.random.default_rng(seed)
    while True:
        n = int(rng.integers(2, 6))
        num_params = int(rng.integers(1, 7))
        spec = ref.random_spec(rng, n, int(rng.integers(4, 20)), num_params)
        spec = [s for s in spec if len(s[2]) <= 2 and not (s[0] == "pauli_rot" and set(s[1]) == {"I"})]
        params = rng.uniform(-np.pi, np.pi, num_params)
        circuit = ref.build_qdist(n, spec, num_params)
        if interpret.interpretable(circuit):
            return n, spec, params, circuit


def _check_against_references(ref, monkeypatch, n, spec, params, data, circuit, seed):
    """Interpreter = compiled program (1e-12) and = Qiskit / PennyLane / finite differences."""
    terms = ref.random_observable(np.random.default_rng(seed), n)
    obs = ref.obs_qdist(terms)
    (vi, gi), (vc, gc) = _both(monkeypatch, lambda: qdist.value_and_grad(circuit, params, obs, data=data))
    assert abs(vi - vc) < ROUTE_ATOL
    np.testing.assert_allclose(gi, gc, rtol=0, atol=ROUTE_ATOL)
    assert abs(vi - qiskit_expval(ref, n, spec, params, data, terms)) < 1e-10
    np.testing.assert_allclose(
        gi, pennylane_param_shift(ref, n, spec, params, data, terms), rtol=0, atol=GRAD_ATOL
    )
    fd = finite_difference(lambda p: qiskit_expval(ref, n, spec, p, data, terms), params)
    np.testing.assert_allclose(gi, fd, rtol=0, atol=GRAD_ATOL)
    si, sc = _both(monkeypatch, lambda: qdist.state(circuit, params, data=data))
    np.testing.assert_allclose(si, sc, rtol=0, atol=ROUTE_ATOL)
    sv = Statevector.from_int(0, 2**n).evolve(ref.build_qiskit(n, spec, params, data))
    np.testing.assert_allclose(si, ref.from_qiskit_order(np.asarray(sv.data), n), rtol=0, atol=1e-10)


@pytest.mark.parametrize("seed", range(12))
def test_random_circuits_match_compiled_and_references(ref, monkeypatch, seed):
    n, spec, params, circuit = _case(ref, 700 + seed)
    _check_against_references(ref, monkeypatch, n, spec, params, None, circuit, seed)


def _wide_case(ref, seed):
    """A random circuit with data re-upload and ops on up to four wires (Z-string and mixed Pauli
    rotations, fixed diagonals) that the interpreter runs through its diagonal stages."""
    rng = np.random.default_rng(seed)
    while True:
        n = int(rng.integers(3, 6))
        num_params = int(rng.integers(2, 7))
        spec = ref.random_spec(rng, n, int(rng.integers(8, 24)), num_params, data=True)
        params = rng.uniform(-np.pi, np.pi, num_params)
        circuit = ref.build_qdist(n, spec, num_params)
        if interpret.interpretable(circuit) and interpret.circuit_tables(circuit).stages is not None:
            data = rng.uniform(-1, 1, circuit.num_data) if circuit.num_data else None
            return n, spec, params, data, circuit


@pytest.mark.parametrize("seed", range(10))
def test_wide_and_data_circuits_match_compiled_and_references(ref, monkeypatch, seed):
    n, spec, params, data, circuit = _wide_case(ref, 900 + seed)
    _check_against_references(ref, monkeypatch, n, spec, params, data, circuit, seed)


def test_diag_model_is_one_stage_per_diagonal_layer(monkeypatch):
    """The ``diag`` model (data re-upload, 2ⁿ − 1 Z-string rotations per model layer) runs on the
    interpreter: one stage per data layer and one per diagonal layer; batched data agree with the
    compiled program."""
    from qdist.network.spec import ModelSpec, flat_circuit

    spec = ModelSpec(features=16, layers=3, parties=2, model="diag", schedule="interleaved")
    circuit = flat_circuit(spec)
    t = interpret.circuit_tables(circuit)
    assert int(t.kind[: t.count].sum()) == 3
    rng = np.random.default_rng(4)
    params = rng.uniform(-3, 3, circuit.num_params)
    data = rng.uniform(-1, 1, (6, circuit.num_data))
    obs = qdist.pauli("Z", [0])
    (vi, gi), (vc, gc) = _both(monkeypatch, lambda: qdist.value_and_grad(circuit, params, obs, data=data))
    np.testing.assert_allclose(vi, vc, rtol=0, atol=ROUTE_ATOL)
    np.testing.assert_allclose(gi, gc, rtol=0, atol=ROUTE_ATOL)


def _hea(n, layers, layer_major):
    """RY+RZ on every wire and a CZ ring, written layer-major (all RY, then all RZ) or wire by wire."""
    ops, k = [], 0
    for _ in range(layers):
        if layer_major:
            ops += [gate("RY", w, k + 2 * w) for w in range(n)] + [
                gate("RZ", w, k + 2 * w + 1) for w in range(n)
            ]
        else:
            ops += [g for w in range(n) for g in (gate("RY", w, k + 2 * w), gate("RZ", w, k + 2 * w + 1))]
        k += 2 * n
        ops += [gate("CZ", (w, (w + 1) % n)) for w in range(n)]
    return make_circuit(n, ops)


def test_fusion_is_order_independent():
    a, b = interpret.circuit_tables(_hea(5, 3, True)), interpret.circuit_tables(_hea(5, 3, False))
    assert a.count == b.count == 15  # one block per CZ: the rotations are absorbed
    for field in ("pair", "basis", "index", "coeff", "offset"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_fused_blocks_multiply_to_the_circuit_unitary(ref):
    """The product of the block matrices at fixed angles is the circuit's unitary (columns of
    the Qiskit simulation of each basis state)."""
    n, spec, params, circuit = _case(ref, 99)
    t = interpret.circuit_tables(circuit)
    padded = np.zeros(t.padded_params)
    padded[: len(params)] = params
    mats = np.asarray(interpret.block_matrices(padded, t.basis, t.index, t.coeff, t.offset))
    u = np.eye(2**n, dtype=complex)
    for i in range(t.count):
        hi, lo = t.pair[i]
        a, b = n - 1 - hi, n - 1 - lo
        full = np.zeros((2**n, 2**n), complex)
        for j in range(2**n):
            bits = [(j >> (n - 1 - w)) & 1 for w in range(n)]
            col = 2 * bits[a] + bits[b]
            for r in range(4):
                bits2 = list(bits)
                bits2[a], bits2[b] = r >> 1, r & 1
                full[int("".join(map(str, bits2)), 2), j] += mats[i, r, col]
        u = full @ u
    for j in range(2**n):
        sv = Statevector.from_int(int(format(j, f"0{n}b")[::-1], 2), 2**n)  # qdist basis state j
        sv = sv.evolve(ref.build_qiskit(n, spec, params, None))
        np.testing.assert_allclose(u[:, j], ref.from_qiskit_order(np.asarray(sv.data), n), atol=1e-10)


def test_batched_and_state_input(monkeypatch):
    circuit = _hea(4, 2, True)
    rng = np.random.default_rng(3)
    params = rng.uniform(-3, 3, (5, circuit.num_params))
    states = rng.normal(size=(5, 16)) + 1j * rng.normal(size=(5, 16))
    states /= np.linalg.norm(states, axis=1, keepdims=True)
    obs = qdist.pauli("ZX", [0, 2]) + 0.3 * qdist.pauli("Y", [3])
    (vi, gi), (vc, gc) = _both(monkeypatch, lambda: qdist.value_and_grad(circuit, params, obs, state=states))
    np.testing.assert_allclose(vi, vc, rtol=0, atol=ROUTE_ATOL)
    np.testing.assert_allclose(gi, gc, rtol=0, atol=ROUTE_ATOL)
    ei, _ = _both(monkeypatch, lambda: qdist.expval(circuit, params, obs, state=states))
    one = [qdist.expval(circuit, params[r], obs, state=states[r]) for r in range(5)]
    np.testing.assert_allclose(ei, one, rtol=0, atol=ROUTE_ATOL)


def test_complex64_gradient_accuracy(monkeypatch):
    """complex64 agrees with complex128 to the tolerance stated in docs/concepts/simulator.md."""
    circuit = _hea(6, 4, False)
    params = np.random.default_rng(5).uniform(-3, 3, circuit.num_params)
    obs = qdist.pauli("Z", [0]) + 0.5 * qdist.pauli("XX", [2, 3])
    monkeypatch.setenv("QDIST_SIM_MODE", "interpret")
    v64, g64 = qdist.value_and_grad(circuit, params, obs, dtype="complex128")
    v32, g32 = qdist.value_and_grad(circuit, params, obs, dtype="complex64")
    assert abs(v32 - v64) < 1e-5
    np.testing.assert_allclose(g32, g64, rtol=0, atol=1e-5)


def test_routes_not_interpretable_and_bad_mode(monkeypatch):
    one = make_circuit(1, [gate("RX", 0, 0), data_phase([0], 0.5)])
    assert interpret.interpretable(one)  # lifted onto two wires
    vi, vc = _both(
        monkeypatch, lambda: qdist.value_and_grad(one, [0.4], qdist.pauli("Y", [0]), data=[0.1, 0.7])
    )
    assert abs(vi[0] - vc[0]) < ROUTE_ATOL and abs(vi[1][0] - vc[1][0]) < ROUTE_ATOL
    three = make_circuit(3, [gate("CCX", (0, 1, 2)), gate("RY", 0, 0)])
    assert not interpret.interpretable(three)
    monkeypatch.setenv("QDIST_SIM_MODE", "auto")
    assert routing.route("grad", three) == "compile"
    monkeypatch.setenv("QDIST_SIM_MODE", "fast")
    with pytest.raises(ValueError, match="QDIST_SIM_MODE"):
        qdist.expval(_hea(2, 1, True), np.zeros(4), qdist.pauli("Z", [0]))


def test_auto_is_fixed_by_the_circuit_so_repeated_calls_are_bitwise_equal(monkeypatch):
    """``auto`` never changes engine with the number of calls: the same command gives the same bits."""
    monkeypatch.setenv("QDIST_SIM_MODE", "auto")
    circuit = _hea(3, 2, False)
    assert routing.route("grad", circuit) == "interpret"
    wide = make_circuit(routing.AUTO_MAX_QUBITS + 1, [gate("RY", 0, 0)])
    assert routing.route("grad", wide) == ("interpret" if native.available() else "compile")
    monkeypatch.setattr(native, "_STATE", {"error": "switched off for the test"})
    assert routing.route("grad", wide) == "compile"  # without the kernels: the unrolled program
    monkeypatch.undo()
    monkeypatch.setenv("QDIST_SIM_MODE", "auto")
    params = np.random.default_rng(8).uniform(-3, 3, circuit.num_params)
    obs = qdist.pauli("Z", [1])
    first = qdist.value_and_grad(circuit, params, obs)
    for _ in range(routing.COMPILE_AFTER + 3):
        v, g = qdist.value_and_grad(circuit, params, obs)
        assert v == first[0] and np.array_equal(g, first[1])
    assert not [k for k in routing._ROUTES if k[1] == circuit.fingerprint]  # no background compile


def test_adaptive_switches_to_the_compiled_program_with_equal_numbers(monkeypatch):
    monkeypatch.setenv("QDIST_SIM_MODE", "adaptive")
    circuit = _hea(3, 2, False)
    obs = qdist.pauli("Z", [1])
    params = np.random.default_rng(8).uniform(-3, 3, circuit.num_params)
    first = qdist.value_and_grad(circuit, params, obs)
    for _ in range(routing.COMPILE_AFTER):
        qdist.value_and_grad(circuit, params, obs)
    entries = [e for k, e in routing._ROUTES.items() if k[1] == circuit.fingerprint and k[0] == "grad"]
    assert len(entries) == 1 and entries[0].thread is not None
    entries[0].thread.join()
    assert entries[0].error is None and entries[0].compiled is not None
    later = [qdist.value_and_grad(circuit, params, obs) for _ in range(3)]
    assert entries[0].choice in ("compile", "interpret")
    for v, g in later:
        assert abs(v - first[0]) < ROUTE_ATOL
        np.testing.assert_allclose(g, first[1], rtol=0, atol=ROUTE_ATOL)


def test_compile_cache_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(jaxcache, "_STATE", {})
    monkeypatch.setenv("QDIST_COMPILE_CACHE", "0")
    assert jaxcache.enable_compile_cache() is None and jaxcache.compile_cache_dir() is None


def test_block_primitives_reject_what_they_cannot_run():
    assert blocks.primitives(make_circuit(3, [gate("CCX", (0, 1, 2))])) is None
    swap3 = qdist.unitary(np.eye(8)[[0, 1, 2, 3, 4, 6, 5, 7]], [0, 1, 2])
    assert blocks.primitives(make_circuit(3, [swap3])) is None
    assert blocks.primitives(make_circuit(2, [data_phase([0], 1.0)])) is not None
