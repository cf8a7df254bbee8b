"""Classical baselines on the classical counterpart of the same model ([classical baselines][classical-baselines]).

The classical counterpart computes f and ∇f exactly (here: the state-vector simulation of the same
unitaries). What it *sends* follows [protocols and communication][protocols-and-communication] with b-bit floats (b = 32 by default, 64 as an option):
an activation is N floats (N·b bits) — the width of the data; a classical simulation of the quantum
model itself would need 2·2ⁿ floats per activation, so the count is favourable to the classical side.

* ``"pipeline"`` — backprop through the pipeline: an N-float activation crosses each of the H
  boundaries forward; for a gradient the N-float activation gradient crosses each boundary
  backward (2·H·N·b bits per sample). Inference returns the b-bit result to Alice.
* ``"ship-data"`` — Alice sends x (N·b) and her parameters to Bob, the other owners send Bob theirs;
  Bob computes. Inference: b bits back to Alice; gradient: every party's block back to it.
* ``"ship-model"`` — every owner sends its parameters to Alice, who computes; a gradient step
  returns their gradient blocks.

Every message is checked against the network (classical links join every pair) and recorded in a
ledger that equals [`qdist.network.costs.classical_cost`][qdist.network.costs.classical_cost] exactly.
"""

from __future__ import annotations

import numpy as np

from qdist.network import costs
from qdist.network.ledger import CLASSICAL, Ledger, Message
from qdist.network.model import DistributedModel
from qdist.network.privacy import classical_leakage, privacy_report
from qdist.network.protocols import ProtocolResult
from qdist.sim.execute import value_and_grad


def classical_ledger(
    model: DistributedModel,
    scheme: str,
    task: str = "inference",
    bits: int = costs.DEFAULT_BITS,
    result_to: str = "alice",
    batch: int = 1,
) -> Ledger:
    """The messages of one classical baseline run (one inference, or one gradient step)."""
    spec = model.spec
    b = costs.check_bits(bits)
    costs.classical_cost(spec, scheme, task, b, result_to, batch)  # validates the arguments
    names = spec.party_names
    N, H, K = spec.features, spec.hops, spec.parties
    owners = [names[k] for k, _, _ in spec.segments]
    P = [spec.party_params(k) for k in range(K)]
    msgs: list[Message] = []

    def send(a, r, size, purpose, rnd, count=1):
        msgs.append(model.network.check(Message(a, r, CLASSICAL, size, purpose, rnd, count)))

    if scheme == "pipeline":
        count = batch if task == "gradient" else 1
        for s in range(H):
            send(owners[s], owners[s + 1], N * b, "activation", s, count)
        if task == "gradient":
            for r, s in enumerate(range(H, 0, -1)):
                send(owners[s], owners[s - 1], N * b, "activation gradient", H + r, count)
        elif result_to == "alice" and spec.last_owner != 0:
            send(owners[-1], names[0], b, "measurement result", H)
    elif scheme == "ship-data":
        send(names[0], names[1], N * b, "data", 0, batch if task == "gradient" else 1)
        send(names[0], names[1], P[0] * b, "parameter broadcast", 0)
        for k in range(2, K):
            send(names[k], names[1], P[k] * b, "parameter broadcast", 0)
        if task == "gradient":
            for k in [0, *range(2, K)]:
                send(names[1], names[k], P[k] * b, "gradient result", 1)
        elif result_to == "alice":
            send(names[1], names[0], b, "measurement result", 1)
    else:  # ship-model
        for k in range(1, K):
            send(names[k], names[0], P[k] * b, "parameter broadcast", 0)
        if task == "gradient":
            for k in range(1, K):
                send(names[0], names[k], P[k] * b, "gradient result", 1)
    return Ledger(tuple(msgs))


def run_classical(
    model: DistributedModel,
    scheme: str,
    task: str = "inference",
    *,
    bits: int = costs.DEFAULT_BITS,
    result_to: str = "alice",
    cls: int = 0,
) -> ProtocolResult:
    """Run a classical baseline: exact value (inference) or exact gradient (gradient) of f_cls."""
    spec = model.spec
    ledger = classical_ledger(model, scheme, task, bits, result_to)
    formula = costs.classical_cost(spec, scheme, task, bits, result_to)
    circuit, theta = model.flat_circuit(), model.flat_params()
    psi0, data = model.initial_state(), model.flat_data()
    if task == "inference":
        value = np.asarray(model.exact_values())
    else:
        _, value = value_and_grad(circuit, theta, model.readout(cls), state=psi0, data=data)
        value = np.asarray(value)
    return ProtocolResult(
        task,
        scheme,
        spec,
        None,
        None,
        value,
        value,
        ledger,
        formula,
        privacy={
            **privacy_report(ledger, spec.party_names, classical_leakage(spec, bits)),
            "in_clear": classical_leakage(spec, bits)[scheme],
        },
        details={"bits": bits, "note": "exact classical computation; b-bit floats on the wire"},
    )
