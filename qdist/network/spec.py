"""The model's shape as pure integers: `ModelSpec`, its layers, owners and segments, its circuit.

`ModelSpec` is static data (valid for N = 2⁶⁰: nothing here builds a 2ⁿ array except the circuit
builders); `flat_circuit` is the whole model as one qdist circuit and `party_blocks` each party's
blocks. The parties and the distributed execution are in `qdist.network.model`; the model itself is
described in [the model][compositional-model].
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from qdist.network.topology import Network, party_names, pipeline
from qdist.sim.circuit import Circuit, Op, data_phase, gate, make_circuit, pauli_rot
from qdist.sim.states import num_qubits_for

SCHEDULES = ("pipeline", "interleaved")
#: Largest register the protocols simulate (state vectors of 2ⁿ amplitudes); the closed forms of
#: `qdist.network.costs` have no limit.
MAX_SIM_QUBITS = 20
MODELS = ("hea", "diag")
#: The default model of every entry point (``simulate``, ``curves``, ``train``, ``demo``): the
#: interleaved wide model (Alice's data layers between the model owner's wide layers) at the
#: smallest depth where the importance-sampling protocol of `qdist.network.importance` does not
#: apply ([the default model][default-model]). ``hea`` is the contrast: a small model that shipping
#: the model always serves cheaply.
DEFAULT_MODEL = {"model": "diag", "schedule": "interleaved", "layers": 3, "parties": 2}
ENTANGLERS = {"cnot": "CX", "cz": "CZ"}


def _int_arg(value, name: str, minimum: int, what: str = "an integer") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected {what} ≥ {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected {what} ≥ {minimum}, got {value}")
    return int(value)


def num_qubits(features: int) -> int:
    """``n = max(1, ⌈log₂ N⌉)`` computed exactly on integers (valid for N = 2⁶⁰ and beyond)."""
    return num_qubits_for(_int_arg(features, "features", 1, "an integer N"))


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
    has no partner). The order does not matter to the layer shadows: all 2ⁿ − 1 Z-string rotations
    commute, so they form ONE layer ([layers of commuting generators][layer-shadows-layers])."""
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
        ops.append(data_phase(range(n), scale=spec.gamma, start=0))
    elif spec.model == "diag":
        for s in diag_subsets(n):
            ops.append(pauli_rot("Z" * len(s), s, k))
            k += 1
    for name in ("RY", "RZ"):
        for w in range(n):
            ops.append(gate(name, w, k))
            k += 1
    for w in range(n - 1):
        ops.append(gate(ENTANGLERS[spec.entangler], (w, w + 1)))
    return ops


def _block(spec: ModelSpec, layers: range, offset: int, num_params: int) -> Circuit:
    ops: list[Op] = []
    k = offset
    for ell in layers:
        ops += layer_ops(spec, ell, k)
        k += spec.layer_params(ell)
    return make_circuit(spec.n, ops, num_params=num_params)


def flat_circuit(spec: ModelSpec) -> Circuit:
    """U(θ; x) as one circuit: global parameters in layer order, ``data = x̃``."""
    return _block(spec, range(spec.layers), 0, spec.num_params)


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
