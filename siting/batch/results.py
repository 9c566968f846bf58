"""Batch tables: one row per scenario (runs), the allocation per county in long form, timings.

Rows come from per-scenario part files (``DIR/parts/<id>.json``, written as each result
arrives) and are always put in sweep order, so the tables are byte-identical whatever the
number of workers, the scheduler, or the order results came back in. Timings live in
``timings.csv`` only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

#: Statuses of a scenario that produced a plan.
PLANNED = ("optimal", "time_limit_feasible")
#: A gap above this is reported: the figures are within the solver's gap, not proven optimal.
GAP_TOLERANCE = 1e-6

_ALLOCATION_DTYPES = {"unit_code": "string", "province_code": "string", "score": "float64", "rank": "int64", "tier": "string",
                      "gap": "int64", "new_urban": "int64", "new_rural": "int64", "new_licences": "int64"}


class BatchResults(NamedTuple):
    """A batch folder's tables (``runs, allocations = read_batch(folder)`` also works)."""

    runs: pd.DataFrame
    allocations: pd.DataFrame


def flatten(overrides: dict, prefix: str = "") -> dict:
    """Dotted columns of nested overrides (``weights.values.rural_population``); lists as JSON text."""
    out = {}
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(value)
        else:
            out[name] = value
    return out


def row_of(spec: dict, result: dict) -> dict:
    """The runs-table row of one scenario's result (no timings)."""
    summary = result.get("summary") or {}
    cf = summary.get("counterfactual") or {}
    plan, fcfs = cf.get("plan") or {}, cf.get("fcfs") or {}
    gap = summary.get("gap")
    row = {
        "scenario_id": spec["scenario_id"], "order": spec["order"], "family": spec["family"], "label": spec["label"],
        "seed": spec["seed"], "status": result["status"], "message": result.get("message"),
        "objective": summary.get("objective"), "bound": summary.get("bound"), "gap": gap,
        "within_gap": bool(result["status"] == "time_limit_feasible" or (gap is not None and gap > GAP_TOLERANCE)) if summary else None,
        "budget_licences": (spec.get("raw") or {}).get("plan", {}).get("budget_licences"),
        "licences_allocated": summary.get("licences_allocated"), "licences_urban": summary.get("licences_urban"),
        "licences_rural": summary.get("licences_rural"),
        "units_allocated": int(np.count_nonzero(result["allocation"]["new_licences"])) if result.get("allocation") else None,
        "need_covered_share": summary.get("need_covered_share"), "moratorium_units": summary.get("moratorium_units"),
        "speculative_share": summary.get("speculative_share"),
        "plan_licences_in_saturated_units": plan.get("licences_in_saturated_units"),
        "plan_licences_below_viability": plan.get("licences_in_units_below_viability"),
        "plan_speculative_served": plan.get("speculative_served"),
        "fcfs_licences": fcfs.get("licences"), "fcfs_need_covered_share": fcfs.get("need_covered_share"),
        "fcfs_licences_in_saturated_units": fcfs.get("licences_in_saturated_units"),
        "fcfs_licences_below_viability": fcfs.get("licences_in_units_below_viability"),
        "fcfs_speculative_served": fcfs.get("speculative_served"),
    }
    row.update({f"param:{k}": v for k, v in flatten(spec["overrides"]).items()})
    row.update({f"weight:{k}": v for k, v in (result.get("weights") or {}).items()})
    return row


def _column_order(frame: pd.DataFrame) -> list[str]:
    fixed = [c for c in frame.columns if not c.startswith(("param:", "weight:"))]
    return fixed + [c for c in frame.columns if c.startswith("param:")] + [c for c in frame.columns if c.startswith("weight:")]


def _clean(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


def runs_table(parts: list[dict]) -> pd.DataFrame:
    """One row per scenario, sorted by sweep order; parameters as ``param:NAME``, weights as ``weight:ID``."""
    frame = pd.DataFrame([part["row"] for part in sorted(parts, key=lambda p: p["row"]["order"])])
    if frame.empty:
        frame = pd.DataFrame(columns=list(row_of({"scenario_id": "", "order": 0, "family": "", "label": "", "seed": 0, "overrides": {}},
                                                  {"status": ""}).keys()))
    frame = frame[_column_order(frame)]
    for column in frame.columns:
        if column.startswith("param:") and frame[column].map(lambda v: isinstance(v, str)).any():
            frame[column] = frame[column].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)).astype("string")
    for column in ("message", "scenario_id", "family", "label", "status"):
        frame[column] = frame[column].astype("string")
    for column in ("objective", "bound", "gap", "need_covered_share", "speculative_share", "fcfs_need_covered_share"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("budget_licences", "licences_allocated", "licences_urban", "licences_rural", "units_allocated", "moratorium_units",
                   "plan_licences_in_saturated_units", "plan_licences_below_viability", "plan_speculative_served", "fcfs_licences",
                   "fcfs_licences_in_saturated_units", "fcfs_licences_below_viability", "fcfs_speculative_served"):
        frame[column] = pd.array(frame[column].map(_clean), dtype="Int64")
    frame["within_gap"] = pd.array(frame["within_gap"].map(_clean), dtype="boolean")
    frame["order"] = frame["order"].astype("int64")
    frame["seed"] = frame["seed"].astype("int64")
    return frame.reset_index(drop=True)


def allocations_table(parts: list[dict]) -> pd.DataFrame:
    """scenario_id × unit_code long form of every planned scenario, in sweep order then unit code order."""
    frames = []
    for part in sorted(parts, key=lambda p: p["row"]["order"]):
        allocation = part.get("allocation")
        if not allocation:
            continue
        frame = pd.DataFrame(allocation)
        frame.insert(0, "scenario_id", part["row"]["scenario_id"])
        frames.append(frame)
    columns = ["scenario_id", *_ALLOCATION_DTYPES]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "scenario_id" else _ALLOCATION_DTYPES[c]) for c in columns})
    frame = pd.concat(frames, ignore_index=True)[columns]
    return frame.astype({"scenario_id": "string", **_ALLOCATION_DTYPES})


def timings_table(parts: list[dict]) -> pd.DataFrame:
    """Seconds, host and process of each scenario (kept out of the deterministic tables)."""
    rows = [{"scenario_id": p["row"]["scenario_id"], "order": p["row"]["order"], **p.get("timing", {})} for p in parts]
    return pd.DataFrame(rows).sort_values("order").reset_index(drop=True)


def summary_csv(runs: pd.DataFrame) -> pd.DataFrame:
    """summary.csv: the runs table without the long message text's line breaks."""
    out = runs.copy()
    out["message"] = out["message"].str.replace(r"\s+", " ", regex=True)
    return out


def read_batch(folder: str | Path) -> BatchResults:
    """The runs and allocations tables of a finished batch folder (what the dashboard's Compare page reads).

    Raises
    ------
    AmayeshError
        If ``folder`` holds no ``runs.parquet`` (not a batch folder, or a batch not finished).
    """
    from siting.errors import AmayeshError

    folder = Path(folder)
    runs_path, allocations_path = folder / "runs.parquet", folder / "allocations.parquet"
    if not runs_path.is_file() or not allocations_path.is_file():
        raise AmayeshError(f"{folder} is not a finished batch folder: runs.parquet and allocations.parquet are missing "
                           "(run 'amayesh batch SWEEP.yaml --out FOLDER', or --resume it)")
    return BatchResults(pd.read_parquet(runs_path), pd.read_parquet(allocations_path))
