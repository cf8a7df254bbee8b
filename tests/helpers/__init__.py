"""Reference code shared by the test modules (no fixtures, no tests).

* `helpers.circuits` — random circuit specs and the independent qdist / Qiskit / PennyLane
  builders;
* `helpers.reference` — reference observables and the Qiskit ↔ qdist state ordering.

Importable as ``helpers`` from every test folder: pytest's default ``prepend`` import mode puts
``tests/`` (the folder of ``tests/conftest.py``, which has no ``__init__.py``) on ``sys.path``
before any test module is imported. The test sub-folders have no ``__init__.py`` either, so test
module basenames must be unique across ``tests/``, and no sub-folder may be named like a package
the tests import: ``tests/`` is on ``sys.path``, so a folder ``tests/shadows/`` would be found as a
namespace package ``shadows`` before the editable install's finder (which comes last) is asked —
hence the shadows tests live in ``tests/shadow/``.
"""
