"""Self-contained HTML: folium's CDN links replaced by the JavaScript and CSS vendored here.

Stock folium pages load Leaflet, jQuery, Bootstrap, Font Awesome and d3 from CDNs,
so they are blank in a meeting room without internet. :func:`inline_assets` puts
Leaflet 1.9.3, jQuery 3.7.1 and d3 3.5.5 (``assets/web``, from the npm registry)
inline and drops the rest (the maps do not use Bootstrap, icons or awesome-markers).
:func:`external_references` lists whatever would still be fetched from the network.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

from siting.errors import AmayeshError

WEB_DIR = Path(__file__).resolve().parent / "assets" / "web"
VENDORED_JS = {
    "leaflet": ("leaflet.js", re.compile(r"leaflet(@[\d.]+)?/dist/leaflet(-src)?\.js$")),
    "jquery": ("jquery-3.7.1.min.js", re.compile(r"jquery[-.@]?[\d.]*(\.min)?\.js$")),
    "d3": ("d3-3.5.5.min.js", re.compile(r"/d3(@|/)3\.[\d.]+/d3(\.min)?\.js$")),
}
VENDORED_CSS = {"leaflet": ("leaflet.css", re.compile(r"leaflet(@[\d.]+)?/dist/leaflet\.css$"))}
VENDORED_MARK = "data-amayesh-vendored"
_SCRIPT = re.compile(r'<script\s+src="(?P<url>[^"]+)"\s*>\s*</script>\s*', re.IGNORECASE)
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>[^"]+)"\s*/?>\s*', re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?(?P<url>[^)'\"]+)['\"]?\s*\)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?(?P<url>[^'\"); ]+)", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def _asset(name: str) -> str:
    path = WEB_DIR / name
    if not path.is_file():
        raise AmayeshError(f"offline web asset missing: {path} (reinstall amayesh)")
    return path.read_text(encoding="utf-8")


def _data_uri(name: str, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode((WEB_DIR / name).read_bytes()).decode("ascii")


def leaflet_css() -> str:
    """Leaflet's CSS with its layer-control icons inlined as data URIs."""
    css = _asset("leaflet.css")
    css = css.replace("url(images/layers.png)", f"url({_data_uri('layers.png', 'image/png')})")
    css = css.replace("url(images/layers-2x.png)", f"url({_data_uri('layers-2x.png', 'image/png')})")
    # Default marker icons are never used (every point is a circle marker): drop the relative URL.
    return re.sub(r"background-image:\s*url\(images/marker-icon\.png\);", "", css)


def _safe_script(text: str) -> str:
    return text.replace("</script", "<\\/script")


def inline_assets(html: str) -> str:
    """Replace folium's CDN ``<script>`` and stylesheet links by the vendored files, inline.

    Links to libraries that are not vendored (Bootstrap, Font Awesome, awesome-markers)
    are removed: the Amayesh maps use none of them.
    """

    def script(match: re.Match) -> str:
        url = match.group("url")
        for name, (filename, pattern) in VENDORED_JS.items():
            if pattern.search(url):
                return f'<script {VENDORED_MARK}="{name}">{_safe_script(_asset(filename))}</script>\n'
        return "" if _EXTERNAL.match(url) else match.group(0)

    def link(match: re.Match) -> str:
        url = match.group("url")
        for name, (_, pattern) in VENDORED_CSS.items():
            if pattern.search(url):
                return f'<style {VENDORED_MARK}="{name}">{leaflet_css()}</style>\n'
        return "" if _EXTERNAL.match(url) else match.group(0)

    return _LINK.sub(link, _SCRIPT.sub(script, html))


class _References(HTMLParser):
    """Collects resource URLs from tags, inline CSS, and string URLs in non-vendored scripts."""

    _ATTRIBUTES = {"src", "href", "data", "poster", "srcset", "action", "background"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: str | None = None
        self._vendored = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in self._ATTRIBUTES and _EXTERNAL.match(value.strip()):
                self.found.append(value.strip())
            if value and name == "style":
                self._css(value)
        self._in = tag if tag in ("script", "style") else None
        self._vendored = any(name == VENDORED_MARK for name, _ in attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in = None
        self._vendored = False

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self._css(data)
        elif self._in == "script" and not self._vendored:
            self.found.extend(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'<>)]*", data))

    def _css(self, text: str) -> None:
        for pattern in (_CSS_URL, _CSS_IMPORT):
            self.found.extend(m.group("url") for m in pattern.finditer(text) if _EXTERNAL.match(m.group("url").strip()))


def external_references(html: str) -> list[str]:
    """URLs the page would fetch from the network.

    Looks at every tag attribute that loads something (``src``, ``href``…), at
    ``url()`` and ``@import`` in styles, and at URL strings in every script that is
    not one of the vendored libraries (those carry links in their comments and
    attribution strings that are never fetched).
    """
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.found


def check_offline(html: str) -> None:
    """Raise if a page meant to work offline would fetch anything.

    Raises
    ------
    AmayeshError
        Naming the external URLs found.
    """
    found = external_references(html)
    if found:
        raise AmayeshError(f"the offline map still references {len(found)} external URL(s): {', '.join(sorted(set(found))[:5])}")
