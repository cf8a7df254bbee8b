"""An independent random-circuit generator and three independent circuit builders.

A circuit is first drawn as a plain list of ``(kind, name, wires, payload)`` tuples, and from that list
three circuits are built *independently* (no qdist converters): a qdist `Circuit`, a
Qiskit ``QuantumCircuit`` and a list of PennyLane operations. Conventions (docs/concepts/conventions.md#conventions): qdist wire q
is Qiskit qubit q and PennyLane wire q; qdist/PennyLane states are big-endian (wire 0 = most
significant bit), Qiskit's are little-endian, so fixed matrices go on the reversed Qiskit wire list and
Qiskit Pauli labels are reversed (state vectors: `helpers.reference`).

Test modules reach these through the ``ref`` fixture of ``tests/conftest.py`` or import them
directly (``from helpers.circuits import random_spec``).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import unitary_group

import qdist

# (name, number of wires, number of angles)
SINGLE = [
    ("X", 0),
    ("Y", 0),
    ("Z", 0),
    ("H", 0),
    ("S", 0),
    ("SDG", 0),
    ("T", 0),
    ("TDG", 0),
    ("SX", 0),
    ("SXDG", 0),
    ("RX", 1),
    ("RY", 1),
    ("RZ", 1),
    ("PHASE", 1),
    ("U", 3),
]
GATE_TABLE = (
    [(name, 1, k) for name, k in SINGLE]
    + [("C" + name, 2, k) for name, k in SINGLE]
    + [("SWAP", 2, 0), ("ISWAP", 2, 0), ("RXX", 2, 1), ("RYY", 2, 1), ("RZZ", 2, 1), ("CCX", 3, 0)]
)
OTHER_KINDS = ("pauli_rot", "unitary", "diagonal", "data_phase")


# ----------------------------------------------------------------------------------------------
# random circuit specs
# ----------------------------------------------------------------------------------------------


def _random_angle(rng: np.random.Generator, num_params: int):
    """An int index (shared parameters are frequent), an affine `qdist.Angle` or a float."""
    u = rng.random()
    if u < 0.5:
        return int(rng.integers(num_params))
    if u < 0.75:
        return qdist.Angle(
            int(rng.integers(num_params)), float(rng.uniform(-2, 2)), float(rng.uniform(-3, 3))
        )
    return float(rng.uniform(-np.pi, np.pi))


def random_spec(
    rng: np.random.Generator,
    n: int,
    num_ops: int,
    num_params: int,
    data: bool = False,
    kinds: tuple[str, ...] | None = None,
) -> list[tuple]:
    """A random op list over ``n`` wires; ``kinds`` restricts to these gate names / op kinds."""
    table = [g for g in GATE_TABLE if g[1] <= n and (kinds is None or g[0] in kinds)]
    others = [k for k in OTHER_KINDS if (kinds is None or k in kinds) and (data or k != "data_phase")]
    spec = []
    for _ in range(num_ops):
        if others and (not table or rng.random() < 0.2):
            kind = others[rng.integers(len(others))]
            k = int(rng.integers(1, min(n, 3 if kind != "pauli_rot" else 4) + 1))
            wires = tuple(int(w) for w in rng.choice(n, size=k, replace=False))
            if kind == "pauli_rot":
                letters = "".join(rng.choice(list("IXYZ"), size=k))
                if set(letters) == {"I"}:
                    letters = "Z" + letters[1:]
                spec.append(("pauli_rot", letters, wires, (_random_angle(rng, num_params),)))
            elif kind == "unitary":
                spec.append(("unitary", "U", wires, unitary_group.rvs(2**k, random_state=rng)))
            elif kind == "diagonal":
                spec.append(("diagonal", "D", wires, np.exp(1j * rng.uniform(-np.pi, np.pi, 2**k))))
            else:
                spec.append(("data_phase", "DP", wires, (float(rng.uniform(-2, 2)), int(rng.integers(4)))))
            continue
        name, nw, na = table[rng.integers(len(table))]
        wires = tuple(int(w) for w in rng.choice(n, size=nw, replace=False))
        spec.append(("gate", name, wires, tuple(_random_angle(rng, num_params) for _ in range(na))))
    return spec


MONOMIAL = ["X", "Y", "Z", "S", "SDG", "T", "TDG", "CX", "CY", "CZ", "CS", "CSDG", "CT", "CTDG"]
MONOMIAL += ["SWAP", "ISWAP", "CCX", "RZ", "PHASE", "CPHASE", "CRZ", "RZZ"]


def monomial_runs_spec(rng: np.random.Generator, n: int, num_runs: int, run_length: int, num_params: int):
    """Runs of fixed *monomial* gates (one non-zero per row: permutations with phases, fixed-angle
    diagonal rotations, fixed diagonals, ±iP = exp(−iπP/2)) separated by single trainable gates."""
    table = [g for g in GATE_TABLE if g[0] in MONOMIAL and g[1] <= n]
    spec = []
    for _ in range(num_runs):
        for _ in range(run_length):
            u = rng.random()
            if u < 0.1:
                w = tuple(int(x) for x in rng.choice(n, size=min(n, 2), replace=False))
                spec.append(("diagonal", "D", w, np.exp(1j * rng.uniform(-3, 3, 2 ** len(w)))))
            elif u < 0.2:
                w = tuple(int(x) for x in rng.choice(n, size=min(n, 3), replace=False))
                letters = "".join(rng.choice(list("XYZ"), size=len(w)))
                spec.append(("pauli_rot", letters, w, (float(np.pi * rng.choice([-1, 1])),)))
            else:
                name, nw, na = table[rng.integers(len(table))]
                w = tuple(int(x) for x in rng.choice(n, size=nw, replace=False))
                spec.append(("gate", name, w, tuple(float(rng.uniform(-3, 3)) for _ in range(na))))
        name = ["RX", "CRY", "U", "RXX"][rng.integers(4)] if n > 1 else "U"
        nw, na = {"RX": (1, 1), "CRY": (2, 1), "U": (1, 3), "RXX": (2, 1)}[name]
        w = tuple(int(x) for x in rng.choice(n, size=nw, replace=False))
        spec.append(("gate", name, w, tuple(_random_angle(rng, num_params) for _ in range(na))))
    return spec


def random_case(seed: int, max_qubits: int = 10, max_ops: int = 25, data: bool = True):
    """``(n, spec, params, data)`` for one random circuit; sizes drawn from the seed."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, max_qubits + 1))
    num_params = int(rng.integers(1, 7))
    spec = random_spec(rng, n, int(rng.integers(3, max_ops + 1)), num_params, data=data)
    params = rng.uniform(-np.pi, np.pi, num_params)
    num_data = max((p[3][1] + 2 ** len(p[2]) for p in spec if p[0] == "data_phase"), default=0)
    return n, spec, params, rng.uniform(-2, 2, num_data)


def angle_value(a, params):
    """Numeric value of an angle reference (works for numpy, autograd and JAX arrays)."""
    if isinstance(a, qdist.Angle):
        return a.coeff * params[a.index] + a.offset
    if isinstance(a, int):
        return params[a]
    return a


# ----------------------------------------------------------------------------------------------
# builders
# ----------------------------------------------------------------------------------------------


def build_qdist(n: int, spec: list[tuple], num_params: int) -> qdist.Circuit:
    ops = []
    for kind, name, wires, payload in spec:
        if kind == "gate":
            ops.append(qdist.gate(name, wires, *payload))
        elif kind == "pauli_rot":
            ops.append(qdist.pauli_rot(name, wires, payload[0]))
        elif kind == "unitary":
            ops.append(qdist.unitary(payload, wires))
        elif kind == "diagonal":
            ops.append(qdist.diagonal(payload, wires))
        else:
            ops.append(qdist.data_phase(wires, scale=payload[0], start=payload[1]))
    return qdist.make_circuit(n, ops, num_params=num_params)


def _qiskit_base(name: str, angles):
    from qiskit.circuit import library as L

    table = {
        "X": L.XGate,
        "Y": L.YGate,
        "Z": L.ZGate,
        "H": L.HGate,
        "S": L.SGate,
        "SDG": L.SdgGate,
        "T": L.TGate,
        "TDG": L.TdgGate,
        "SX": L.SXGate,
        "SXDG": L.SXdgGate,
        "RX": L.RXGate,
        "RY": L.RYGate,
        "RZ": L.RZGate,
        "PHASE": L.PhaseGate,
        "U": L.UGate,
        "SWAP": L.SwapGate,
        "ISWAP": L.iSwapGate,
        "RXX": L.RXXGate,
        "RYY": L.RYYGate,
        "RZZ": L.RZZGate,
        "CCX": L.CCXGate,
    }
    return table[name](*[float(a) for a in angles])


def build_qiskit(n: int, spec: list[tuple], params, data=None):
    """Qiskit circuit; fixed matrices go on the *reversed* wire list (Qiskit matrices are little-endian)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import DiagonalGate, PauliEvolutionGate, UnitaryGate
    from qiskit.quantum_info import Pauli

    qc = QuantumCircuit(n)
    for kind, name, wires, payload in spec:
        if kind == "gate":
            angles = [angle_value(a, params) for a in payload]
            if not name.startswith("C") or name == "CCX":
                qc.append(_qiskit_base(name, angles), list(wires))
            else:
                qc.append(_qiskit_base(name[1:], angles).control(1), list(wires))
        elif kind == "pauli_rot":
            theta = float(angle_value(payload[0], params))
            qc.append(PauliEvolutionGate(Pauli(name[::-1]), time=theta / 2), list(wires))
        elif kind == "unitary":
            qc.append(UnitaryGate(payload), list(wires)[::-1])
        elif kind == "diagonal":
            qc.append(DiagonalGate(list(payload)), list(wires)[::-1])
        else:
            scale, start = payload
            d = np.exp(1j * scale * np.asarray(data)[start : start + 2 ** len(wires)])
            qc.append(DiagonalGate(list(d)), list(wires)[::-1])
    return qc


def build_pennylane(n: int, spec: list[tuple], params, data=None, shiftable: bool = False) -> list:
    """PennyLane operations (``params`` may be an autograd/JAX array for differentiation).

    The list starts with an identity on all ``n`` wires so that a tape's wire order is 0…n−1.
    ``shiftable``: write CU as ``P((φ+λ)/2)_c · CRZ(φ) · CRY(θ) · CRZ(λ)`` (PennyLane has no
    parameter-shift rule for ``ctrl(U3)``).
    """
    import pennylane as qml

    single = {
        "X": qml.PauliX,
        "Y": qml.PauliY,
        "Z": qml.PauliZ,
        "H": qml.Hadamard,
        "S": qml.S,
        "SDG": lambda wires: qml.adjoint(qml.S(wires)),
        "T": qml.T,
        "TDG": lambda wires: qml.adjoint(qml.T(wires)),
        "SX": qml.SX,
        "SXDG": lambda wires: qml.adjoint(qml.SX(wires)),
        "RX": qml.RX,
        "RY": qml.RY,
        "RZ": qml.RZ,
        "PHASE": qml.PhaseShift,
        "U": qml.U3,
    }
    named = {
        "CX": qml.CNOT,
        "CY": qml.CY,
        "CZ": qml.CZ,
        "CH": qml.CH,
        "CRX": qml.CRX,
        "CRY": qml.CRY,
        "CRZ": qml.CRZ,
        "CPHASE": qml.ControlledPhaseShift,
        "SWAP": qml.SWAP,
        "ISWAP": qml.ISWAP,
        "RXX": qml.IsingXX,
        "RYY": qml.IsingYY,
        "RZZ": qml.IsingZZ,
        "CCX": qml.Toffoli,
    }
    ops = [qml.Identity(wires=list(range(n)))]
    for kind, name, wires, payload in spec:
        if kind == "gate":
            angles = [angle_value(a, params) for a in payload]
            if name in single:
                ops.append(single[name](*angles, wires=wires[0]))
            elif name in named:
                ops.append(named[name](*angles, wires=list(wires)))
            elif name == "CU" and shiftable:
                th, ph, lam = angles
                ops += [qml.CRZ(lam, wires=list(wires)), qml.CRY(th, wires=list(wires))]
                ops += [qml.CRZ(ph, wires=list(wires)), qml.PhaseShift((ph + lam) / 2, wires=wires[0])]
            else:
                ops.append(qml.ctrl(single[name[1:]](*angles, wires=wires[1]), control=wires[0]))
        elif kind == "pauli_rot":
            ops.append(qml.PauliRot(angle_value(payload[0], params), name, wires=list(wires)))
        elif kind == "unitary":
            ops.append(qml.QubitUnitary(payload, wires=list(wires)))
        elif kind == "diagonal":
            ops.append(qml.DiagonalQubitUnitary(payload, wires=list(wires)))
        else:
            scale, start = payload
            d = np.exp(1j * scale * np.asarray(data)[start : start + 2 ** len(wires)])
            ops.append(qml.DiagonalQubitUnitary(d, wires=list(wires)))
    return ops
