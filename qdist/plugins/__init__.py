"""Drop-in plugins: the PennyLane device ``qdist.qubit`` (`qdist.plugins.pennylane_device`)."""
