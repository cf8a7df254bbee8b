"""Circuits as data: an ordered tuple of operations over one parameter vector.

A [`Circuit`][qdist.Circuit] holds no arrays that change between runs: the trainable angles live in a separate
parameter vector ``params`` (shape ``(num_params,)``), and every angle of every operation is the affine
function ``coeff · params[index] + offset`` of one entry (``index = −1`` for a fixed angle). Several
operations may reference the same entry (shared parameters). Input data for data re-upload layers
([the model][compositional-model], ``D(x) = diag(e^{iγx̃})``) is a separate run-time vector ``data`` referenced by
``DATA_PHASE`` operations.

[Qubit order][qubit-order]: the state index is big-endian in the wires, wire 0 is the most
significant bit — the same as PennyLane, the reverse of Qiskit. Conversions happen only in
`qdist.interop`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qdist.sim.gates import gate_spec
from qdist.validate import check_int

#: Operation kinds understood by the simulator.
KINDS = ("gate", "unitary", "diagonal", "pauli_rot", "data_phase")


@dataclass(frozen=True)
class Angle:
    """One angle of an operation: ``coeff · params[index] + offset`` (``index = −1``: fixed)."""

    index: int = -1
    coeff: float = 1.0
    offset: float = 0.0

    def __post_init__(self):
        if not (np.isfinite(self.coeff) and np.isfinite(self.offset)):
            raise ValueError(f"param: expected a finite angle, got coeff={self.coeff}, offset={self.offset}")

    @property
    def trainable(self) -> bool:
        return self.index >= 0


@dataclass(frozen=True, eq=False)
class Op:
    """One operation of a circuit.

    Attributes:
        kind: ``"gate"`` (a named gate of `qdist.sim.gates.GATES`), ``"unitary"`` (fixed
            matrix), ``"diagonal"`` (fixed phase vector), ``"pauli_rot"`` (``exp(−iθP/2)`` for the
            Pauli string ``pauli``) or ``"data_phase"`` (``diag(exp(i·scale·data[data_slice]))``).
        name: gate name for ``"gate"``; a label otherwise.
        wires: the wires, in the order of the matrix's tensor factors.
        angles: one [`Angle`][qdist.Angle] per gate angle.
        matrix: the fixed matrix (``"unitary"``) or diagonal (``"diagonal"``), else ``None``.
        pauli: the Pauli string of a ``"pauli_rot"`` (one of I, X, Y, Z per wire).
        data_slice: ``(start, stop)`` into the run-time ``data`` vector for ``"data_phase"``.
        scale: the factor γ of ``"data_phase"``.
    """

    kind: str
    name: str
    wires: tuple[int, ...]
    angles: tuple[Angle, ...] = ()
    matrix: np.ndarray | None = None
    pauli: str | None = None
    data_slice: tuple[int, int] | None = None
    scale: float = 1.0

    @property
    def trainable(self) -> bool:
        return any(a.trainable for a in self.angles)

    @property
    def generator(self) -> str | None:
        """Pauli string ``P`` with the op equal to ``exp(−iθP/2)``, if it is such a rotation."""
        if self.kind == "pauli_rot":
            return self.pauli
        if self.kind == "gate":
            return gate_spec(self.name).generator
        return None

    def key(self) -> tuple:
        m = None if self.matrix is None else hashlib.sha1(np.ascontiguousarray(self.matrix)).hexdigest()
        return (
            self.kind,
            self.name,
            self.wires,
            self.angles,
            m,
            self.pauli,
            self.data_slice,
            self.scale,
        )


@dataclass(frozen=True, eq=False)
class Circuit:
    """An ``num_qubits``-qubit circuit: operations applied in order to one register.

    Attributes:
        num_qubits: register size n.
        ops: the operations, applied first to last.
        num_params: length of the parameter vector (≥ 1 + largest index referenced).
        num_data: length of the run-time data vector (0 if no ``data_phase`` op).
    """

    num_qubits: int
    ops: tuple[Op, ...]
    num_params: int
    num_data: int = 0
    _fingerprint: list = field(default_factory=list, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """Content hash: equal circuits share compiled functions."""
        if not self._fingerprint:
            h = hashlib.sha1(repr((self.num_qubits, self.num_params, self.num_data)).encode())
            for op in self.ops:
                h.update(repr(op.key()).encode())
            self._fingerprint.append(h.hexdigest())
        return self._fingerprint[0]

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        """``Circuit(3 qubits, 12 ops: H, CX×2, RX×3, …; 4 params)``; ``qdist.draw`` draws it."""
        counts: dict[str, int] = {}
        for op in self.ops:
            counts[op.name] = counts.get(op.name, 0) + 1
        names = ", ".join(n if k == 1 else f"{n}×{k}" for n, k in list(counts.items())[:8])
        more = ", …" if len(counts) > 8 else ""
        data = f", {self.num_data} data" if self.num_data else ""
        return (
            f"{type(self).__name__}({self.num_qubits} qubits, {len(self.ops)} ops: {names}{more}; "
            f"{self.num_params} params{data})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Circuit) and other.fingerprint == self.fingerprint

    def __add__(self, other: Circuit) -> Circuit:
        """Sequential composition sharing one parameter vector (indices kept as they are)."""
        return make_circuit(
            max(self.num_qubits, other.num_qubits),
            self.ops + other.ops,
            num_params=max(self.num_params, other.num_params),
        )

    @property
    def trainable_ops(self) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if op.trainable)

    def inverse(self) -> Circuit:
        """The adjoint circuit U†, parameters referenced with negated angles.

        ``U`` angles (θ, φ, λ) invert to (−θ, −λ, −φ); fixed unitaries/diagonals are conjugated.
        """
        inv = []
        for op in reversed(self.ops):
            if op.kind == "unitary":
                inv.append(replace(op, matrix=np.conj(op.matrix).T))
            elif op.kind == "diagonal":
                inv.append(replace(op, matrix=np.conj(op.matrix)))
            elif op.kind == "data_phase":
                inv.append(replace(op, scale=-op.scale))
            elif op.kind == "pauli_rot":
                inv.append(replace(op, angles=tuple(_neg(a) for a in op.angles)))
            else:
                inv.append(_inverse_gate(op))
        return Circuit(self.num_qubits, tuple(inv), self.num_params, self.num_data)


def _neg(a: Angle) -> Angle:
    return Angle(a.index, -a.coeff, -a.offset)


_SELF_INVERSE = {"I", "X", "Y", "Z", "H", "CX", "CNOT", "CY", "CZ", "CH", "SWAP", "CCX"}
_DAGGER = {"S": "SDG", "SDG": "S", "T": "TDG", "TDG": "T", "SX": "SXDG", "SXDG": "SX"}


def _inverse_gate(op: Op) -> Op:
    name = op.name
    if name in _SELF_INVERSE:
        return op
    ctrl = name.startswith("C") and name[1:] in _DAGGER
    base = name[1:] if ctrl else name
    if base in _DAGGER:
        return replace(op, name=("C" if ctrl else "") + _DAGGER[base])
    if base == "U" or name == "CU":
        th, ph, lam = op.angles
        return replace(op, angles=(_neg(th), _neg(lam), _neg(ph)))
    if name == "ISWAP":
        m = np.conj(np.asarray(gate_spec("ISWAP").matrix(np.zeros(0)))).T
        return Op("unitary", "ISWAP_DG", op.wires, matrix=m)
    return replace(op, angles=tuple(_neg(a) for a in op.angles))


ParamLike = int | Angle | float | None


def _wires(wires, what: str = "wires") -> tuple[int, ...]:
    """Normalise an int or a sequence of ints to a tuple of non-negative ints."""
    items = (wires,) if isinstance(wires, (int, np.integer)) else wires
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{what}: expected an int or a sequence of ints, got {wires!r}") from None
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 0:
            raise ValueError(f"{what}: expected non-negative integer wires, got {wires!r}")
    return tuple(int(w) for w in items)


def _angle(p: ParamLike) -> Angle:
    if isinstance(p, Angle):
        return p
    if isinstance(p, bool) or p is None:
        raise TypeError(f"param: expected an int index, a float angle or an Angle, got {p!r}")
    if isinstance(p, (int, np.integer)):
        if p < 0:
            raise ValueError(f"param: parameter index must be ≥ 0, got {p}")
        return Angle(int(p))
    try:
        if np.iscomplexobj(p) or isinstance(p, (str, bytes)):
            raise TypeError
        value = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"param: expected an int index, a real float angle or an Angle, got {p!r}") from None
    return Angle(-1, 0.0, value)


def gate(name: str, wires: int | Sequence[int], *params: ParamLike) -> Op:
    """A named gate. Each of ``params`` is an ``int`` (index into the parameter vector), a
    ``float`` (fixed angle) or an [`Angle`][qdist.Angle].

    Example: ``gate("RX", 0, 3)`` is ``RX(params[3])`` on wire 0; ``gate("CRZ", (0, 1), 0.5)``.
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a gate name (str), got {name!r}")
    spec = gate_spec(name)
    wires = _wires(wires)
    if len(wires) != spec.num_wires:
        raise ValueError(f"wires: gate {spec.name} acts on {spec.num_wires} wire(s), got {wires}")
    if len(params) != spec.num_params:
        raise ValueError(f"params: gate {spec.name} takes {spec.num_params} angle(s), got {len(params)}")
    return Op("gate", spec.name, wires, tuple(_angle(p) for p in params))


def pauli_rot(pauli: str, wires: Sequence[int], param: ParamLike) -> Op:
    """``exp(−iθP/2)`` for a Pauli string ``P`` (letters I, X, Y, Z, one per wire)."""
    pauli = pauli.upper()
    wires = _wires(wires)
    if set(pauli) - set("IXYZ") or len(pauli) != len(wires):
        raise ValueError(f"pauli: expected one of I, X, Y, Z per wire ({len(wires)} wires), got {pauli!r}")
    return Op("pauli_rot", "PAULI_ROT", tuple(int(w) for w in wires), (_angle(param),), pauli=pauli)


def unitary(matrix: np.ndarray, wires: Sequence[int], name: str = "UNITARY", check: bool = True) -> Op:
    """A fixed unitary on ``wires`` (first wire = most significant bit of the matrix index)."""
    try:
        m = np.asarray(matrix, dtype=np.complex128)
    except (TypeError, ValueError):
        raise ValueError(f"matrix: expected a square complex matrix, got {matrix!r}") from None
    wires = _wires(wires)
    if m.shape != (2 ** len(wires),) * 2:
        raise ValueError(
            f"matrix: expected shape {(2 ** len(wires),) * 2} for {len(wires)} wires, got {m.shape}"
        )
    if check and not np.allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=1e-8):
        raise ValueError("matrix: expected a unitary matrix (U†U = I to 1e-8)")
    return Op("unitary", name, wires, matrix=m)


def diagonal(phases_or_diag: np.ndarray, wires: Sequence[int], name: str = "DIAGONAL") -> Op:
    """A fixed diagonal unitary ``diag(d)`` on ``wires``; ``d`` has unit-modulus entries."""
    d = np.asarray(phases_or_diag, dtype=np.complex128)
    wires = _wires(wires)
    if d.shape != (2 ** len(wires),):
        raise ValueError(
            f"diagonal: expected {2 ** len(wires)} entries for {len(wires)} wires, got {d.shape}"
        )
    if not np.allclose(np.abs(d), 1.0, atol=1e-8):
        raise ValueError("diagonal: expected unit-modulus entries")
    return Op("diagonal", name, wires, matrix=d)


def data_phase(wires: Sequence[int], scale: float = 1.0, start: int = 0) -> Op:
    """Data re-upload ``D(x) = diag(exp(i·scale·data[start:start+2^k]))`` on ``k = len(wires)``
    wires ([the model][compositional-model]); ``data`` is given at run time."""
    wires = _wires(wires)
    if not isinstance(start, (int, np.integer)) or start < 0:
        raise ValueError(f"start: expected a non-negative integer offset into data, got {start!r}")
    if not np.isfinite(scale):
        raise ValueError(f"scale: expected a finite number, got {scale!r}")
    return Op(
        "data_phase",
        "DATA_PHASE",
        wires,
        data_slice=(start, start + 2 ** len(wires)),
        scale=float(scale),
    )


def make_circuit(num_qubits: int, ops: Iterable[Op], num_params: int | None = None) -> Circuit:
    """Build and validate a [`Circuit`][qdist.Circuit].

    Raises:
        ValueError: a wire out of range or repeated, a parameter index beyond ``num_params``.
    """
    check_int("num_qubits", num_qubits, 1)
    if num_params is not None:
        check_int("num_params", num_params, 0)
    ops = tuple(ops)
    max_index, num_data = -1, 0
    for i, op in enumerate(ops):
        if not isinstance(op, Op):
            raise TypeError(f"ops[{i}]: expected an Op, got {type(op).__name__}")
        for w in op.wires:
            if not 0 <= w < num_qubits:
                raise ValueError(f"wires: op {i} ({op.name}) uses wire {w}, expected 0..{num_qubits - 1}")
        if len(set(op.wires)) != len(op.wires):
            raise ValueError(f"wires: op {i} ({op.name}) repeats a wire in {op.wires}")
        for a in op.angles:
            max_index = max(max_index, a.index)
        if op.data_slice is not None:
            num_data = max(num_data, op.data_slice[1])
    if num_params is None:
        num_params = max_index + 1
    elif max_index >= num_params:
        raise ValueError(f"num_params: ops reference index {max_index}, expected num_params > {max_index}")
    return Circuit(int(num_qubits), ops, int(num_params), num_data)
