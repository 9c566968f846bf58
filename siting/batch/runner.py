"""Running a sweep: a local process pool or an existing Dask cluster, resumable, written atomically.

Each result is written to ``DIR/parts/<id>.json`` (temporary name, then rename) the moment it
arrives, so a batch killed at any point loses nothing already finished; ``--resume`` runs
only the scenarios without a part file, and the final tables are rebuilt from the parts in
sweep order. A worker that dies has its chunk re-run: by a new pool locally, by the
scheduler on Dask.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import math
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from siting import __version__
from siting.batch import results as tables
from siting.batch.sweep import Expanded
from siting.batch.worker import DatasetPlugin, run_chunk, warm
from siting.errors import AmayeshError, OutputExistsError

#: Status of a scenario whose worker died more often than the scheduler allows; --resume redoes it.
LOST = "lost"
_LOCAL_RESTARTS = 3


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch did: counts, seconds, and where it wrote."""

    folder: Path
    total: int
    ran: int
    skipped: int
    failed: int
    seconds: float


# --- atomic files -------------------------------------------------------------------------------

def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``path`` under a temporary name in the same folder, then rename it into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_frame(path: Path, write: Callable[[Path], None]) -> None:
    """Let ``write`` fill a temporary file, then rename it to ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _clear_temporaries(folder: Path) -> None:
    """Remove the temporary files of writes a killed batch never finished."""
    for sub in (folder, folder / "parts", folder / "runs"):
        if sub.is_dir():
            for path in sub.iterdir():
                if ".tmp-" in path.name or ".partial-" in path.name:
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold ``DIR/.batch.lock``: two batches writing one folder would duplicate work and race on the tables."""
    handle = open(folder / ".batch.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.close()
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise OutputExistsError(f"another batch is writing {folder} now; wait for it or choose another --out") from None
        raise
    try:
        yield
    finally:
        handle.close()


# --- the batch folder ---------------------------------------------------------------------------

def manifest(expanded: Expanded) -> dict:
    """batch.json: what the folder is a batch of (checked again by --resume)."""
    return {"sweep": {"name": expanded.sweep.name, "file": str(expanded.path)}, "data": {"source": expanded.data,
            "vintage": expanded.vintage, "sha256": expanded.data_sha256}, "code_version": __version__,
            "scenarios": len(expanded.specs), "keep_runs": expanded.sweep.keep_runs, "place": expanded.sweep.place}


def check_folder(expanded: Expanded, out: Path, resume: bool, replace: bool) -> None:
    """Refuse a folder that cannot take this batch, before any work; move an old one aside with --replace.

    Raises
    ------
    OutputExistsError
        A non-empty folder without --resume or --replace, or (--resume) one that is not a batch of this
        data and code.
    """
    out = Path(out)
    exists = out.exists() and (not out.is_dir() or any(out.iterdir()))
    if not exists:
        return
    if resume:
        old = out / "batch.json"
        if not old.is_file():
            raise OutputExistsError(f"{out} is not a batch folder (no batch.json): nothing to resume")
        previous = json.loads(old.read_text(encoding="utf-8"))
        mine = manifest(expanded)
        if previous.get("data", {}).get("sha256") != mine["data"]["sha256"] or previous.get("code_version") != mine["code_version"]:
            raise OutputExistsError(f"{out} holds a batch of other data or code (data sha256 {previous.get('data', {}).get('sha256')}, "
                                    f"code {previous.get('code_version')}); resume it with the same data and code, or choose another --out")
    elif replace:
        from siting.outputs import _previous_name

        out.rename(_previous_name(out))
    else:
        raise OutputExistsError(f"{out} already exists and is not empty: choose another --out folder, pass --resume to finish "
                                "a killed batch, or --replace (the old folder is kept as a .previous-<time> copy)")


def open_folder(expanded: Expanded, out: Path) -> set[str]:
    """Write the batch's manifest into ``out`` and return the ids already finished there."""
    out = Path(out)
    (out / "parts").mkdir(parents=True, exist_ok=True)
    _clear_temporaries(out)
    atomic_write_text(out / "batch.json", json.dumps(manifest(expanded), ensure_ascii=False, indent=2) + "\n")
    atomic_write_bytes(out / "sweep.yaml", expanded.path.read_bytes())
    atomic_write_text(out / "scenarios.json", json.dumps([s.to_json() for s in expanded.specs], ensure_ascii=False, indent=1) + "\n")
    wanted = {spec.scenario_id for spec in expanded.specs}
    done = set()
    for path in (out / "parts").glob("*.json"):
        try:
            part = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # cannot happen with atomic writes, but a damaged part is simply redone
        if path.stem in wanted and part["row"]["status"] != LOST:
            done.add(path.stem)
    return done


def chunks_of(specs: list[dict], workers: int, chunk_size: int | None) -> list[list[dict]]:
    """Contiguous chunks: several scenarios per task so scheduling costs stay small, enough tasks to balance."""
    if chunk_size is None:
        chunk_size = max(1, min(10, math.ceil(len(specs) / max(workers * 8, 1))))
    return [specs[i:i + chunk_size] for i in range(0, len(specs), chunk_size)]


class _Sink:
    """Writes each result as it arrives and keeps the progress bar."""

    def __init__(self, folder: Path, specs: dict[str, dict], total: int, done: int, failed: int, keep: bool, show: bool):
        self.folder, self.specs, self.keep = folder, specs, keep
        self.ran = self.failed = 0
        self.progress = None
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TextColumn("failed {task.fields[failed]}"),
                                     TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True))
            self.task = self.progress.add_task("batch", total=total, completed=done, failed=failed)
            self.progress.start()
        self._failed_before = failed

    def write(self, result: dict) -> None:
        spec = self.specs[result["scenario_id"]]
        files = result.pop("files", None)
        if self.keep and files:
            target = self.folder / "runs" / spec["scenario_id"]
            staging = target.with_name(f".{target.name}.partial-{os.getpid()}")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            for name, data in files.items():
                (staging / name).write_bytes(data)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        part = {"row": tables.row_of(spec, result), "allocation": result.get("allocation"), "timing": result.get("timing")}
        atomic_write_text(self.folder / "parts" / f"{spec['scenario_id']}.json", json.dumps(part, ensure_ascii=False, default=_plain))
        self.ran += 1
        failed = part["row"]["status"] not in tables.PLANNED
        self.failed += failed
        if self.progress is not None:
            self.progress.update(self.task, advance=1, failed=self._failed_before + self.failed)

    def lost(self, chunk: list[dict], message: str) -> None:
        for spec in chunk:
            self.write({"scenario_id": spec["scenario_id"], "status": LOST, "message": message, "timing": {}})

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _plain(value: object) -> object:
    """numpy scalars and dates in a summary, as JSON."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    return str(value)


# --- executors ----------------------------------------------------------------------------------

def _run_local(chunks: list[list[dict]], args: tuple, workers: int, seeds: tuple, sink: _Sink) -> None:
    """A pool of ``workers`` spawned processes; a pool broken by a dead worker is rebuilt for the chunks left."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pending = dict(enumerate(chunks))
    restarts = 0
    data, vintage = args[0], args[1]
    while pending:
        # spawn, not fork: the parent holds threads (the progress bar) and a loaded dataset it need not copy
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=warm, initargs=(data, vintage, seeds))
        try:
            futures = {pool.submit(run_chunk, chunk, *args): index for index, chunk in pending.items()}
            for future in as_completed(futures):
                index = futures[future]
                for result in future.result():
                    sink.write(result)
                del pending[index]
        except BrokenProcessPool:
            restarts += 1
            if restarts > _LOCAL_RESTARTS:
                for chunk in pending.values():
                    sink.lost(chunk, f"worker process died {restarts} times; run again with --resume")
                pending.clear()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(chunks: list[list[dict]], args: tuple, scheduler: str, seeds: tuple, sink: _Sink) -> None:
    """Submit to an existing Dask cluster, one task per chunk with an explicit key, results written as they arrive."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise AmayeshError("--scheduler needs dask[distributed]: pip install 'dask[distributed]'") from None
    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise AmayeshError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        # Loads the data once on every worker, now and on workers that join later.
        client.register_plugin(DatasetPlugin(args[0], args[1], seeds), name="amayesh-dataset")
        token = uuid.uuid4().hex[:8]
        # Explicit keys and pure=False: identical-looking chunks must never be merged (distributed #2015).
        futures = {client.submit(run_chunk, chunk, *args, key=f"amayesh-batch-{token}-{index:05d}-{chunk[0]['scenario_id']}",
                                 pure=False): chunk for index, chunk in enumerate(chunks)}
        for future in as_completed(list(futures), loop=client.loop):
            chunk = futures[future]
            try:
                results = future.result()
            except Exception as exc:  # KilledWorker after the scheduler's allowed failures, or a lost connection to it
                sink.lost(chunk, f"{type(exc).__name__}: {exc}")
                continue
            for result in results:
                sink.write(result)
            future.release()
    finally:
        try:  # the cluster is the planner's: leave it as it was (teardown restarts the workers' profilers)
            client.unregister_worker_plugin("amayesh-dataset")
        except Exception:  # noqa: BLE001 - a scheduler already gone has nothing left to unregister
            pass
        client.close()


# --- the batch ----------------------------------------------------------------------------------

def run_batch(expanded: Expanded, out: Path, workers: int = 2, scheduler: str | None = None, resume: bool = False,
              replace: bool = False, chunk_size: int | None = None, progress: bool = True,
              province_names: dict | None = None) -> BatchOutcome:
    """Run every scenario of ``expanded`` not yet finished in ``out``, then write the tables and the report.

    Parameters
    ----------
    workers
        Local process pool size (ignored with ``scheduler``).
    scheduler
        ``tcp://HOST:PORT`` of a running Dask scheduler; None: the local pool.
    resume
        Reopen a killed batch's folder and run only what is missing.
    province_names
        Unit code (provinces and counties) → (name_fa, name_en) for the report; without it the report shows codes.

    Raises
    ------
    OutputExistsError, AmayeshError
        For a folder that cannot be used, or a scheduler that cannot be reached.
    """
    started = time.perf_counter()
    out = Path(out)
    check_folder(expanded, out, resume, replace)
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        done = open_folder(expanded, out)
        specs = [spec.to_json() for spec in expanded.specs]
        by_id = {spec["scenario_id"]: spec for spec in specs}
        todo = [spec for spec in specs if spec["scenario_id"] not in done]
        failed_before = sum(1 for spec_id in done if _part_status(out, spec_id) not in tables.PLANNED)
        keep = expanded.sweep.keep_runs
        args = (expanded.data, expanded.vintage, expanded.sweep.place, keep, expanded.path.name)
        # One scenario per distinct dataset, so workers prepare every dataset the batch needs before the first task.
        from siting.batch.worker import _dataset_key
        from siting.scenario import validate_scenario

        distinct: dict[str, dict] = {}
        for spec in todo:
            if spec["raw"]:
                distinct.setdefault(_dataset_key(validate_scenario(spec["raw"], "batch"), expanded.data, expanded.vintage), spec["raw"])
        seeds = tuple(distinct.values())
        sink = _Sink(out, by_id, len(specs), len(done), failed_before, keep, progress)
        try:
            if todo:
                chunks = chunks_of(todo, workers if scheduler is None else 8, chunk_size)
                if scheduler:
                    _run_dask(chunks, args, scheduler, seeds, sink)
                else:
                    _run_local(chunks, args, max(1, int(workers)), seeds, sink)
        finally:
            sink.close()
        write_tables(expanded, out, province_names)
        parts = _read_parts(out, [s["scenario_id"] for s in specs])
        failed = sum(1 for p in parts if p["row"]["status"] not in tables.PLANNED)
    return BatchOutcome(folder=out, total=len(specs), ran=sink.ran, skipped=len(done), failed=failed,
                        seconds=time.perf_counter() - started)


def _part_status(out: Path, scenario_id: str) -> str:
    return json.loads((out / "parts" / f"{scenario_id}.json").read_text(encoding="utf-8"))["row"]["status"]


def _read_parts(out: Path, ids: list[str]) -> list[dict]:
    parts = []
    for scenario_id in ids:
        path = out / "parts" / f"{scenario_id}.json"
        if path.is_file():
            parts.append(json.loads(path.read_text(encoding="utf-8")))
    return parts


def write_tables(expanded: Expanded, out: Path, province_names: dict | None = None) -> None:
    """runs.parquet, allocations.parquet, summary.csv, timings.csv and report.html from the part files."""
    ids = [spec.scenario_id for spec in expanded.specs]
    parts = _read_parts(out, ids)
    missing = len(ids) - len(parts)
    runs = tables.runs_table(parts)
    allocations = tables.allocations_table(parts)
    atomic_frame(out / "runs.parquet", lambda p: runs.to_parquet(p, index=False))
    atomic_frame(out / "allocations.parquet", lambda p: allocations.to_parquet(p, index=False))
    atomic_frame(out / "summary.csv", lambda p: tables.summary_csv(runs).to_csv(p, index=False))
    atomic_frame(out / "timings.csv", lambda p: tables.timings_table(parts).to_csv(p, index=False))
    from siting.batch.report import batch_report

    html = batch_report(runs, allocations, expanded, province_names or {}, missing=missing,
                        made=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    atomic_write_text(out / "report.html", html)
    if missing:
        print(f"amayesh: {missing} scenario(s) have no result yet; run again with --resume", file=sys.stderr)
