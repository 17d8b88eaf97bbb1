"""The ticket layout, in one place: slip in, ESC/POS commands (or a PNG preview) out.

`ticket_blocks` decides what goes on the paper; `render_ticket` turns the blocks into
printer commands and `preview_png` draws the same blocks, so the preview is the paper.
Persian lines are raster images (no printer has a Persian code page); the big number,
rules and the tracking code use the printer's own text mode, QR and CODE128 commands,
which cost a few bytes each (a ticket stays well under 10 KB, so under 1 s at 115,200 baud).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math

import barcode
import qrcode
from barcode.writer import ImageWriter
from escpos.capabilities import BaseProfile, get_profile
from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageOps

from navbat.i18n import gettext_for
from navbat.persian import digits, format_datetime
from printer import raster
from printer.slip import TicketSlip

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
        media = _profile(profile).profile_data.get("media", {})
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


def _profile(profile: object) -> BaseProfile:
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


@dataclasses.dataclass(frozen=True)
class Big:
    text: str  # ASCII, printed in text mode
    scale: int  # character width and height multiplier


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

# Font sizes in pixels at 203 dpi.
SIZE_TITLE, SIZE_BODY, SIZE_SMALL = 28, 24, 21


def wait_text(slip: TicketSlip) -> str:
    """'7 to 18 minutes' (the range widened to whole minutes), or 'about 12 minutes' for a single estimate."""
    _ = gettext_for("printer", slip.lang)
    if slip.wait_high < 1:
        return _("Estimated wait: under a minute")
    low, high = max(0, math.floor(slip.wait_low)), math.ceil(slip.wait_high)
    if slip.wait_low == slip.wait_high:
        low = high = max(1, round(slip.wait_high))
    if low == high:
        return _("Estimated wait: about {minutes} minutes").format(minutes=digits(high, slip.lang))
    return _("Estimated wait: {low} to {high} minutes").format(
        low=digits(low, slip.lang), high=digits(high, slip.lang)
    )


def people_text(slip: TicketSlip) -> str:
    _ = gettext_for("printer", slip.lang)
    if slip.people_ahead == 0:
        return _("You are next")
    if slip.people_ahead == 1:
        return _("{count} person ahead of you").format(count=digits(1, slip.lang))
    return _("{count} people ahead of you").format(count=digits(slip.people_ahead, slip.lang))


def ticket_blocks(slip: TicketSlip, paper: Paper) -> list[Block]:
    """The layout: what is printed, in which order, how big (D5, D6, D7, F1)."""
    _ = gettext_for("printer", slip.lang)
    lang, rtl = slip.lang, slip.lang == "fa"
    start = "right" if rtl else "left"
    blocks: list[Block] = []

    def text(value: str, size: int, bold: bool = False, align: str = "center", checkbox: bool = False) -> None:
        size = paper.px(size)
        room = paper.dots - (size if checkbox else 0)
        for line in raster.wrap(value, room, size, bold, rtl):
            img = raster.render_line(line, size, bold, rtl, max_width=room)
            if checkbox:
                img = raster.with_checkbox(img, size, rtl)
            blocks.append(Raster(img, align))
            blocks.append(Feed(max(4, size * 2 // 5)))

    if slip.specimen:
        text(_("Printer test: not a valid ticket"), SIZE_BODY, bold=True)
        blocks.append(Rule())
    text(slip.branch_name.get(lang), SIZE_BODY, bold=True)
    blocks.append(Rule())
    text(_("Your number"), SIZE_SMALL)
    blocks.append(Big(slip.number, paper.big_scale(slip.number)))
    blocks.append(Feed(paper.px(8)))
    text(slip.service_name.get(lang), SIZE_TITLE, bold=True)
    text(slip.unit_name.get(lang), SIZE_SMALL)
    if slip.priority_name is not None:
        text(_("Priority: {name}").format(name=slip.priority_name.get(lang)), SIZE_BODY, bold=True)
    blocks.append(Rule())
    text(people_text(slip), SIZE_BODY, align=start)
    text(wait_text(slip), SIZE_BODY, align=start)
    when = format_datetime(slip.local_issued_at(), lang)
    text(_("Issued: {when}").format(when=when), SIZE_BODY, align=start)
    if slip.documents:
        blocks.append(Rule())
        text(_("Required documents"), SIZE_BODY, bold=True, align=start)
        for doc in slip.documents:
            text(doc.get(lang), SIZE_SMALL, align=start, checkbox=True)
    blocks.append(Rule())
    text(_("Scan to follow your turn"), SIZE_SMALL)
    blocks.append(QR(slip.tracking_url, module=6 if paper.width_mm == 80 else 5))
    blocks.append(Feed(paper.px(10)))
    text(_("Tracking code"), SIZE_SMALL)
    blocks.append(Barcode(slip.tracking_code))
    return blocks


def _barcode_fits(code: str, paper: Paper) -> bool:
    modules = 11 * (len(code) + 3) + 2  # start, data, check symbol, stop (13 modules)
    return modules * BARCODE_MODULE <= paper.dots


def _feed(printer: Escpos, dots: int) -> None:
    # ESC J n: print and feed n dots; python-escpos has no public call for it.
    while dots > 0:
        printer._raw(b"\x1bJ" + bytes([min(dots, 255)]))
        dots -= 255


def render_ticket(printer: Escpos, slip: TicketSlip, width_mm: int) -> None:
    """Issue the ESC/POS commands of one ticket on any python-escpos printer."""
    paper = Paper.of(width_mm, printer.profile)
    caps = printer.profile
    printer.hw("INIT")
    for block in ticket_blocks(slip, paper):
        if isinstance(block, Raster):
            printer.set(align=block.align)  # ESC a applies to GS v 0 raster images
            printer.image(block.image, impl="bitImageRaster")
        elif isinstance(block, Feed):
            _feed(printer, block.dots)
        elif isinstance(block, Big):
            printer.set(align="center", bold=True, custom_size=True, width=block.scale, height=block.scale)
            printer.textln(block.text)
            printer.set(normal_textsize=True, bold=False)
        elif isinstance(block, Rule):
            printer.set(align="left")
            printer.textln("-" * paper.columns)
        elif isinstance(block, QR):
            printer.set(align="center")
            if caps.supports("qrCode"):
                printer.qr(block.data, ec=QR_ECLEVEL_M, size=block.module, native=True)
            else:
                printer.image(qr_image(block), impl="bitImageRaster")
            printer.ln()
        elif isinstance(block, Barcode):
            printer.set(align="center")
            if caps.supports("barcodeB") and _barcode_fits(block.code, paper):
                # python-escpos announces its renderer on stdout; keep the kiosk's console clean.
                with contextlib.redirect_stdout(io.StringIO()):
                    printer.barcode("{B" + block.code, "CODE128", height=BARCODE_HEIGHT, width=BARCODE_MODULE,
                                    pos="BELOW", font="B", align_ct=True, function_type="B")
            else:
                printer.image(barcode_image(block.code, paper), impl="bitImageRaster")
            printer.ln()
    printer.cut()


def ticket_bytes(slip: TicketSlip, width_mm: int, profile: object = "TM-T88V") -> bytes:
    """The whole ticket as ESC/POS bytes (rendered on python-escpos' Dummy printer)."""
    dummy = Dummy()
    dummy.profile = _profile(profile)  # Dummy(profile=...) only takes a name
    render_ticket(dummy, slip, width_mm)
    return dummy.output


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
    text = block.text
    cell_w, cell_h = (c * block.scale for c in FONT_A)
    size = int(cell_h * 0.78)
    line = raster.render_line(text, size, bold=True, rtl=False)
    width = min(paper.dots, max(line.width, cell_w * len(text)))
    out = Image.new("L", (width, cell_h), 255)
    out.paste(line, ((width - line.width) // 2, (cell_h - line.height) // 2))
    return out


def preview_png(slip: TicketSlip, width_mm: int, profile: object = "TM-T88V") -> Image.Image:
    """The ticket drawn dot for dot as the printer lays it out, on a grey margin."""
    paper = Paper.of(width_mm, profile)
    margin = 24
    parts: list[tuple[Image.Image | None, str, int]] = []  # image, alignment, height
    for block in ticket_blocks(slip, paper):
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
    edge = max(8, round((width_mm * paper.dpi / 25.4 - paper.dots) / 2))
    paper_img = ImageOps.expand(paper_img, border=(edge, edge // 2, edge, edge // 2), fill=255)
    return ImageOps.expand(paper_img, border=margin, fill=200).convert("RGB")
