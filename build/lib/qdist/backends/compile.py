"""qdist circuits → Qiskit circuits for a device: state preparation, measurement, ISA form ([conventions][conventions], [the hardware stack][hardware-stack]).

* `measured_circuit` appends single-qubit basis changes to a qdist circuit — fixed ones
  (``H`` for X, ``S†`` then ``H`` for Y) or a *parameterised* basis layer
  ``U(θ_r, 0, λ_r)`` per measured wire whose two angles are extra parameters, so that the random
  bases of a classical shadow are parameter bindings of ONE circuit ([shadows on hardware][shadows-on-hardware]):
  ``(θ_r, λ_r) = (π/2, π)`` → ``H`` (X), ``(π/2, π/2)`` → ``H·S†`` (Y), ``(0, 0)`` → ``I`` (Z).
* `qiskit_circuit` converts with [`qdist.to_qiskit`][qdist.to_qiskit] over ``ParameterVector("θ", P)``,
  binds the run-time ``data``, prepends ``StatePreparation`` of an initial state (qdist's big-endian
  vector reordered to Qiskit's little-endian one) and measures wire ``wires[i]`` into clbit ``i``.
* `isa_circuit` transpiles with ``generate_preset_pass_manager(optimization_level ≥ 2,
  backend=…)`` (levels 0–1 can route through broken couplers, [transpiling][transpiling]) and a fixed
  ``seed_transpiler`` so the same circuit gives the same ISA circuit in every process (the job key
  hashes it). Results are memoised per device.
* **Deterministic layout.** Qiskit 2.3's Rust ``VF2Layout`` (and ``VF2PostLayout``) is not
  reproducible even with ``seed=-1``, call limits and no time limit: among equally scored
  embeddings (e.g. a chain circuit on ``fake:manila``'s line, forward ``[0..4]`` vs reversed
  ``[4..0]``) it returns either one, varying from run to run in one process (~10 % of runs),
  independent of ``PYTHONHASHSEED`` and thread count. `pass_manager` therefore swaps the preset's
  ``VF2Layout`` for `DeterministicVF2Layout` (rustworkx ``vf2_mapping`` in its fixed order, bounded by
  a call limit and a trial count — never by wall time — scored from the target's error rates with
  ties broken by the layout itself) and drops ``VF2PostLayout``; Sabre layout and routing are
  seeded with ``seed_transpiler``.
* `isa_observable` maps a qdist observable to a ``SparsePauliOp`` and applies the layout.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from qdist.backends.cache import sha256
from qdist.measure.bases import BASIS_ANGLES
from qdist.measure.observation import basis_circuit
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable
from qdist.sim.slots import slot_circuit
from shadows.recipes import basis_bindings, random_basis_circuit

SEED_TRANSPILER = 1234


def measured_circuit(circuit: Circuit, basis=None, random_wires: Sequence[int] = ()) -> Circuit:
    """``circuit`` followed by the fixed rotations of ``basis`` and, on ``random_wires``, the
    parameterised basis layer of a shadow (`shadows.recipes.random_basis_circuit`)."""
    return random_basis_circuit(basis_circuit(circuit, basis or ()), random_wires)


# ---------------------------------------------------------------------------------------------
# Qiskit side
# ---------------------------------------------------------------------------------------------
def little_endian(vec: np.ndarray, num_qubits: int) -> np.ndarray:
    """qdist (wire 0 = most significant bit) ↔ Qiskit (qubit 0 = least significant) state order."""
    v = np.asarray(vec, dtype=np.complex128)
    return v.reshape((2,) * num_qubits).transpose(tuple(reversed(range(num_qubits)))).reshape(-1)


def qiskit_circuit(circuit: Circuit, *, state=None, data=None, measure: Sequence[int] | None = None):
    """Parameterised ``QuantumCircuit`` over ``ParameterVector("θ", P)`` (module docstring)."""
    from qiskit import ClassicalRegister, QuantumCircuit
    from qiskit.circuit.library import StatePreparation

    from qdist.interop.qiskit import to_qiskit

    body = to_qiskit(circuit, data=data)
    n = circuit.num_qubits
    qc = QuantumCircuit(n)
    if state is not None:
        psi = little_endian(np.asarray(state), n)
        psi = psi / np.linalg.norm(psi)
        qc.append(StatePreparation(psi), range(n))
    qc.compose(body, inplace=True)
    if measure is not None:
        creg = ClassicalRegister(len(measure), "c")
        qc.add_register(creg)
        for i, w in enumerate(measure):
            qc.measure(int(w), creg[i])
    return qc


_PASS_MANAGERS: dict = {}
_ISA: dict = {}

VF2_CALL_LIMIT = 5_000_000
VF2_MAX_TRIALS = 2_500


def _error_maps(target):
    """Mean error per physical qubit (1-qubit instructions and measurement) and per undirected
    coupler (2-qubit instructions, either direction) of ``target``; missing errors count as 0."""
    one: dict[int, list[float]] = {}
    two: dict[tuple[int, int], list[float]] = {}
    for name in sorted(target.operation_names):
        for qargs, props in sorted((target[name] or {}).items(), key=lambda kv: kv[0] or ()):
            if not qargs:
                continue
            err = 0.0 if props is None or props.error is None else float(props.error)
            if len(qargs) == 1:
                one.setdefault(int(qargs[0]), []).append(err)
            elif len(qargs) == 2:
                edge = (min(qargs), max(qargs))
                two.setdefault((int(edge[0]), int(edge[1])), []).append(err)
    e1 = {q: math.fsum(v) / len(v) for q, v in one.items()}
    e2 = {e: math.fsum(v) / len(v) for e, v in two.items()}
    return e1, e2


def _cost(err: float) -> float:
    """``-log(1 - err)`` (additive infidelity), clipped for err ≥ 1."""
    return -math.log1p(-min(max(err, 0.0), 1.0 - 1e-12))


def _deterministic_vf2_class():
    from qiskit.transpiler.basepasses import AnalysisPass

    class DeterministicVF2Layout(AnalysisPass):
        """A perfect (swap-free) layout if one exists, found and chosen reproducibly.

        Interacting virtual qubits are embedded into the coupling graph with rustworkx's
        ``vf2_mapping`` (deterministic order over node indices), at most ``max_trials`` embeddings
        and ``call_limit`` VF2 states; each is scored by the summed ``-log(1 - error)`` of the
        instructions it places, ties broken by the layout tuple. Qubits without 2-qubit gates then
        take the free physical qubits of lowest error (index order on ties). Sets ``layout`` and
        ``VF2Layout_stop_reason`` like Qiskit's ``VF2Layout`` (so the preset's Sabre fallback runs
        when no perfect layout exists).
        """

        def __init__(self, target, call_limit=VF2_CALL_LIMIT, max_trials=VF2_MAX_TRIALS):
            super().__init__()
            self.target = target
            self.call_limit = call_limit
            self.max_trials = max_trials

        def run(self, dag):
            import rustworkx as rx
            from qiskit.transpiler import Layout
            from qiskit.transpiler.passes.layout.vf2_layout import VF2LayoutStopReason

            n = dag.num_qubits()
            idx = {q: i for i, q in enumerate(dag.qubits)}
            n1 = [0] * n
            n2: dict[tuple[int, int], int] = {}
            for node in dag.op_nodes(include_directives=False):
                qs = [idx[q] for q in node.qargs]
                if len(qs) == 1:
                    n1[qs[0]] += 1
                elif len(qs) == 2:
                    e = (min(qs), max(qs))
                    n2[e] = n2.get(e, 0) + 1
                elif len(qs) > 2:
                    self.property_set["VF2Layout_stop_reason"] = VF2LayoutStopReason.MORE_THAN_2Q
                    return
            cmap = self.target.build_coupling_map()
            if cmap is None or n > cmap.size():
                self.property_set["VF2Layout_stop_reason"] = VF2LayoutStopReason.NO_SOLUTION_FOUND
                return
            e1, e2 = _error_maps(self.target)
            c1 = {q: _cost(e) for q, e in e1.items()}
            c2 = {e: _cost(v) for e, v in e2.items()}
            edges = sorted(n2)
            active = sorted({v for e in edges for v in e})
            best = None
            if active:
                pos = {v: i for i, v in enumerate(active)}
                im = rx.PyGraph()
                im.add_nodes_from(active)
                im.add_edges_from_no_data([(pos[a], pos[b]) for a, b in edges])
                cm = rx.PyGraph()
                cm.add_nodes_from(range(cmap.size()))
                cm.add_edges_from_no_data(sorted({(min(a, b), max(a, b)) for a, b in cmap.get_edges()}))
                mappings = rx.vf2_mapping(
                    cm, im, subgraph=True, induced=False, id_order=True, call_limit=self.call_limit
                )
                for trial, mapping in enumerate(mappings):
                    phys = {active[v]: int(p) for p, v in mapping.items()}
                    terms = [n1[v] * c1.get(phys[v], 0.0) for v in active]
                    terms += [
                        k * c2.get((min(phys[a], phys[b]), max(phys[a], phys[b])), 0.0)
                        for (a, b), k in n2.items()
                    ]
                    key = (math.fsum(sorted(terms)), tuple(phys[v] for v in active))
                    if best is None or key < best:
                        best = key
                    if trial + 1 >= self.max_trials:
                        break
                if best is None:
                    self.property_set["VF2Layout_stop_reason"] = VF2LayoutStopReason.NO_SOLUTION_FOUND
                    return
            layout = dict(zip(active, best[1] if best else (), strict=True))
            free = sorted(set(range(cmap.size())) - set(layout.values()), key=lambda p: (c1.get(p, 0.0), p))
            rest = sorted((v for v in range(n) if v not in layout), key=lambda v: (-n1[v], v))
            layout.update(zip(rest, free, strict=False))
            out = Layout({dag.qubits[v]: p for v, p in layout.items()})
            for reg in dag.qregs.values():
                out.add_register(reg)
            self.property_set["layout"] = out
            self.property_set["VF2Layout_stop_reason"] = VF2LayoutStopReason.SOLUTION_FOUND

    return DeterministicVF2Layout


def _make_deterministic(pm, target) -> None:
    """Swap the preset's ``VF2Layout`` for `DeterministicVF2Layout` and drop ``VF2PostLayout``
    (module docstring); raises if the preset no longer has the expected shape."""
    from qiskit.transpiler.passes import VF2Layout, VF2PostLayout

    det = _deterministic_vf2_class()
    swapped = {"vf2": 0}

    def walk(tasks):
        out = []
        for t in tasks:
            if isinstance(t, VF2Layout):
                swapped["vf2"] += 1
                out.append(det(target))
            elif isinstance(t, VF2PostLayout):
                continue
            else:
                if hasattr(t, "tasks") and not isinstance(t, type):
                    t.tasks = tuple(walk(t.tasks))
                out.append(t)
        return out

    for stage in (pm.layout, pm.routing):
        if stage is None:
            continue
        stage._tasks = [walk(group) for group in stage._tasks]
    if pm.layout is not None and swapped["vf2"] != 1:
        raise RuntimeError(f"qiskit preset layout stage: expected one VF2Layout, found {swapped['vf2']}")


def pass_manager(device, optimization_level: int = 2):
    """Preset pass manager for ``device`` (memoised; ``optimization_level`` 2 or 3)."""
    from qiskit.transpiler import generate_preset_pass_manager

    if optimization_level not in (2, 3):
        raise ValueError(
            f"optimization_level: expected 2 or 3 (docs/concepts/hardware-stack.md#transpiling), got {optimization_level!r}"
        )
    key = (id(device), optimization_level)
    if key not in _PASS_MANAGERS:
        with warnings.catch_warnings():  # qiskit-ibm-runtime's deprecated fractional-gate plugin
            warnings.simplefilter("ignore", DeprecationWarning)
            pm = generate_preset_pass_manager(
                optimization_level=optimization_level, backend=device, seed_transpiler=SEED_TRANSPILER
            )
        _make_deterministic(pm, pm.layout and device.target)
        _PASS_MANAGERS[key] = (device, pm)
    return _PASS_MANAGERS[key][1]


def isa_circuit(
    device, circuit: Circuit, *, state=None, data=None, measure=None, optimization_level: int = 2
):
    """ISA form of the qdist ``circuit`` (with initial ``state``, bound ``data`` and measured wires
    ``measure``) for ``device``; memoised on the inputs' content."""
    key = (
        id(device),
        optimization_level,
        circuit.fingerprint,
        None if state is None else sha256(np.asarray(state, dtype=np.complex128)),
        None if data is None else sha256(np.asarray(data, dtype=np.float64)),
        None if measure is None else tuple(int(w) for w in measure),
    )
    if key not in _ISA:
        if len(_ISA) > 256:
            _ISA.clear()
        qc = qiskit_circuit(circuit, state=state, data=data, measure=measure)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            _ISA[key] = (device, pass_manager(device, optimization_level).run(qc))
    return _ISA[key][1]


def parameter_columns(isa) -> np.ndarray:
    """Column of the qdist parameter vector for every parameter of ``isa`` (in ``isa.parameters``
    order; parameters the transpiler removed have no column)."""
    return np.array([p.index for p in isa.parameters], dtype=np.int64)


def used_qubits(isa) -> tuple[int, ...]:
    """Physical qubits an ISA circuit touches, plus the final positions of its virtual qubits
    (where an Estimator measures observables)."""
    used = {isa.find_bit(q).index for ins in isa.data if ins.operation.name != "barrier" for q in ins.qubits}
    if isa.layout is not None:
        used |= set(isa.layout.final_index_layout())
    return tuple(sorted(used))


def measured_physical(isa) -> tuple[int, ...]:
    """Physical qubit measured into each clbit of ``isa`` (clbit order)."""
    out = {}
    for ins in isa.data:
        if ins.operation.name == "measure":
            out[isa.find_bit(ins.clbits[0]).index] = isa.find_bit(ins.qubits[0]).index
    return tuple(out[c] for c in sorted(out))


def circuit_hash(isa) -> str:
    """Deterministic content hash of a (transpiled) circuit: instruction names, qubits, clbits and
    angles (parameter expressions by their text), independent of parameter UUIDs."""
    rows = []
    for ins in isa.data:
        params = []
        for v in ins.operation.params:
            if isinstance(v, np.ndarray):
                params.append(sha256(v))
            elif isinstance(v, (int, float, complex, np.number)):
                params.append(repr(complex(v)))
            else:
                params.append(str(v))
        rows.append(
            (
                ins.operation.name,
                [isa.find_bit(q).index for q in ins.qubits],
                [isa.find_bit(c).index for c in ins.clbits],
                params,
            )
        )
    return sha256(isa.num_qubits, repr(float(isa.global_phase)) if not _symbolic(isa) else "sym", rows)


def _symbolic(isa) -> bool:
    from qiskit.circuit import ParameterExpression

    return isinstance(isa.global_phase, ParameterExpression)


def sparse_pauli(observable: Observable, num_qubits: int):
    """qdist observable → ``SparsePauliOp`` on ``num_qubits`` (Qiskit qubit q = qdist wire q)."""
    from qiskit.quantum_info import SparsePauliOp

    terms = [
        ("".join(p for _, p in word), [w for w, _ in word], float(c))
        for c, word in zip(observable.coeffs, observable.words, strict=True)
    ]
    if not terms:
        terms = [("", [], 0.0)]
    return SparsePauliOp.from_sparse_list(terms, num_qubits=num_qubits)


def isa_observable(observable: Observable, isa, num_qubits: int):
    """``SparsePauliOp`` of ``observable`` with the ISA circuit's layout applied."""
    return sparse_pauli(observable, num_qubits).apply_layout(isa.layout)


__all__ = [
    "BASIS_ANGLES",
    "basis_bindings",
    "circuit_hash",
    "isa_circuit",
    "isa_observable",
    "little_endian",
    "measured_circuit",
    "measured_physical",
    "parameter_columns",
    "pass_manager",
    "qiskit_circuit",
    "slot_circuit",
    "sparse_pauli",
    "used_qubits",
]
