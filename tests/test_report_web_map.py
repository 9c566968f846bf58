"""The interactive map: self-contained, bilingual, with every layer, and no network needed."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile

import pytest

from _run_fixture import shared_pack, shared_run
from siting.errors import AmayeshError
from siting.report.offline import check_offline, external_references, inline_assets
from siting.report.run import read_run
from siting.report.web_map import render_html, web_map



@pytest.fixture(scope="module")
def run():
    return read_run(shared_run())


@pytest.fixture(scope="module")
def html():
    """map.html of the shared committee pack (offline, the default of exports)."""
    return (shared_pack() / "map.html").read_text(encoding="utf-8")


def test_offline_page_references_no_external_url(html):
    assert external_references(html) == []
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"https?:", html)
    assert "cdn.jsdelivr.net" not in html and "code.jquery.com" not in html and "bootstrapcdn" not in html
    assert 'data-amayesh-vendored="leaflet"' in html and 'data-amayesh-vendored="jquery"' in html
    assert "url(images/" not in html  # the layer-control icons are inlined too


def test_detector_finds_what_would_be_fetched():
    page = ('<html><head><script src="https://cdn.example.org/x.js"></script><link rel="stylesheet" href="//cdn.example.org/x.css"/>'
            '<style>.a{background:url("http://tiles.example.org/1.png")}</style></head><body><img src="local.png">'
            '<script>L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png")</script></body></html>')
    found = external_references(page)
    assert len(found) == 4
    assert not any("local.png" in url for url in found)
    with pytest.raises(AmayeshError, match="external URL"):
        check_offline(page)
    # CDN links are replaced by the vendored files or dropped.
    assert "cdn.example.org/x.js" not in inline_assets(page)


def test_basemap_is_an_online_option(run):
    online = inline_assets(render_html(web_map(run, basemap=True), offline=False))
    assert any("openstreetmap" in url for url in external_references(online))
    with pytest.raises(AmayeshError, match="external URL"):
        check_offline(online)


def test_layers_legends_and_bilingual_tooltips(html, run):
    for name in ("مجوزهای جدید · New licences", "امتیاز نیاز · Need score", "Gap (target − existing offices)",
                 "Speculative pressure (applications per licence)", "مرز استان‌ها · Province boundaries",
                 "Moratorium (hatched)", "Existing offices", "Applications by decision", "Industrial parks", "Proposed sites"):
        assert json.dumps(name)[1:-1] in html or name in html, name
    assert 'id="amayesh-hatch"' in html and "amayesh-moratorium" in html
    legends = re.findall(r'data-metric=\\"(\w+)\\"', html)  # one legend per choropleth, switched with the layer
    assert legends == ["new_licences", "score", "gap", "pressure"]
    for alias in ("جمعیت ۱۳۹۵ · Population 2016", "دفاتر موجود · Existing offices", "هدف · Target", "مجوز جدید · New licences"):
        assert alias in html or json.dumps(alias)[1:-1] in html, alias
    # Unit names in both languages, and the reason of a moratorium.
    tehran = run.units.set_index("unit_code").loc["2301"]
    assert json.dumps(f"{tehran['name_fa']} · {tehran['name_en']}")[1:-1] in html
    assert "Moratorium (saturated): saturated" in html
    assert "SYNTHETIC registers" in html
    assert "font/woff2;base64" in html


def test_renders_with_the_network_cut(html, tmp_path):
    probe = """<script>window.addEventListener('load', function () { setTimeout(function () {
      document.querySelectorAll('.leaflet-control-layers-base input')[3].click();
      document.body.setAttribute('data-probe', JSON.stringify({
        paths: document.querySelectorAll('path.leaflet-interactive').length,
        legend: document.querySelector('.amayesh-legend .block.active').getAttribute('data-metric'),
        font: document.fonts.check('12px Vazirmatn')}));
    }, 300); });</script></body>"""
    page = tmp_path / "map.html"
    page.write_text(html.replace("</body>", probe), encoding="utf-8")
    result = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         f"--user-data-dir={tempfile.mkdtemp()}", "--proxy-server=127.0.0.1:9", "--virtual-time-budget=4000",
         "--window-size=1200,900", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90,
    )
    match = re.search(r'data-probe="([^"]+)"', result.stdout)
    assert match, result.stderr[-2000:]
    probe_result = json.loads(match.group(1).replace("&quot;", '"'))
    assert probe_result["paths"] > 429  # units, moratorium and sites drawn by Leaflet
    assert probe_result["legend"] == "pressure"  # switching the choropleth switches its legend
    assert probe_result["font"] is True  # Vazirmatn loaded from the page itself
