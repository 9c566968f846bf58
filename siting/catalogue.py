"""The indicator catalogue: what each indicator means and how it is computed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from siting.errors import ScenarioError
from siting.scenario import DEFAULT_CATALOGUE, format_errors


class Indicator(BaseModel):
    """One catalogue entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label_fa: str
    label_en: str
    compute: str | None = None
    column: str | None = None
    params: dict = Field(default_factory=dict)
    direction: Literal["benefit", "cost"]
    unit: str = ""
    standard: float | None = None
    weight: float | None = Field(None, ge=0)
    rank: float | None = Field(None, gt=0)
    speculative: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> "Indicator":
        if (self.compute is None) == (self.column is None):
            raise ValueError("give either 'compute' (a built-in) or 'column' (a units column)")
        return self


def load_catalogue(source: str | Path = "default") -> dict[str, Indicator]:
    """Indicators by id from a catalogue YAML (``'default'``: ``data/indicators.yaml``)."""
    from siting.indicators import BUILTINS

    path = DEFAULT_CATALOGUE if str(source) == "default" else Path(source)
    if not path.exists():
        raise ScenarioError(f"indicator catalogue {path} not found")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = raw.get("indicators") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise ScenarioError(f"{path}: a catalogue has a top-level 'indicators' list")
    catalogue: dict[str, Indicator] = {}
    for position, entry in enumerate(entries, start=1):
        try:
            indicator = Indicator.model_validate(entry)
        except ValidationError as exc:
            raise ScenarioError(f"{path}: indicator #{position}:\n{format_errors(exc, Indicator)}") from None
        if indicator.id in catalogue:
            raise ScenarioError(f"{path}: indicator id '{indicator.id}' appears twice")
        if indicator.compute is not None and indicator.compute not in BUILTINS:
            raise ScenarioError(f"{path}: indicator '{indicator.id}': unknown computation '{indicator.compute}'; "
                                f"built-ins are {sorted(BUILTINS)}")
        catalogue[indicator.id] = indicator
    return catalogue
