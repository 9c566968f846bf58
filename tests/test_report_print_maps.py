"""Print maps: page size and resolution, not blank, the legend's colours, nothing off the page."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import matplotlib
import numpy as np
import pytest
from PIL import Image

from _run_fixture import points_run, shared_run

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from siting.errors import AmayeshError  # noqa: E402
from siting.report.pack import ExportOptions, export  # noqa: E402
from siting.report.print_maps import MapStyle, national_map, prepare, province_map, save_map  # noqa: E402
from siting.report.run import read_run  # noqa: E402

STYLE = MapStyle(date=dt.date(2024, 4, 3))
A4_PX = (3507, 2481)  # 11.69 × 8.27 in at 300 dpi


@pytest.fixture(scope="module")
def run():
    return read_run(shared_run())


@pytest.fixture(scope="module")
def data(run):
    return prepare(run, STYLE)


@pytest.fixture(scope="module")
def pngs(tmp_path_factory):
    """``amayesh export --format png --province 25``: the national map and Qom's."""
    out = tmp_path_factory.mktemp("maps") / "png"
    return export(shared_run(), out, "png", ExportOptions(style=STYLE, provinces=("25",)))


def _pixels(path):
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _colour_counts(pixels: np.ndarray) -> np.ndarray:
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    return np.bincount(packed.ravel(), minlength=1 << 24)


def test_png_export_writes_national_and_province_maps_a4_at_300_dpi(pngs):
    assert [p.name for p in pngs] == ["national.png", "province-25-qom.png"]
    for path in pngs:
        image = Image.open(path)
        assert image.size == A4_PX
        assert round(image.info["dpi"][0]) == 300


def test_national_png_is_not_blank_and_shows_every_class(pngs, data):
    pixels = _pixels(pngs[0])
    assert (pixels.sum(axis=2) < 720).mean() > 0.15  # Iran and the furniture cover a good part of the page
    counts = _colour_counts(pixels)
    for colour in [*data.classes["new_licences"].colours, "#8b0000"]:  # every class, and the moratorium hatch
        assert counts[int(colour[1:], 16)] > 500, colour


def test_nothing_is_drawn_off_the_page(pngs):
    for path in pngs:
        pixels = _pixels(path)
        # A white margin all round: no title, legend or footer runs off the paper.
        assert (pixels[:5] >= 250).all() and (pixels[-5:] >= 250).all()
        assert (pixels[:, :5] >= 250).all() and (pixels[:, -5:] >= 250).all()


def test_province_map_in_a3_as_vector_pdf(run, data, tmp_path):
    style = MapStyle(paper="A3", date=dt.date(2024, 4, 3))
    path = save_map(province_map(run, "23", "pressure", style, data), tmp_path / "tehran.pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "1190.88 x 841.68 pts (A3)" in info
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # pdftotext splits some Persian words at glyph gaps ("ته ران"): compare without spaces and marks.
    text = re.sub(r"[\s\u200c-\u200f\u202a-\u202f]", "", text)
    assert "استانتهران" in text and "شمیرانات" in text


def test_unknown_province_and_format(run, data, tmp_path):
    with pytest.raises(AmayeshError, match="province '99'"):
        province_map(run, "99", data=data)
    with pytest.raises(AmayeshError, match="paper"):
        MapStyle(paper="Letter")
    fig = plt.figure()
    with pytest.raises(AmayeshError, match="png or pdf"):
        save_map(fig, tmp_path / "map.svg")


def test_point_units_draw_as_circles():
    run = read_run(points_run())
    fig = national_map(run, "new_licences", STYLE)
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    plt.close(fig)
    counts = _colour_counts(pixels)
    found = prepare(run, STYLE).classes["new_licences"].colours
    assert all(counts[int(c[1:], 16)] > 20 for c in found)


def test_maps_draw_without_warnings(run, data, recwarn):
    plt.close(national_map(run, "gap", STYLE, data))
    plt.close(province_map(run, "09", "new_licences", STYLE, data))
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)], [str(w.message) for w in recwarn]
