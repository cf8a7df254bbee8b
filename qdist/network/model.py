"""The compositional distributed model of DESIGN.md §2 on the simulator.

**Layers and owners.** The model has ``L`` layers on ``n = ⌈log₂ N⌉`` qubits; layer ℓ is owned by one
party. Alice (party 0) holds the data x ∈ ℝᴺ; her layers are data re-upload layers

    A(θ; x) = W(θ) · D(x),    D(x) = diag(e^{iγ x̃ᵢ}),   x̃ = x / max|xᵢ| zero-padded to 2ⁿ,

(``qdist.data_phase`` over all n wires, x̃ ∈ [−1, 1]), the other parties' layers are trainable. Every
trainable block W is hardware-efficient: RY on every wire, RZ on every wire, then a chain of CNOT (or
CZ) entanglers (2n parameters). With ``model="diag"`` the non-Alice layers also carry a trainable
diagonal ``exp(−i Σ_S α_S Z_S / 2)`` over all 2ⁿ − 1 non-empty wire subsets S (a general diagonal
unitary up to a global phase — an N-parameter "wide" layer, the counterpart of a width-N classical
layer), applied before W; the Z-rotations are ordered by :func:`diag_subsets`.

**Schedules.** ``"pipeline"`` (default): the layers form K contiguous blocks, Alice first, block
sizes as equal as possible (the first ``L mod K`` blocks get one more); the register makes K − 1 hops.
``"interleaved"``: layer ℓ is owned by party ℓ mod K — for K = 2 this is DESIGN §2's
U = B_R A_R ⋯ B_1 A_1 — and the register makes L − 1 hops. Both need K ≤ L (every party owns a
layer). A maximal run of consecutive layers with one owner is a *segment*; hops = segments − 1.

**Readout.** Class c is read out by Z on wire c (``classes`` ≤ n commuting readouts, measured
together in the computational basis). f_c(θ; x) = ⟨x|U† Z_c U|x⟩.

**Isolation.** A :class:`Party` holds only its own arrays: its parameter slice, its block circuits
(parameter indices relative to its own slice) and — Alice only — the data. It holds no reference to
the other parties or to the model. The register is handed from party to party and each applies its
block with ``qdist.state(block, own_params, state=register, data=own_data)``.
:meth:`DistributedModel.flat_circuit` is the same computation as one circuit (global parameters in
layer order, ``data = x̃``, initial state ``|x⟩``) for exact values and other backends.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

import qdist
from qdist.network.topology import Network, party_names, pipeline
from qdist.sim.circuit import Circuit, Op

SCHEDULES = ("pipeline", "interleaved")
#: Largest register the protocols simulate (state vectors of 2ⁿ amplitudes); the closed forms of
#: :mod:`qdist.network.costs` have no limit.
MAX_SIM_QUBITS = 20
MODELS = ("hea", "diag")
ENTANGLERS = {"cnot": "CX", "cz": "CZ"}


def _int_arg(value, name: str, minimum: int, what: str = "an integer") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected {what} ≥ {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected {what} ≥ {minimum}, got {value}")
    return int(value)


def num_qubits(features: int) -> int:
    """``n = max(1, ⌈log₂ N⌉)`` computed exactly on integers (valid for N = 2⁶⁰ and beyond)."""
    features = _int_arg(features, "features", 1, "an integer N")
    return max(1, (features - 1).bit_length())


@dataclass(frozen=True)
class ModelSpec:
    """Shape of a distributed model (no arrays): validated on construction.

    Attributes:
        features: N, the input dimension.
        layers: L, the number of layers (each owned by one party).
        parties: K ≥ 2 (Alice + model owners); K ≤ L.
        schedule: ``"pipeline"`` or ``"interleaved"`` (see the module docstring).
        model: ``"hea"`` (2n parameters per layer) or ``"diag"`` (non-Alice layers + 2ⁿ − 1 phases).
        entangler: ``"cnot"`` or ``"cz"``.
        gamma: γ of the data re-upload D(x).
        classes: number of Pauli-Z readouts (wires 0 … classes − 1).
    """

    features: int
    layers: int
    parties: int = 2
    schedule: str = "pipeline"
    model: str = "hea"
    entangler: str = "cnot"
    gamma: float = math.pi / 2
    classes: int = 1

    def __post_init__(self):
        object.__setattr__(self, "features", _int_arg(self.features, "features", 1, "an integer N"))
        object.__setattr__(self, "layers", _int_arg(self.layers, "layers", 1))
        object.__setattr__(self, "parties", _int_arg(self.parties, "parties", 2))
        if self.parties > self.layers:
            raise ValueError(
                f"parties: {self.parties} parties need at least {self.parties} layers "
                f"(every party owns one), got layers={self.layers}"
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.model not in MODELS:
            raise ValueError(f"model: expected one of {', '.join(MODELS)}, got {self.model!r}")
        if self.entangler not in ENTANGLERS:
            raise ValueError(f"entangler: expected one of {', '.join(ENTANGLERS)}, got {self.entangler!r}")
        if not isinstance(self.gamma, numbers.Real) or not math.isfinite(self.gamma):
            raise ValueError(f"gamma: expected a finite real number, got {self.gamma!r}")
        classes = _int_arg(self.classes, "classes", 1)
        if classes > self.n:
            raise ValueError(f"classes: at most n = {self.n} readouts for N = {self.features}, got {classes}")
        object.__setattr__(self, "classes", classes)

    # ---- sizes (pure integers) ------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Register size ``⌈log₂ N⌉`` (at least 1)."""
        return num_qubits(self.features)

    @property
    def owners(self) -> tuple[int, ...]:
        """Owner (party index) of each layer."""
        L, K = self.layers, self.parties
        if self.schedule == "interleaved":
            return tuple(ell % K for ell in range(L))
        q, r = divmod(L, K)
        out: list[int] = []
        for k in range(K):
            out += [k] * (q + (1 if k < r else 0))
        return tuple(out)

    @property
    def segments(self) -> tuple[tuple[int, int, int], ...]:
        """``(owner, first_layer, stop_layer)`` for each maximal run of one owner's layers."""
        segs: list[tuple[int, int, int]] = []
        for ell, k in enumerate(self.owners):
            if segs and segs[-1][0] == k:
                segs[-1] = (k, segs[-1][1], ell + 1)
            else:
                segs.append((k, ell, ell + 1))
        return tuple(segs)

    @property
    def hops(self) -> int:
        """Forward hops of the register per copy: K − 1 (pipeline) or L − 1 (interleaved)."""
        return (self.parties - 1) if self.schedule == "pipeline" else (self.layers - 1)

    @property
    def last_owner(self) -> int:
        return self.owners[-1]

    @property
    def ring(self) -> bool:
        """True when the register must travel from the last party back to Alice."""
        return self.schedule == "interleaved" and self.parties > 2

    def layer_params(self, layer: int) -> int:
        """Parameters of layer ℓ: 2n, plus 2ⁿ − 1 for a non-Alice ``diag`` layer."""
        n = self.n
        extra = (2**n - 1) if (self.model == "diag" and self.owners[layer] != 0) else 0
        return 2 * n + extra

    def party_params(self, party: int) -> int:
        """P_k: parameters owned by party k."""
        owners = self.owners
        return sum(self.layer_params(ell) for ell in range(self.layers) if owners[ell] == party)

    def segment_params(self, segment: int) -> int:
        _, a, b = self.segments[segment]
        return sum(self.layer_params(ell) for ell in range(a, b))

    @property
    def num_params(self) -> int:
        """P = Σ_ℓ params of layer ℓ."""
        return sum(self.layer_params(ell) for ell in range(self.layers))

    @property
    def party_names(self) -> tuple[str, ...]:
        return party_names(self.parties)

    def network(self) -> Network:
        return pipeline(self.parties, ring=self.ring)

    def to_dict(self) -> dict:
        return {
            "features": self.features,
            "layers": self.layers,
            "parties": self.parties,
            "schedule": self.schedule,
            "model": self.model,
            "entangler": self.entangler,
            "gamma": self.gamma,
            "classes": self.classes,
            "n": self.n,
            "num_params": self.num_params,
            "hops": self.hops,
        }


# ------------------------------------------------------------------------------------------------
# circuits
# ------------------------------------------------------------------------------------------------


def diag_subsets(n: int) -> list[tuple[int, ...]]:
    """The 2ⁿ − 1 non-empty wire subsets of a ``diag`` layer, ordered as pairs (S, complement of S)
    for every S containing wire 0 (S in bitmask order, wire 0 = most significant bit; the full set
    has no partner). Consecutive Z-rotations of a pair have disjoint supports, so the layer splits
    into exactly 2ⁿ⁻¹ commuting layers of disjoint Pauli rotations — the minimum, since the
    2ⁿ⁻¹ subsets containing wire 0 pairwise overlap (DESIGN §4.2 layers)."""
    full = 2**n - 1
    out = []
    for m in range(2 ** (n - 1), 2**n):  # masks with the bit of wire 0 set
        for mask in (m, full ^ m):
            if mask:
                out.append(tuple(w for w in range(n) if (mask >> (n - 1 - w)) & 1))
    return out


def layer_ops(spec: ModelSpec, layer: int, offset: int) -> list[Op]:
    """Operations of layer ℓ with parameter indices starting at ``offset``."""
    n = spec.n
    ops: list[Op] = []
    k = offset
    if spec.owners[layer] == 0:
        ops.append(qdist.data_phase(range(n), scale=spec.gamma, start=0))
    elif spec.model == "diag":
        for s in diag_subsets(n):
            ops.append(qdist.pauli_rot("Z" * len(s), s, k))
            k += 1
    for name in ("RY", "RZ"):
        for w in range(n):
            ops.append(qdist.gate(name, w, k))
            k += 1
    for w in range(n - 1):
        ops.append(qdist.gate(ENTANGLERS[spec.entangler], (w, w + 1)))
    return ops


def _block(spec: ModelSpec, layers: range, offset: int, num_params: int) -> Circuit:
    ops: list[Op] = []
    k = offset
    for ell in layers:
        ops += layer_ops(spec, ell, k)
        k += spec.layer_params(ell)
    return qdist.make_circuit(spec.n, ops, num_params=num_params)


def flat_circuit(spec: ModelSpec) -> Circuit:
    """U(θ; x) as one circuit: global parameters in layer order, ``data = x̃``."""
    return _block(spec, range(spec.layers), 0, spec.num_params)


def normalise_data(x, num_qubits_: int) -> np.ndarray:
    """x̃ = x / max|xᵢ|, zero-padded to 2ⁿ (entries in [−1, 1])."""
    arr = np.asarray(x, dtype=np.float64)
    scale = np.max(np.abs(arr))
    if scale == 0:
        raise ValueError("x: cannot encode the zero vector")
    return np.pad(arr / scale, (0, 2**num_qubits_ - arr.shape[0]))


# ------------------------------------------------------------------------------------------------
# parties
# ------------------------------------------------------------------------------------------------


class Party:
    """One party: its name, its own parameter slice and block circuits, and (Alice only) the data.

    The attributes are private; :attr:`params` is a read-only copy. The party has no reference to
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
            register, norm = qdist.amplitude_encode(np.asarray(x, dtype=np.float64), num_qubits=n)
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
        return qdist.state(block, self._params, state=register, data=data)

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


# ------------------------------------------------------------------------------------------------
# the model
# ------------------------------------------------------------------------------------------------


def _layer_offsets(spec: ModelSpec) -> list[int]:
    offs, k = [], 0
    for ell in range(spec.layers):
        offs.append(k)
        k += spec.layer_params(ell)
    return offs


def param_index(spec: ModelSpec) -> tuple[np.ndarray, ...]:
    """For each party, the global indices (layer order) of its own parameters, in its own order."""
    offs = _layer_offsets(spec)
    out: list[list[int]] = [[] for _ in range(spec.parties)]
    for ell, k in enumerate(spec.owners):
        out[k] += range(offs[ell], offs[ell] + spec.layer_params(ell))
    return tuple(np.asarray(ix, dtype=np.int64) for ix in out)


def assemble_params(spec: ModelSpec, party_params) -> np.ndarray:
    """Global parameter vector (layer order) from the parties' own vectors."""
    theta = np.zeros(spec.num_params)
    for ix, p in zip(param_index(spec), party_params, strict=True):
        p = np.asarray(p, dtype=np.float64)
        if p.shape != ix.shape:
            raise ValueError(f"params: expected {ix.shape[0]} parameters for a party, got {p.shape}")
        theta[ix] = p
    return theta


def split_params(spec: ModelSpec, theta) -> tuple[np.ndarray, ...]:
    """The parties' own vectors from a global parameter vector."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (spec.num_params,):
        raise ValueError(f"params: expected shape ({spec.num_params},), got {theta.shape}")
    return tuple(theta[ix].copy() for ix in param_index(spec))


def party_blocks(spec: ModelSpec, party: int) -> dict[int, Circuit]:
    """Block circuits of one party, one per segment it owns, indices into its own vector."""
    P_k = spec.party_params(party)
    blocks, k = {}, 0
    for s, (owner, a, b) in enumerate(spec.segments):
        if owner != party:
            continue
        blocks[s] = _block(spec, range(a, b), k, P_k)
        k += sum(spec.layer_params(ell) for ell in range(a, b))
    return blocks


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
        return qdist.pauli("Z", wires=(cls,))

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
        psi = qdist.state(
            self.flat_circuit(), self.flat_params(), state=self.initial_state(), data=self.flat_data()
        )
        return z_expectations(psi, self.spec.n, self.spec.classes)


def z_expectations(psi, n: int, classes: int) -> np.ndarray:
    """⟨Z_c⟩ for c < classes from a state vector."""
    probs = (np.abs(np.asarray(psi)) ** 2).reshape((2,) * n)
    out = []
    for c in range(classes):
        marg = probs.sum(axis=tuple(w for w in range(n) if w != c))
        out.append(float(marg[0] - marg[1]))
    return np.asarray(out)


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
    "flat_circuit",
    "layer_ops",
    "normalise_data",
    "num_qubits",
    "param_index",
    "party_blocks",
    "random_instance",
    "random_model",
    "split_params",
    "z_expectations",
]
