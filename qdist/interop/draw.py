"""[`draw`][qdist.draw]: a circuit as text, one line per wire, ops packed into columns.

    >>> print(qdist.draw(qdist.from_qiskit(qc)))
    0: ─H──●──RX(θ0)────────
    1: ────X──RZZ(2θ1+0.5)──
    2: ───────RZZ(2θ1+0.5)──

Controlled gates show ``●`` on their controls; other multi-wire ops repeat their label on every
wire and mark the wires they cross with ``│``. An angle ``Angle(k, a, b)`` prints as ``a·θk + b``
(``θk`` when ``a = 1, b = 0``); fixed angles with 3 significant digits.
"""

from __future__ import annotations

from qdist.interop.boundary import as_circuit
from qdist.sim.circuit import Angle, Circuit, Op

__all__ = ["draw", "op_label"]

#: gates drawn as controls (``●``) on their first wires and the base gate on the last
_CONTROLS = {"CCX": 2}


def _num(x: float) -> str:
    return f"{x:.3g}"


def angle_text(a: Angle) -> str:
    """``Angle(k, a, b)`` → ``"a·θk+b"`` in short form."""
    if not a.trainable:
        return _num(a.offset)
    c = "" if a.coeff == 1.0 else "-" if a.coeff == -1.0 else _num(a.coeff)
    text = f"{c}θ{a.index}"
    if a.offset:
        text += f"{'+' if a.offset > 0 else '-'}{_num(abs(a.offset))}"
    return text


def op_label(op: Op) -> str:
    """Short label of one op (without its controls)."""
    args = ",".join(angle_text(a) for a in op.angles)
    if op.kind == "gate":
        name = op.name[_controls(op) :] if _controls(op) else op.name
        return f"{name}({args})" if args else name
    if op.kind == "pauli_rot":
        return f"R{op.pauli}({args})"
    if op.kind == "data_phase":
        start, stop = op.data_slice
        return f"D(x[{start}:{stop}])"
    return op.name


def _controls(op: Op) -> int:
    if op.kind != "gate":
        return 0
    if op.name in _CONTROLS:
        return _CONTROLS[op.name]
    return 1 if op.name.startswith("C") and len(op.wires) == 2 else 0


def _columns(circuit: Circuit) -> list[list[Op]]:
    """Greedy packing: each op goes in the first column after the last one using its wire span."""
    free = [0] * circuit.num_qubits
    cols: list[list[Op]] = []
    for op in circuit.ops:
        lo, hi = min(op.wires), max(op.wires)
        c = max(free[lo : hi + 1])
        if c == len(cols):
            cols.append([])
        cols[c].append(op)
        for w in range(lo, hi + 1):
            free[w] = c + 1
    return cols


def draw(circuit, params=None, *, max_width: int = 120) -> str:
    """The circuit as text (module docstring); any circuit an entry point accepts (a QNode /
    quantum function needs ``params`` to be converted). Lines longer than ``max_width`` are folded."""
    c = as_circuit(circuit, params).circuit
    labels = getattr(c, "wire_labels", None) or tuple(range(c.num_qubits))
    rows = [[] for _ in range(c.num_qubits)]
    for col in _columns(c):
        cells = {}
        for op in col:
            k = _controls(op)
            label = op_label(op)
            for i, w in enumerate(op.wires):
                cells[w] = "●" if i < k else label
            lo, hi = min(op.wires), max(op.wires)
            for w in range(lo + 1, hi):
                cells.setdefault(w, "│")
        width = max(len(x) for x in cells.values())
        for w in range(c.num_qubits):
            text = cells.get(w, "")
            pad = width - len(text)
            rows[w].append("─" * (pad // 2) + text + "─" * (pad - pad // 2) if text else "─" * width)
    head = [f"{labels[w]}: " for w in range(c.num_qubits)]
    size = max(len(h) for h in head)
    head = [h.rjust(size) for h in head]
    lines = _fold([["─"] + [x + "──" for x in r] for r in rows], max_width - size)
    return "\n\n".join(
        "\n".join(h + "".join(part) for h, part in zip(head, block, strict=True)) for block in lines
    )


def _fold(rows: list[list[str]], width: int) -> list[list[list[str]]]:
    """Split the columns of every row into blocks at most ``width`` characters wide."""
    blocks, start = [], 0
    ncols = len(rows[0]) if rows else 0
    while start < ncols or not blocks:
        end, used = start, 0
        while end < ncols and (end == start or used + len(rows[0][end]) <= width):
            used += max(len(r[end]) for r in rows)
            end += 1
        blocks.append([r[start:end] for r in rows])
        start = end
        if end >= ncols:
            break
    return blocks
