"""Scale-out: run lists of independent tasks on local processes or a Dask cluster.

* :func:`run_tasks` / :class:`Task` / :class:`Results` — :mod:`qdist.scale.executor`;
* :func:`qdist.sim.chunking.chunked_expval` splits large batched simulations into chunks sized to
  the worker's memory.
"""

from qdist.scale.executor import SCHEDULER_ENV, Results, Task, resolve_scheduler, run_tasks

__all__ = ["SCHEDULER_ENV", "Results", "Task", "resolve_scheduler", "run_tasks"]
