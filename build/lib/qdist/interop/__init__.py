"""Conversions to and from Qiskit and PennyLane; the only place their qubit orders appear."""
