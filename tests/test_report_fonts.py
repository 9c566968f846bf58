"""Persian on print maps: the bundled font, and glyph shaping that really joins letters right to left."""

from __future__ import annotations

import subprocess

import matplotlib
import numpy as np
from scipy import ndimage

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from siting.report import fonts  # noqa: E402

WORD = "پیشخوان"  # counter: every letter joins its neighbour except after و and ا


def test_bundled_fonts_and_licence_ship_with_the_package():
    for name in (*fonts.FONT_FILES, fonts.WEBFONT_FILE, "OFL.txt"):
        assert (fonts.FONT_DIR / name).is_file(), name
    assert "SIL Open Font License" in (fonts.FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert fonts.font_paths()[0].parent == fonts.FONT_DIR


def test_registered_family_resolves_to_the_bundled_file():
    from matplotlib import font_manager

    assert fonts.register_fonts() == "Vazirmatn"
    found = font_manager.findfont(font_manager.FontProperties(family="Vazirmatn"), fallback_to_default=False)
    assert found.endswith("Vazirmatn-Regular.ttf")
    bold = font_manager.findfont(font_manager.FontProperties(family="Vazirmatn", weight="bold"), fallback_to_default=False)
    assert bold.endswith("Vazirmatn-Bold.ttf")


def test_layout_uses_joined_forms_in_right_to_left_order():
    shaped = [name for name, _ in fonts.layout_glyphs(WORD)]
    isolated = fonts.isolated_glyphs(WORD)
    assert len(shaped) == len(WORD)
    # Visual order is right to left: the last letter (ن) is drawn first, on the left.
    assert shaped[0] == isolated[-1] == "uni0646"
    # Joined letters use positional forms (Arabic Presentation Forms-B glyphs), not the nominal ones.
    assert shaped != isolated[::-1]
    assert {"uniFEB8", "uniFEA8"} <= set(shaped)  # medial sheen and medial khah
    assert any(name.startswith("uniFB58") for name in shaped)  # initial peh
    fonts.check_shaping()


def _letter_bodies(text: str) -> list[tuple[int, int]]:
    """Horizontal extents of the large ink blobs (letter bodies, not dots) of ``text`` drawn by Agg."""
    with plt.rc_context(fonts.rc_params()):
        fig = plt.figure(figsize=(8, 2), dpi=100)
        fig.text(0.5, 0.5, text, fontsize=60, ha="center", va="center")
        fig.canvas.draw()
        ink = np.asarray(fig.canvas.buffer_rgba())[..., :3].mean(axis=2) < 128
        plt.close(fig)
    labels, count = ndimage.label(ink)
    sizes = ndimage.sum(ink, labels, range(1, count + 1))
    boxes = ndimage.find_objects(labels)
    return sorted((box[1].start, box[1].stop) for box, size in zip(boxes, sizes) if size > 0.1 * sizes.max())


def test_rendered_word_is_joined_and_right_to_left():
    bodies = _letter_bodies(WORD)
    # Joined: three bodies (پیشخو, ا, ن); unshaped Persian draws seven separate letters.
    assert len(bodies) == 3, bodies
    widths = [stop - start for start, stop in bodies]
    # Right to left: the long joined run پیشخو is the rightmost body, ن the leftmost.
    assert widths.index(max(widths)) == 2


def test_the_body_count_tells_unjoined_letters_apart():
    # The same letters kept apart by zero-width non-joiners: what missing shaping looks like.
    assert len(_letter_bodies("\u200c".join(WORD))) == 7


def test_pdf_embeds_vazirmatn_and_keeps_persian_text(tmp_path):
    path = tmp_path / "label.pdf"
    with plt.rc_context(fonts.rc_params()):
        fig = plt.figure(figsize=(4, 1))
        fig.text(0.5, 0.5, "دفاتر پیشخوان خدمات دولت", ha="center")
        fig.savefig(path)
        plt.close(fig)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "دفاتر پیشخوان خدمات دولت" in "".join(ch for ch in text if ch not in "\u202a\u202b\u202c\u202d\u202e")
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Vazirmatn" in listing


def test_webfont_is_a_data_uri():
    assert fonts.webfont_data_uri().startswith("data:font/woff2;base64,d09GMg")  # "wOF2"


def _gaps(pixels: np.ndarray) -> list[int]:
    """Widths of the blank column runs between the first and last ink of a rendered line."""
    columns = (pixels[..., :3].mean(axis=2) < 128).any(axis=0)
    inner = columns[np.flatnonzero(columns)[0]:np.flatnonzero(columns)[-1]]
    edges = np.flatnonzero(np.diff(np.r_[1, inner.astype(int), 1]))
    return [int(stop - start) for start, stop in zip(edges[::2], edges[1::2])]


def test_zero_width_non_joiner_keeps_its_place_in_pdfs(tmp_path):
    # matplotlib's PDF backend advances a zero-width non-joiner by a space's width (the glyph
    # HarfBuzz puts in its place): "وزن‌ها" prints as "وز نها", "سکونتگاه‌ها" as "سکونتگا ها".
    from PIL import Image

    text = "وزن‌ها · درخواست‌ها · سکونتگاه‌ها"
    with plt.rc_context(fonts.rc_params()):
        fig = plt.figure(figsize=(10, 1), dpi=100)
        fig.text(0.5, 0.5, text, fontsize=40, ha="center", va="center")
        fig.canvas.draw()
        screen = _gaps(np.asarray(fig.canvas.buffer_rgba()))
        fonts.pdf_safe(fig)
        fig.savefig(tmp_path / "zwnj.pdf")
        plt.close(fig)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "zwnj.pdf"), str(tmp_path / "zwnj")], check=True)
    printed = _gaps(np.asarray(Image.open(tmp_path / "zwnj.png").convert("RGBA")))
    word_gap = sorted(screen)[-4]  # the four gaps around the two "·"
    assert sum(g >= word_gap / 2 for g in printed) == sum(g >= word_gap / 2 for g in screen) == 4, (screen, printed)
    assert fonts.pdf_text(text).count("\u202f") == 3 and "\u200c" not in fonts.pdf_text(text)
