"""Draws the kiosk's unit icons (config/branches.yaml `icon:`) with Pillow: simple, bold, high contrast.

Run: .venv/bin/python assets/icons/make_icons.py   (writes the PNGs next to this file)
Each icon is a white pictogram on a transparent background, 256x256, drawn at 4x and
scaled down for smooth edges; the kiosk puts them on its coloured unit buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
SCALE = 4
S = SIZE * SCALE
W = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
LINE = 16 * SCALE


def _box(d: ImageDraw.ImageDraw, x0: float, y0: float, x1: float, y1: float, r: float = 0.04,
         fill: tuple | None = None, width: int = LINE) -> None:
    d.rounded_rectangle([x0 * S, y0 * S, x1 * S, y1 * S], radius=r * S, outline=W, fill=fill, width=width)


def premium(d: ImageDraw.ImageDraw) -> None:
    """A stack of coins and a banknote: paying premiums."""
    _box(d, 0.08, 0.22, 0.72, 0.58, r=0.05)
    d.ellipse([0.30 * S, 0.30 * S, 0.50 * S, 0.50 * S], outline=W, width=LINE)
    for i in range(3):  # coins
        y = 0.80 - i * 0.11
        d.ellipse([0.52 * S, (y - 0.06) * S, 0.94 * S, (y + 0.06) * S], fill=W)
        d.ellipse([0.52 * S, (y - 0.09) * S, 0.94 * S, (y + 0.03) * S], fill=W, outline=CLEAR, width=SCALE * 5)


def insured(d: ImageDraw.ImageDraw) -> None:
    """A person under a shield: the insured."""
    shield = [(0.5, 0.06), (0.9, 0.2), (0.86, 0.56), (0.5, 0.94), (0.14, 0.56), (0.1, 0.2)]
    d.polygon([(x * S, y * S) for x, y in shield], outline=W, width=LINE)
    d.ellipse([0.40 * S, 0.26 * S, 0.60 * S, 0.46 * S], fill=W)
    d.pieslice([0.30 * S, 0.50 * S, 0.70 * S, 0.86 * S], 180, 360, fill=W)


def registration(d: ImageDraw.ImageDraw) -> None:
    """A form with lines and a pen: registering."""
    _box(d, 0.14, 0.06, 0.70, 0.94)
    for y in (0.26, 0.42, 0.58):
        d.line([0.26 * S, y * S, 0.58 * S, y * S], fill=W, width=LINE)
    pen = [(0.86, 0.34), (0.96, 0.44), (0.62, 0.86), (0.50, 0.90), (0.53, 0.77)]
    d.polygon([(x * S, y * S) for x, y in pen], fill=W)


def pension(d: ImageDraw.ImageDraw) -> None:
    """An older person with a walking stick: pensions."""
    d.ellipse([0.36 * S, 0.04 * S, 0.58 * S, 0.26 * S], fill=W)
    body = [(0.34, 0.34), (0.56, 0.30), (0.64, 0.62), (0.56, 0.64), (0.58, 0.95), (0.46, 0.95),
            (0.44, 0.70), (0.36, 0.95), (0.24, 0.95), (0.34, 0.62)]
    d.polygon([(x * S, y * S) for x, y in body], fill=W)
    d.line([0.74 * S, 0.44 * S, 0.80 * S, 0.96 * S], fill=W, width=LINE)
    d.arc([0.62 * S, 0.36 * S, 0.80 * S, 0.52 * S], 180, 360, fill=W, width=LINE)
    d.line([0.58 * S, 0.44 * S, 0.66 * S, 0.48 * S], fill=W, width=LINE)


def finance(d: ImageDraw.ImageDraw) -> None:
    """A building with columns: administration and finance."""
    roof = [(0.06, 0.32), (0.5, 0.06), (0.94, 0.32)]
    d.polygon([(x * S, y * S) for x, y in roof], fill=W)
    for x in (0.16, 0.36, 0.56, 0.76):
        d.rectangle([x * S, 0.38 * S, (x + 0.08) * S, 0.78 * S], fill=W)
    d.rectangle([0.06 * S, 0.82 * S, 0.94 * S, 0.94 * S], fill=W)


ICONS: dict[str, Callable[[ImageDraw.ImageDraw], None]] = {
    "premium.png": premium, "insured.png": insured, "registration.png": registration,
    "pension.png": pension, "finance.png": finance,
}


HERE = Path(__file__).resolve().parent


def main(folder: Path = HERE) -> list[Path]:
    written = []
    for name, draw in ICONS.items():
        img = Image.new("RGBA", (S, S), CLEAR)
        draw(ImageDraw.Draw(img))
        path = folder / name
        img.resize((SIZE, SIZE), Image.LANCZOS).save(path, optimize=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main():
        print(p)
