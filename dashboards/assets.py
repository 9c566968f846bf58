"""The dashboard's static files (Leaflet, jQuery, Vazirmatn), served by Streamlit at ``app/static/``.

They are copied from the vendored assets of :mod:`siting.report` into ``dashboards/static/`` (git-ignored)
when missing, so that the package keeps one copy and the dashboard needs no network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "siting" / "report" / "assets"
STATIC = Path(__file__).resolve().parent / "static"
FILES = {
    "web/leaflet.js": "web/leaflet.js", "web/leaflet.css": "web/leaflet.css", "web/jquery-3.7.1.min.js": "web/jquery-3.7.1.min.js",
    "web/layers.png": "web/layers.png", "web/layers-2x.png": "web/layers-2x.png",
    "fonts/Vazirmatn-Regular.woff2": "fonts/Vazirmatn-Regular.woff2", "fonts/Vazirmatn-Regular.ttf": "fonts/Vazirmatn-Regular.ttf",
    "fonts/Vazirmatn-Bold.ttf": "fonts/Vazirmatn-Bold.ttf", "fonts/OFL.txt": "fonts/OFL.txt",
}


def ensure_static(target: Path = STATIC) -> Path:
    """Copy the vendored files into ``target`` where missing or changed; return ``target``."""
    for source, name in FILES.items():
        origin, copy = SOURCE / source, target / name
        if not origin.exists():
            continue
        if not copy.exists() or copy.stat().st_size != origin.stat().st_size:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, copy)
    return target
