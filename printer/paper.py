"""The vocabulary of a ticket: the paper it is printed on and the blocks it is made of.

The layout (printer/layout.py) arranges blocks; the ESC/POS renderer and the PNG
preview (printer/preview.py) each draw them, so both show the same ticket.
"""

from __future__ import annotations

import dataclasses

from escpos.capabilities import BaseProfile, get_profile
from PIL import Image

BASE_DPI = 203
DOTS = {58: 384, 80: 576}  # printable width of common heads at 203 dpi
FONT_A = (12, 24)  # ESC/POS font A cell in dots
BARCODE_MODULE = 2  # dots per CODE128 module (python-escpos accepts 2..6)
BARCODE_HEIGHT = 64


@dataclasses.dataclass(frozen=True)
class Paper:
    """What a roll and a printer model allow: printable dots, resolution, text columns."""

    width_mm: int
    dots: int
    dpi: int

    @classmethod
    def of(cls, width_mm: int, profile: object = None) -> Paper:
        if width_mm not in DOTS:
            raise ValueError(f"paper width must be 58 or 80 mm, not {width_mm}")
        media = profile_of(profile).profile_data.get("media", {})
        dots = DOTS[width_mm]
        pixels = media.get("width", {}).get("pixels")
        if isinstance(pixels, int):
            dots = min(dots, pixels)  # e.g. a TM-T88V prints 512 dots on 80 mm
        dpi = media.get("dpi")
        return cls(width_mm, dots, dpi if isinstance(dpi, int) else BASE_DPI)

    def px(self, size_at_203: int) -> int:
        """A font size chosen at 203 dpi, scaled so it keeps its size in mm."""
        return round(size_at_203 * self.dpi / BASE_DPI)

    @property
    def columns(self) -> int:
        return self.dots // FONT_A[0]

    def big_scale(self, text: str) -> int:
        """How many times font A the ticket number can be and still fit on one line (ESC/POS allows 1..8)."""
        wanted = 5 if self.width_mm == 80 else 4
        return max(1, min(wanted, self.dots // (FONT_A[0] * max(1, len(text)))))


def profile_of(profile: object) -> BaseProfile:
    """A python-escpos profile from a name (an unknown name is a clear error) or a profile object."""
    if isinstance(profile, BaseProfile):
        return profile
    try:
        return get_profile(profile)
    except KeyError:
        raise ValueError(f'unknown printer profile "{profile}" (see python-escpos capabilities)') from None


# The blocks a ticket is made of. eq=False: blocks hold Pillow images.
@dataclasses.dataclass(frozen=True, eq=False)
class Raster:
    image: Image.Image  # 'L' with only 0/255
    align: str  # left | center | right


@dataclasses.dataclass(frozen=True)
class Feed:
    dots: int


@dataclasses.dataclass(frozen=True, eq=False)
class Big:
    text: str  # ASCII, printed in text mode when there is no `image`
    scale: int  # character width and height multiplier
    # The number as the screens show it (Persian digits), drawn at half size and printed at
    # double width and height (GS v 0, mode 3): a quarter of the bytes of a full-size image.
    image: Image.Image | None = None


@dataclasses.dataclass(frozen=True)
class Rule:
    pass


@dataclasses.dataclass(frozen=True)
class QR:
    data: str
    module: int  # dots per QR module


@dataclasses.dataclass(frozen=True)
class Barcode:
    code: str  # CODE128 set B, printed with its text below


Block = Raster | Feed | Big | Rule | QR | Barcode
