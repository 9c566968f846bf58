"""Scenario files: one YAML file says what to score, how to weigh it and how to plan.

Validated with pydantic; every error names the field (``weights.method``) and
the file. ``data/scenarios/default.yaml`` documents every field by example and
the README lists them.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from siting.errors import ScenarioError
from siting.text import normalize_digits

PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_SCENARIO = PROJECT_DATA / "scenarios" / "default.yaml"
DEFAULT_CATALOGUE = PROJECT_DATA / "indicators.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Registers(_Strict):
    """Where the office register and applications come from when the data has none."""

    synthetic_seed: int | None = Field(1393, description="Generate SYNTHETIC registers with this seed when the data brings none; null: none.")
    synthetic_other_networks: bool = Field(False, description="also generate SYNTHETIC Police+10, municipal, rural ICT and post "
                                                             "offices (with synthetic_seed) when the data brings none")


def _judgement(value: object) -> float:
    """A pairwise judgement: a number or a fraction written as text ('1/9')."""
    if isinstance(value, str):
        text = normalize_digits(value).strip()
        if "/" in text:
            numerator, _, denominator = text.partition("/")
            return float(numerator) / float(denominator)
        return float(text)
    return value  # type: ignore[return-value]


Judgement = Annotated[float, BeforeValidator(_judgement)]


class AhpSettings(_Strict):
    indicators: list[str]
    matrix: list[list[Judgement]] | None = Field(None, description="pairwise judgements; fractions may be written '1/9'")
    stakeholders: dict[str, list[list[Judgement]]] | None = None
    max_cr: float = 0.1

    @model_validator(mode="after")
    def _one_source(self) -> "AhpSettings":
        if (self.matrix is None) == (self.stakeholders is None):
            raise ValueError("give either 'matrix' (one AHP matrix) or 'stakeholders' (group AHP), not both or neither")
        return self


class WeightSettings(_Strict):
    method: Literal["direct", "rank_order_centroid", "rank_sum", "ahp", "group_ahp"] = "rank_order_centroid"
    values: dict[str, float] | None = Field(None, description="direct weights by indicator id")
    ranks: dict[str, float] | None = Field(None, description="ranks by indicator id (1 = most important)")
    ahp: AhpSettings | None = None

    @model_validator(mode="after")
    def _inputs_present(self) -> "WeightSettings":
        if self.method == "direct" and not self.values:
            raise ValueError("method 'direct' needs 'values'")
        if self.method in ("ahp", "group_ahp") and self.ahp is None:
            raise ValueError(f"method '{self.method}' needs an 'ahp' block")
        return self


class NeedSettings(_Strict):
    urban_residents_per_office: float = Field(8000, gt=0)
    rural_residents_per_office: float = Field(6000, gt=0)
    min_target_per_unit: int = Field(1, ge=0, description="every populated unit needs at least this many offices")


class SensitivitySettings(_Strict):
    draws: int = Field(1000, ge=0)
    spread: float = Field(0.2, gt=0)
    top_k: int = Field(50, ge=1)
    seed: int = 7


class TierSettings(_Strict):
    method: Literal["quantiles", "natural_breaks"] = "quantiles"
    k: int = Field(3, ge=2, le=9)


class ProvinceFloor(_Strict):
    """Province floors: explicit licence counts, or each listed province's share of the national gap."""

    mode: Literal["gap_share", "explicit"] = "gap_share"
    provinces: list[str] | None = Field(None, description="province codes (gap_share); null: the deprived tier's provinces")
    fraction: float = Field(1.0, gt=0, le=1)
    licences: dict[str, int] | None = None


class Lock(_Strict):
    urban: int | None = Field(None, ge=0)
    rural: int | None = Field(None, ge=0)
    total: int | None = Field(None, ge=0)


class PlanSettings(_Strict):
    level: Literal["auto", "county", "province"] = "auto"
    budget_licences: int | None = Field(2000, ge=0)
    budget_mode: Literal["exact", "at_most"] = "at_most"
    loan_budget_rials: float | None = Field(None, ge=0)
    cost_urban_rials: float = Field(200e6, gt=0)
    cost_rural_rials: float = Field(200e6, gt=0)
    saturation_slack: float | None = Field(0.1, ge=0)
    min_catchment_urban: float | None = Field(5000, ge=0)
    min_catchment_rural: float | None = Field(3000, ge=0)
    # Viability: "residents" keeps existing + new <= floor(population / min_catchment) per part; "visits" takes each
    # part's limit from the visits its market leaves counter offices after the other networks' share (siting.viability).
    viability_rule: Literal["residents", "visits"] = "residents"
    visits_per_resident: float = Field(1.0, gt=0, description="visits a resident makes to counter-type offices in a year")
    min_visits_urban: float = Field(5000, gt=0, description="visits a year an urban office needs to be viable")
    min_visits_rural: float = Field(3000, gt=0, description="visits a year a rural office needs to be viable")
    viability_networks: list[Literal["police10", "municipal", "rural_ict", "post"]] = Field(
        default_factory=lambda: ["police10", "municipal"],
        description="the other networks whose offices take a share of the visits under the visits rule (the 1393 report "
                    "names Police+10 and municipal offices as the parallel networks offering the same services)")
    province_floor: ProvinceFloor | None = None
    province_ceiling_share: float | None = Field(0.15, gt=0, le=1)
    rural_share_min: float | None = Field(0.3, ge=0, le=1)
    enforce_parks: bool = True
    locks: dict[str, Lock] = Field(default_factory=dict)
    solver: Literal["highs", "cbc"] = "highs"
    time_limit_seconds: float | None = Field(60, gt=0)
    mip_gap: float | None = Field(None, ge=0)
    # Application screening (meetings 5 and 9, resolutions of 1390/11/8)
    no_transfer_years: int = 5
    open_within_months: int = 6
    licence_years: int = 3
    # Conversion (the Fifth Plan's clause C): these networks' offices become counter offices and count as existing.
    convert_networks: list[Literal["police10", "municipal", "rural_ict", "post"]] = Field(default_factory=list)
    convert_provinces: list[str] | None = Field(None, description="provinces whose offices convert; null: every province")


class DecaySettings(_Strict):
    """Distance decay of the attendance and market-share models (:mod:`siting.locate.decay`)."""

    kind: Literal["cutoff", "linear", "power", "exponential"] = "power"
    cutoff_km: float = Field(30, gt=0, description="no visits beyond this distance")
    beta: float = Field(1.0, ge=0, description="steepness of power and exponential decay")
    d0_km: float = Field(1.0, gt=0, description="power decay is flat up to this distance")

    def rule(self):
        """The :class:`siting.locate.decay.Decay` these settings describe."""
        from siting.locate.decay import Decay

        return Decay(kind=self.kind, cutoff=self.cutoff_km, beta=self.beta, d0=self.d0_km)


class SiteSettings(_Strict):
    """Settlement-level siting (``amayesh site`` and the placement after ``amayesh plan``)."""

    place_after_plan: bool = Field(True, description="place each unit's new licences on its settlements after the plan")
    model: Literal["mclp", "lscp", "pmedian", "attendance", "max_share", "target_share"] = "mclp"
    radius_km: float = Field(15, gt=0, description="service distance (minutes with travel_times)")
    p: int | None = Field(None, ge=0, description="new sites for a standalone MCLP or p-median (default: plan.budget_licences)")
    candidates: Literal["all", "county_seats"] = "all"
    min_candidate_population: float | None = Field(None, ge=0)
    must_cover_min_population: float | None = Field(None, ge=0)
    capacity: float | None = Field(None, gt=0, description="maximum population an office serves (visits, in the attendance "
                                                          "and market-share models)")
    allow_split: bool = Field(False, description="with a capacity, let a settlement's visits be shared between offices "
                                                 "(attendance, max_share, target_share); otherwise each settlement goes "
                                                 "whole to one office")
    travel_times: str | None = Field(None, description="CSV of origin,destination,minutes between settlement codes")
    time_limit_seconds: float | None = Field(60, gt=0)
    decay: DecaySettings = DecaySettings()
    target_share: float | None = Field(None, gt=0, le=1, description="market share target_share must reach")
    competitor_networks: list[Literal["police10", "municipal", "rural_ict", "post"]] = Field(
        default_factory=lambda: ["police10", "municipal", "rural_ict", "post"],
        description="the other networks that compete for visits in max_share and target_share")


class Scenario(_Strict):
    """A scoring and planning scenario."""

    name: str = "scenario"
    name_fa: str | None = None
    description: str | None = None
    data: str | None = Field(None, description="data source; the --data option overrides it")
    level: Literal["auto", "county", "province"] = "auto"
    registers: Registers = Registers()
    catalogue: str = Field("default", description="'default' or a path to an indicator catalogue YAML")
    indicators: list[str] = Field(..., min_length=1)
    indicator_params: dict[str, dict] = Field(default_factory=dict)
    allow_speculative_indicators: bool = False
    weights: WeightSettings = WeightSettings()
    normalization: Literal["minmax", "zscore", "standard"] = "minmax"
    standards: dict[str, float] = Field(default_factory=dict, description="override catalogue standards")
    aggregation: Literal["weighted_sum", "topsis"] = "weighted_sum"
    missing_values: Literal["median", "refuse"] = "median"
    tiers: TierSettings = TierSettings()
    need: NeedSettings = NeedSettings()
    sensitivity: SensitivitySettings = SensitivitySettings()
    plan: PlanSettings = PlanSettings()
    site: SiteSettings = SiteSettings()

    @field_validator("indicators")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        duplicates = sorted({v for v in value if value.count(v) > 1})
        if duplicates:
            raise ValueError(f"indicators listed twice: {duplicates}")
        return value


def format_errors(error: ValidationError, model: type[BaseModel] | None = None) -> str:
    """Pydantic's errors as indented ``field.path: message`` lines (scenarios, catalogues, sweeps).

    With ``model`` (the validated class), a misspelt field name gets the nearest real
    one (``plan.budget_licenses: Extra inputs are not permitted (did you mean 'budget_licences'?)``).
    """
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if model is not None and item["type"] == "extra_forbidden" and item["loc"]:
            message += did_you_mean(str(item["loc"][-1]), _field_names(model, item["loc"][:-1]))
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def _field_names(model: type[BaseModel], path: tuple[object, ...]) -> list[str]:
    """Field names (and aliases) of the model reached from ``model`` along ``path`` ([] if it leads elsewhere)."""
    for part in path:
        field = model.model_fields.get(str(part))
        if field is None:
            field = next((f for f in model.model_fields.values() if f.alias == part), None)
        nested = _model_of(field.annotation) if field is not None else None
        if nested is None:
            return []
        model = nested
    return [name for name, field in model.model_fields.items() for name in (name, field.alias) if name]


def did_you_mean(name: str, known: list[str], opening: str = " (", closing: str = ")") -> str:
    """``(did you mean 'x'?)`` for the nearest of ``known`` to a misspelt ``name``, or ``""``."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return f"{opening}did you mean '{close[0]}'?{closing}" if close else ""


def validate_scenario(raw: object, source: str) -> Scenario:
    """A :class:`Scenario` from a mapping read from ``source`` (a file name, or what the planner edited).

    Raises
    ------
    ScenarioError
        Naming ``source`` and every invalid field (``plan.budget_licences: ...``).
    """
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario is a YAML mapping of fields")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: invalid scenario:\n{format_errors(exc, Scenario)}") from None


def apply_overrides(scenario: Scenario, overrides: dict[str, object], source: str = "overrides") -> Scenario:
    """``scenario`` with dotted fields replaced (``{"plan.budget_licences": 2500}``), validated again.

    A dotted name must reach an existing field of the scenario model (``plan.budget_licences``,
    ``weights.values.rural_population``); a mapping field such as ``weights.values`` or
    ``plan.locks`` may gain new keys. Raises :class:`ScenarioError` naming the field.
    """
    raw = scenario.model_dump(mode="json")
    for dotted, value in overrides.items():
        check_field_path(str(dotted), source)
        parts = str(dotted).split(".")
        node: object = raw
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if not isinstance(node, dict):
                raise ScenarioError(f"{source}: '{dotted}' goes below a value that is not a mapping")
            if last:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
    return validate_scenario(raw, source)


def check_field_path(dotted: str, source: str) -> None:
    """Refuse a dotted name that reaches no scenario field (``plan.budget`` → 'budget' unknown).

    Mapping fields (``weights.values``, ``plan.locks``, ``indicator_params``) may gain new
    keys: below them (or below a plain value) nothing is judged here. The error names the
    nearest real field when one is close, and every field known at that level.
    """
    model: type[BaseModel] | None = Scenario
    for part in dotted.split("."):
        if model is None:
            return
        if part not in model.model_fields:
            known = list(model.model_fields)
            raise ScenarioError(f"{source}: '{dotted}' is not a scenario field ('{part}' unknown"
                                f"{did_you_mean(part, known, '; ', '')}; known: {', '.join(known)})")
        model = _model_of(model.model_fields[part].annotation)


def _model_of(annotation: object) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``X | None``; None for plain values and mappings."""
    candidates = typing.get_args(annotation) or (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def scenario_yaml(scenario: Scenario) -> str:
    """The YAML text of a scenario (every field, Persian kept readable), as a run folder stores it."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


def load_scenario(path: str | Path | None = None) -> tuple[Scenario, Path]:
    """Read and validate a scenario file (the default scenario when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_SCENARIO
    if not path.exists():
        raise ScenarioError(f"scenario file {path} not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    return validate_scenario(raw, str(path)), path
