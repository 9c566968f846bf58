"""Helpers shared by the scoring and planning tests: a memoised data load and an in-process CLI runner."""

from __future__ import annotations

import functools

import pytest
from click.testing import CliRunner

from siting import pipeline
from siting.scenario import Scenario

_original_prepare = pipeline.prepare_dataset


@functools.cache
def _prepared(data: str, vintage: int, seed: int | None):
    scenario = Scenario(indicators=["rural_population"], registers={"synthetic_seed": seed})
    return _original_prepare(scenario, data, vintage)


def cached_prepare(scenario: Scenario, data: str | None = None, vintage: int = 1395):
    """``prepare_dataset`` memoised on (data, vintage, register seed): the same frames every call."""
    return _prepared(str(data or scenario.data or "embedded"), int(vintage), scenario.registers.synthetic_seed)


@pytest.fixture
def fast_data(monkeypatch):
    """Make the CLI reuse the loaded data (the first load still goes through the real code)."""
    monkeypatch.setattr(pipeline, "prepare_dataset", cached_prepare)


def invoke(*args):
    """Run the CLI in-process; a traceback is a failure, a clean non-zero exit is not."""
    from siting.cli.main import cli

    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    return result
