"""``method="shadow"``: layer shadows — every derivative of a layer from one ancilla state.

Layers come from `shadows.layers.find_layers`. For layer ℓ and each Pauli term ``c_k Q_k`` of
``O`` the ``n+1``-qubit state ``Φ_{ℓk} = (|a_ℓ⟩|0⟩ + |b_{ℓk}⟩|1⟩)/√2`` (ancilla = wire ``n``) is
prepared by `shadows.layers.layer_circuit` ``shots`` times, and
``∂f/∂φ_j = −Σ_k c_k ⟨P_j ⊗ Y_anc⟩_{Φ_{ℓk}}`` for every slot ``j`` of the layer (chain rule to θ);
derivation in [layer shadows][layer-shadows].

Options: ``shots`` (copies of every ``Φ_{ℓk}``, or ``None`` for exact expectations), ``seed``,
``state``, ``data``, ``basis`` and ``groups``:

* ``basis="derandomized"`` (default): the layer's observables ``P_j ⊗ Y_anc`` are qubit-wise
  commuting, so every copy is measured in one product basis (ancilla in Y, each wire in the letter
  of the generator acting on it): ordinary shot sampling, single-shot variance ``1 − ⟨·⟩²``.
* ``basis="random"``: classical shadows in random Pauli bases on the layer's wires with the ancilla
  fixed to Y, estimated by `shadows.estimate` with median of means over ``groups`` (default
  ``min(10, shots)``). The ancilla's recipe always matches, so its factor 3 is divided out.

Resources: ``circuits = #layers·#terms``; ``copies = shots·#layers·#terms``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from qdist.devices.protocol import Run, expectation_run
from qdist.estimators.inputs import prepare_batch
from qdist.estimators.protocol import CopyShape, Plan, shot_options
from qdist.estimators.result import GradientResult
from qdist.estimators.sizing import shots_for
from qdist.measure.groups import measurement_groups, observable_terms, outcome_signs
from qdist.measure.sampling import basis_probabilities
from qdist.measure.seeds import require_seed
from qdist.sim.circuit import Circuit
from qdist.sim.observables import Observable, PauliWord
from qdist.sim.slots import angle_slots
from qdist.validate import check_choice, check_int, check_options, check_shots
from shadows.estimate import estimate, std_factor
from shadows.layers import ancilla_states, find_layers, layer_circuit, layer_states
from shadows.recipes import assemble_bits, draw_recipes, shadow_runs
from shadows.types import Shadow

__all__ = ["SHADOW", "LayerShadow", "layer_basis", "layer_observables", "layer_value_matrices"]


def _qwc(layer) -> bool:
    """The layer's generators agree letter by letter (one product basis measures them all)."""
    return len(measurement_groups(list(layer.words))) <= 1


def layer_basis(layer, anc: int) -> PauliWord:
    """The layer's product basis (for a qubit-wise-commuting layer): each generator's letters on its
    wires, Y on the ancilla."""
    letters = {w: p for word in layer.words for w, p in word}
    return tuple(sorted(letters.items())) + ((anc, "Y"),)


def layer_value_matrices(layer, slots, wires: Sequence[int], anc: int):
    """``(touched, V, W, extra)`` for the parameters ``touched`` by the layer.

    ``V[o, i]`` is the value of ``O_i = Σ_{j→i} coeff_j (P_j ⊗ Y_anc)`` on outcome ``o`` of the layer
    basis, ``W`` the same without the ancilla factor, and ``extra_i = Σ_{j→i} coeff_j² (3^{|P_j|} − 1)``
    the excess second moment of the random-Pauli shadow estimator over the derandomised one.
    """
    touched = sorted({slots[j].index for j in layer.slots})
    col = {i: c for c, i in enumerate(touched)}
    V = np.zeros((2 ** len(wires), len(touched)))
    W = np.zeros_like(V)
    extra = np.zeros(len(touched))
    for word, j in zip(layer.words, layer.slots, strict=True):
        i = col[slots[j].index]
        V[:, i] += slots[j].coeff * outcome_signs(tuple(word) + ((anc, "Y"),), wires)
        W[:, i] += slots[j].coeff * outcome_signs(tuple(word), wires)
        extra[i] += slots[j].coeff ** 2 * (3.0 ** len(word) - 1.0)
    return touched, V, W, extra


def layer_observables(layer, slots, touched, anc: int) -> list[Observable]:
    """``O_i = Σ_{j→i} coeff_j (P_j ⊗ Y_anc)`` for every parameter ``i`` in ``touched``."""
    out = []
    for i in touched:
        coeffs, words = [], []
        for word, j in zip(layer.words, layer.slots, strict=True):
            if slots[j].index == i:
                coeffs.append(slots[j].coeff)
                words.append(tuple(word) + ((anc, "Y"),))
        out.append(Observable(tuple(coeffs), tuple(words)))
    return out


@dataclass(frozen=True)
class LayerShadow:
    """The layer-shadow estimator (module docstring)."""

    name: str = "shadow"
    defaults: Mapping = field(default_factory=lambda: shot_options(basis="derandomized", groups=None))
    ancilla: int = 1
    simulation_only: bool = False
    batched: bool = True
    note: str = "layer shadows with an ancilla; (n+1)-qubit register, forward + uncompute"

    def plan(self, circuit: Circuit, observable: Observable, params, options: Mapping) -> Plan:
        o = check_options(self.name, options, self.defaults)
        shots = check_shots(o["shots"])
        basis = check_choice("basis", o["basis"], ("derandomized", "random"))
        layers = find_layers(circuit, self.name)
        p, psi, d, nb, batched = prepare_batch(circuit, params, o["state"], o["data"])
        if batched and basis == "random":
            raise ValueError("basis: 'random' takes one input state; use basis='derandomized' for a batch")
        groups_mom = None
        if basis == "random" and shots is not None:
            groups_mom = min(10, shots) if o["groups"] is None else check_int("groups", o["groups"])
            if groups_mom > shots:
                raise ValueError(
                    f"groups: expected an integer between 1 and shots = {shots}, got {groups_mom}"
                )
        rng = require_seed(o["seed"], self.name) if shots is not None else None
        anc = circuit.num_qubits
        slots = angle_slots(circuit)
        terms = observable_terms(observable)
        psi1 = None if psi is None else (psi[..., None] * np.array([1.0, 0.0])).reshape(*psi.shape[:-1], -1)
        rows = np.repeat(p[None, :], nb, axis=0)
        random = basis == "random" and shots is not None
        sweeps = _Sweeps(circuit, p, observable, layers, psi, d)
        runs: list[Run] = []
        items = []  # (layer, k, c_k, touched, V, W, extra, first run, pieces, recipes, wires, groups)
        for ell, layer in enumerate(layers):
            wires = tuple(layer.support) + (anc,)
            touched, V, W, extra = layer_value_matrices(layer, slots, wires, anc)
            olist = layer_observables(layer, slots, touched, anc)
            groups = len(measurement_groups([w for o in olist for w in o.words]))
            for k, (ck, qk) in enumerate(terms):
                lc = layer_circuit(circuit, layer, qk)
                first = len(runs)
                if not random:
                    runs.append(
                        expectation_run(
                            lc, rows, olist, shots, states=psi1, data=d, simulate=sweeps.of(ell, k)
                        )
                    )
                    items.append((layer, k, ck, touched, V, W, extra, first, None, None, wires, groups))
                    continue
                recipes, uniq, counts, inverse = draw_recipes(rng, shots, len(wires) - 1, 1)
                full = np.concatenate([recipes, np.ones((shots, 1), dtype=np.int64)], axis=1)
                uniq_full = np.concatenate([uniq, np.ones((len(uniq), 1), dtype=np.int64)], axis=1)
                rs, pieces = shadow_runs(lc, p, uniq_full, counts, wires, states=psi1, data=d)
                runs.extend(rs)
                items.append((layer, k, ck, touched, V, W, extra, first, pieces, (inverse, full), wires, 1))
        post_seed = None if rng is None else int(rng.integers(0, 2**63 - 1))
        P = circuit.num_params
        L, K = len(layers), len(terms)
        ell_of = {id(layer): ell for ell, layer in enumerate(layers)}

        def finish(outcomes, probabilities=None) -> GradientResult:
            value, var, exact_var = np.zeros((nb, P)), np.zeros((nb, P)), np.zeros((nb, P))
            post = None if post_seed is None else np.random.default_rng(post_seed)
            copies = 0
            for layer, k, ck, touched, V, W, extra, first, pieces, rec, wires, groups in items:
                if pieces is None:
                    e = outcomes[first]
                    value[:, touched] -= ck * e.values
                    var[:, touched] += ck**2 * e.variances
                    exact_var[:, touched] += ck**2 * e.exact_variances
                    copies += 0 if shots is None else shots * groups * nb
                    continue
                copies += shots
                inverse, full = rec
                bits = assemble_bits(pieces, outcomes[first : first + len(pieces)], inverse, len(wires), post)
                obs_list = layer_observables(layer, slots, touched, anc)
                est = estimate(Shadow(bits, full.astype(np.uint8), wires), obs_list, groups=groups_mom)
                value[0, touched] -= ck * est.mean / 3.0
                var[0, touched] += ck**2 * (est.std_error / 3.0) ** 2
                if probabilities is not None and _qwc(layer):  # a simulator: the exact variance is known
                    # single-snapshot variance from the layer state's distribution in the
                    # derandomised basis: E[X²] = Σ_o p(o) W(o)² + extra, E[X] = Σ_o p(o) V(o)
                    pr = basis_probabilities(
                        sweeps.of(ell_of[id(layer)], k)(None), layer_basis(layer, anc), anc + 1
                    )[0]
                    v1 = np.clip(pr @ W**2 + extra - (pr @ V) ** 2, 0.0, None) * std_factor(groups_mom) ** 2
                    exact_var[0, touched] += ck**2 * v1 / shots
            if not batched:
                value, var, exact_var = value[0], var[0], exact_var[0]
            return GradientResult(
                value=value,
                std_error=np.sqrt(var),
                copies=copies,
                circuits=L * K,
                shots=copies,
                method=self.name,
                extra={
                    "layers": [list(layer.ops) for layer in layers],
                    "terms": K,
                    "basis": basis,
                    "groups": groups_mom,
                    "ancilla_wire": anc,
                    "shots_per_state": shots,
                    "exact_std_error": np.sqrt(exact_var).tolist(),
                },
            )

        return Plan(tuple(runs), finish)

    def sized_options(self, shape: CopyShape, epsilon: float, delta: float) -> dict:
        return {"shots": shots_for(epsilon, delta / shape.total_params)}

    def copies(self, shape: CopyShape, epsilon: float, delta: float, options: Mapping) -> int:
        shots = options.get("shots") or self.sized_options(shape, epsilon, delta)["shots"]
        return shape.layers * shape.terms * int(shots)


class _Sweeps:
    """All ancilla states ``Φ_{ℓk}`` of one plan from one forward and one backward sweep
    (`shadows.layers.layer_states`), computed on first use: the exact device's fast path for the
    layer circuits (the same states the circuits prepare; the tests compare them)."""

    def __init__(self, circuit, params, observable, layers, state, data):
        self._args = (circuit, params, observable, layers, state, data)
        self._phis = None

    def of(self, ell: int, k: int):
        def simulate(run) -> np.ndarray:
            if self._phis is None:
                circuit, params, observable, layers, state, data = self._args
                a, b = layer_states(circuit, params, observable, layers, state=state, data=data)
                self._phis = ancilla_states(a, b)
            phi = self._phis[ell, k]
            return phi.reshape(-1, phi.shape[-1])

        return simulate


SHADOW = LayerShadow()
