"""``notebooks/walkthrough.ipynb`` runs top to bottom on the real data and shows the expected figures.

The notebook is executed with nbclient in a ``python3`` kernel of this venv, with
``notebooks/`` as the working directory, exactly as a planner opening it would.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import nbclient
import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "walkthrough.ipynb"


def cell_text(cell) -> str:
    """Everything a code cell showed: streams, plain-text results and errors."""
    parts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


def test_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert re.search(r"[\u0600-\u06FF]", text), "the walkthrough explains each step in Persian too"
    assert "SYNTHETIC" in text


PROBE = "import os, sys\nprint(sys.prefix)\nprint(os.getcwd())"


@pytest.fixture(scope="module")
def executed(shared_data) -> object:
    """The notebook run in notebooks/, with a first probe cell reporting the kernel's interpreter and folder."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    # the kernel inherits this environment: the session's data folder and cache folder
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AMAYESH_SHARED_DATA", str(shared_data))
        client.execute()
    return notebook


def test_notebook_runs_with_the_venv_kernel(executed):
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    errors = [cell_text(cell) for cell in code if any(o.get("output_type") == "error" for o in cell.outputs)]
    assert not errors, errors
    prefix, folder = cell_text(code[0]).split()
    assert Path(prefix) == Path(sys.prefix)  # the venv, not the base interpreter
    assert Path(folder).resolve() == NOTEBOOK.parent.resolve()


def test_notebook_shows_each_step(executed):
    shown = "\n".join(cell_text(cell) for cell in executed.cells if cell.cell_type == "code")
    assert "429 counties in 31 provinces" in shown
    assert "synthetic: True" in shown
    assert "rank_order_centroid" in shown and "offices_per_10k" in shown  # the weights
    assert "deprived" in shown  # the top-ranked counties
    assert "status optimal" in shown
    assert "Razavi Khorasan" in shown or "Tehran" in shown  # allocation by province
    assert "saturated parts" in shown  # the moratorium
    assert "first come, first served" in shown  # the counterfactual table


def test_notebook_final_figures(executed):
    last = cell_text([cell for cell in executed.cells if cell.cell_type == "code"][-1])
    assert "2,000 licences allocated" in last
    assert "licences in saturated counties 0 " in last
    covered = re.search(r"need covered (\d+)% \(first come, first served: (\d+)%\)", last)
    assert covered and int(covered.group(1)) > int(covered.group(2))
