"""Where the shipped files are: fonts (Vazirmatn, OFL), call sounds, unit icons.

Every app finds them through these names, so the folder is named in one place.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# Package data (navbat.assets): a real folder both in a checkout and in an installed wheel,
# which Kivy, Pillow and the WAV reader need as plain paths.
ASSETS = Path(str(files("navbat.assets")))
FONTS = ASSETS / "fonts"
SOUNDS = ASSETS / "sounds"
ICONS = ASSETS / "icons"
FONT_FILES = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf")
FONT_REGULAR = str(FONTS / FONT_FILES[0])
FONT_BOLD = str(FONTS / FONT_FILES[1])


def font_path(bold: bool = False) -> Path:
    return FONTS / FONT_FILES[1 if bold else 0]
