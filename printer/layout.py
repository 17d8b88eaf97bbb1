"""The ticket layout, in one place: slip in, ESC/POS commands (or a PNG preview) out.

`ticket_blocks` decides what goes on the paper; `render_ticket` turns the blocks into
printer commands and `preview_png` draws the same blocks, so the preview is the paper.
Persian lines are raster images (ordinary printers have no Persian code page); the big number,
rules and the tracking code use the printer's own text mode, QR and CODE128 commands,
which cost a few bytes each (a ticket stays well under 10 KB, so under 1 s at 115,200 baud).
"""

from __future__ import annotations

import contextlib
import io

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from escpos.printer import Dummy
from navbat.foundation.i18n import gettext_for
from navbat.foundation.persian import digits, format_date
from navbat.foundation.wording import wait_text
from navbat.printer import raster
from navbat.printer.paper import (
    BARCODE_HEIGHT,
    BARCODE_MODULE,
    QR,
    Barcode,
    Big,
    Block,
    Feed,
    Paper,
    Raster,
    Rule,
    profile_of,
)
from navbat.printer.preview import barcode_image, draw_blocks, qr_image
from navbat.printer.slip import TicketSlip
from PIL import Image

# Font sizes in pixels at 203 dpi.
SIZE_TITLE, SIZE_BODY, SIZE_SMALL = 28, 24, 21


def wait_line(slip: TicketSlip) -> str | None:
    """The wait in the words the kiosk's screen and the phone page use (foundation/wording.wait_text):
    '7 to 18 minutes' (whole minutes, the range widened), 'about 12 minutes', 'under a minute'."""
    if slip.wait_note != "no_open_window" and (slip.wait_low is None or slip.wait_high is None):
        return None
    estimate = None if slip.wait_low is None else {"low": slip.wait_low, "high": slip.wait_high}
    words = wait_text(estimate, None, slip.lang, slip.wait_note, slip.opens_at)
    return gettext_for("printer", slip.lang)("Estimated wait: {wait}").format(wait=words)


def big_number(slip: TicketSlip, paper: Paper) -> Big:
    """The number exactly as the screens show it: Persian digits on a Persian slip. The printer's
    text mode has no Persian digits, so those are a small raster printed at double size."""
    scale = paper.big_scale(slip.number)
    shown = digits(slip.number, slip.lang)
    if shown == slip.number:
        return Big(slip.number, scale)
    image = raster.render_line(shown, paper.px(50), bold=True, rtl=False, max_width=paper.dots // 2)
    return Big(slip.number, scale, image)


def people_line(slip: TicketSlip) -> str | None:
    _ = gettext_for("printer", slip.lang)
    if slip.people_ahead is None:
        return None
    if slip.people_ahead == 0:
        return _("You are next")
    if slip.people_ahead == 1:
        return _("{count} person ahead of you").format(count=digits(1, slip.lang))
    return _("{count} people ahead of you").format(count=digits(slip.people_ahead, slip.lang))


def channel_line(slip: TicketSlip) -> str | None:
    """A checked-in turn's mark: taken from a phone or booked, checked in at the kiosk (None for a walk-in)."""
    _ = gettext_for("printer", slip.lang)
    if slip.channel == "remote":
        return _("Remote turn, checked in")
    if slip.channel == "appointment" and slip.booked_at:
        return _("Appointment at {time}, checked in").format(time=digits(slip.booked_at, slip.lang))
    if slip.channel == "appointment":
        return _("Appointment, checked in")
    return None


def issued_line(slip: TicketSlip) -> str:
    """The date and the time as two phrases ("..., at 10:05"): side by side, the Jalali year and the
    time ran together in a right-to-left line ("۰۸:۳۱۱۴۰۵")."""
    _ = gettext_for("printer", slip.lang)
    local = slip.local_issued_at()
    return _("Issued: {date}, at {time}").format(date=format_date(local, slip.lang),
                                                 time=digits(local.strftime("%H:%M"), slip.lang))


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
    if (channel := channel_line(slip)) is not None:
        text(channel, SIZE_BODY, bold=True)
        blocks.append(Rule())
    text(_("Your number"), SIZE_SMALL)
    blocks.append(big_number(slip, paper))
    blocks.append(Feed(paper.px(8)))
    text(slip.service_name.get(lang), SIZE_TITLE, bold=True)
    text(slip.unit_name.get(lang), SIZE_SMALL)
    if slip.priority_name is not None:
        text(_("Priority: {name}").format(name=slip.priority_name.get(lang)), SIZE_BODY, bold=True)
    blocks.append(Rule())
    if slip.offline:  # no place in line and no estimate: the hub has not seen the ticket yet
        text(_("Issued while the ticket system was not answering."), SIZE_BODY, bold=True, align=start)
        text(_("The estimate will be on the wall when the system is back."), SIZE_BODY, align=start)
    for line in (people_line(slip), wait_line(slip)):
        if line is not None:
            text(line, SIZE_BODY, align=start)
    text(issued_line(slip), SIZE_BODY, align=start)
    if slip.documents:
        blocks.append(Rule())
        text(_("Required documents"), SIZE_BODY, bold=True, align=start)
        for doc in slip.documents:
            text(doc.get(lang), SIZE_SMALL, align=start, checkbox=True)
    if slip.steps:
        blocks.append(Rule())
        text(_("What happens at the counter"), SIZE_BODY, bold=True, align=start)
        for i, step in enumerate(slip.steps, 1):
            text(f"{digits(i, lang)}. {step.get(lang)}", SIZE_SMALL, align=start)
    if not slip.tracking_code:  # issued alone: nothing to follow yet; the number is called on the wall
        blocks.append(Feed(paper.px(10)))
        return blocks
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


def _double_raster(image: Image.Image) -> bytes:
    """GS v 0 in mode 3 (double width and height): the image printed at twice its size."""
    bits = image.point(lambda v: 255 - v).convert("1")  # ink -> 1, rows padded to whole bytes
    width_bytes = (bits.width + 7) // 8
    return (b"\x1dv0\x03" + width_bytes.to_bytes(2, "little") + bits.height.to_bytes(2, "little")
            + bits.tobytes())


def render_ticket(printer: Escpos, slip: TicketSlip, width_mm: int) -> None:
    """Issue the ESC/POS commands of one ticket on any python-escpos printer."""
    paper = Paper.of(width_mm, printer.profile)
    caps = printer.profile
    aligned = "left"  # ESC @ resets to left

    def align(where: str) -> None:
        nonlocal aligned
        if where != aligned:
            printer.set(align=where)
            aligned = where

    printer.hw("INIT")
    for block in ticket_blocks(slip, paper):
        if isinstance(block, Raster):
            align(block.align)  # ESC a applies to GS v 0 raster images too
            printer.image(block.image, impl="bitImageRaster")
        elif isinstance(block, Feed):
            _feed(printer, block.dots)
        elif isinstance(block, Big) and block.image is not None:
            align("center")
            printer._raw(_double_raster(block.image))
        elif isinstance(block, Big):
            align("center")
            printer.set(bold=True, custom_size=True, width=block.scale, height=block.scale)
            printer.textln(block.text)
            printer.set(normal_textsize=True, bold=False)
        elif isinstance(block, Rule):
            align("left")
            printer.textln("-" * paper.columns)
        elif isinstance(block, QR):
            align("center")
            if caps.supports("qrCode"):
                printer.qr(block.data, ec=QR_ECLEVEL_M, size=block.module, native=True)
            else:
                printer.image(qr_image(block), impl="bitImageRaster")
            printer.ln()
        elif isinstance(block, Barcode):
            align("center")
            if caps.supports("barcodeB") and _barcode_fits(block.code, paper):
                # python-escpos announces its renderer on stdout; keep the kiosk's console clean.
                with contextlib.redirect_stdout(io.StringIO()):
                    printer.barcode("{B" + block.code, "CODE128", height=BARCODE_HEIGHT, width=BARCODE_MODULE,
                                    pos="BELOW", font="B", align_ct=False, function_type="B")
            else:
                printer.image(barcode_image(block.code, paper), impl="bitImageRaster")
            printer.ln()
    printer.cut()


def ticket_bytes(slip: TicketSlip, width_mm: int, profile: object = "TM-T88V") -> bytes:
    """The whole ticket as ESC/POS bytes (rendered on python-escpos' Dummy printer)."""
    dummy = Dummy()
    dummy.profile = profile_of(profile)  # Dummy(profile=...) only takes a name
    render_ticket(dummy, slip, width_mm)
    return dummy.output


def preview_png(slip: TicketSlip, width_mm: int, profile: object = "TM-T88V") -> Image.Image:
    """The ticket as a picture a person can read: the same blocks, drawn as the printer lays them out."""
    paper = Paper.of(width_mm, profile)
    return draw_blocks(ticket_blocks(slip, paper), paper)
