"""The one table of measurement bases: Pauli letter → rotation onto the computational basis.

Measuring the Pauli letter ``P`` on a wire means rotating its eigenbasis onto Z's and reading the
bit, outcome ``0`` ↔ eigenvalue ``+1``: ``X`` by ``H``, ``Y`` by ``H·S†``, ``Z`` by nothing. The same
rotations appear in three forms, all derived here from `ROTATIONS`:

* as matrices (`ROTATIONS`, indexed by the recipe code ``0 = X, 1 = Y, 2 = Z`` of PennyLane's
  classical shadows);
* as fixed gates (`basis_gates`: ``H`` for X, ``S†`` then ``H`` for Y);
* as the two angles ``(θ, λ)`` of a ``U(θ, 0, λ)`` gate (`BASIS_ANGLES`), so that random bases are
  parameter bindings of one circuit.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BASIS_ANGLES", "LETTER_CODE", "LETTERS", "ROTATIONS", "basis_gates", "u_matrix"]

_SQ = 1.0 / math.sqrt(2.0)
LETTERS = ("X", "Y", "Z")
#: recipe code of each letter (PennyLane's ``ClassicalShadow`` convention)
LETTER_CODE = {"X": 0, "Y": 1, "Z": 2}
#: ``ROTATIONS[r]`` rotates the eigenbasis of letter ``r`` onto Z's: H, H·S†, I.
ROTATIONS = np.array(
    [
        [[_SQ, _SQ], [_SQ, -_SQ]],
        [[_SQ, -1j * _SQ], [_SQ, 1j * _SQ]],
        [[1.0, 0.0], [0.0, 1.0]],
    ],
    dtype=np.complex128,
)
ROTATIONS.flags.writeable = False
#: ``(θ, λ)`` of ``U(θ, 0, λ)`` equal to ``ROTATIONS[r]`` up to a global phase
BASIS_ANGLES = np.array([[math.pi / 2, math.pi], [math.pi / 2, math.pi / 2], [0.0, 0.0]])
BASIS_ANGLES.flags.writeable = False


def u_matrix(theta: float, phi: float, lam: float) -> np.ndarray:
    """Qiskit's ``U(θ, φ, λ)`` as a 2×2 matrix (used to check `BASIS_ANGLES` against `ROTATIONS`)."""
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [[c, -np.exp(1j * lam) * s], [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c]],
        dtype=np.complex128,
    )


def basis_gates(letter: str) -> tuple[str, ...]:
    """Names of the fixed one-qubit gates (applied in order) that rotate ``letter`` onto Z."""
    if letter == "X":
        return ("H",)
    if letter == "Y":
        return ("SDG", "H")
    if letter == "Z":
        return ()
    raise ValueError(f"basis: expected Pauli letters X, Y, Z, got {letter!r}")
