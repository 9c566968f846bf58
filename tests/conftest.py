"""Shared fixtures.

- ``shared_data``: the real data folder ``../shared/data/iran`` (read-only; ``AMAYESH_SHARED_DATA`` overrides).
- ``amayesh_cache_dir`` (autouse, session): ``AMAYESH_CACHE_DIR`` points to a fresh temporary folder, so the
  embedded default is built there and never in the developer's cache; ``AMAYESH_ID_SALT`` is unset.
- ``official_dataset``: the official folder loaded once per session.
- ``embedded_offline``: the embedded default built once, in a subprocess with the network blocked.
- ``official_copy``: copies chosen files of the real folder into ``tmp_path`` (to break one row).
- ``contract_layers`` / ``contract_folder`` / ``write_layer``: a small real subset written in the planner's data
  contract, in any format.
- ``run_amayesh``: invokes the CLI in-process and fails on any traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA_VARIABLE = "AMAYESH_SHARED_DATA"
# A small, real subset for contract folders: Markazi (codes with leading zeros), Qom (one county), Alborz.
SUBSET_PROVINCES = ("00", "25", "30")
_CENSUS = {
    "pop_1395_total": "pop_total",
    "pop_1395_urban": "pop_urban",
    "pop_1395_rural": "pop_rural",
    "pop_1395_nonsettled": "pop_nonsettled",
}
# Prepended to a Python program run in a subprocess: every socket fails, so any network use is an error.
NO_NETWORK_PRELUDE = """
import socket

def _blocked(*args, **kwargs):
    raise OSError("network access is blocked in this test")

class _NoNetworkSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _blocked()

socket.socket = _NoNetworkSocket
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
try:
    socket.create_connection(("example.com", 80))
except OSError:
    pass
else:
    raise SystemExit("the network block does not work")
"""


def shared_data_path() -> Path:
    override = os.environ.get(SHARED_DATA_VARIABLE)
    return Path(override) if override else REPO.parent / "shared" / "data" / "iran"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder (read-only: copy files to ``tmp_path`` before editing them)."""
    path = shared_data_path()
    if not (path / "iran_counties.geojson").exists():
        pytest.fail(f"real data not found at {path}: the tests need ../shared/data/iran (or set {SHARED_DATA_VARIABLE})")
    return path


@pytest.fixture(scope="session", autouse=True)
def amayesh_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh, session-wide AMAYESH_CACHE_DIR; no ID salt from the developer's environment."""
    path = tmp_path_factory.mktemp("amayesh-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AMAYESH_CACHE_DIR", str(path))
        patch.delenv("AMAYESH_ID_SALT", raising=False)
        yield path


@pytest.fixture(scope="session")
def official_dataset(shared_data: Path):
    """The official folder, loaded and validated once per session (do not mutate its frames)."""
    from siting.data import load_dataset

    return load_dataset(shared_data)


def run_python(code: str, env: dict[str, str] | None = None, offline: bool = False, timeout: float = 300):
    """Run ``code`` in a fresh interpreter of this venv (network blocked if ``offline``)."""
    program = (NO_NETWORK_PRELUDE if offline else "") + code
    return subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def embedded_offline(tmp_path_factory: pytest.TempPathFactory, amayesh_cache_dir: Path) -> dict:
    """Build the embedded default in a subprocess with no network and a fresh cache folder.

    Returns the summary the subprocess printed and the fresh cache folder. The built folder
    then seeds the session cache, so the embedded default is built once per session.
    """
    from siting.data.embedded import CACHE_VERSION

    fresh = tmp_path_factory.mktemp("offline-cache")
    code = (
        "import json\n"
        "from siting.data import load_dataset, summary\n"
        "print(json.dumps(summary(load_dataset('embedded')), ensure_ascii=False))\n"
    )
    result = run_python(code, env={"AMAYESH_CACHE_DIR": str(fresh)}, offline=True)
    assert result.returncode == 0, result.stderr
    target = amayesh_cache_dir / CACHE_VERSION
    if not target.exists():
        shutil.copytree(fresh / CACHE_VERSION, target)
    return {"summary": json.loads(result.stdout.strip().splitlines()[-1]), "cache": fresh, "stderr": result.stderr}


@pytest.fixture
def official_copy(shared_data: Path, tmp_path: Path):
    """``official_copy(*files)``: a folder in ``tmp_path`` holding copies of those real files."""

    def copy(*files: str, name: str = "official") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for file in files or ("iran_counties.geojson",):
            shutil.copy(shared_data / file, folder / file)
        return folder

    return copy


@pytest.fixture(scope="session")
def contract_layers(shared_data: Path) -> dict:
    """Provinces, counties (polygons) and settlements of :data:`SUBSET_PROVINCES`, in contract names."""
    import geopandas as gpd
    import pandas as pd

    counties = gpd.read_file(shared_data / "iran_counties.geojson")
    provinces = gpd.read_file(shared_data / "iran_provinces.geojson")
    cities = pd.read_csv(shared_data / "iran_cities.csv", dtype=str, keep_default_na=False)
    columns = ["unit_code", "name_fa", "name_en", *_CENSUS.values(), "geometry"]
    provinces = (
        provinces[provinces["province_code"].isin(SUBSET_PROVINCES)]
        .rename(columns={"province_code": "unit_code", **_CENSUS})[columns]
        .reset_index(drop=True)
    )
    counties = counties[counties["province_code"].isin(SUBSET_PROVINCES)].rename(
        columns={"county_code": "unit_code", "province_code": "parent_code", **_CENSUS}
    )
    counties = counties[["unit_code", "parent_code", *columns[1:]]].reset_index(drop=True)
    cities = cities[cities["province_code"].isin(SUBSET_PROVINCES) & (cities["possible_duplicate"] == "False")]
    settlements = cities.rename(
        columns={"geonameid": "settlement_code", "population_geonames": "population", "county_code": "unit_code"}
    )[["settlement_code", "name_fa", "name_en", "population", "unit_code", "lon", "lat"]].reset_index(drop=True)
    return {"provinces": provinces, "counties": counties, "settlements": settlements}


CONTRACT_FORMATS = {
    "gpkg": ("gpkg", "GPKG"),
    "geojson": ("geojson", "GeoJSON"),
    "shp": ("shp", "ESRI Shapefile"),
    "fgb": ("fgb", "FlatGeobuf"),
    "parquet": ("parquet", None),
    "csv": ("csv", None),
}


def write_contract_layer(frame, path: Path) -> Path:
    """Write one layer; a ``.csv`` path gets ``lon``/``lat`` of a representative point instead of geometry."""
    import warnings

    import pandas as pd

    path = Path(path)
    if path.suffix == ".csv":
        points = frame.geometry.representative_point()
        table = pd.DataFrame(frame.drop(columns="geometry"))
        table["lon"], table["lat"] = points.x.round(5), points.y.round(5)
        table.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        driver = {ext: drv for ext, drv in CONTRACT_FORMATS.values()}[path.suffix[1:]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Shapefile field-name truncation warnings
            frame.to_file(path, driver=driver)
    return path


@pytest.fixture(scope="session")
def write_layer():
    """``write_layer(frame, path)``: :func:`write_contract_layer`, for tests."""
    return write_contract_layer


@pytest.fixture
def contract_folder(contract_layers: dict, tmp_path: Path):
    """``contract_folder(fmt, name=...)``: the subset as ``provinces.*``, ``counties.*`` and ``settlements.csv``."""

    def make(fmt: str = "geojson", name: str | None = None, settlements: bool = True) -> Path:
        folder = tmp_path / (name or f"contract-{fmt}")
        folder.mkdir()
        ext = CONTRACT_FORMATS[fmt][0]
        for layer in ("provinces", "counties"):
            write_contract_layer(contract_layers[layer], folder / f"{layer}.{ext}")
        if settlements:
            contract_layers["settlements"].to_csv(folder / "settlements.csv", index=False)
        return folder

    return make


@pytest.fixture
def run_amayesh():
    """``run_amayesh(*args)``: the CLI in-process; fails if anything but a clean exit escaped."""
    from click.testing import CliRunner

    from siting.cli.main import cli

    def run(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"uncaught {result.exception!r}\n{result.output}"
        )
        assert "Traceback" not in result.output
        return result

    return run
