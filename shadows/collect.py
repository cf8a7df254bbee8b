"""Random-Pauli classical shadows from the exact simulator ([classical shadows][classical-shadows]).

Sampling is *exact*: every snapshot is one draw from the Born distribution ``|⟨b|U_r|ψ⟩|²`` of the
state rotated into its own basis ``r`` (``U_X = H``, ``U_Y = H S†``, ``U_Z = I``, PennyLane's
diagonalising gates), with no Python loop over snapshots.

Method — sequential conditional sampling on a shared prefix tree. Qubits are measured one after
another (in the order of ``wires``). Before qubit ``d`` every snapshot sits at a *node*: the
normalised conditional state of the unmeasured qubits given its recipes and outcomes on qubits
``< d``. Snapshots with the same prefix share one node, so the work at depth ``d`` is
``min(T, 6^d)·2^{n−d}`` amplitudes instead of ``T·2ⁿ``: for ``n = 16``, ``T = 10⁵`` that is about
``3·10⁸`` in total. At depth ``d`` the unique (node, recipe) pairs rotate qubit ``d`` with ``U_r``,
``p(b_d = 0 | prefix) = ‖φ₀‖²/‖φ‖²`` gives the bit (``b = [u ≥ p₀]`` with one uniform ``u`` per
snapshot and qubit), and the unique (pair, bit) combinations become the next nodes. Qubits outside
``wires`` are never measured, which gives the exact marginal. Memory is kept below ~``_BUDGET`` bytes
per level by splitting a level's nodes into independent blocks (sub-trees are independent).

Randomness: ``seed`` (int or ``jax.random.PRNGKey``) seeds one ``numpy.random.Generator``, which
draws the recipes ``(T, k)`` first, then the uniforms ``(T, k)``: same seed, same shadow.
"""

from __future__ import annotations

import numbers

import numpy as np

from qdist.interop.boundary import as_circuit
from qdist.measure.bases import ROTATIONS
from qdist.measure.seeds import rng_from_seed, seed_sequence  # noqa: F401 (re-exported)
from qdist.sim.execute import state as simulate_state
from qdist.validate import check_int
from shadows.types import Shadow

_BUDGET = 8 * 2**20  # bytes of child amplitudes built at once (small blocks stay in cache)


# ---------------------------------------------------------------------- validation helpers
def check_snapshots(snapshots) -> int:
    return check_int("snapshots", snapshots, 1)


def check_state(psi, name: str = "psi") -> tuple[np.ndarray, int]:
    """Normalised complex state vector (or batch) of ``n`` qubits → ``(array, n)``."""
    arr = np.asarray(psi)
    if arr.ndim not in (1, 2) or arr.shape[-1] < 2 or arr.shape[-1] & (arr.shape[-1] - 1):
        raise ValueError(
            f"{name}: expected a state vector of length 2ⁿ (or a batch (B, 2ⁿ)), got shape {arr.shape}"
        )
    arr = arr.astype(np.complex128)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite amplitudes, got NaN or inf")
    if not np.allclose(np.linalg.norm(arr, axis=-1), 1.0, atol=1e-6):
        raise ValueError(f"{name}: expected a normalised state vector (‖ψ‖ = 1)")
    return arr, int(arr.shape[-1]).bit_length() - 1


def check_wires(wires, num_qubits: int) -> tuple[int, ...]:
    if wires is None:
        return tuple(range(num_qubits))
    if isinstance(wires, numbers.Integral):
        wires = (wires,)
    try:
        out = tuple(wires)
    except TypeError:
        raise ValueError(f"wires: expected a sequence of wire indices, got {wires!r}") from None
    if not out or not all(isinstance(w, numbers.Integral) and not isinstance(w, bool) for w in out):
        raise ValueError(f"wires: expected a non-empty sequence of integer wires, got {wires!r}")
    out = tuple(int(w) for w in out)
    if len(set(out)) != len(out):
        raise ValueError(f"wires: expected distinct wires, got {out}")
    bad = [w for w in out if not 0 <= w < num_qubits]
    if bad:
        raise ValueError(f"wires: wire {bad[0]} out of range for a {num_qubits}-qubit state")
    return out


def _recipe_array(recipes, snapshots: int, k: int) -> np.ndarray:
    """Given recipes: ``(T, k)`` or ``(k,)`` (broadcast) with entries 0/1/2 or letters, ``-1`` = random."""
    r = np.asarray(recipes)
    if r.dtype.kind in "UO":
        table = {"X": 0, "Y": 1, "Z": 2, "*": -1}
        try:
            r = np.vectorize(lambda s: table[str(s).upper()], otypes=[np.int64])(r)
        except KeyError:
            raise ValueError("recipes: expected letters X, Y, Z (or '*' for random)") from None
    if r.dtype.kind not in "iu":
        raise ValueError(f"recipes: expected integer codes 0 (X), 1 (Y), 2 (Z) or -1 (random), got {r.dtype}")
    if r.ndim == 1:
        r = np.broadcast_to(r, (snapshots, r.shape[0]))
    if r.shape != (snapshots, k):
        raise ValueError(f"recipes: expected shape ({snapshots}, {k}) or ({k},), got {np.shape(recipes)}")
    if r.size and (r.min() < -1 or r.max() > 2):
        raise ValueError("recipes: expected entries 0 (X), 1 (Y), 2 (Z) or -1 (random)")
    return r.astype(np.int64)


# ---------------------------------------------------------------------- the sampler
def sample_bits(psi: np.ndarray, wires, recipes: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Exact Born samples, one per row of ``recipes`` (``(T, k)`` codes) on the qubits ``wires``.

    ``psi`` is a normalised ``2ⁿ`` state in qdist order; ``uniforms`` ``(T, k)`` in [0, 1) drive the
    draws (``b = [u ≥ p(b=0 | prefix)]``). Returns ``(T, k)`` uint8 bits. See the module docstring.
    """
    n = int(psi.shape[0]).bit_length() - 1
    k = len(wires)
    T = recipes.shape[0]
    rest = [w for w in range(n) if w not in wires]
    tensor = np.transpose(psi.reshape((2,) * n), list(wires) + rest).reshape(1, 2**n)
    bits = np.zeros((T, k), dtype=np.uint8)
    rec = np.ascontiguousarray(recipes, dtype=np.int64)
    uni = np.ascontiguousarray(uniforms, dtype=np.float64)
    _descend(tensor, np.zeros(T, dtype=np.int64), np.arange(T), 0, k, rec, uni, bits)
    return bits


def _descend(states, node, snaps, d, k, rec, uni, bits) -> None:
    """Measure qubit ``d`` for the snapshots ``snaps`` sitting at rows ``node`` of ``states``.

    ``states`` ``(N, 2^m)`` holds (unnormalised) conditional states whose first qubit is qubit ``d``.
    With ``a``, ``b`` the halves (qubit d = 0, 1) and ``ν = ‖a‖² + ‖b‖²``: ``p(0|Z) = ‖a‖²/ν``,
    ``p(0|X) = ½ + Re⟨a|b⟩/ν``, ``p(0|Y) = ½ + Im⟨a|b⟩/ν``. The child for (recipe r, bit β) is
    ``∝ U_r[β,0]·a + U_r[β,1]·b``: when most of the 6 children of the nodes are drawn they are all
    built at once (a ± b, a ∓ ib, a, b; no gathers), otherwise only the drawn ones, normalised.
    """
    num_nodes, size = states.shape
    half = size // 2
    if num_nodes > 1 and 6 * num_nodes * half * 16 > _BUDGET:
        # split the nodes into blocks whose children fit the budget; sub-trees are independent
        per_block = max(1, _BUDGET // (6 * half * 16))
        if per_block < num_nodes:
            order = np.argsort(node, kind="stable")
            sorted_nodes = node[order]
            for start in range(0, num_nodes, per_block):
                lo, hi = np.searchsorted(sorted_nodes, [start, start + per_block])
                if hi > lo:
                    sel = order[lo:hi]
                    blk = states[start : start + per_block]
                    _descend(blk, node[sel] - start, snaps[sel], d, k, rec, uni, bits)
            return
    a = states[:, :half]
    b = states[:, half:]
    ar, br = a.view(np.float64), b.view(np.float64)  # interleaved (re, im)
    na = np.einsum("ij,ij->i", ar, ar)
    nb = np.einsum("ij,ij->i", br, br)
    re_ab = np.einsum("ij,ij->i", ar, br)
    im_ab = np.einsum("ij,ij->i", ar[:, 0::2], br[:, 1::2]) - np.einsum("ij,ij->i", ar[:, 1::2], br[:, 0::2])
    norm = na + nb
    r = rec[snaps, d]
    live = node  # rows with snapshots; dead rows (from dense levels) may have ν = 0
    p0 = np.full((num_nodes, 3), 0.5)
    nz = norm > 0
    p0[nz, 0] = 0.5 + re_ab[nz] / norm[nz]
    p0[nz, 1] = 0.5 + im_ab[nz] / norm[nz]
    p0[nz, 2] = na[nz] / norm[nz]
    np.clip(p0, 0.0, 1.0, out=p0)
    bit = uni[snaps, d] >= p0[live, r]
    bits[snaps, d] = bit
    if d + 1 == k:
        return
    key = live * 6 + r * 2 + bit
    ukey, child_of = np.unique(key, return_inverse=True)
    if ukey.shape[0] * 2 > 6 * num_nodes:
        # dense: all six children of every node, slot 2r + β, unnormalised
        dense = np.empty((num_nodes, 6, half), dtype=np.complex128)
        np.add(a, b, out=dense[:, 0])
        np.subtract(a, b, out=dense[:, 1])
        ib = b * 1j
        np.subtract(a, ib, out=dense[:, 2])
        np.add(a, ib, out=dense[:, 3])
        del ib
        dense[:, 4] = a
        dense[:, 5] = b
        _descend(dense.reshape(num_nodes * 6, half), key, snaps, d + 1, k, rec, uni, bits)
        return
    cn, cr, cb = ukey // 6, (ukey // 2) % 3, ukey % 2
    prob = np.where(cb == 0, p0[cn, cr], 1.0 - p0[cn, cr]) * norm[cn]
    scale = 1.0 / np.sqrt(prob)
    c0 = ROTATIONS[cr, cb, 0] * scale
    c1 = ROTATIONS[cr, cb, 1] * scale
    if cn.shape[0] == num_nodes and np.array_equal(cn, np.arange(num_nodes)):  # one child per node
        child = a * c0[:, None]
        child += b * c1[:, None]
    else:
        child = a[cn]
        child *= c0[:, None]
        other = b[cn]
        other *= c1[:, None]
        child += other
        del other
    _descend(child, child_of, snaps, d + 1, k, rec, uni, bits)


# ---------------------------------------------------------------------- public entry points
def _draw(rng: np.random.Generator, snapshots: int, k: int, recipes) -> tuple[np.ndarray, np.ndarray]:
    drawn = rng.integers(0, 3, size=(snapshots, k), dtype=np.int64)
    uniforms = rng.random((snapshots, k))
    if recipes is not None:
        given = _recipe_array(recipes, snapshots, k)
        drawn = np.where(given >= 0, given, drawn)
    return drawn, uniforms


def collect_from_state(psi, snapshots: int, seed, wires=None, recipes=None):
    """Random-Pauli shadow of a given state vector ([classical shadows][classical-shadows]), exact Born sampling.

    Args:
        psi: normalised state ``(2ⁿ,)`` in qdist order (wire 0 most significant), or a batch
            ``(B, 2ⁿ)``.
        snapshots: ``T ≥ 1``.
        seed: int or ``jax.random.PRNGKey``. For a batch, item ``i`` uses the ``i``-th child of
            ``SeedSequence(seed)`` (so it differs from sampling that state alone).
        wires: qubits to measure (columns of the shadow, in this order); others are traced out.
        recipes: optional bases, ``(T, k)`` or ``(k,)`` (same for all snapshots), codes 0 = X,
            1 = Y, 2 = Z or letters; ``-1`` / ``"*"`` entries are drawn at random.

    Returns:
        [`Shadow`][shadows.Shadow] (a list of them for a batch).
    """
    arr, n = check_state(psi)
    T = check_snapshots(snapshots)
    wires = check_wires(wires, n)
    seq = seed_sequence(seed)
    if arr.ndim == 2:
        children = seq.spawn(arr.shape[0])
        out = []
        for row, child in zip(arr, children, strict=True):
            r = np.random.default_rng(child)
            rec, uni = _draw(r, T, len(wires), recipes)
            out.append(Shadow(sample_bits(row, wires, rec, uni), rec, wires))
        return out
    rec, uni = _draw(np.random.default_rng(seq), T, len(wires), recipes)
    return Shadow(sample_bits(arr, wires, rec, uni), rec, wires)


def collect(
    circuit, params, snapshots: int, seed, *, state=None, data=None, wires=None, recipes=None
) -> Shadow:
    """Random-Pauli classical shadow of ``U(θ)|ψ⟩`` from the exact simulator ([classical shadows][classical-shadows]).

    ``circuit`` is a qdist [`Circuit`][qdist.Circuit], a Qiskit ``QuantumCircuit`` or a PennyLane
    QNode / quantum function / tape ([`qdist.interop.boundary`][qdist.interop.boundary]). The final
    state comes from [`qdist.state`][qdist.state]; every snapshot is an exact Born sample in its
    own random basis (see the module docstring for the method). ``params`` must be one vector
    ``(P,)``; ``state``/``data`` are passed to [`qdist.state`][qdist.state]; ``wires``/``recipes`` as in
    [`collect_from_state`][shadows.collect_from_state]. Same ``seed`` → same shadow.
    """
    conv = as_circuit(circuit, params)
    if params is not None and np.ndim(conv.flat(params)) != 1:
        raise ValueError(
            f"params: expected one parameter vector ({conv.num_params},), got shape {np.shape(params)}"
        )
    circuit, params = conv.circuit, conv.angles(params)
    if state is not None and np.ndim(state) != 1:
        raise ValueError(f"state: expected one state vector (2ⁿ,), got shape {np.shape(state)}")
    if data is not None and np.ndim(data) != 1:
        raise ValueError(f"data: expected one data vector, got shape {np.shape(data)}")
    psi = simulate_state(circuit, params, state=state, data=data)
    psi = psi / np.linalg.norm(psi)
    return collect_from_state(psi, snapshots, seed, wires=wires, recipes=recipes)
