"""Sweep files: a base scenario plus variations, expanded into scenarios with stable ids.

A sweep is YAML validated by pydantic (errors name the field and the file). Each block
(``grid``, ``scenarios``, ``samples``, ``weights``) adds a *family* of scenarios; the
families are listed one after the other (not crossed), the base first when
``include_base`` is true. Every scenario is a set of dotted overrides of the base
(``plan.budget_licences: 2500``) applied with :func:`siting.scenario.apply_overrides`,
a name, and an explicit seed; its id hashes the resolved scenario, the data's sha256
and the code version, so the same sweep on the same data gives the same ids on any
machine. ``docs/batch.md`` documents the format.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Union

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from siting import __version__
from siting.errors import ScenarioError
from siting.scenario import (DEFAULT_SCENARIO, Scenario, apply_overrides, check_field_path, format_errors, load_scenario,
                             validate_scenario)

#: Settings every batch scenario gets unless the sweep's ``fixed`` block says otherwise: the weight
#: Monte Carlo of ``amayesh score`` feeds no batch table, and costs a tenth of a scenario's time.
BATCH_DEFAULTS: dict[str, object] = {"sensitivity.draws": 0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """An inclusive arithmetic range: ``{from: 1000, to: 3000, step: 250}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: float = Field(..., alias="from")
    stop: float = Field(..., alias="to")
    step: float = Field(..., gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if self.stop < self.start:
            raise ValueError(f"'to' ({self.stop:g}) is below 'from' ({self.start:g})")
        if (self.stop - self.start) / self.step > 100_000:
            raise ValueError("more than 100,000 values: raise 'step'")
        return self

    def values(self) -> list[float | int]:
        """The values from ``from`` to ``to`` inclusive (integers when every bound is an integer)."""
        count = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
        values = np.round(self.start + self.step * np.arange(count), 10)
        if all(float(v).is_integer() for v in (self.start, self.stop, self.step)):
            return [int(v) for v in values]
        return [float(v) for v in values]


class Named(_Strict):
    """A named scenario: a label and the overrides that make it."""

    name: str = Field(..., min_length=1)
    name_fa: str | None = None
    overrides: dict[str, object] = Field(default_factory=dict)


class Samples(_Strict):
    """Latin-hypercube samples of numeric parameters within ranges (bounds written as integers sample integers)."""

    n: int = Field(..., ge=1, le=1_000_000)
    seed: int | None = Field(None, description="default: the sweep's seed")
    ranges: dict[str, tuple[float, float]] = Field(..., min_length=1)

    @field_validator("ranges")
    @classmethod
    def _ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (low, high) in value.items():
            if not high > low:
                raise ValueError(f"{name}: the upper bound ({high:g}) must be above the lower ({low:g})")
        return value


class Dirichlet(_Strict):
    """Weights drawn from a Dirichlet centred on the base scenario's weights (they stay on the simplex)."""

    n: int = Field(..., ge=1, le=1_000_000)
    concentration: float = Field(100.0, gt=0, description="higher: draws closer to the committee's weights")
    seed: int | None = None


class AhpPerturbation(_Strict):
    """AHP judgements perturbed log-normally, redrawn until the consistency ratio is within the limit."""

    n: int = Field(..., ge=1, le=1_000_000)
    spread: float = Field(0.2, gt=0, le=2, description="standard deviation of log(judgement)")
    seed: int | None = None
    max_tries: int = Field(200, ge=1, description="redraws per sample before giving up")


class WeightUncertainty(_Strict):
    dirichlet: Dirichlet | None = None
    ahp: AhpPerturbation | None = None
    stakeholders: bool = Field(False, description="each stakeholder's own matrix as a scenario (group_ahp base)")


class Sweep(_Strict):
    """A sweep file."""

    name: str = "sweep"
    name_fa: str | None = None
    description: str | None = None
    base: Union[str, dict, None] = Field(None, description="scenario file (relative to the sweep), an inline scenario, or null: default")
    data: str | None = Field(None, description="data source when --data is not given (relative to the sweep)")
    vintage: Literal[1395, 1400] = 1395
    seed: int = Field(0, description="seeds every sample and every scenario")
    include_base: bool = True
    keep_runs: bool = Field(False, description="write each scenario's full plan folder under runs/")
    place: bool = Field(False, description="place licences on settlements (slow; off in a batch unless asked)")
    fixed: dict[str, object] = Field(default_factory=dict, description="overrides applied to every scenario")
    grid: dict[str, Union[Range, list]] = Field(default_factory=dict)
    scenarios: list[Named] = Field(default_factory=list)
    samples: Samples | None = None
    weights: WeightUncertainty = WeightUncertainty()

    @field_validator("grid")
    @classmethod
    def _grid_values(cls, value: dict) -> dict:
        for name, values in value.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"{name}: no values")
        return value

    @field_validator("scenarios")
    @classmethod
    def _unique_names(cls, value: list[Named]) -> list[Named]:
        names = [item.name for item in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"scenario names given twice: {twice}")
        return value


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario of a sweep, fully resolved.

    Attributes
    ----------
    order
        Position in the sweep (tables are sorted by it).
    scenario_id
        16 hex digits of sha256(resolved scenario, data sha256, code version).
    family
        ``base``, ``grid``, ``named``, ``lhs``, ``dirichlet``, ``ahp`` or ``stakeholder``.
    label
        Readable name (also the scenario's ``name`` suffix).
    overrides
        The varied parameters (dotted name → value) beside the base.
    seed
        The scenario's seed (its ``sensitivity.seed``).
    raw
        The resolved scenario as a JSON-able mapping; None if its overrides were invalid.
    error
        Why the overrides do not make a valid scenario (the scenario is recorded as ``invalid``).
    """

    order: int
    scenario_id: str
    family: str
    label: str
    overrides: dict
    seed: int
    raw: dict | None
    error: str | None = None

    def to_json(self) -> dict:
        return {"order": self.order, "scenario_id": self.scenario_id, "family": self.family, "label": self.label,
                "overrides": self.overrides, "seed": self.seed, "raw": self.raw, "error": self.error}


@dataclass(frozen=True)
class Expanded:
    """A sweep and its scenarios."""

    sweep: Sweep
    path: Path
    base: Scenario
    data: str
    vintage: int
    data_sha256: str
    specs: list[ScenarioSpec]
    parameters: list[str] = field(default_factory=list)  # the varied dotted names, in first-seen order


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file.

    Raises
    ------
    ScenarioError
        Naming the file and every invalid field (``grid.plan.budget_licences.step: ...``).
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"sweep file {path} not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a sweep is a YAML mapping of fields")
    try:
        return Sweep.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{path}: invalid sweep:\n{format_errors(exc, Sweep)}") from None


def scenario_id(raw: dict, data_sha256: str) -> str:
    """Stable id: sha256 of the resolved scenario (canonical JSON), the data's sha256 and the code version."""
    payload = json.dumps({"scenario": raw, "data": data_sha256, "code": __version__}, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def scenario_seed(sweep_seed: int, family: str, index: int) -> int:
    """An explicit, reproducible seed per scenario, independent of the other families."""
    digest = hashlib.sha256(f"{sweep_seed}:{family}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def _base_scenario(sweep: Sweep, path: Path) -> Scenario:
    if sweep.base is None:
        return load_scenario(DEFAULT_SCENARIO)[0]
    if isinstance(sweep.base, dict):
        return validate_scenario(sweep.base, f"{path}: base")
    base_path = Path(sweep.base)
    if not base_path.is_absolute():
        base_path = path.parent / base_path
    if not base_path.is_file():
        raise ScenarioError(f"{path}: base: scenario file {base_path} not found")
    return load_scenario(base_path)[0]


def resolve_data(sweep: Sweep, path: Path, data: str | None) -> str:
    """The data source: --data, else the sweep's ``data`` (relative to the sweep file), else the base's."""
    if data:
        return str(data)
    if sweep.data:
        candidate = Path(sweep.data)
        if sweep.data != "embedded" and not candidate.is_absolute():
            candidate = path.parent / candidate
        return str(candidate) if sweep.data != "embedded" else "embedded"
    return "embedded"


def variations(sweep: Sweep, base: Scenario, where: str) -> list[tuple[str, str, dict, int]]:
    """(family, label, overrides, seed) of every scenario, in sweep order.

    Raises
    ------
    ScenarioError
        For an unknown parameter name, or weight uncertainty the base cannot support.
    """
    from siting.batch import sampling

    for dotted in sweep.fixed:
        check_field_path(dotted, f"{where}: fixed")
    for dotted in sweep.grid:
        check_field_path(dotted, f"{where}: grid")
    for item in sweep.scenarios:
        for dotted in item.overrides:
            check_field_path(dotted, f"{where}: scenarios[{item.name}].overrides")
    if sweep.samples is not None:
        for dotted in sweep.samples.ranges:
            check_field_path(dotted, f"{where}: samples.ranges")

    out: list[tuple[str, str, dict, int]] = []
    if sweep.include_base:
        out.append(("base", "base", {}, scenario_seed(sweep.seed, "base", 0)))
    if sweep.grid:
        names = list(sweep.grid)
        axes = [spec.values() if isinstance(spec, Range) else list(spec) for spec in sweep.grid.values()]
        mesh = np.stack(np.meshgrid(*[np.arange(len(a)) for a in axes], indexing="ij"), axis=-1).reshape(-1, len(axes))
        for index, point in enumerate(mesh):
            overrides = {name: axes[k][i] for k, (name, i) in enumerate(zip(names, point))}
            label = "grid:" + ",".join(f"{name.rsplit('.', 1)[-1]}={value}" for name, value in overrides.items())
            out.append(("grid", label, overrides, scenario_seed(sweep.seed, "grid", index)))
    for index, item in enumerate(sweep.scenarios):
        overrides = dict(item.overrides)
        if item.name_fa:
            overrides.setdefault("name_fa", item.name_fa)
        out.append(("named", item.name, overrides, scenario_seed(sweep.seed, "named", index)))
    if sweep.samples is not None:
        seed = sweep.samples.seed if sweep.samples.seed is not None else sweep.seed
        for index, overrides in enumerate(sampling.latin_hypercube(sweep.samples.ranges, sweep.samples.n, seed)):
            out.append(("lhs", f"lhs:{index:04d}", overrides, scenario_seed(sweep.seed, "lhs", index)))
    weights = sweep.weights
    if weights.dirichlet is not None:
        seed = weights.dirichlet.seed if weights.dirichlet.seed is not None else sweep.seed
        draws = sampling.dirichlet_weights(base, weights.dirichlet.n, weights.dirichlet.concentration, seed, f"{where}: weights.dirichlet")
        for index, overrides in enumerate(draws):
            out.append(("dirichlet", f"dirichlet:{index:04d}", overrides, scenario_seed(sweep.seed, "dirichlet", index)))
    if weights.ahp is not None:
        seed = weights.ahp.seed if weights.ahp.seed is not None else sweep.seed
        draws = sampling.perturbed_ahp(base, weights.ahp.n, weights.ahp.spread, seed, weights.ahp.max_tries, f"{where}: weights.ahp")
        for index, overrides in enumerate(draws):
            out.append(("ahp", f"ahp:{index:04d}", overrides, scenario_seed(sweep.seed, "ahp", index)))
    if weights.stakeholders:
        for index, (name, overrides) in enumerate(sampling.stakeholder_scenarios(base, f"{where}: weights.stakeholders")):
            out.append(("stakeholder", f"stakeholder:{name}", overrides, scenario_seed(sweep.seed, "stakeholder", index)))
    return out


def expand(path: str | Path, data: str | None = None, vintage: int | None = None, data_sha256: str | None = None) -> Expanded:
    """Read a sweep file and resolve every scenario (overrides applied, seeds set, ids computed).

    Parameters
    ----------
    data
        The --data option; else the sweep's ``data``; else ``embedded``.
    data_sha256
        The data's fingerprint; computed by loading the data when None.

    Raises
    ------
    ScenarioError
        For an invalid sweep, an unknown parameter, or a base that is not a valid scenario.
    DataError
        If the data fails validation.
    """
    path = Path(path)
    sweep = load_sweep(path)
    base = _base_scenario(sweep, path)
    source = resolve_data(sweep, path, data)
    vintage = int(vintage or sweep.vintage)
    if data_sha256 is None:
        from siting.data import data_fingerprint, load_dataset

        data_sha256 = data_fingerprint(load_dataset(source, vintage=vintage))
    fixed = {**BATCH_DEFAULTS, **sweep.fixed}
    try:
        common = apply_overrides(base, fixed, f"{path}: fixed")
    except ScenarioError:
        raise
    specs: list[ScenarioSpec] = []
    parameters: list[str] = []
    for order, (family, label, overrides, seed) in enumerate(variations(sweep, base, str(path))):
        for name in overrides:
            if name not in parameters and name not in ("name", "name_fa"):
                parameters.append(name)
        # The name is part of the resolved settings, so two families that land on the same
        # settings remain two scenarios, with two ids.
        full = {"name": f"{sweep.name}/{label}", "sensitivity.seed": seed, **overrides}
        try:
            # The file name, not its path: a message in the tables must not depend on where the sweep was run from.
            resolved = apply_overrides(common, full, f"{path.name}: {label}").model_dump(mode="json")
            error = None
            hashed = resolved
        except ScenarioError as exc:
            resolved, error = None, str(exc)
            hashed = {"base": common.model_dump(mode="json"), "overrides": full}
        specs.append(ScenarioSpec(order=order, scenario_id=scenario_id(hashed, data_sha256), family=family, label=label,
                                  overrides=overrides, seed=seed, raw=resolved, error=error))
    ids = [spec.scenario_id for spec in specs]
    if len(set(ids)) != len(ids):  # only possible for two identical invalid scenarios
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ScenarioError(f"{path}: scenarios with the same settings and name: {twice}")
    if not specs:
        raise ScenarioError(f"{path}: the sweep makes no scenario (include_base is false and no grid, scenarios, samples or weights)")
    return Expanded(sweep=sweep, path=path, base=common, data=source, vintage=vintage, data_sha256=data_sha256,
                    specs=specs, parameters=parameters)
