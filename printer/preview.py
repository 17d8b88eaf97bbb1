"""The ticket as a picture: the same blocks the printer gets, drawn dot for dot.

Used for the file printer's <number>.png and the docs. QR codes and barcodes come
from qrcode and python-barcode, which also serve printers that cannot draw them natively.
"""

from __future__ import annotations

import barcode
import qrcode
from barcode.writer import ImageWriter
from navbat.printer import raster
from navbat.printer.paper import (
    BARCODE_HEIGHT,
    BARCODE_MODULE,
    FONT_A,
    QR,
    Barcode,
    Big,
    Block,
    Feed,
    Paper,
    Raster,
    Rule,
)
from PIL import Image, ImageDraw, ImageOps


def qr_image(block: QR) -> Image.Image:
    qr = qrcode.QRCode(box_size=block.module, border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(block.data)
    qr.make(fit=True)
    return qr.make_image().get_image().convert("L")


def barcode_image(code: str, paper: Paper) -> Image.Image:
    """CODE128 drawn by python-barcode at the printer's resolution, text below."""
    mm_per_dot = 25.4 / paper.dpi
    writer = ImageWriter(mode="L", dpi=paper.dpi)
    img = barcode.get_barcode_class("code128")(code, writer=writer).render(
        writer_options={"module_width": BARCODE_MODULE * mm_per_dot, "module_height": BARCODE_HEIGHT * mm_per_dot,
                        "quiet_zone": 0, "font_size": 9, "text_distance": 5}
    )
    img = img.point(lambda v: 0 if v < raster.INK_THRESHOLD else 255)
    if img.width > paper.dots:
        img = img.resize((paper.dots, img.height))
    return img


def _big_image(block: Big, paper: Paper) -> Image.Image:
    """The printer's font A at `block.scale`, approximated with the bold font for the preview."""
    if block.image is not None:  # printed at double width and height
        return block.image.resize((block.image.width * 2, block.image.height * 2), Image.Resampling.NEAREST)
    text = block.text
    cell_w, cell_h = (c * block.scale for c in FONT_A)
    size = int(cell_h * 0.78)
    line = raster.render_line(text, size, bold=True, rtl=False)
    width = min(paper.dots, max(line.width, cell_w * len(text)))
    out = Image.new("L", (width, cell_h), 255)
    out.paste(line, ((width - line.width) // 2, (cell_h - line.height) // 2))
    return out


def draw_blocks(blocks: list[Block], paper: Paper) -> Image.Image:
    """Blocks laid out top to bottom as the printer feeds them, on a white roll with a grey surround."""
    margin = 24
    parts: list[tuple[Image.Image | None, str, int]] = []  # image, alignment, height
    for block in blocks:
        if isinstance(block, Raster):
            parts.append((block.image, block.align, block.image.height))
        elif isinstance(block, Feed):
            parts.append((None, "", block.dots))
        elif isinstance(block, Big):
            img = _big_image(block, paper)
            parts.append((img, "center", img.height))
        elif isinstance(block, Rule):
            img = Image.new("L", (paper.columns * FONT_A[0], FONT_A[1] + 6), 255)
            draw = ImageDraw.Draw(img)
            for x in range(0, img.width, FONT_A[0]):
                draw.line((x + 2, img.height // 2, x + FONT_A[0] - 3, img.height // 2), fill=0, width=2)
            parts.append((img, "left", img.height))
        elif isinstance(block, QR):
            img = qr_image(block)
            parts.append((img, "center", img.height + FONT_A[1]))
        elif isinstance(block, Barcode):
            img = barcode_image(block.code, paper)
            parts.append((img, "center", img.height + FONT_A[1]))
    cut_feed = 6 * 30  # cut() feeds six lines first
    height = sum(h for _, _, h in parts) + cut_feed
    paper_img = Image.new("L", (paper.dots, height), 255)
    y = 0
    for img, align, h in parts:
        if img is not None:
            x = {"left": 0, "center": (paper.dots - img.width) // 2, "right": paper.dots - img.width}[align]
            paper_img.paste(img, (x, y))
        y += h
    # The roll is wider than what the head can print: show its white edges, then a grey surround.
    edge = max(8, round((paper.width_mm * paper.dpi / 25.4 - paper.dots) / 2))
    paper_img = ImageOps.expand(paper_img, border=(edge, edge // 2, edge, edge // 2), fill=255)
    return ImageOps.expand(paper_img, border=margin, fill=200).convert("RGB")
