"""Compare saved scenarios (or a batch folder's runs): allocations side by side, province totals, changes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

def read_allocation(run_folder: Path) -> pd.DataFrame:
    """``allocation.csv`` of a run folder with codes as text."""
    return pd.read_csv(Path(run_folder) / "allocation.csv", dtype={"unit_code": str, "province_code": str})


def side_by_side(allocations: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per unit, one ``new_licences`` column per scenario (0 where a run lacks the unit)."""
    names = None
    columns = {}
    for label, table in allocations.items():
        indexed = table.set_index("unit_code")
        columns[label] = indexed["new_licences"].astype(int)
        if names is None:
            names = indexed[[c for c in ("name_fa", "name_en", "province_code") if c in indexed]]
        else:
            names = names.combine_first(indexed[[c for c in ("name_fa", "name_en", "province_code") if c in indexed]])
    wide = pd.DataFrame(columns).fillna(0).astype(int)
    return names.join(wide, how="right").rename_axis("unit_code").reset_index()


def province_totals(wide: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """New licences per province and scenario, with a national total row."""
    totals = wide.groupby("province_code")[labels].sum().reset_index()
    total_row = pd.DataFrame([{"province_code": "total", **{label: int(wide[label].sum()) for label in labels}}])
    return pd.concat([totals, total_row], ignore_index=True)


def changes(wide: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """Units whose licences differ between ``first`` and ``second``, with the difference, largest first."""
    out = wide.assign(difference=wide[second] - wide[first])
    out = out[out["difference"] != 0]
    return out.reindex(out["difference"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True)


def read_batch_folder(folder: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A batch folder's runs (:func:`siting.batch.read_batch`) and one allocation table per scenario id."""
    from siting.batch import read_batch

    runs, allocations = read_batch(folder)
    allocations = allocations.assign(unit_code=allocations["unit_code"].astype(str))
    return runs, {str(run_id): frame.drop(columns=["scenario_id"]) for run_id, frame in allocations.groupby("scenario_id", sort=True)}
