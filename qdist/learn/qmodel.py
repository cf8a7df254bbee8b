"""The distributed quantum classifier on the simulator, batched over samples (DESIGN.md §2, §4).

**Model.** The network layer's compositional model (:class:`qdist.network.ModelSpec`,
``model="hea"``): Alice amplitude-encodes x into |x⟩ on n = ⌈log₂ N⌉ qubits; her layers are data
re-uploads D(x) = diag(e^{iγx̃}) followed by trainable RY/RZ rotations and a CNOT chain; the other
parties' layers are trainable rotations and entanglers. Readout ``c`` is ⟨Z_c⟩ on wire c:
one readout for a binary task, one per class otherwise (at most n classes). A classical head,
held by the last party, turns readouts into logits: ``z_c = scale_c · f_c + bias_c``.

**Batched simulation.** The flattened circuit (:func:`qdist.network.model.flat_circuit`, the same
unitary the parties apply block by block) is cut at the end of every *gate layer* (the layers of
:func:`shadows.layers.find_layers`: RY on every wire, then RZ on every wire). With pieces
``U = V_G ⋯ V_1 V_0`` the functions below — built from :func:`qdist.state_fn` of the pieces and of
their inverses, jitted once and ``vmap``-ed over samples (data re-uploaded through the run-time
``data`` argument) — return for every sample:

* the final state's computational-basis probabilities (inference: ⟨Z_c⟩ and shot sampling);
* for every readout c and gate layer ℓ, the outcome distribution of the ancilla state
  ``|Φ_ℓc⟩ = (|a_ℓ⟩|0⟩ + |b_ℓc⟩|1⟩)/√2`` with ``|a_ℓ⟩ = V_ℓ⋯V_0|x⟩`` and
  ``|b_ℓc⟩ = V_{ℓ+1}†⋯V_G† Z_c U|x⟩``, measured in the layer's product basis (each wire in the
  letter of its rotation generator, the ancilla in Y) — exactly the distribution the ``"shadow"``
  estimator samples (:func:`shadows.gradients.shadow_gradient`, ``basis="derandomized"``; the
  tests compare the arrays). With ``V[o, j] = ±1`` the value of ``P_j ⊗ Y_anc`` on outcome o,
  ``∂f_c/∂θ_j = −Σ_o p(o)·V[o, j]`` (DESIGN §4.2): the exact gradient is this expectation (an
  adjoint sweep), the shadow estimate its empirical mean over ``shots`` multinomial samples.
* ⟨Z_c⟩ at a batch of parameter vectors per sample (parameter shift: θ ± π/2·e_j; SPSA: θ ± cΔ),
  from which shot estimates are drawn as Binomial(shots, (1 + f)/2) — the distribution the
  ``"param-shift"`` and ``"spsa"`` estimators sample for a one-qubit Z readout.

Everything sampled uses an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

import qdist
from qdist.network.model import ModelSpec, flat_circuit
from qdist.sim.circuit import Circuit

_SQ = 1.0 / math.sqrt(2.0)
#: rotation into the eigenbasis of a Pauli letter (outcome 0 ↔ eigenvalue +1): H, H·S†, I.
BASIS_ROTATION = {
    "X": np.array([[_SQ, _SQ], [_SQ, -_SQ]], dtype=np.complex128),
    "Y": np.array([[_SQ, -1j * _SQ], [_SQ, 1j * _SQ]], dtype=np.complex128),
}


@dataclass(frozen=True)
class GateLayer:
    """A layer of one-qubit Pauli rotations on distinct wires, ending before op ``stop``."""

    stop: int
    params: tuple[int, ...]  # θ index of each rotation
    wires: tuple[int, ...]  # its wire
    letters: tuple[str, ...]  # its generator letter


def _gate_layers(circuit: Circuit) -> tuple[GateLayer, ...] | None:
    """The shadow estimator's layers, or ``None`` if a trainable op is not a one-qubit Pauli
    rotation with one unit-coefficient parameter of its own (then only the protocol engine works)."""
    from shadows.layers import angle_slots, find_layers

    try:
        layers = find_layers(circuit, "shadow")
    except ValueError:
        return None
    slots = angle_slots(circuit)
    seen = set()
    for s in slots:
        if s.coeff != 1.0 or s.offset != 0.0 or s.index in seen:
            return None
        seen.add(s.index)
    out = []
    for layer in layers:
        params, wires, letters = [], [], []
        for word, j in zip(layer.words, layer.slots, strict=True):
            if len(word) != 1:
                return None
            ((w, p),) = word
            params.append(slots[j].index)
            wires.append(w)
            letters.append(p)
        out.append(GateLayer(layer.stop, tuple(params), tuple(wires), tuple(letters)))
    return tuple(out)


def _apply_1q(psi: jnp.ndarray, mat: np.ndarray, wire: int, n: int) -> jnp.ndarray:
    t = psi.reshape((2**wire, 2, 2 ** (n - wire - 1)))
    return jnp.einsum("ij,ajb->aib", jnp.asarray(mat), t).reshape(-1)


class QuantumClassifier:
    """Batched simulation of one :class:`ModelSpec` (see the module docstring).

    Args:
        spec: the network model (``classes`` = number of readouts).
        num_classes: classes of the task (2 → one readout, logistic; M ≥ 3 → M readouts, softmax).
    """

    def __init__(self, spec: ModelSpec, num_classes: int):
        if num_classes < 2:
            raise ValueError(f"classes: expected at least 2 classes, got {num_classes}")
        readouts = 1 if num_classes == 2 else num_classes
        if spec.classes != readouts:
            raise ValueError(f"classes: the model has {spec.classes} readouts; the task needs {readouts}")
        self.spec = spec
        self.num_classes = num_classes
        self.readouts = readouts
        self.n = spec.n
        self.dim = 2**spec.n
        self.circuit = flat_circuit(spec)
        self.layers = _gate_layers(self.circuit)
        n, D = self.n, self.dim
        idx = np.arange(D)
        #: Z_c eigenvalue of each basis state, (D, m)
        self.z_signs = np.stack([1.0 - 2.0 * ((idx >> (n - 1 - c)) & 1) for c in range(readouts)], axis=1)

    # ---- encoding ---------------------------------------------------------------------------------
    def encode(self, x) -> tuple[jnp.ndarray, jnp.ndarray]:
        """``(|x⟩ (B, 2ⁿ), x̃ (B, 2ⁿ))``: amplitude encoding and the re-upload data
        x̃ = x/max|xᵢ| zero-padded (:func:`qdist.network.model.normalise_data`). An all-zero row
        (possible after scaling) is encoded as the all-ones vector over its N features."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[1] != self.spec.features:
            raise ValueError(f"x: expected {self.spec.features} features, got {x.shape[1]}")
        zero = ~np.any(x != 0, axis=1)
        if zero.any():
            x = x.copy()
            x[zero] = 1.0
        states, _ = qdist.amplitude_encode(x, num_qubits=self.n)
        pad = self.dim - x.shape[1]
        data = np.pad(x / np.max(np.abs(x), axis=1, keepdims=True), ((0, 0), (0, pad)))
        return jnp.asarray(states), jnp.asarray(data)

    # ---- circuit pieces ----------------------------------------------------------------------------
    @property
    def supports_batched(self) -> bool:
        return self.layers is not None

    @cached_property
    def _pieces(self):
        c = self.circuit
        bounds = [0, *[layer.stop for layer in self.layers], len(c.ops)]
        pieces = [
            Circuit(c.num_qubits, c.ops[a:b], c.num_params, c.num_data) for a, b in zip(bounds, bounds[1:])
        ]
        fwd = [qdist.state_fn(p) for p in pieces]
        inv = [qdist.state_fn(p.inverse()) for p in pieces]
        return fwd, inv

    def _layer_one(self, theta, psi0, data):
        """One sample: final probabilities (D,) and ancilla-state outcome distributions (m, G, 2D)."""
        fwd, inv = self._pieces
        n = self.n
        a = []
        psi = psi0
        for f in fwd[:-1]:
            psi = f(theta, psi, data)
            a.append(psi)
        psi = fwd[-1](theta, psi, data)
        probs = jnp.abs(psi) ** 2
        lam = jnp.asarray(self.z_signs.T) * psi[None, :]  # Z_c ψ, (m, D)
        G = len(self.layers)
        b = [None] * G
        for k in range(G, 0, -1):
            lam = jax.vmap(inv[k], in_axes=(None, 0, None))(theta, lam, data)
            b[k - 1] = lam
        out = []
        for k, layer in enumerate(self.layers):
            ra, rb = a[k], b[k]
            for w, letter in zip(layer.wires, layer.letters, strict=True):
                if letter != "Z":
                    mat = BASIS_ROTATION[letter]
                    ra = _apply_1q(ra, mat, w, n)
                    rb = jax.vmap(lambda v, mat=mat, w=w: _apply_1q(v, mat, w, n))(rb)
            p0 = jnp.abs(ra[None, :] - 1j * rb) ** 2 / 4.0
            p1 = jnp.abs(ra[None, :] + 1j * rb) ** 2 / 4.0
            out.append(jnp.stack([p0, p1], axis=-1).reshape(self.readouts, 2 * self.dim))
        return probs, jnp.stack(out, axis=1)

    @cached_property
    def layer_probabilities(self):
        """Jitted ``(θ, states (B, D), data (B, D)) -> (probs (B, D), ancilla probs (B, m, G, 2D))``."""
        if not self.supports_batched:
            raise ValueError(
                "model: the batched simulation needs one-qubit Pauli-rotation layers (model='hea')"
            )
        return jax.jit(jax.vmap(self._layer_one, in_axes=(None, 0, 0)))

    @cached_property
    def final_probabilities(self):
        """Jitted ``(θ, states (B, D), data (B, D)) -> probs (B, D)``."""
        f = qdist.state_fn(self.circuit)
        return jax.jit(jax.vmap(lambda t, s, d: jnp.abs(f(t, s, d)) ** 2, in_axes=(None, 0, 0)))

    @cached_property
    def shifted_readouts(self):
        """Jitted ``(θs (B, K, P), states (B, D), data (B, D)) -> ⟨Z_c⟩ (B, K, m)``."""
        f = qdist.state_fn(self.circuit)
        zs = jnp.asarray(self.z_signs)

        def one(t, s, d):
            return (jnp.abs(f(t, s, d)) ** 2) @ zs

        inner = jax.vmap(one, in_axes=(0, None, None))
        return jax.jit(jax.vmap(inner, in_axes=(0, 0, 0)))

    @cached_property
    def value_matrices(self) -> np.ndarray:
        """``V`` (G, 2D, k): value ±1 of ``P_j ⊗ Y_anc`` on each outcome o = 2x + c of layer ℓ."""
        n, D = self.n, self.dim
        o = np.arange(2 * D)
        x, c = o >> 1, o & 1
        out = []
        for layer in self.layers:
            cols = [(1.0 - 2.0 * ((x >> (n - 1 - w)) & 1)) * (1.0 - 2.0 * c) for w in layer.wires]
            out.append(np.stack(cols, axis=1))
        return np.stack(out)

    @cached_property
    def layer_params(self) -> np.ndarray:
        """θ index of every rotation, (G, k)."""
        return np.asarray([layer.params for layer in self.layers], dtype=np.int64)

    # ---- readouts and gradients ----------------------------------------------------------------------
    def readouts_from_probs(self, probs) -> np.ndarray:
        """⟨Z_c⟩ (B, m) from computational-basis probabilities (B, D)."""
        return np.asarray(probs) @ self.z_signs

    def sample_readouts(self, probs, shots: int, rng: np.random.Generator) -> np.ndarray:
        """Shot estimates of ⟨Z_c⟩: ``shots`` computational-basis outcomes per sample drawn from the
        multinomial of ``probs`` (as :func:`qdist.network.protocols.sample_z`)."""
        counts = rng.multinomial(int(shots), _normalise(np.asarray(probs)))
        return counts @ self.z_signs / shots

    def layer_gradients(self, anc_probs, shots: int | None, rng: np.random.Generator | None) -> np.ndarray:
        """∂f_c/∂θ (B, m, P) from the ancilla distributions: exact (``shots=None``) or the
        layer-shadow estimate with ``shots`` copies of every |Φ_ℓc⟩."""
        p = np.asarray(anc_probs)
        if shots is not None:
            p = rng.multinomial(int(shots), _normalise(p)) / shots
        deriv = -np.einsum("bmgo,gok->bmgk", p, self.value_matrices)
        B, m = p.shape[:2]
        g = np.zeros((B, m, self.spec.num_params))
        g[:, :, self.layer_params.reshape(-1)] = deriv.reshape(B, m, -1)
        return g

    def param_shift_gradients(self, theta, states, data, shots: int | None, rng) -> np.ndarray:
        """Parameter-shift ∂f_c/∂θ (B, m, P): ½[f̂(θ + π/2·e_j) − f̂(θ − π/2·e_j)], each f̂ from
        ``shots`` shots (Binomial), one independent run per readout."""
        P = self.spec.num_params
        B = states.shape[0]
        shifts = np.concatenate([np.eye(P), -np.eye(P)]) * (math.pi / 2)
        thetas = np.broadcast_to(np.asarray(theta)[None, None, :] + shifts[None], (B, 2 * P, P))
        f = np.asarray(self.shifted_readouts(jnp.asarray(thetas), states, data))  # (B, 2P, m)
        if shots is not None:
            f = _binomial_means(f, shots, rng)
        g = 0.5 * (f[:, :P, :] - f[:, P:, :])
        return np.transpose(g, (0, 2, 1))

    def spsa_gradients(
        self, theta, states, data, shots: int | None, rng, samples: int, c: float
    ) -> np.ndarray:
        """SPSA estimates (B, m, P): per readout, ``samples`` Rademacher directions Δ and
        ĝ = mean_k [f̂(θ + cΔ_k) − f̂(θ − cΔ_k)]/(2c)·Δ_k (as :func:`shadows.gradients.spsa_gradient`)."""
        P, m = self.spec.num_params, self.readouts
        B = states.shape[0]
        delta = rng.choice(np.array([-1.0, 1.0]), size=(B, m, samples, P))
        th = np.asarray(theta)
        plus, minus = th + c * delta, th - c * delta
        thetas = np.concatenate([plus, minus], axis=2).reshape(B, m * 2 * samples, P)
        f = np.asarray(self.shifted_readouts(jnp.asarray(thetas), states, data))  # (B, m·2S, m)
        f = f.reshape(B, m, 2 * samples, m)
        f = np.stack([f[:, c_, :, c_] for c_ in range(m)], axis=1)  # readout c of run c: (B, m, 2S)
        if shots is not None:
            f = _binomial_means(f, shots, rng)
        diff = (f[:, :, :samples] - f[:, :, samples:]) / (2 * c)
        return np.mean(diff[..., None] * delta, axis=2)


def _normalise(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, None)
    return p / p.sum(axis=-1, keepdims=True)


def _binomial_means(f: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Mean of ``shots`` ±1 outcomes with P(+1) = (1 + f)/2."""
    p = np.clip((1.0 + f) / 2.0, 0.0, 1.0)
    return 2.0 * rng.binomial(int(shots), p) / shots - 1.0


_CACHE: dict[tuple, QuantumClassifier] = {}


def classifier(spec: ModelSpec, num_classes: int) -> QuantumClassifier:
    """Cached :class:`QuantumClassifier` (compiled functions are reused across runs of one process)."""
    key = (spec, num_classes)
    if key not in _CACHE:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = QuantumClassifier(spec, num_classes)
    return _CACHE[key]


__all__ = ["GateLayer", "QuantumClassifier", "classifier"]
