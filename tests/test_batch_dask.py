"""The --scheduler path on a real Dask cluster: ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1.

The results must be byte-identical to the local pool's, and a worker killed mid-batch must not lose a scenario.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from siting.batch import read_batch
from siting.batch.runner import run_batch
from siting.batch.sweep import expand

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "tests" / "fixtures" / "batch" / "small.yaml"
TABLES = ("runs.parquet", "allocations.parquet", "summary.csv")
DASK = str(Path(sys.executable).with_name("dask"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers without nannies (a killed worker stays dead)."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DASK_TEMPORARY_DIRECTORY": str(folder)}
    logs = [open(folder / f"{name}.log", "w") for name in ("scheduler", "worker-0", "worker-1")]
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  stdout=logs[0], stderr=subprocess.STDOUT, env=env, start_new_session=True)]
    try:
        with socket.socket() as probe:
            deadline = time.monotonic() + 60
            while probe.connect_ex(("127.0.0.1", port)) != 0:
                assert time.monotonic() < deadline, (folder / "scheduler.log").read_text()
                time.sleep(0.2)
        workers = [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                     "--local-directory", str(folder / f"worker-{k}"), "--name", f"w{k}"],
                                    stdout=logs[k + 1], stderr=subprocess.STDOUT, env=env, start_new_session=True) for k in range(2)]
        processes += workers
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
        yield {"address": address, "workers": workers, "folder": folder}
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def local_reference(shared_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "local"
    run_batch(expand(SMALL, str(shared_data)), out, workers=2, progress=False)
    return out


def test_the_cluster_gives_byte_identical_tables(cluster, local_reference, shared_data, tmp_path):
    from click.testing import CliRunner

    from siting.cli.main import cli

    out = tmp_path / "dask"
    result = CliRunner().invoke(cli, ["batch", str(SMALL), "--data", str(shared_data), "--out", str(out),
                                      "--scheduler", cluster["address"], "--no-progress"])
    assert result.exit_code == 0, result.output
    for name in TABLES:
        assert (out / name).read_bytes() == (local_reference / name).read_bytes(), name
    timings = (out / "timings.csv").read_text()
    assert timings.count("\n") == 10
    # The planner's cluster is left as it was: the plugin is gone and the workers' profilers run again
    from distributed import Client

    with Client(cluster["address"], timeout="30s") as client:
        assert "amayesh-dataset" not in client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins))
        assert all(client.run(lambda dask_worker: dask_worker.periodic_callbacks["profile"].is_running()).values())


def test_the_plugin_pauses_the_worker_profiler_while_registered():
    from siting.batch.worker import PROFILER_CALLBACKS, DatasetPlugin

    class Callback:
        def __init__(self):
            self.running = True

        def is_running(self):
            return self.running

        def stop(self):
            self.running = False

        def start(self):
            self.running = True

    class Worker:
        periodic_callbacks = {name: Callback() for name in (*PROFILER_CALLBACKS, "heartbeat")}

    plugin, worker = DatasetPlugin("embedded", 1395, ()), Worker()
    plugin.setup(worker)
    assert [c.running for c in worker.periodic_callbacks.values()] == [False, False, True]
    plugin.teardown(worker)
    assert all(c.running for c in worker.periodic_callbacks.values())


def test_an_unreachable_scheduler_is_a_clear_error(shared_data, tmp_path):
    from click.testing import CliRunner

    from siting.cli.main import cli

    result = CliRunner().invoke(cli, ["batch", str(SMALL), "--data", str(shared_data), "--out", str(tmp_path / "x"),
                                      "--scheduler", f"tcp://127.0.0.1:{_free_port()}", "--no-progress"])
    assert result.exit_code == 1 and "cannot reach the Dask scheduler" in result.output


def test_a_worker_killed_mid_batch_loses_no_scenario(cluster, shared_data, tmp_path):
    """Runs last in this module: it kills one of the two workers."""
    sweep = tmp_path / "twelve.yaml"
    sweep.write_text(yaml.safe_dump({"name": "twelve", "base": str(REPO / "data" / "scenarios" / "default.yaml"),
                                     "grid": {"plan.budget_licences": {"from": 1000, "to": 3750, "step": 250}}}), encoding="utf-8")
    expanded = expand(sweep, str(shared_data))
    out = tmp_path / "out"
    errors = []

    def run():
        try:
            run_batch(expanded, out, scheduler=cluster["address"], chunk_size=1, progress=False)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while len(list((out / "parts").glob("*.json")) if (out / "parts").exists() else []) < 1:
        assert time.monotonic() < deadline and thread.is_alive(), errors
        time.sleep(0.02)
    victim = cluster["workers"][1]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert len(list((out / "parts").glob("*.json"))) < 13  # killed mid-batch
    thread.join(timeout=240)
    assert not thread.is_alive() and not errors, errors
    runs, allocations = read_batch(out)
    assert len(runs) == 13 and runs["scenario_id"].is_unique
    assert (runs["status"] == "optimal").all(), runs[["label", "status", "message"]]
    per_scenario = allocations.groupby("scenario_id")["new_licences"].sum().reindex(runs["scenario_id"])
    assert per_scenario.tolist() == runs["licences_allocated"].tolist()
