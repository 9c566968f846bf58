"""One module per dashboard page; each exposes ``render()``."""

from __future__ import annotations


def _lazy(module: str):
    def render() -> None:
        import importlib

        importlib.import_module(f"dashboards.views.{module}").render()

    return render


PAGES = {
    "data": _lazy("data"),
    "weights": _lazy("weights"),
    "plan": _lazy("plan"),
    "why": _lazy("why"),
    "robust": _lazy("robust"),
    "sites": _lazy("sites"),
    "compare": _lazy("compare"),
    "export": _lazy("export"),
}
