"""The dashboard's link to the pipeline: data sources, the scenario being edited, a plan run.

Everything here calls the functions the CLI calls (:mod:`siting.pipeline`, :mod:`siting.scenario`,
:mod:`siting.scoring`); the Streamlit pages only render what these return.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from siting.data import Dataset
from siting.errors import AmayeshError, DataError, InfeasibleError, Problem, ScenarioError
from siting.notes import GROUP_TITLES_FA
from siting.pipeline import PlanRun, prepare_dataset, run_plan
from siting.scenario import Scenario, apply_overrides, load_scenario, scenario_yaml, validate_scenario
from siting.scoring import ScoreResult, score_units

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OFFICIAL = (REPO.parent / "shared" / "data" / "iran")


def workspace() -> Path:
    """The folder holding saved scenarios and uploads (``AMAYESH_DASHBOARD_HOME``, else ``runs/dashboard``)."""
    root = Path(os.environ.get("AMAYESH_DASHBOARD_HOME") or REPO / "runs" / "dashboard")
    root.mkdir(parents=True, exist_ok=True)
    return root


def default_official() -> str:
    """The official folder offered on the Data page (``AMAYESH_DASHBOARD_DATA`` or ``../shared/data/iran``)."""
    given = os.environ.get("AMAYESH_DASHBOARD_DATA")
    return given if given and given != "embedded" else str(DEFAULT_OFFICIAL)


def default_scenario() -> Scenario:
    """``data/scenarios/default.yaml``, as ``amayesh plan`` reads it without ``--scenario``."""
    return load_scenario()[0]


def load_data(source: str, scenario: Scenario | None = None) -> Dataset:
    """The dataset of a source (``embedded`` or a folder), with the scenario's SYNTHETIC registers.

    Raises
    ------
    DataError
        With every problem (file, row, column) when the source is invalid.
    """
    return prepare_dataset(scenario or default_scenario(), source)


def data_problems(error: AmayeshError) -> pd.DataFrame:
    """The problems of a failed load as a table (file, row, column, severity, message)."""
    problems = error.problems if isinstance(error, DataError) else [Problem("(data)", str(error))]
    return problems_table(problems)


def problems_table(problems: list[Problem] | tuple[Problem, ...]) -> pd.DataFrame:
    """Problems as rows: ``file``, ``row``, ``column``, ``severity``, ``message``."""
    return pd.DataFrame([{"file": p.file, "row": p.row, "column": p.column, "severity": p.severity, "message": p.message}
                         for p in problems], columns=["file", "row", "column", "severity", "message"])


def problem_lines(table: pd.DataFrame, limit: int = 200) -> list[str]:
    """One line per problem as the CLI prints it: ``ERROR: file, row 3, column 'unit_code': message``."""
    lines = []
    for row in table.head(limit).itertuples():
        problem = Problem(row.file, row.message, None if pd.isna(row.row) else int(row.row),
                          None if row.column is None or (isinstance(row.column, float) and pd.isna(row.column)) else row.column,
                          row.severity)
        lines.append(str(problem))
    if len(table) > limit:
        lines.append(f"... and {len(table) - limit} more")
    return lines


def register_origin(dataset: Dataset) -> dict[str, str | None]:
    """Per register (offices, applications, industrial_parks): ``synthetic``, ``file`` or None (absent)."""
    out: dict[str, str | None] = {}
    for name, frame in (("offices", dataset.offices), ("applications", dataset.applications), ("industrial_parks", dataset.parks)):
        if frame is None or not len(frame):
            out[name] = None
        else:
            out[name] = "synthetic" if bool(frame["synthetic"].any()) else "file"
    return out


def fast_scenario(scenario: Scenario) -> Scenario:
    """The scenario without settlement placement (it runs only when asked for)."""
    return scenario.model_copy(update={"site": scenario.site.model_copy(update={"place_after_plan": False})})


@dataclass(frozen=True)
class Outcome:
    """A plan attempt: the run, or why there is none (``error`` and, for infeasibility, ``diagnosis``)."""

    run: PlanRun | None
    scored: ScoreResult | None
    error: str | None = None
    kind: str | None = None  # "infeasible", "scenario", "data"
    diagnosis: object | None = None
    seconds: float = 0.0


def score(dataset: Dataset, scenario: Scenario) -> ScoreResult:
    """:func:`siting.scoring.score_units`, as ``amayesh score`` calls it."""
    return score_units(dataset, scenario)


def plan(dataset: Dataset, scenario: Scenario, name: str = "draft", scored: ScoreResult | None = None,
         place: bool = False) -> Outcome:
    """Score and plan ``scenario`` on ``dataset`` with :func:`siting.pipeline.run_plan`.

    Never raises for a planner's mistake: an invalid or infeasible scenario comes back as an
    :class:`Outcome` with ``error`` (and the elastic ``diagnosis`` when infeasible).
    """
    start = time.perf_counter()
    try:
        scored = scored if scored is not None else score_units(dataset, scenario)
        run = run_plan(dataset, scenario, scenario_path=f"dashboard:{name}", scenario_text=scenario_yaml(scenario),
                       place=place, scored=scored)
    except InfeasibleError as exc:
        return Outcome(None, scored, str(exc), "infeasible", exc.diagnosis, time.perf_counter() - start)
    except DataError as exc:
        return Outcome(None, scored, str(exc), "data", None, time.perf_counter() - start)
    except AmayeshError as exc:
        return Outcome(None, scored, str(exc), "scenario", None, time.perf_counter() - start)
    return Outcome(run, scored, seconds=time.perf_counter() - start)


def scoring_key(scenario: Scenario) -> str:
    """What scoring depends on: the scenario without its ``plan`` and ``site`` blocks (but with ``plan.level``).

    A change of plan parameters alone (budget, caps, floors…) re-plans on the same scores.
    """
    import hashlib
    import json

    raw = scenario.model_dump(mode="json")
    raw["plan"] = {"level": raw["plan"]["level"]}
    raw.pop("site", None)
    raw.pop("name", None)
    raw.pop("name_fa", None)
    raw.pop("description", None)
    return hashlib.sha256(json.dumps(raw, sort_keys=True).encode("utf-8")).hexdigest()


def edit(scenario: Scenario, overrides: dict[str, object]) -> Scenario:
    """:func:`siting.scenario.apply_overrides` (dotted fields, validated); raises ScenarioError naming the field."""
    return apply_overrides(scenario, overrides, source="dashboard")


def replace_block(scenario: Scenario, block: str, value: dict | None) -> Scenario:
    """The scenario with one whole block (``weights``, ``plan.province_floor``, ``plan.locks``) replaced, validated."""
    raw = scenario.model_dump(mode="json")
    node = raw
    parts = block.split(".")
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return validate_scenario(raw, "dashboard")


def headline(run: PlanRun) -> dict:
    """The Plan page's cards: plan and first-come-first-served figures side by side.

    ``speculative_refused`` counts speculative applications the plan does not grant; for FCFS, the
    speculative applications it would not have served out of the same total.
    """
    summary = run.summary
    cf = summary["counterfactual"]
    apps = summary["applications"]
    spec_total = apps["applications_speculative"]
    return {
        "licences": summary["licences_allocated"],
        "licences_urban": summary["licences_urban"],
        "licences_rural": summary["licences_rural"],
        "units_receiving": int((run.plan.allocation["new_licences"] > 0).sum()),
        "moratorium_units": summary["moratorium_units"],
        "need_covered": cf["plan"]["need_covered_share"],
        "need_covered_fcfs": cf["fcfs"]["need_covered_share"],
        "speculative_total": spec_total,
        "speculative_refused": spec_total - cf["plan"]["speculative_served"],
        "speculative_refused_fcfs": spec_total - cf["fcfs"]["speculative_served"],
        "saturated": cf["plan"]["licences_in_saturated_units"],
        "saturated_fcfs": cf["fcfs"]["licences_in_saturated_units"],
        "status": summary["status"],
        "notes": list(summary["notes"]),
        "notes_fa": list(summary.get("notes_fa", summary["notes"])),  # runs saved before the Persian notes
    }


def _conflict_fa(conflict: object) -> str:
    """One conflict of the elastic diagnosis in Persian, from its structured fields (groups, relaxation, rows)."""
    from siting.report.labels import number

    groups = getattr(conflict, "groups", ())
    titles = " و ".join(GROUP_TITLES_FA.get(g, g) for g in groups)
    text = f"این قیدها با هم برآورده نمی‌شوند: {titles}."
    relaxation = float(getattr(conflict, "relaxation", float("nan")))
    if relaxation == relaxation:
        text += f" کمترین تغییری که برنامه را ممکن می‌کند {number(relaxation, 0, persian=True)} مجوز است"
        rows = list(getattr(conflict, "violated_rows", ()))[:5]
        if rows:
            parts = []
            for group, label, amount in rows:
                unit = "ریال" if group == "loan_budget" else "مجوز"
                side = "بیش از حد" if amount > 0 else "کمتر از نیاز"
                parts.append(f"{GROUP_TITLES_FA.get(group, group)} {label}: {number(abs(amount), 0, persian=True)} {unit} {side}")
            text += " (" + "؛ ".join(parts) + ")"
        text += "."
    return text


def infeasible_words(diagnosis: object, lang: str = "en") -> list[str]:
    """The elastic diagnosis (:class:`optimizer.diagnose.Diagnosis`) as plain sentences, one per conflict.

    English uses the diagnosis' own messages; Persian is written from the conflicts' groups, relaxation
    and rows, so both say the same thing.
    """
    if diagnosis is None:
        return []
    conflicts = getattr(diagnosis, "conflicts", ()) or ()
    if lang == "fa" and conflicts:
        return [_conflict_fa(c) for c in conflicts]
    lines = [str(getattr(c, "message", None) or c) for c in conflicts]
    if not lines:
        lines = [line.strip() for line in str(getattr(diagnosis, "message", diagnosis)).splitlines() if line.strip()]
    return lines


__all__ = ["Outcome", "ScenarioError", "edit", "headline", "load_data", "plan", "score", "workspace"]


def default_source() -> str:
    """The data the dashboard opens with: ``AMAYESH_DASHBOARD_DATA`` if set, else the embedded default."""
    return os.environ.get("AMAYESH_DASHBOARD_DATA") or "embedded"


def yaml_key_of(run: PlanRun) -> str:
    """A short fingerprint of a run's scenario (to know when a stored result is stale)."""
    import hashlib

    return hashlib.sha256(run.scenario_text.encode("utf-8")).hexdigest()[:16]
