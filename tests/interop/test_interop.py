"""Circuit conversions qdist ↔ Qiskit / PennyLane (qdist.interop.qiskit, qdist.interop.pennylane).

Every comparison is against the other library's own simulator (Qiskit ``Operator``/``Statevector``,
PennyLane ``qml.matrix``/``default.qubit``/``lightning.qubit``) and is exact to 1e-10: these are
deterministic conversions, not estimators. "Up to global phase" is used only where documented
(``global_phase=False``, the default, drops the circuit's global phase).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import DiagonalGate, PauliEvolutionGate, UnitaryGate
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector, random_unitary

import qdist
from qdist.interop.pennylane import pennylane_parameters

pytestmark = pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")

ATOL = 1e-10
N = 3


def _equal_up_to_phase(u: np.ndarray, v: np.ndarray) -> bool:
    k = np.unravel_index(np.argmax(np.abs(v)), v.shape)
    phase = u[k] / v[k]
    return abs(abs(phase) - 1) < ATOL and np.allclose(u, phase * v, atol=ATOL)


# ---------------------------------------------------------------------------------------------
# Qiskit
# ---------------------------------------------------------------------------------------------


def _random_qiskit_circuit(seed: int):
    """Every supported Qiskit gate once, in random order on random qubits, with affine and shared
    parameter expressions; returns (circuit, parameters in qc.parameters order)."""
    rng = np.random.default_rng(seed)
    a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    v = ParameterVector("v", 2)

    def ang():
        choice = rng.integers(5)
        if choice == 0:
            return float(rng.uniform(-np.pi, np.pi))
        p = [a, b, c, v[0], v[1]][rng.integers(5)]
        return [p, 2 * p - 0.3, -0.5 * p + 1.25, p / 4][rng.integers(4)]

    def q(k):
        return [int(x) for x in rng.permutation(N)[:k]]

    u4 = random_unitary(4, seed=seed)
    pe_commuting = SparsePauliOp(["ZZI", "IZZ", "XXX"], [0.3, -0.7, 0.2])  # pairwise commuting
    pe_general = SparsePauliOp(["XY", "ZI"], [0.4, 0.9])
    gates = [
        lambda qc: qc.id(q(1)[0]),
        *(lambda qc, g=g: getattr(qc, g)(q(1)[0]) for g in "x y z h s sdg t tdg sx sxdg".split()),
        *(lambda qc, g=g: getattr(qc, g)(ang(), q(1)[0]) for g in "rx ry rz p".split()),
        lambda qc: qc.u(ang(), ang(), ang(), q(1)[0]),
        lambda qc: qc.append(qiskit_lib().U3Gate(ang(), ang(), ang()), q(1)),
        lambda qc: qc.append(qiskit_lib().U1Gate(ang()), q(1)),
        lambda qc: qc.append(qiskit_lib().U2Gate(ang(), ang()), q(1)),
        *(lambda qc, g=g: getattr(qc, g)(*q(2)) for g in "cx cy cz ch cs csdg csx swap iswap".split()),
        *(lambda qc, g=g: getattr(qc, g)(ang(), *q(2)) for g in "crx cry crz cp rxx ryy rzz rzx".split()),
        lambda qc: qc.cu(ang(), ang(), ang(), ang(), *q(2)),
        lambda qc: qc.append(qiskit_lib().CU1Gate(ang()), q(2)),
        lambda qc: qc.append(qiskit_lib().CU3Gate(ang(), ang(), ang()), q(2)),
        lambda qc: qc.ccx(*q(3)),
        lambda qc: qc.append(UnitaryGate(u4), q(2)),
        lambda qc: qc.append(DiagonalGate(list(np.exp(1j * rng.uniform(0, 6, 4)))), q(2)),
        lambda qc: qc.append(PauliEvolutionGate(pe_commuting, time=ang()), q(3)),
        lambda qc: qc.append(PauliEvolutionGate(pe_general, time=0.37), q(2)),
        lambda qc: qc.r(ang(), 0.4, q(1)[0]),  # via definition
        lambda qc: qc.ecr(*q(2)),  # via matrix
        lambda qc: qc.cswap(*q(3)),
        lambda qc: qc.barrier(),
    ]
    qc = QuantumCircuit(N)
    for i in rng.permutation(len(gates)):
        gates[i](qc)
    qc.global_phase = 0.7 * a + 0.1
    return qc


def qiskit_lib():
    from qiskit.circuit import library

    return library


@pytest.mark.parametrize("seed", [0, 1])
def test_qiskit_roundtrip_every_gate(seed):
    qc = _random_qiskit_circuit(seed)
    values = np.random.default_rng(100 + seed).uniform(-2, 2, len(qc.parameters))
    target = Operator(qc.assign_parameters(values)).data

    exact = qdist.from_qiskit(qc, global_phase=True)
    assert exact.num_params == len(qc.parameters) == 5
    back = Operator(qdist.to_qiskit(exact, values)).data
    np.testing.assert_allclose(back, target, atol=ATOL)
    # parameterised export: θ[i] expressions, bound afterwards, same unitary
    sym = qdist.to_qiskit(exact)
    assert [p.name for p in sym.parameters] == [f"θ[{i}]" for i in range(5)]
    np.testing.assert_allclose(Operator(sym.assign_parameters(values)).data, target, atol=ATOL)

    # default drops the global phase: equal up to a phase only (documented)
    loose = qdist.from_qiskit(qc)
    assert _equal_up_to_phase(Operator(qdist.to_qiskit(loose, values)).data, target)

    # simulator state equals Qiskit's Statevector (little-endian → reverse_qargs)
    sv = Statevector(qc.assign_parameters(values)).reverse_qargs().data
    np.testing.assert_allclose(qdist.state(exact, values), sv, atol=ATOL)


def test_qiskit_export_import_is_identity_and_keeps_order():
    th = [qdist.Angle(i, 1.0 + 0.5 * (i % 3), 0.25 * (i % 2)) for i in range(12)]
    ops = [qdist.gate("RX", i % 2, th[i]) for i in range(12)]
    ops += [
        qdist.gate("CU", (1, 0), th[3], 0.2, th[11]),
        qdist.gate("CT", (0, 1)),
        qdist.pauli_rot("XZ", (1, 0), th[5]),
        qdist.unitary(np.asarray(random_unitary(4, seed=3).data), (1, 0)),
        qdist.diagonal(np.exp(1j * np.arange(4.0)), (0, 1)),
    ]
    circ = qdist.make_circuit(2, ops)
    qc = qdist.to_qiskit(circ)
    # θ[10], θ[11] sort after θ[9]: the round trip keeps every index
    back = qdist.from_qiskit(qc)
    assert back.fingerprint == circ.fingerprint
    params = np.random.default_rng(5).normal(size=12)
    sv = Statevector(qc.assign_parameters(params)).reverse_qargs().data
    np.testing.assert_allclose(qdist.state(circ, params), sv, atol=ATOL)
    # entries the circuit does not use survive with parameters= the vector
    unused = qdist.make_circuit(1, [qdist.gate("RY", 0, 2)], num_params=4)
    exported = qdist.to_qiskit(unused)
    assert qdist.from_qiskit(exported).num_params == 1
    vec = next(iter(exported.parameters)).vector
    again = qdist.from_qiskit(exported, parameters=vec)
    assert again.num_params == 4 and again.ops[0].angles[0].index == 2
    mine = ParameterVector("w", 4)
    assert qdist.from_qiskit(qdist.to_qiskit(unused, parameters=mine), parameters=mine) == unused


def test_qiskit_registers_and_classical_bits_without_measurements():
    ra, rb = QuantumRegister(2, "a"), QuantumRegister(1, "b")
    qc = QuantumCircuit(rb, ra, ClassicalRegister(2, "c"))
    qc.h(ra[1])
    qc.cx(ra[1], rb[0])
    qc.ry(0.3, ra[0])
    circ = qdist.from_qiskit(qc)
    assert [op.wires for op in circ.ops] == [(2,), (2, 0), (1,)]
    sv = Statevector(qc.remove_final_measurements(inplace=False)).reverse_qargs().data
    np.testing.assert_allclose(qdist.state(circ), sv, atol=ATOL)


def test_qiskit_data_phase_needs_data():
    circ = qdist.make_circuit(
        2, [qdist.gate("H", 0), qdist.gate("H", 1), qdist.data_phase((1, 0), 0.5), qdist.gate("RX", 1, 0)]
    )
    with pytest.raises(ValueError, match="data"):
        qdist.to_qiskit(circ)
    data, params = np.array([0.1, -1.0, 2.0, 0.4]), np.array([0.8])
    sv = Statevector(qdist.to_qiskit(circ, params, data=data)).reverse_qargs().data
    np.testing.assert_allclose(qdist.state(circ, params, data=data), sv, atol=ATOL)


def test_qiskit_errors_name_the_instruction():
    a = Parameter("a")
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.cx(0, 1)  # the measurement is not final
    with pytest.raises(ValueError, match=r"unsupported instruction 'measure' at position 1 \(a mid-circuit"):
        qdist.from_qiskit(qc)
    qc = QuantumCircuit(2)  # non-commuting terms with a free time: only a Trotter definition
    qc.append(PauliEvolutionGate(SparsePauliOp(["XY", "ZI"]), time=a), [0, 1])
    with pytest.raises(ValueError, match="'PauliEvolution' at position 0 .*non-commuting"):
        qdist.from_qiskit(qc)
    qc = QuantumCircuit(1)
    qc.reset(0)
    with pytest.raises(ValueError, match="'reset'"):
        qdist.from_qiskit(qc)
    qc = QuantumCircuit(1, 1)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    with pytest.raises(ValueError, match="'if_else' at position 0"):
        qdist.from_qiskit(qc)


# ---------------------------------------------------------------------------------------------
# PennyLane
# ---------------------------------------------------------------------------------------------


def _pl_qfunc(seed: int):
    """A quantum function using every mapped PennyLane op (plus decomposed ones) in random order,
    with shared parameters and affine expressions of them; wire labels are strings."""
    rng = np.random.default_rng(seed)
    W = ["a", "b", "c"]
    u4 = np.asarray(random_unitary(4, seed=seed + 7).data)
    d2 = np.exp(1j * rng.uniform(0, 6, 2))
    exprs = [
        lambda p, k: p[k],
        lambda p, k: 2.0 * p[k] - 0.3,
        lambda p, k: -0.5 * p[k] + 1.0,
        lambda p, k: 0.7,
    ]
    layout = []  # static random structure chosen once

    def q(k):
        return [W[i] for i in rng.permutation(N)[:k]]

    ops = [
        *((g, 0, 1) for g in (qml.PauliX, qml.PauliY, qml.PauliZ, qml.Hadamard, qml.S, qml.T, qml.SX)),
        *((lambda wires, g=g: qml.adjoint(g(wires)), 0, 1) for g in (qml.S, qml.T, qml.SX)),
        *((g, 1, 1) for g in (qml.RX, qml.RY, qml.RZ, qml.PhaseShift, qml.U1)),
        (qml.Rot, 3, 1),
        (qml.U3, 3, 1),
        (qml.U2, 2, 1),
        *((g, 0, 2) for g in (qml.CNOT, qml.CZ, qml.CY, qml.CH, qml.SWAP, qml.ISWAP)),
        *((g, 1, 2) for g in (qml.CRX, qml.CRY, qml.CRZ, qml.ControlledPhaseShift)),
        *((g, 1, 2) for g in (qml.IsingXX, qml.IsingYY, qml.IsingZZ)),
        (qml.CRot, 3, 2),
        (qml.Toffoli, 0, 3),
        (lambda th, wires: qml.PauliRot(th, "XYZ", wires=wires), 1, 3),
        (qml.MultiRZ, 1, 2),
        (lambda wires: qml.QubitUnitary(u4, wires=wires), 0, 2),
        (lambda wires: qml.DiagonalQubitUnitary(d2, wires=wires), 0, 1),
        (lambda wires: qml.Identity(wires), 0, 1),
        (qml.CSWAP, 0, 3),  # decomposed
        (lambda wires: qml.ctrl(qml.S(wires[1]), control=wires[0]), 0, 2),  # decomposed
        (qml.SISWAP, 0, 2),  # decomposed
        (lambda th, wires: qml.GlobalPhase(th), 1, 1),
    ]
    for i in rng.permutation(len(ops)):
        f, nang, nw = ops[i]
        refs = [(int(rng.integers(len(exprs))), int(rng.integers(3))) for _ in range(nang)]
        layout.append((f, refs, q(nw)))

    def qfunc(params):
        for f, refs, wires in layout:
            angles = [exprs[e](params, k) for e, k in refs]
            f(*angles, wires=wires if len(wires) > 1 else wires[0])

    return qfunc, W


@pytest.mark.parametrize("seed", [0, 1])
def test_pennylane_roundtrip_every_op(seed):
    qfunc, W = _pl_qfunc(seed)
    params = np.random.default_rng(200 + seed).uniform(-2, 2, 3)
    target = qml.matrix(qfunc, wire_order=W)(params)

    exact = qdist.from_pennylane(qfunc, wires=W, params=params, global_phase=True)
    assert exact.num_params == 3
    for op in exact.ops:  # every angle is a*params[k] + b with a in the expressions used
        for a in op.angles:
            assert not a.trainable or a.coeff in (1.0, 2.0, -0.5, -1.0, 0.5, -2.0)
    back = qml.matrix(qdist.to_pennylane(exact, wires=W), wire_order=W)(params)
    np.testing.assert_allclose(back, target, atol=ATOL)
    loose = qdist.from_pennylane(qfunc, wires=W, params=params)  # drops GlobalPhase (documented)
    assert _equal_up_to_phase(qml.matrix(qdist.to_pennylane(loose), wire_order=[0, 1, 2])(params), target)

    # qdist state equals default.qubit's state; the converted circuit also at another point
    dev = qml.device("default.qubit", wires=W)

    @qml.qnode(dev)
    def state(p):
        qfunc(p)
        return qml.state()

    for p in (params, params[::-1] + 0.3):
        np.testing.assert_allclose(qdist.state(exact, p), state(p), atol=ATOL)

    # the tape path: one parameter per scalar op parameter, in tape order
    tape = qml.tape.make_qscript(qfunc)(params)
    from_tape = qdist.from_pennylane(tape, wires=W, global_phase=True)
    tp = pennylane_parameters(tape)
    assert from_tape.num_params == len(tp)
    np.testing.assert_allclose(qdist.state(from_tape, tp), state(params), atol=ATOL)


def test_pennylane_shared_parameters_and_affine_angles():
    def qfunc(p):
        qml.RX(p[0], wires=0)
        qml.RY(3.0 * p[0] - 1.0, wires=1)
        qml.IsingZZ(p[1] / 2, wires=[0, 1])
        qml.Rot(p[1], 0.4, p[0], wires=1)

    circ = qdist.from_pennylane(qfunc, wires=[0, 1], params=np.array([0.2, 0.9]))
    angles = [a for op in circ.ops for a in op.angles]
    assert angles == [
        qdist.Angle(0, 1.0, 0.0),
        qdist.Angle(0, 3.0, -1.0),
        qdist.Angle(1, 0.5, 0.0),
        qdist.Angle(1, 1.0, 0.0),
        qdist.Angle(-1, 0.0, 0.4),
        qdist.Angle(0, 1.0, 0.0),
    ]
    # shared parameters give the sum of both contributions to the gradient
    obs = qdist.pauli("ZY", (0, 1))
    dev = qml.device("default.qubit", wires=2)

    @qml.qnode(dev)
    def f(p):
        qfunc(p)
        return qml.expval(qml.Z(0) @ qml.Y(1))

    p = pnp.array([0.3, -1.1], requires_grad=True)
    val, grad = qdist.value_and_grad(circ, np.asarray(p), obs)
    assert abs(val - f(p)) < ATOL
    np.testing.assert_allclose(grad, qml.grad(f)(p), atol=1e-9)


def test_to_pennylane_jit_and_lightning_and_data():
    qc = _random_qiskit_circuit(0)
    circ = qdist.from_qiskit(qc) + qdist.make_circuit(N, [qdist.data_phase((2, 0), 0.7)])
    params = np.random.default_rng(3).uniform(-1, 1, circ.num_params)
    data = np.array([0.3, -0.2, 1.5, 0.9])
    qfunc = qdist.to_pennylane(circ)
    expected = qdist.state(circ, params, data=data)

    def state(p, d):
        qfunc(p, d)
        return qml.state()

    jitted = jax.jit(qml.QNode(state, qml.device("default.qubit", wires=N), interface="jax"))
    np.testing.assert_allclose(jitted(jnp.asarray(params), jnp.asarray(data)), expected, atol=ATOL)
    lightning = qml.QNode(state, qml.device("lightning.qubit", wires=N))
    np.testing.assert_allclose(lightning(params, data), expected, atol=ATOL)
    with pytest.raises(ValueError, match="data"):
        qml.matrix(qfunc, wire_order=range(N))(params)


def test_pennylane_errors_name_the_op():
    class Mystery(qml.operation.Operation):
        num_wires = 1

    with pytest.raises(ValueError, match="unsupported PennyLane operation 'Mystery'"):
        qdist.from_pennylane(qml.tape.QuantumScript([qml.H(0), Mystery(wires=0)]))
    with pytest.raises(ValueError, match="operation 'SpecialUnitary' \\(its part 'TmpPauliRot'\\)"):
        qdist.from_pennylane(lambda p: qml.SpecialUnitary(jnp.array([0.1, 0.2, p[0]]), 0), params=np.zeros(1))

    def mid_measure(p):
        m = qml.measure(0)
        qml.cond(m, qml.X)(1)

    with pytest.raises(ValueError, match="MidMeasure"):
        qdist.from_pennylane(mid_measure, params=np.zeros(1))


# ---------------------------------------------------------------------------------------------
# Observables and the three simulators on one converted circuit
# ---------------------------------------------------------------------------------------------


def test_observables_agree_across_qiskit_pennylane_qdist():
    qc = _random_qiskit_circuit(0)  # as in test_qiskit_roundtrip_every_gate: compiled state reused
    values = np.random.default_rng(100).uniform(-2, 2, len(qc.parameters))
    circ = qdist.from_qiskit(qc)
    rng = np.random.default_rng(44)
    labels = ["".join(rng.choice(list("IXYZ"), N)) for _ in range(5)]
    spo = SparsePauliOp(labels, rng.normal(size=5))
    want = Statevector(qc.assign_parameters(values)).expectation_value(spo).real
    assert abs(qdist.expval(circ, values, qdist.as_observable(spo, N)) - want) < ATOL

    # the same observable in PennyLane (Qiskit qubit q = wire q; label read right to left)
    ham = qml.Hamiltonian(
        list(spo.coeffs.real),
        [qml.pauli.string_to_pauli_word(lab[::-1], wire_map={i: i for i in range(N)}) for lab in labels],
    )
    qfunc = qdist.to_pennylane(circ)

    @qml.qnode(qml.device("default.qubit", wires=N))
    def f(p):
        qfunc(p)
        return qml.expval(ham)

    assert abs(f(values) - want) < ATOL
    assert abs(qdist.expval(circ, values, qdist.as_observable(ham, N)) - want) < ATOL
    # and PennyLane → qdist of the converted circuit gives the same state as Qiskit
    again = qdist.from_pennylane(qfunc, wires=range(N), params=values)
    sv = Statevector(qc.assign_parameters(values)).reverse_qargs().data
    assert _equal_up_to_phase(qdist.state(again, values)[:, None], sv[:, None])
