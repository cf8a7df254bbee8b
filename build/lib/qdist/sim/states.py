"""Initial states: ``|0…0⟩``, amplitude encoding of a real vector, or a given state vector."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from qdist.precision import x64
from qdist.validate import check_int


def num_qubits_for(num_features: int) -> int:
    """``n = ⌈log₂ N⌉`` qubits to amplitude-encode N features (at least 1) — [the model][compositional-model]."""
    if int(num_features) < 1:
        raise ValueError(f"num_features: expected N ≥ 1, got {num_features}")
    return max(1, (int(num_features) - 1).bit_length())  # exact integer ⌈log₂ N⌉ (no float rounding)


@x64
def zero_state(num_qubits: int, dtype=jnp.complex128) -> jnp.ndarray:
    """``|0…0⟩`` as a flat vector of length ``2ⁿ``."""
    return jnp.zeros(2**num_qubits, dtype=dtype).at[0].set(1.0)


@x64
def amplitude_encode(x, num_qubits: int | None = None, dtype=jnp.complex128):
    """Amplitude encoding ``|x⟩ = Σᵢ xᵢ|i⟩/‖x‖`` zero-padded to ``2ⁿ`` ([the model][compositional-model]).

    Args:
        x: real vector of length N, or a batch ``(B, N)``.
        num_qubits: register size; default ``⌈log₂ N⌉``.

    Returns:
        ``(state, norm)``: the normalised state(s) of length ``2ⁿ`` and ``‖x‖`` (the classical side
        value that must be counted when it is sent).

    Raises:
        ValueError: ``x`` empty, complex, non-finite, all zero, or longer than ``2**num_qubits``.
    """
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise ValueError("x: expected a real vector for amplitude encoding, got complex values")
    arr = arr.astype(np.float64)
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ValueError(f"x: expected a non-empty vector (N,) or batch (B, N), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("x: expected finite values, got NaN or inf")
    n = num_qubits_for(arr.shape[-1]) if num_qubits is None else check_int("num_qubits", num_qubits, 1)
    if arr.shape[-1] > 2**n:
        raise ValueError(f"x: {arr.shape[-1]} features do not fit {n} qubits (at most {2**n})")
    norm = np.linalg.norm(arr, axis=-1)
    if np.any(norm == 0):
        raise ValueError("x: cannot amplitude-encode the zero vector (‖x‖ = 0)")
    pad = [(0, 0)] * (arr.ndim - 1) + [(0, 2**n - arr.shape[-1])]
    state = np.pad(arr / norm[..., None], pad)
    return jnp.asarray(state, dtype=dtype), norm


@x64
def as_state(state, num_qubits: int, dtype=jnp.complex128) -> jnp.ndarray:
    """Validate a given state vector (or batch) of ``num_qubits`` qubits; it must be normalised."""
    if isinstance(state, jax.core.Tracer):
        s = jnp.asarray(state, dtype=dtype)
    else:
        s = np.asarray(state, dtype=np.dtype(dtype))
    if s.ndim not in (1, 2) or s.shape[-1] != 2**num_qubits:
        raise ValueError(f"state: expected shape ({2**num_qubits},) or (B, {2**num_qubits}), got {s.shape}")
    if isinstance(s, jax.core.Tracer):
        return s
    norms = np.linalg.norm(s, axis=-1)
    if not np.allclose(norms, 1.0, atol=1e-6):
        raise ValueError("state: expected a normalised state vector (‖ψ‖ = 1)")
    return s
