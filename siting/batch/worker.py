"""What runs on a worker: a per-process cached dataset, and the task that runs a chunk of scenarios.

The same code serves the local process pool and Dask workers. The dataset is loaded once
per process (and pre-loaded by :class:`DatasetPlugin` on Dask workers), never shipped with
a task. Each scenario goes through the functions ``amayesh plan`` calls
(:func:`siting.pipeline.prepare_dataset`, :func:`siting.pipeline.run_plan`,
:func:`siting.pipeline.write_plan`); a scenario that fails is returned with its status and
message, and the chunk goes on.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import traceback
from pathlib import Path

# One solver thread per worker: the pool gives the parallelism, and BLAS threads would only fight
# over the two cores (set before numpy is imported by the worker's first task).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _name in THREAD_VARIABLES:
    os.environ.setdefault(_name, "1")

_DATASETS: dict[tuple, object] = {}

#: Allocation columns kept per scenario and county (long form), in this order.
ALLOCATION_FIELDS = ("unit_code", "province_code", "score", "rank", "tier", "gap", "new_urban", "new_rural", "new_licences")


def _dataset_key(scenario, data: str, vintage: int) -> str:
    """What :func:`siting.pipeline.prepare_dataset` reads from a scenario: its data, registers and network conversion."""
    import json

    raw = scenario.model_dump(mode="json")
    plan = {k: v for k, v in raw.get("plan", {}).items() if k.startswith("convert_")}
    return json.dumps({"data": str(data), "vintage": int(vintage), "registers": raw.get("registers"), "plan": plan,
                       "scenario_data": raw.get("data")}, sort_keys=True)


def dataset_for(scenario, data: str, vintage: int) -> object:
    """The dataset ``scenario`` runs on, prepared by :func:`siting.pipeline.prepare_dataset` once per process."""
    key = _dataset_key(scenario, data, vintage)
    if key not in _DATASETS:
        from siting.pipeline import prepare_dataset

        dataset = prepare_dataset(scenario, str(data), int(vintage))
        _DATASETS[key] = dataset
    return _DATASETS[key]


def warm(data: str, vintage: int, scenarios: tuple) -> None:
    """Load the datasets a batch needs (process-pool initializer; Dask plugin setup); ``scenarios`` are raw mappings."""
    from siting.scenario import validate_scenario

    for raw in scenarios:
        dataset_for(validate_scenario(raw, "batch"), data, vintage)


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # dask is only needed for --scheduler
    WorkerPlugin = object  # type: ignore[misc,assignment]


#: Dask worker callbacks of its statistical profiler (``distributed.worker.profile``).
PROFILER_CALLBACKS = ("profile", "profile-cycle")


class DatasetPlugin(WorkerPlugin):  # type: ignore[misc]
    """Dask worker plugin: load the batch's data once when a worker joins, before any task runs."""

    name = "amayesh-dataset"

    def __init__(self, data: str, vintage: int, scenarios: tuple):
        self.data, self.vintage, self.scenarios = data, vintage, scenarios

    def setup(self, worker) -> None:  # noqa: D401 - Dask's hook
        warm(self.data, self.vintage, self.scenarios)
        # The worker's statistical profiler samples the task thread's stack every 10 ms, taking the GIL from
        # the solver (about 7 % of a batch on 2 cores); it is paused while the batch's plugin is registered.
        callbacks = getattr(worker, "periodic_callbacks", {})
        self.paused = [name for name in PROFILER_CALLBACKS if name in callbacks and callbacks[name].is_running()]
        for name in self.paused:
            callbacks[name].stop()

    def teardown(self, worker) -> None:  # noqa: D401 - Dask's hook
        callbacks = getattr(worker, "periodic_callbacks", {})
        for name in getattr(self, "paused", ()):
            if name in callbacks:
                callbacks[name].start()


def _status(exc: BaseException) -> str:
    from siting.errors import DataError, InfeasibleError, ScenarioError, WeightsError

    if isinstance(exc, InfeasibleError):
        return "infeasible"
    if isinstance(exc, (ScenarioError, WeightsError)):
        return "invalid"
    if isinstance(exc, DataError):
        return "data_error"
    return "error"


def run_scenario(spec: dict, data: str, vintage: int, place: bool, keep: bool, source: str) -> dict:
    """Run one resolved scenario; never raises for the scenario's own failures.

    Returns
    -------
    dict
        ``scenario_id``, ``status``, ``message``, ``summary`` (headline figures), ``weights``,
        ``allocation`` (column → list), ``files`` (name → bytes, only with ``keep``), ``timing``.
    """
    started = time.perf_counter()
    out: dict = {"scenario_id": spec["scenario_id"], "status": None, "message": None, "summary": None,
                 "weights": None, "allocation": None, "files": None}
    try:
        if spec.get("raw") is None:
            from siting.errors import ScenarioError

            raise ScenarioError(spec.get("error") or "invalid scenario")
        from siting.pipeline import run_plan, write_plan
        from siting.scenario import scenario_yaml, validate_scenario

        scenario = validate_scenario(spec["raw"], f"{source}: {spec['label']}")
        dataset = dataset_for(scenario, data, vintage)
        run = run_plan(dataset, scenario, f"{source}#{spec['label']}", scenario_text=scenario_yaml(scenario), place=place)
        allocation = run.plan.allocation.reset_index()
        out["allocation"] = {name: allocation[name].tolist() for name in ALLOCATION_FIELDS}
        out["summary"] = run.summary
        out["weights"] = dict(zip(run.scored.weights["indicator"], run.scored.weights["weight"].astype(float)))
        out["status"] = run.summary["status"]
        if keep:
            with tempfile.TemporaryDirectory(prefix="amayesh-run-") as folder:
                write_plan(run, Path(folder))
                out["files"] = {path.name: path.read_bytes() for path in sorted(Path(folder).iterdir()) if path.is_file()}
    except Exception as exc:  # a failing scenario is a result, not the end of the batch
        out["status"] = _status(exc)
        out["message"] = str(exc) if out["status"] != "error" else f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    out["timing"] = {"seconds": time.perf_counter() - started, "host": socket.gethostname(), "pid": os.getpid()}
    return out


def run_chunk(specs: list[dict], data: str, vintage: int, place: bool, keep: bool, source: str) -> list[dict]:
    """Run a chunk of scenarios in one task (small scenarios are batched so scheduling costs stay small)."""
    return [run_scenario(spec, data, vintage, place, keep, source) for spec in specs]
