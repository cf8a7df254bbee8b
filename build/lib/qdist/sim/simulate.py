"""Run a [`Circuit`][qdist.Circuit] on a state vector, and take expectations.

Everything here is a pure function of ``(params, state, data)``; the circuit and the observable are
static Python data that the functions close over, so they trace once under ``jax.jit`` and batch
under ``jax.vmap``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from qdist.sim.apply import apply_diagonal, apply_matrix, apply_pauli, pauli_sign_vector
from qdist.sim.circuit import Circuit, Op
from qdist.sim.fusion import MAX_FUSION_QUBITS, FusedPermutation, fuse, monomial_columns
from qdist.sim.gates import gate_spec, pauli_string_matrix
from qdist.sim.observables import Observable
from qdist.sim.segments import Repeat, segment


@dataclass(frozen=True)
class Step:
    """An operation prepared for simulation (static data only)."""

    op: Op | None  # None for a fused run of fixed gates
    fixed_matrix: np.ndarray | None  # concrete matrix (or diagonal) when no angle is trainable
    diagonal: bool
    pattern: np.ndarray | None  # possible non-zeros of the matrix for every angle
    dpattern: np.ndarray | None  # possible non-zeros of any angle derivative
    fused: FusedPermutation | None = None


def _angles_concrete(op: Op) -> np.ndarray:
    return np.array([a.offset for a in op.angles], dtype=np.float64)


@lru_cache(maxsize=4096)
def _gate_patterns(name: str) -> tuple[np.ndarray, np.ndarray | None]:
    with jax.ensure_compile_time_eval():
        return _gate_patterns_eager(name)


def _gate_patterns_eager(name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Entries that can be non-zero for some angle (a superset of the derivative's non-zeros)."""
    spec = gate_spec(name)
    rng = np.random.default_rng(1234)
    pat = np.zeros((2**spec.num_wires,) * 2, dtype=bool)
    for _ in range(3 if spec.num_params else 1):
        a = jnp.asarray(rng.uniform(-np.pi, np.pi, spec.num_params))
        pat |= np.abs(np.asarray(spec.matrix(a))) > 1e-14
    return pat, (pat if spec.num_params else None)


def prepare(circuit: Circuit, fuse_permutations: bool = True) -> tuple[Step, ...]:
    """Static per-op data: fixed matrices evaluated once, sparsity patterns of trainable gates,
    and runs of ≥ 2 fixed monomial gates fused into one permutation (`qdist.sim.fusion`)."""
    steps = _prepare_ops(circuit)
    if fuse_permutations and circuit.num_qubits <= MAX_FUSION_QUBITS:
        steps = _fuse_runs(steps, circuit.num_qubits)
    return steps


def _is_monomial(step: Step) -> bool:
    if step.op is None or step.fixed_matrix is None:
        return False
    return step.diagonal or monomial_columns(step.fixed_matrix) is not None


def _fuse_runs(steps: tuple[Step, ...], n: int) -> tuple[Step, ...]:
    out, run = [], []

    def flush():
        if len(run) >= 2:
            blocks = [(st.fixed_matrix, st.op.wires) for st in run]
            out.append(Step(None, None, False, None, None, fused=fuse(blocks, n)))
        else:
            out.extend(run)
        run.clear()

    for st in steps:
        if _is_monomial(st):
            run.append(st)
        else:
            flush()
            out.append(st)
    flush()
    return tuple(out)


def _prepare_ops(circuit: Circuit) -> tuple[Step, ...]:
    with jax.ensure_compile_time_eval():  # fixed matrices are constants even inside a trace
        return _prepare_ops_eager(circuit)


def _prepare_ops_eager(circuit: Circuit) -> tuple[Step, ...]:
    steps = []
    for op in circuit.ops:
        if op.kind == "gate":
            spec = gate_spec(op.name)
            pat, dpat = _gate_patterns(spec.name)
            fixed = None if op.trainable else np.asarray(spec.matrix(jnp.asarray(_angles_concrete(op))))
            if fixed is not None and spec.diagonal:
                fixed = np.diag(fixed)
            steps.append(Step(op, fixed, spec.diagonal, pat, dpat))
        elif op.kind == "pauli_rot":
            fixed = None
            if not op.trainable:
                th = op.angles[0].offset
                p = pauli_string_matrix(op.pauli)
                fixed = np.cos(th / 2) * np.eye(len(p)) - 1j * np.sin(th / 2) * p
            steps.append(Step(op, fixed, False, None, None))
        elif op.kind == "unitary":
            steps.append(Step(op, op.matrix, False, None, None))
        elif op.kind == "diagonal":
            steps.append(Step(op, op.matrix, True, None, None))
        elif op.kind == "data_phase":
            steps.append(Step(op, None, True, None, None))
        else:  # pragma: no cover - guarded by make_circuit
            raise ValueError(f"op: unknown kind {op.kind!r}")
    return tuple(steps)


def op_angles(op: Op, params: jnp.ndarray) -> jnp.ndarray:
    """Angles of ``op``: ``coeff · params[index] + offset`` ([parameter references][circuits-as-data])."""
    vals = [a.coeff * params[a.index] + a.offset if a.trainable else a.offset for a in op.angles]
    return jnp.stack([jnp.asarray(v, dtype=params.dtype) for v in vals])


def _pauli_word(op: Op) -> tuple[tuple[int, str], ...]:
    return tuple((w, p) for w, p in zip(op.wires, op.pauli, strict=True) if p != "I")


def apply_step(step: Step, psi: jnp.ndarray, params, data, n: int, adjoint: bool = False) -> jnp.ndarray:
    """Apply one step (or its inverse when ``adjoint``) to ``psi``."""
    if step.fused is not None:
        return step.fused.apply(psi, adjoint)
    op = step.op
    if step.fixed_matrix is not None:
        m = step.fixed_matrix
        if step.diagonal:
            d = np.conj(m) if adjoint else m
            return apply_diagonal(psi, jnp.asarray(d, dtype=psi.dtype), op.wires, n)
        return apply_matrix(psi, np.conj(m).T if adjoint else m, op.wires, n)
    if op.kind == "data_phase":
        start, stop = op.data_slice
        phases = (-1.0 if adjoint else 1.0) * op.scale * data[start:stop]
        return apply_diagonal(psi, jnp.exp(1j * phases).astype(psi.dtype), op.wires, n)
    angles = op_angles(op, params)
    if op.kind == "pauli_rot":
        th = -angles[0] if adjoint else angles[0]
        c, s = jnp.cos(th / 2).astype(psi.dtype), jnp.sin(th / 2).astype(psi.dtype)
        return c * psi - 1j * s * apply_pauli(psi, _pauli_word(op), n)
    spec = gate_spec(op.name)
    m = spec.matrix(angles).astype(psi.dtype)
    if step.diagonal:
        d = jnp.diagonal(m)
        return apply_diagonal(psi, jnp.conj(d) if adjoint else d, op.wires, n)
    if adjoint:
        return apply_matrix(psi, jnp.conj(m).T, op.wires, n, pattern=step.pattern.T)
    return apply_matrix(psi, m, op.wires, n, pattern=step.pattern)


def run_steps(steps, psi, params, data, n: int) -> jnp.ndarray:
    """Final state ``U(θ; data) ψ``; `Repeat` runs go through ``lax.scan``."""
    for step in steps:
        if isinstance(step, Repeat):
            block = step.block

            def body(carry, theta, block=block):
                return run_steps(block, carry, theta, data, n), None

            psi, _ = jax.lax.scan(body, psi, params[step.index_table])
        else:
            psi = apply_step(step, psi, params, data, n)
    return psi


def _adjoint_segments(segments, params, data, psi, lam, n: int):
    """The reverse sweep over plain steps and scanned `Repeat` runs."""
    grad = jnp.zeros_like(params)
    gdata = jnp.zeros_like(data)
    plain: list = []

    def flush(grad, gdata, psi, lam):
        if plain:
            g, gd, lam, psi = _adjoint_sweep(tuple(plain), params, data, psi, lam, n)
            grad, gdata = grad + g, gdata + gd
            plain.clear()
        return grad, gdata, psi, lam

    for seg in reversed(segments):
        if not isinstance(seg, Repeat):
            plain.insert(0, seg)
            continue
        grad, gdata, psi, lam = flush(grad, gdata, psi, lam)

        def body(carry, theta, block=seg.block):
            psi_c, lam_c, gd_c = carry
            g, gd, lam_c, psi_c = _adjoint_sweep(block, theta, data, psi_c, lam_c, n)
            return (psi_c, lam_c, gd_c + gd), g

        (psi, lam, gdata), local = jax.lax.scan(
            body, (psi, lam, gdata), params[seg.index_table], reverse=True
        )
        grad = grad.at[seg.index_table].add(local)
    grad, gdata, psi, lam = flush(grad, gdata, psi, lam)
    return grad, gdata, lam, psi


def apply_observable(obs: Observable, psi: jnp.ndarray, n: int) -> jnp.ndarray:
    """``O ψ = Σ_k c_k P_k ψ``."""
    out = None
    for c, word in zip(obs.coeffs, obs.words, strict=True):
        term = c * apply_pauli(psi, word, n)
        out = term if out is None else out + term
    return jnp.zeros_like(psi) if out is None else out


def expectation(obs: Observable, psi: jnp.ndarray, n: int) -> jnp.ndarray:
    """``⟨ψ|O|ψ⟩`` (real); Z-only strings use the probabilities directly."""
    probs = None
    total = jnp.zeros((), dtype=jnp.real(psi).dtype)
    for c, word in zip(obs.coeffs, obs.words, strict=True):
        if all(p == "Z" for _, p in word):
            if probs is None:
                probs = (jnp.abs(psi) ** 2).reshape((2,) * n)
            total = total + c * jnp.sum(probs * pauli_sign_vector(word, n))
        else:
            total = total + c * jnp.real(jnp.vdot(psi, apply_pauli(psi, word, n)))
    return total


# ---------------------------------------------------------------------------------------------
# adjoint (reverse-mode) gradient, docs/concepts/gradients.md#exact-and-parameter-shift
# ---------------------------------------------------------------------------------------------


def _derivative_matrices(op: Op, angles):
    """``∂M/∂angle_k`` for each angle: shape ``(k, d, d)``."""
    spec = gate_spec(op.name)
    re = jax.jacfwd(lambda a: jnp.real(spec.matrix(a)))(angles)
    im = jax.jacfwd(lambda a: jnp.imag(spec.matrix(a)))(angles)
    return jnp.moveaxis(re + 1j * im, -1, 0)


def _pauli_overlap_imag(lam, psi, word, n: int):
    """``Im⟨λ|P|ψ⟩``; for one-qubit P it reads the two halves of λ and ψ without building Pψ."""
    if len(word) != 1:
        return jnp.imag(jnp.vdot(lam, apply_pauli(psi, word, n)))
    ((w, p),) = word
    lv = lam.reshape(2**w, 2, 2 ** (n - w - 1))
    pv = psi.reshape(2**w, 2, 2 ** (n - w - 1))
    l0, l1, a0, a1 = lv[:, 0], lv[:, 1], pv[:, 0], pv[:, 1]
    if p == "X":  # Im(l0* a1 + l1* a0)
        return jnp.sum(jnp.imag(jnp.conj(l0) * a1 + jnp.conj(l1) * a0))
    if p == "Y":  # Im(-i l0* a1 + i l1* a0) = Re(l1* a0) - Re(l0* a1)
        return jnp.sum(jnp.real(jnp.conj(l1) * a0 - jnp.conj(l0) * a1))
    return jnp.sum(jnp.imag(jnp.conj(l0) * a0 - jnp.conj(l1) * a1))


def _adjoint_sweep(steps, params, data, psi, lam, n: int):
    """Reverse sweep: returns ``(∂f/∂params, ∂f/∂data, λ₀, ψ₀)`` with O(1) extra states.

    With ``λ = U_{>j}† O U ψ₀`` and ``ψ`` the state after step j, a trainable angle contributes
    ``2 Re⟨λ|∂G ψ_before⟩``; for rotations ``exp(−iθP/2)`` this is ``Im⟨λ|P|ψ_after⟩``.
    """
    dangles, indices, coeffs = [], [], []
    gdata = jnp.zeros_like(data)
    for step in reversed(steps):
        op = step.op
        if op is None or not (op.trainable or op.kind == "data_phase"):
            psi = apply_step(step, psi, params, data, n, adjoint=True)
            lam = apply_step(step, lam, params, data, n, adjoint=True)
            continue
        if op.kind == "data_phase":
            start, stop = op.data_slice
            z = jnp.conj(lam) * psi
            if op.wires != tuple(range(n)):
                keep = [w for w in range(n) if w not in op.wires]
                z = jnp.sum(z.reshape((2,) * n), axis=tuple(keep))
                order = np.argsort(np.argsort(op.wires))  # axes of z are wires in sorted order
                z = jnp.transpose(z, order).reshape(-1)
            gdata = gdata.at[start:stop].add(-2.0 * op.scale * jnp.imag(z))
            psi = apply_step(step, psi, params, data, n, adjoint=True)
            lam = apply_step(step, lam, params, data, n, adjoint=True)
            continue
        generator = op.generator
        if generator is not None:
            word = tuple((w, p) for w, p in zip(op.wires, generator, strict=True) if p != "I")
            dangle = _pauli_overlap_imag(lam, psi, word, n)[None]
            psi = apply_step(step, psi, params, data, n, adjoint=True)
        else:
            psi = apply_step(step, psi, params, data, n, adjoint=True)
            angles = op_angles(op, params)
            dms = _derivative_matrices(op, angles).astype(psi.dtype)
            dangle = jnp.stack(
                [
                    2.0
                    * jnp.real(jnp.vdot(lam, apply_matrix(psi, dms[k], op.wires, n, pattern=step.dpattern)))
                    for k in range(len(op.angles))
                ]
            )
        for k, a in enumerate(op.angles):
            if a.trainable:
                dangles.append(dangle[k])
                indices.append(a.index)
                coeffs.append(a.coeff)
        lam = apply_step(step, lam, params, data, n, adjoint=True)
    grad = jnp.zeros_like(params)
    if dangles:  # one scatter-add: ∂f/∂θ_i = Σ_{angles a referencing i} coeff_a · ∂f/∂a
        contrib = jnp.stack(dangles).astype(params.dtype) * np.asarray(coeffs)
        grad = grad.at[np.asarray(indices)].add(contrib)
    return grad, gdata, lam, psi


def make_expval_fn(circuit: Circuit, observable: Observable):
    """Pure ``f(params, state, data) -> ⟨ψ|U† O U|ψ⟩`` with an adjoint-method ``custom_vjp``.

    ``jax.grad``/``jax.jit``/``jax.vmap`` all work on it; reverse mode costs about three forward
    passes and keeps two state vectors whatever the number of parameters ([exact and parameter-shift gradients][exact-and-parameter-shift]).
    """
    steps = segment(prepare(circuit))
    n = circuit.num_qubits

    @jax.custom_vjp
    def f(params, state, data):
        return expectation(observable, run_steps(steps, state, params, data, n), n)

    def f_fwd(params, state, data):
        psi = run_steps(steps, state, params, data, n)
        lam = apply_observable(observable, psi, n)
        val = jnp.real(jnp.vdot(psi, lam))
        return val, (params, data, psi, lam)

    def f_bwd(res, g):
        params, data, psi, lam = res
        grad, gdata, lam0, _ = _adjoint_segments(steps, params, data, psi, lam, n)
        # JAX's cotangent for a real function of a complex input z is conj(∂f/∂z)·2-style: for
        # f = ψ₀† A ψ₀ it is 2·conj(A ψ₀) = 2·conj(λ₀).
        return (g * grad, (2.0 * g) * jnp.conj(lam0), g * gdata)

    f.defvjp(f_fwd, f_bwd)
    return f


def make_state_fn(circuit: Circuit):
    """Pure ``f(params, state, data) -> U(θ; data) ψ`` (differentiable by ordinary JAX autodiff)."""
    steps = segment(prepare(circuit))
    n = circuit.num_qubits

    def f(params, state, data):
        return run_steps(steps, state, params, data, n)

    return f
