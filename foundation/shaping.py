"""Persian on a Kivy screen: shaped with arabic-reshaper, ordered with python-bidi, wrapped by us.

Kivy draws glyphs in the order given and cannot join Arabic-script letters, so Persian
is reshaped (joined forms) and reordered (visual order) before it reaches a Label.
Wrapping must happen on the logical text, line by line, before reordering; otherwise a
wrapped paragraph would read from its last line up. (Printed tickets do not use this:
Pillow shapes by itself.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from arabic_reshaper import ArabicReshaper

# The pure-Python algorithm mirrors brackets in right-to-left runs; the compiled one (0.5+) does not.
from bidi.algorithm import get_display

_MARKS = dict.fromkeys(map(ord, "\u200e\u200f"))
_reshaper = ArabicReshaper(configuration={"delete_harakat": False, "support_ligatures": True})


@lru_cache(maxsize=4096)
def shape(text: str, rtl: bool = True) -> str:
    """One line in visual order; English text is passed through."""
    if not rtl or not text:
        return text
    # the bidi marks have done their work once the line is in visual order; a font may draw them as boxes
    return get_display(_reshaper.reshape(text), base_dir="R").translate(_MARKS)


def shaped(text: str, lang: str) -> str:
    """Logical text -> what Kivy must draw, for the screen's language."""
    return shape(text, lang == "fa")


def wrap(text: str, width: float, measure: Callable[[str], float], rtl: bool = True) -> list[str]:
    """Greedy word wrap of logical text into lines no wider than `width`, then shaped per line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        line = ""
        for word in words:
            candidate = f"{line} {word}" if line else word
            if line and width > 0 and measure(shape(candidate, rtl)) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return [shape(line, rtl) for line in lines]
