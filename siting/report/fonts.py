"""The Persian font of every map and table: Vazirmatn, bundled with the package.

Vazirmatn (SIL Open Font License 1.1, ``assets/fonts/OFL.txt``) ships inside
``siting/report/assets/fonts`` so that a fresh machine draws Persian without
installing anything. matplotlib ≥ 3.11 shapes Persian itself (libraqm, built
into its wheel): labels are passed as plain logical-order strings, never through
arabic-reshaper or python-bidi.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from siting.errors import AmayeshError

FONT_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
FAMILY = "Vazirmatn"
FONT_FILES = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf")
WEBFONT_FILE = "Vazirmatn-Regular.woff2"
# A word whose letters all join: shaped, its glyphs are positional forms, not the isolated ones.
_PROBE = "پیشخوان"


def font_paths() -> tuple[Path, ...]:
    """The Vazirmatn TTF files to use: the bundled ones, else an installed Vazirmatn.

    Raises
    ------
    AmayeshError
        If neither the bundled files nor a system-wide Vazirmatn can be found.
    """
    bundled = tuple(FONT_DIR / name for name in FONT_FILES)
    if all(path.is_file() for path in bundled):
        return bundled
    from matplotlib import font_manager

    installed = tuple(
        Path(path)
        for path in font_manager.findSystemFonts()
        if Path(path).name in FONT_FILES
    )
    if installed:
        return installed
    raise AmayeshError(
        f"the Persian font {FAMILY} is missing: expected {', '.join(FONT_FILES)} in {FONT_DIR} "
        "(reinstall amayesh) or installed system-wide"
    )


@functools.cache
def register_fonts() -> str:
    """Register Vazirmatn with matplotlib once per process and return its family name.

    Raises
    ------
    AmayeshError
        If the font is missing or this matplotlib cannot shape Persian.
    """
    from matplotlib import font_manager

    for path in font_paths():
        font_manager.fontManager.addfont(str(path))
    check_shaping()
    return FAMILY


def rc_params() -> dict[str, object]:
    """matplotlib settings for Persian figures: Vazirmatn, TrueType fonts embedded in PDFs.

    ``pdf.fonttype`` 42 embeds the TrueType glyphs with a ToUnicode map, so the text of
    a PDF stays searchable and ``pdftotext`` extracts it.
    """
    family = register_fonts()
    return {
        "font.family": [family, "DejaVu Sans"],
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
    }


def layout_glyphs(text: str, size: float = 12.0) -> list[tuple[str, float]]:
    """Glyph names and pen positions matplotlib lays out for ``text``, left to right.

    This is the layout matplotlib's renderers draw (libraqm/HarfBuzz in ≥ 3.11):
    Persian comes out as positional forms in visual (right-to-left) order.
    """
    from matplotlib import ft2font

    font = ft2font.FT2Font(str(font_paths()[0]))
    font.set_size(size, 72)
    items = font._layout(text, ft2font.LoadFlags.NO_HINTING)  # provisional API, checked by the tests
    return [(item.ft_object.get_glyph_name(item.glyph_index), float(item.x)) for item in items]


def isolated_glyphs(text: str) -> list[str]:
    """Glyph names of each character's nominal (isolated) form, in logical order."""
    from matplotlib import ft2font

    font = ft2font.FT2Font(str(font_paths()[0]))
    return [font.get_glyph_name(font.get_char_index(ord(char))) for char in text]


def check_shaping() -> None:
    """Refuse to draw Persian with a matplotlib that does not shape it.

    Raises
    ------
    AmayeshError
        If matplotlib lays ``پیشخوان`` out with isolated letter forms (matplotlib < 3.11,
        or a build without libraqm): the committee would read gibberish.
    """
    import matplotlib

    try:
        shaped = [name for name, _ in layout_glyphs(_PROBE)]
    except (AttributeError, TypeError) as exc:  # matplotlib < 3.11 has no FT2Font._layout
        raise AmayeshError(
            f"matplotlib {matplotlib.__version__} cannot shape Persian (joined letters, right to left): "
            "install matplotlib>=3.11"
        ) from exc
    if shaped == isolated_glyphs(_PROBE) or shaped == isolated_glyphs(_PROBE)[::-1]:
        raise AmayeshError(
            f"matplotlib {matplotlib.__version__} draws Persian letters unjoined: install matplotlib>=3.11 "
            "(its wheels include libraqm)"
        )


# Default-ignorable characters: HarfBuzz lays them out as the space glyph with no advance, but
# matplotlib's PDF backend (3.11) advances by that glyph's own width, pushing the rest of the
# word aside ("درخواست‌ها" comes out as "درخواس تها"). In PDFs a zero-width non-joiner becomes a
# narrow no-break space (also non-joining, 0.06 em wide) and the direction marks are dropped.
_PDF_SUBSTITUTES = str.maketrans(
    {"\u200c": "\u202f", "\u200d": None, "\u200e": None, "\u200f": None, "\u061c": None,
     **{chr(c): None for c in range(0x202A, 0x202F)}, **{chr(c): None for c in range(0x2066, 0x206A)}}
)


def pdf_text(text: str) -> str:
    """A label as it is written into a PDF (see :func:`pdf_safe`)."""
    return text.translate(_PDF_SUBSTITUTES)


def pdf_safe(figure) -> None:
    """Rewrite a figure's texts so that matplotlib's PDF backend places every glyph where it belongs.

    Zero-width non-joiners become narrow no-break spaces and bidi marks are dropped
    (see ``_PDF_SUBSTITUTES``); the figure is changed in place, so call it just before
    saving a PDF.
    """
    from matplotlib.text import Text

    for artist in figure.findobj(Text):
        text = artist.get_text()
        if text and text != pdf_text(text):
            artist.set_text(pdf_text(text))


def webfont_data_uri() -> str:
    """Vazirmatn Regular as a ``data:`` URI for an offline ``@font-face`` rule."""
    data = (FONT_DIR / WEBFONT_FILE).read_bytes()
    return "data:font/woff2;base64," + base64.b64encode(data).decode("ascii")
