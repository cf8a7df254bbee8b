"""Scale-out: run lists of independent tasks on local processes or a Dask cluster.

* `run_tasks` / `Task` / `Results` — `qdist.scale.executor`;
* `qdist.sim.chunking.chunked_expval` splits large batched simulations into chunks sized to
  the worker's memory.
"""

from qdist.scale.executor import SCHEDULER_ENV, Results, Task, resolve_scheduler, run_tasks

__all__ = ["SCHEDULER_ENV", "Results", "Task", "resolve_scheduler", "run_tasks"]
