"""The gate library: each named gate is a pure function from its angles to its matrix.

Matrices are in qdist's wire order ([qubit order][qubit-order]): for a gate on wires ``(a, b)`` the matrix index
is ``2·bit(a) + bit(b)``, i.e. the first listed wire is the most significant bit. Rotations follow
the usual convention ``R_P(θ) = exp(−iθP/2)`` ([gradient estimators][gradients]), so that the generator of every
rotation is ``P/2`` and the parameter-shift rule ``∂f = [f(θ+π/2) − f(θ−π/2)]/2`` holds.

A gate whose name starts with ``C`` and whose base is a single-qubit gate (``CRX``, ``CH``,
``CU``, …) is the controlled version: first wire control, second wire target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

SQRT2_INV = 1.0 / np.sqrt(2.0)


@dataclass(frozen=True)
class GateSpec:
    """Static description of a gate kind.

    Attributes:
        name: canonical upper-case name.
        num_wires: number of wires the gate acts on.
        num_params: number of angles.
        matrix: ``angles (num_params,) -> (2**num_wires, 2**num_wires)`` complex matrix.
        diagonal: True when the matrix is diagonal for every angle (applied as a phase vector).
        generator: for single-angle rotations ``exp(−iθG/2)`` with ``G`` a Pauli string, that
            string (one letter per wire); used by the shadow estimators. ``None`` otherwise.
    """

    name: str
    num_wires: int
    num_params: int
    matrix: Callable[[jnp.ndarray], jnp.ndarray]
    diagonal: bool = False
    generator: str | None = None


def _const(m: np.ndarray) -> Callable[[jnp.ndarray], jnp.ndarray]:
    m = np.asarray(m, dtype=np.complex128)
    return lambda angles: jnp.asarray(m)


_I2 = np.eye(2, dtype=np.complex128)
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
_Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex128)
_Z = np.array([[1, 0], [0, -1]], dtype=np.complex128)
_H = SQRT2_INV * np.array([[1, 1], [1, -1]], dtype=np.complex128)
_S = np.diag([1, 1j]).astype(np.complex128)
_T = np.diag([1, np.exp(1j * np.pi / 4)]).astype(np.complex128)
_SX = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=np.complex128)
PAULI_MATRICES = {"I": _I2, "X": _X, "Y": _Y, "Z": _Z}


def _rx(a: jnp.ndarray) -> jnp.ndarray:
    c, s = jnp.cos(a[0] / 2), jnp.sin(a[0] / 2)
    return jnp.array([[c, -1j * s], [-1j * s, c]])


def _ry(a: jnp.ndarray) -> jnp.ndarray:
    c, s = jnp.cos(a[0] / 2), jnp.sin(a[0] / 2)
    return jnp.array([[c, -s], [s, c]]).astype(jnp.complex128)


def _rz(a: jnp.ndarray) -> jnp.ndarray:
    e = jnp.exp(-0.5j * a[0])
    return jnp.array([[e, 0], [0, jnp.conj(e)]])


def _phase(a: jnp.ndarray) -> jnp.ndarray:
    return jnp.array([[1.0 + 0j, 0], [0, jnp.exp(1j * a[0])]])


def _u(a: jnp.ndarray) -> jnp.ndarray:
    """U(θ, φ, λ) in the OpenQASM 3 / Qiskit ``UGate`` convention (= PennyLane ``U3``)."""
    th, ph, lam = a[0], a[1], a[2]
    c, s = jnp.cos(th / 2), jnp.sin(th / 2)
    return jnp.array(
        [
            [c + 0j, -jnp.exp(1j * lam) * s],
            [jnp.exp(1j * ph) * s, jnp.exp(1j * (ph + lam)) * c],
        ]
    )


def _two_pauli_rotation(p: np.ndarray) -> Callable[[jnp.ndarray], jnp.ndarray]:
    pp = np.kron(p, p)
    eye = np.eye(4, dtype=np.complex128)

    def m(a: jnp.ndarray) -> jnp.ndarray:
        return jnp.cos(a[0] / 2) * eye - 1j * jnp.sin(a[0] / 2) * pp

    return m


def _controlled(base: Callable[[jnp.ndarray], jnp.ndarray]) -> Callable[[jnp.ndarray], jnp.ndarray]:
    def m(a: jnp.ndarray) -> jnp.ndarray:
        u = base(a)
        top = jnp.concatenate([jnp.eye(2, dtype=u.dtype), jnp.zeros((2, 2), u.dtype)], axis=1)
        bottom = jnp.concatenate([jnp.zeros((2, 2), u.dtype), u], axis=1)
        return jnp.concatenate([top, bottom], axis=0)

    return m


_SINGLE: dict[str, tuple[int, Callable[[jnp.ndarray], jnp.ndarray], bool, str | None]] = {
    # name: (num_params, matrix, diagonal, generator)
    "I": (0, _const(_I2), True, None),
    "X": (0, _const(_X), False, None),
    "Y": (0, _const(_Y), False, None),
    "Z": (0, _const(_Z), True, None),
    "H": (0, _const(_H), False, None),
    "S": (0, _const(_S), True, None),
    "SDG": (0, _const(_S.conj().T), True, None),
    "T": (0, _const(_T), True, None),
    "TDG": (0, _const(_T.conj().T), True, None),
    "SX": (0, _const(_SX), False, None),
    "SXDG": (0, _const(_SX.conj().T), False, None),
    "RX": (1, _rx, False, "X"),
    "RY": (1, _ry, False, "Y"),
    "RZ": (1, _rz, True, "Z"),
    "PHASE": (1, _phase, True, None),
    "U": (3, _u, False, None),
}

GATES: dict[str, GateSpec] = {}
for _name, (_np, _m, _diag, _gen) in _SINGLE.items():
    GATES[_name] = GateSpec(_name, 1, _np, _m, _diag, _gen)
    if _name != "I":
        GATES["C" + _name] = GateSpec("C" + _name, 2, _np, _controlled(_m), _diag, None)

GATES["CNOT"] = GATES["CX"]
GATES["SWAP"] = GateSpec(
    "SWAP",
    2,
    0,
    _const(np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)),
)
GATES["ISWAP"] = GateSpec(
    "ISWAP",
    2,
    0,
    _const(np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]], dtype=complex)),
)
GATES["RXX"] = GateSpec("RXX", 2, 1, _two_pauli_rotation(_X), False, "XX")
GATES["RYY"] = GateSpec("RYY", 2, 1, _two_pauli_rotation(_Y), False, "YY")
GATES["RZZ"] = GateSpec("RZZ", 2, 1, _two_pauli_rotation(_Z), True, "ZZ")
GATES["CCX"] = GateSpec(
    "CCX",
    3,
    0,
    _const(np.block([[np.eye(6), np.zeros((6, 2))], [np.zeros((2, 6)), _X]]).astype(complex)),
)

#: Aliases accepted by `gate_spec` (PennyLane and Qiskit spellings).
ALIASES = {
    "PAULIX": "X",
    "PAULIY": "Y",
    "PAULIZ": "Z",
    "HADAMARD": "H",
    "ADJOINT(S)": "SDG",
    "ADJOINT(T)": "TDG",
    "ADJOINT(SX)": "SXDG",
    "PHASESHIFT": "PHASE",
    "P": "PHASE",
    "U3": "U",
    "CY": "CY",
    "CP": "CPHASE",
    "CPHASESHIFT": "CPHASE",
    "CONTROLLEDPHASESHIFT": "CPHASE",
    "ISINGXX": "RXX",
    "ISINGYY": "RYY",
    "ISINGZZ": "RZZ",
    "TOFFOLI": "CCX",
    "IDENTITY": "I",
    "ID": "I",
}


def gate_spec(name: str) -> GateSpec:
    """Look a gate up by name (case-insensitive, PennyLane/Qiskit aliases accepted).

    Raises:
        ValueError: naming the gate when it is not in the library.
    """
    key = name.upper()
    key = ALIASES.get(key, key)
    if key not in GATES:
        known = ", ".join(sorted(GATES))
        raise ValueError(f"gate: unknown gate {name!r}; expected one of {known}")
    return GATES[key]


def pauli_string_matrix(pauli: str) -> np.ndarray:
    """Dense matrix of a Pauli string such as ``"XZY"`` (first letter = first wire)."""
    m = np.ones((1, 1), dtype=np.complex128)
    for ch in pauli:
        m = np.kron(m, PAULI_MATRICES[ch])
    return m
