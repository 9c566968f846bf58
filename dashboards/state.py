"""Saved scenarios on disk: ``NAME.yaml`` (the scenario) beside ``NAME/`` (its run folder).

A scenario survives a restart and a browser refresh because it lives here, and the page's URL names it
(``?scenario=NAME``). Names are checked against :data:`NAME_PATTERN` before they touch the file system,
and nothing is overwritten unless ``replace=True`` is asked for (the old run folder is then kept as
``NAME.previous-<time>`` by :func:`siting.outputs.output_folder`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from siting.errors import AmayeshError, OutputExistsError
from siting.outputs import output_folder
from siting.pipeline import PlanRun, write_plan
from siting.scenario import Scenario, scenario_yaml, validate_scenario

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class NameError_(AmayeshError):
    """A scenario name that cannot be used as a file name."""


def check_name(name: str) -> str:
    """``name`` if it is a safe scenario name (letters, digits, ``-``, ``_``; at most 64), else raise."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or ".previous" in name:
        raise NameError_(f"'{name}' is not a scenario name: use Latin letters, digits, '-' and '_' (at most 64)")
    return name


@dataclass(frozen=True)
class Saved:
    """One saved scenario."""

    name: str
    yaml_path: Path
    run_folder: Path

    @property
    def has_run(self) -> bool:
        return (self.run_folder / "summary.json").exists()


class ScenarioStore:
    """The saved scenarios under ``root`` (normally ``workspace()/scenarios``)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _paths(self, name: str) -> Saved:
        name = check_name(name)
        return Saved(name, self.root / f"{name}.yaml", self.root / name)

    def names(self) -> list[str]:
        """Saved scenario names, sorted."""
        return sorted(p.stem for p in self.root.glob("*.yaml") if NAME_PATTERN.match(p.stem))

    def exists(self, name: str) -> bool:
        saved = self._paths(name)
        return saved.yaml_path.exists() or saved.run_folder.exists()

    def get(self, name: str) -> Saved:
        return self._paths(name)

    def save(self, name: str, scenario: Scenario, run: PlanRun | None, replace: bool = False) -> Saved:
        """Write ``NAME.yaml`` and (with a run) the run folder ``NAME/`` with :func:`write_plan`.

        Raises
        ------
        OutputExistsError
            If ``name`` is saved already and ``replace`` is false (nothing is written).
        """
        saved = self._paths(name)
        if self.exists(name) and not replace:
            raise OutputExistsError(f"a scenario named '{name}' is saved already: confirm to replace it")
        scenario = scenario.model_copy(update={"name": name})
        text = scenario_yaml(scenario)
        if run is not None:
            run = _renamed(run, scenario, text)
            with output_folder(saved.run_folder, replace=True) as staging:
                write_plan(run, staging)
        partial = saved.yaml_path.with_suffix(".yaml.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(saved.yaml_path)
        return saved

    def load(self, name: str) -> Scenario:
        """The saved scenario ``name`` (validated as any scenario file)."""
        saved = self._paths(name)
        if not saved.yaml_path.exists():
            raise AmayeshError(f"no saved scenario named '{name}'")
        raw = yaml.safe_load(saved.yaml_path.read_text(encoding="utf-8"))
        return validate_scenario(raw, saved.yaml_path.name)


def _renamed(run: PlanRun, scenario: Scenario, text: str) -> PlanRun:
    """The run under its saved name (summary's scenario block and the YAML it stores)."""
    import hashlib
    from dataclasses import replace

    summary = dict(run.summary)
    summary["scenario"] = {**summary.get("scenario", {}), "name": scenario.name, "file": f"dashboard:{scenario.name}",
                           "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    return replace(run, scenario=scenario, scenario_text=text, summary=summary)


__all__ = ["NAME_PATTERN", "OutputExistsError", "Saved", "ScenarioStore", "check_name"]
