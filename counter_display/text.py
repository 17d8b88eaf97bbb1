"""Persian on a Kivy label: letters joined (arabic-reshaper) and laid out right to left (python-bidi)."""

from __future__ import annotations

from pathlib import Path

from arabic_reshaper import reshape
from bidi.algorithm import get_display

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT_REGULAR = str(FONTS / "Vazirmatn-Regular.ttf")
FONT_BOLD = str(FONTS / "Vazirmatn-Bold.ttf")


def shaped(text: str, lang: str) -> str:
    """Logical text -> what Kivy must draw, left to right, for the language."""
    return get_display(reshape(text)) if lang == "fa" and text else text
