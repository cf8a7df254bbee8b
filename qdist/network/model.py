"""The compositional distributed model ([the model][compositional-model]) on the simulator.

**Layers and owners.** The model has ``L`` layers on ``n = ⌈log₂ N⌉`` qubits; layer ℓ is owned by one
party. Alice (party 0) holds the data x ∈ ℝᴺ; her layers are data re-upload layers

    A(θ; x) = W(θ) · D(x),    D(x) = diag(e^{iγ x̃ᵢ}),   x̃ = x / max|xᵢ| zero-padded to 2ⁿ,

(``qdist.data_phase`` over all n wires, x̃ ∈ [−1, 1]), the other parties' layers are trainable. Every
trainable block W is hardware-efficient: RY on every wire, RZ on every wire, then a chain of CNOT (or
CZ) entanglers (2n parameters). With ``model="diag"`` the non-Alice layers also carry a trainable
diagonal ``exp(−i Σ_S α_S Z_S / 2)`` over all 2ⁿ − 1 non-empty wire subsets S (a general diagonal
unitary up to a global phase — an N-parameter "wide" layer, the counterpart of a width-N classical
layer), applied before W; the Z-rotations are ordered by `diag_subsets`.

**Schedules.** ``"pipeline"`` (default): the layers form K contiguous blocks, Alice first, block
sizes as equal as possible (the first ``L mod K`` blocks get one more); the register makes K − 1 hops.
``"interleaved"``: layer ℓ is owned by party ℓ mod K — for K = 2 this is [the model's][compositional-model]
U = B_R A_R ⋯ B_1 A_1 — and the register makes L − 1 hops. Both need K ≤ L (every party owns a
layer). A maximal run of consecutive layers with one owner is a *segment*; hops = segments − 1.

**Readout.** Class c is read out by Z on wire c (``classes`` ≤ n commuting readouts, measured
together in the computational basis). f_c(θ; x) = ⟨x|U† Z_c U|x⟩.

**Isolation.** A [`Party`][qdist.network.model.Party] holds only its own arrays: its parameter slice, its block circuits
(parameter indices relative to its own slice) and — Alice only — the data. It holds no reference to
the other parties or to the model. The register is handed from party to party and each applies its
block with ``simulate_state(block, own_params, state=register, data=own_data)``.
`DistributedModel.flat_circuit` is the same computation as one circuit (global parameters in
layer order, ``data = x̃``, initial state ``|x⟩``) for exact values and other backends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdist.network.spec import (  # noqa: F401 (re-exported: the model's shape lives in spec)
    ENTANGLERS,
    MAX_SIM_QUBITS,
    MODELS,
    SCHEDULES,
    ModelSpec,
    _block,
    _layer_offsets,
    assemble_params,
    diag_subsets,
    flat_circuit,
    layer_ops,
    num_qubits,
    param_index,
    party_blocks,
    split_params,
)
from qdist.network.topology import Network
from qdist.sim.circuit import Circuit
from qdist.sim.execute import state as simulate_state
from qdist.sim.noise import evolve as evolve_density
from qdist.sim.observables import pauli
from qdist.sim.states import amplitude_encode


def normalise_data(x, num_qubits_: int) -> np.ndarray:
    """x̃ = x / max|xᵢ|, zero-padded to 2ⁿ (entries in [−1, 1])."""
    arr = np.asarray(x, dtype=np.float64)
    scale = np.max(np.abs(arr))
    if scale == 0:
        raise ValueError("x: cannot encode the zero vector")
    return np.pad(arr / scale, (0, 2**num_qubits_ - arr.shape[0]))


def encode_samples(spec: ModelSpec, x) -> tuple[np.ndarray, np.ndarray]:
    """``(|x⟩ (B, 2ⁿ), x̃ (B, 2ⁿ))`` for a batch of samples ``(B, N)``: Alice's amplitude encoding and
    her re-upload data ``x̃ = x/max|xᵢ|`` zero-padded (what `Party.prepare` and `normalise_data` do
    for one sample). An all-zero row (possible after scaling) is encoded as the all-ones vector."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if x.shape[1] != spec.features:
        raise ValueError(f"x: expected {spec.features} features, got {x.shape[1]}")
    zero = ~np.any(x != 0, axis=1)
    if zero.any():
        x = x.copy()
        x[zero] = 1.0
    states, _ = amplitude_encode(x, num_qubits=spec.n)
    data = np.pad(x / np.max(np.abs(x), axis=1, keepdims=True), ((0, 0), (0, 2**spec.n - x.shape[1])))
    return np.asarray(states), data


# ------------------------------------------------------------------------------------------------
# parties
# ------------------------------------------------------------------------------------------------


class Party:
    """One party: its name, its own parameter slice and block circuits, and (Alice only) the data.

    The attributes are private; [`params`][qdist.network.model.Party.params] is a read-only copy. The party has no reference to
    the other parties, to the model, or (unless it is Alice) to x.
    """

    __slots__ = ("name", "index", "_params", "_blocks", "_x", "_data", "_register", "_norm")

    def __init__(self, name: str, index: int, params, blocks: dict[int, Circuit], x=None):
        self.name = name
        self.index = index
        p = np.array(params, dtype=np.float64)
        p.setflags(write=False)
        self._params = p
        self._blocks = dict(blocks)
        for seg, c in self._blocks.items():
            if c.num_params != p.shape[0]:
                raise ValueError(f"params: block {seg} of {name} expects {c.num_params} parameters")
            if c.num_data and x is None:
                raise ValueError(f"x: block {seg} of {name} re-uploads data but the party holds none")
        self._x = self._data = self._register = self._norm = None
        if x is not None:
            n = next(iter(self._blocks.values())).num_qubits
            register, norm = amplitude_encode(np.asarray(x, dtype=np.float64), num_qubits=n)
            self._x = np.array(x, dtype=np.float64)
            self._x.setflags(write=False)
            self._data = normalise_data(self._x, n)
            self._data.setflags(write=False)
            self._register = np.asarray(register)
            self._norm = float(norm)

    @property
    def params(self) -> np.ndarray:
        """A read-only view of this party's own parameters."""
        return self._params

    @property
    def num_params(self) -> int:
        return int(self._params.shape[0])

    @property
    def segments(self) -> tuple[int, ...]:
        return tuple(sorted(self._blocks))

    @property
    def holds_data(self) -> bool:
        return self._x is not None

    def block(self, segment: int) -> Circuit:
        return self._blocks[segment]

    def prepare(self) -> tuple[np.ndarray, float]:
        """Alice: the amplitude-encoded register ``|x⟩`` and the classical side value ``‖x‖``."""
        if self._register is None:
            raise ValueError(f"party: {self.name} holds no data to encode")
        return self._register, self._norm

    def apply(self, segment: int, register) -> np.ndarray:
        """Apply this party's block for ``segment`` to the register it received."""
        if segment not in self._blocks:
            raise ValueError(f"segment: {self.name} owns segments {self.segments}, not {segment}")
        block = self._blocks[segment]
        data = self._data if block.num_data else None
        return simulate_state(block, self._params, state=register, data=data)

    def apply_density(self, segment: int, rho) -> np.ndarray:
        """Apply this party's block for ``segment`` to a density-matrix register: ``U ρ U†``
        ([`qdist.sim.noise.evolve`][qdist.sim.noise.evolve]; noisy links, [link models][link-models])."""
        if segment not in self._blocks:
            raise ValueError(f"segment: {self.name} owns segments {self.segments}, not {segment}")
        block = self._blocks[segment]
        return evolve_density(block, self._params, rho, data=self._data if block.num_data else None)

    def with_params(self, params) -> Party:
        """A new party with updated parameters (same blocks, same data)."""
        new = Party.__new__(Party)
        p = np.array(params, dtype=np.float64)
        if p.shape != self._params.shape:
            raise ValueError(f"params: {self.name} expects shape {self._params.shape}, got {p.shape}")
        p.setflags(write=False)
        for slot in Party.__slots__:
            setattr(new, slot, getattr(self, slot))
        new._params = p
        return new

    def __repr__(self) -> str:
        return f"Party({self.name!r}, params={self.num_params}, segments={self.segments}, data={self.holds_data})"


@dataclass(frozen=True, eq=False)
class DistributedModel:
    """The parties of one model instance, their network and the readouts."""

    spec: ModelSpec
    network: Network
    parties: tuple[Party, ...]

    @property
    def alice(self) -> Party:
        return self.parties[0]

    def owner_of(self, segment: int) -> Party:
        return self.parties[self.spec.segments[segment][0]]

    def readout(self, cls: int = 0):
        """Z on wire ``cls``."""
        if not 0 <= cls < self.spec.classes:
            raise ValueError(f"cls: expected 0 ≤ cls < {self.spec.classes}, got {cls}")
        return pauli("Z", wires=(cls,))

    # ---- the flattened single circuit (reference / other backends) -----------------------------
    def flat_circuit(self) -> Circuit:
        return flat_circuit(self.spec)

    def flat_params(self) -> np.ndarray:
        """Global θ assembled from every party (an outside, simulation-only view)."""
        return assemble_params(self.spec, [p.params for p in self.parties])

    def flat_data(self) -> np.ndarray:
        """x̃ as used by the data re-upload ops (Alice's data)."""
        return np.asarray(self.alice._data)

    def initial_state(self) -> np.ndarray:
        return self.alice.prepare()[0]

    def with_party_params(self, party_params) -> DistributedModel:
        parties = tuple(p.with_params(v) for p, v in zip(self.parties, party_params, strict=True))
        return DistributedModel(self.spec, self.network, parties)

    def exact_values(self) -> np.ndarray:
        """Exact f_c for every class on the flattened circuit (simulation-only reference)."""
        psi = simulate_state(
            self.flat_circuit(), self.flat_params(), state=self.initial_state(), data=self.flat_data()
        )
        return z_expectations(psi, self.spec.n, self.spec.classes)


def _marginals(table: np.ndarray, n: int, classes: int) -> list[np.ndarray]:
    """The one-wire marginals ``(2,)`` of wires 0 … classes − 1 of a ``(2ⁿ,)`` table."""
    t = np.asarray(table).reshape((2,) * n)
    return [t.sum(axis=tuple(w for w in range(n) if w != c)) for c in range(classes)]


def z_from_probabilities(probs, n: int, classes: int) -> np.ndarray:
    """⟨Z_c⟩ = P(wire c = 0) − P(wire c = 1) for c < classes from outcome probabilities ``(2ⁿ,)``."""
    return np.asarray([float(m[0] - m[1]) for m in _marginals(probs, n, classes)])


def sample_z_from_probabilities(probs, n: int, classes: int, shots: int, seed: int) -> np.ndarray:
    """Means of the ±1 outcomes of Z_0 … Z_{m−1} over ``shots`` computational-basis measurements
    drawn exactly (multinomial over the 2ⁿ outcomes) from the probabilities ``probs`` ``(2ⁿ,)``."""
    probs = np.asarray(probs)
    counts = np.random.default_rng(seed).multinomial(shots, probs / probs.sum())
    return np.asarray([(int(m[0]) - int(m[1])) / shots for m in _marginals(counts, n, classes)])


def z_expectations(psi, n: int, classes: int) -> np.ndarray:
    """⟨Z_c⟩ for c < classes from a state vector."""
    return z_from_probabilities(np.abs(np.asarray(psi)) ** 2, n, classes)


def build_model(spec: ModelSpec, x, params) -> DistributedModel:
    """Parties from data x (length N, given to Alice only) and parameters: a global vector (layer
    order) or a sequence with one vector per party."""
    if spec.n > MAX_SIM_QUBITS:
        raise ValueError(
            f"features: simulation is limited to n ≤ {MAX_SIM_QUBITS} qubits (N ≤ 2^{MAX_SIM_QUBITS}), "
            f"got N = {spec.features}; the closed-form costs have no limit"
        )
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (spec.features,):
        raise ValueError(f"x: expected shape ({spec.features},), got {x.shape}")
    if isinstance(params, (list, tuple)) and len(params) == spec.parties:
        own = [np.asarray(p, dtype=np.float64) for p in params]
        assemble_params(spec, own)  # validates shapes
    else:
        own = split_params(spec, params)
    names = spec.party_names
    parties = tuple(
        Party(names[k], k, own[k], party_blocks(spec, k), x=x if k == 0 else None)
        for k in range(spec.parties)
    )
    return DistributedModel(spec, spec.network(), parties)


def random_instance(spec: ModelSpec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, θ)``: x ~ N(0, 1)ᴺ and θ ~ U(−π, π)ᴾ from ``seed``."""
    if spec.n > MAX_SIM_QUBITS:
        raise ValueError(
            f"features: simulation is limited to n ≤ {MAX_SIM_QUBITS} qubits, got N = {spec.features}"
        )
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x9D15]))
    x = rng.normal(size=spec.features)
    theta = rng.uniform(-np.pi, np.pi, spec.num_params)
    return x, theta


def random_model(spec: ModelSpec, seed: int) -> DistributedModel:
    """A model instance with random data and parameters from ``seed``."""
    x, theta = random_instance(spec, seed)
    return build_model(spec, x, theta)


__all__ = [
    "DistributedModel",
    "ModelSpec",
    "Party",
    "assemble_params",
    "build_model",
    "encode_samples",
    "flat_circuit",
    "layer_ops",
    "normalise_data",
    "num_qubits",
    "param_index",
    "party_blocks",
    "random_instance",
    "random_model",
    "split_params",
    "sample_z_from_probabilities",
    "z_expectations",
    "z_from_probabilities",
]
