"""Persian lines as 1-bit images: shaped and right-to-left by Pillow's raqm engine.

Thermal printers have no Persian code page, so Persian is sent as raster images.
The text stays LOGICAL (as typed): raqm does the shaping and the bidi reordering
itself; pre-shaping with arabic-reshaper/python-bidi (as Kivy needs) would reverse
it a second time here. Images are cropped to the ink so few bytes go down the wire.
"""

from __future__ import annotations

import threading
from functools import cache

from navbat.foundation.assets import font_path
from PIL import Image, ImageDraw, ImageFont, features

INK_THRESHOLD = 150  # grey below this prints; a little bolder than 50 % suits thermal heads
# One FreeType face is shared by every thread (kiosk print worker, hub reprints); FreeType faces are not thread-safe.
_FT_LOCK = threading.Lock()


class FontError(RuntimeError):
    """The Persian font or Pillow's text layout engine is missing."""


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    if not features.check("raqm"):
        raise FontError("Pillow was built without raqm; Persian cannot be shaped (use the Pillow wheel from PyPI)")
    path = font_path(bold)
    if not path.exists():
        raise FontError(f"missing font {path}")
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)


def _direction(rtl: bool) -> str:
    return "rtl" if rtl else "ltr"


def text_width(text: str, size: int, bold: bool = False, rtl: bool = True) -> float:
    with _FT_LOCK:
        return font(size, bold).getlength(text, direction=_direction(rtl))


def wrap(text: str, max_width: int, size: int, bold: bool = False, rtl: bool = True) -> list[str]:
    """Greedy word wrap on the logical text; a single over-long word gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size, bold, rtl) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def render_line(
    text: str, size: int, bold: bool = False, rtl: bool = True, max_width: int | None = None
) -> Image.Image:
    """One line as a black-on-white 'L' image (0 or 255 only), cropped to its ink.

    A line wider than `max_width` (one very long word) is squeezed to fit rather than cut off.
    """
    f = font(size, bold)
    direction = _direction(rtl)
    pad = 2
    with _FT_LOCK:
        left, top, right, bottom = f.getbbox(text, direction=direction, anchor="ls")
        width, height = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
        img = Image.new("L", (max(width, 1), max(height, 1)), 255)
        ImageDraw.Draw(img).text((pad - left, pad - top), text, font=f, fill=0, anchor="ls", direction=direction)
    if max_width is not None and img.width > max_width:
        img = img.resize((max_width, img.height), Image.Resampling.LANCZOS)
    img = img.point(lambda v: 0 if v < INK_THRESHOLD else 255)
    ink = Image.eval(img, lambda v: 255 - v).getbbox()
    return img.crop(ink) if ink else Image.new("L", (1, 1), 255)


def with_checkbox(line: Image.Image, size: int, rtl: bool = True) -> Image.Image:
    """A line with an empty tick box before it (on the right for RTL): the document checklist (D7)."""
    box = max(8, int(size * 0.6))
    gap = max(6, size // 3)
    height = max(line.height, box)
    out = Image.new("L", (line.width + gap + box, height), 255)
    box_x = line.width + gap if rtl else 0
    text_x = 0 if rtl else box + gap
    out.paste(line, (text_x, (height - line.height) // 2))
    top = (height - box) // 2
    ImageDraw.Draw(out).rectangle((box_x, top, box_x + box - 1, top + box - 1), outline=0, width=2)
    return out
