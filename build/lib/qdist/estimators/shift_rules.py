"""Parameter-shift rules for every qdist gate angle.

For an angle whose generator has eigenvalue differences (frequencies) ``Ω = ω·{1..R}``, the
equidistant rule (Wierichs et al. 2022) ``∂f = Σ_{μ=1}^{2R} ω(−1)^{μ−1}/(4R sin²(x_μ/2)) ·
f(φ + x_μ/ω)``, ``x_μ = (2μ−1)π/(2R)``, is exact; Pauli rotations are the case ``R = 1``,
``ω = 1`` (shifts ``±π/2``, coefficients ``±1/2``). Derivation:
[parameter shift][exact-and-parameter-shift].
"""

from __future__ import annotations

import math
from functools import lru_cache

import jax.numpy as jnp
import numpy as np

from qdist.precision import x64
from qdist.sim.circuit import Op
from qdist.sim.gates import gate_spec

__all__ = ["shift_rule"]


@lru_cache(maxsize=256)
@x64
def _gate_frequencies(name: str, pos: int) -> tuple[float, ...]:
    """Positive frequencies of ``f`` in angle ``pos`` of gate ``name``: differences of the
    eigenvalues of ``G = i M†∂M`` (``∂M`` by a central difference, step 1e-5, error ~1e-10; the
    spectrum is checked angle-independent at three random points, rounded to 1e-6)."""
    spec = gate_spec(name)
    rng = np.random.default_rng(7)
    h = 1e-5
    found = None
    for _ in range(3):
        a = rng.uniform(-np.pi, np.pi, spec.num_params)
        e = np.zeros_like(a)
        e[pos] = h
        m = np.asarray(spec.matrix(jnp.asarray(a)))
        dm = (np.asarray(spec.matrix(jnp.asarray(a + e))) - np.asarray(spec.matrix(jnp.asarray(a - e)))) / (
            2 * h
        )
        g = 1j * m.conj().T @ dm
        ev = np.linalg.eigvalsh((g + g.conj().T) / 2)
        diffs = np.abs(ev[:, None] - ev[None, :]).ravel()
        freqs = np.unique(np.round(diffs[diffs > 1e-6], 6))
        if found is not None and (freqs.shape != found.shape or not np.allclose(freqs, found, atol=1e-6)):
            return ()
        found = freqs
    return tuple(float(x) for x in found)


def shift_rule(op: Op, pos: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(shifts, coefficients)`` with ``∂f/∂φ = Σ_μ c_μ f(φ + s_μ)`` for angle ``pos`` of ``op``.

    * Pauli-rotation generators (RX, RY, RZ, RXX, RYY, RZZ, pauli_rot): ``s = ±π/2``, ``c = ±1/2``.
    * Other gates: the equidistant rule of the module docstring: ``R = 1`` (2 terms, shift ±π/2)
      for PHASE, CPHASE and every angle of U; ``R = 2``, ``ω = 1/2`` (4 terms, shifts ±π/2, ±3π/2,
      coefficients ±(2±√2)/8) for CRX, CRY, CRZ and the θ of CU. No decomposition is needed.
    """
    if op.kind == "pauli_rot" or (op.kind == "gate" and gate_spec(op.name).generator is not None):
        return (math.pi / 2, -math.pi / 2), (0.5, -0.5)
    freqs = _gate_frequencies(gate_spec(op.name).name, pos) if op.kind == "gate" else ()
    if not freqs:
        raise ValueError(f"circuit: no parameter-shift rule for angle {pos} of op {op.name}")
    omega = freqs[0]
    ratios = np.asarray(freqs) / omega
    R = int(round(ratios[-1]))
    if not np.allclose(ratios, np.round(ratios), atol=1e-6) or R > 8:
        raise ValueError(f"circuit: no equidistant parameter-shift rule for angle {pos} of op {op.name}")
    period = 2 * math.pi / omega
    shifts, coeffs = [], []
    for mu in range(1, 2 * R + 1):
        x = (2 * mu - 1) * math.pi / (2 * R)
        s = x / omega
        s = s - period if s > period / 2 else s
        shifts.append(s)
        coeffs.append(omega * (-1) ** (mu - 1) / (4 * R * math.sin(x / 2) ** 2))
    return tuple(shifts), tuple(coeffs)
