"""The ticket layout: golden ESC/POS bytes from python-escpos' Dummy printer, size budget, preview (D5-D7, F1)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from navbat.foundation.config import load_config
from navbat.printer import raster
from navbat.printer.demo import demo_slip, hub_ticket
from navbat.printer.layout import SIZE_BODY, Paper, preview_png, ticket_blocks, ticket_bytes
from navbat.printer.slip import slip_from_ticket
from PIL import Image

GOLDEN = Path(__file__).parent / "golden"
WHEN = dt.datetime(2026, 11, 22, 6, 35, tzinfo=dt.UTC)  # 1 Azar 1405, 10:05 in Tehran
UPDATE = os.environ.get("NAVBAT_UPDATE_GOLDEN") == "1"

GS_V0 = re.compile(rb"\x1dv0\x00(..)(..)", re.S)  # GS v 0: raster image header (width bytes, height)


@pytest.fixture(scope="module")
def branch():
    return load_config()


@pytest.fixture(scope="module")
def slip(branch):
    return demo_slip(branch, when=WHEN)


def _without_rasters(data: bytes) -> bytes:
    """The command skeleton: every raster image's dot data replaced by a marker."""
    out, pos = [], 0
    for m in GS_V0.finditer(data):
        if m.start() < pos:
            continue
        width, height = int.from_bytes(m[1], "little"), int.from_bytes(m[2], "little")
        out.append(data[pos:m.end()] + b"<%dx%d>" % (width, height))
        pos = m.end() + width * height
    out.append(data[pos:])
    return b"".join(out)


_COMMANDS = [  # (pattern, how to show it) for the commands a ticket uses
    (rb"\x1b@", lambda m: "ESC @ (reset)"),
    (rb"\x1ba(.)", lambda m: f"ESC a {m[1][0]} (align {['left', 'centre', 'right'][m[1][0]]})"),
    (rb"\x1dv0\x00(..)(..)<\d+x\d+>", lambda m: "GS v 0 raster image {} x {} dots".format(
        8 * int.from_bytes(m[1], "little"), int.from_bytes(m[2], "little"))),
    (rb"\x1bJ(.)", lambda m: f"ESC J {m[1][0]} (feed dots)"),
    (rb"\x1bd(.)", lambda m: f"ESC d {m[1][0]} (feed lines)"),
    (rb"\x1d!(.)", lambda m: f"GS ! 0x{m[1][0]:02x} (character size)"),
    (rb"\x1b!(.)", lambda m: f"ESC ! 0x{m[1][0]:02x} (print mode)"),
    (rb"\x1bE(.)", lambda m: f"ESC E {m[1][0]} (bold)"),
    (rb"\x1bt(.)", lambda m: f"ESC t {m[1][0]} (code page)"),
    (rb"\x1d\(k(..)1(.)", lambda m: f"GS ( k QR fn {chr(m[2][0])}"),
    (rb"\x1d[hwfH](.)", lambda m: f"barcode setting {m[0][:2]!r} {m[1][0]}"),
    (rb"\x1dkI(.)", lambda m: f"GS k CODE128, {m[1][0]} bytes"),
    (rb"\x1dV(.)", lambda m: f"GS V {m[1][0]} (cut)"),
    (rb"[\x20-\x7e]+\n?|\n", lambda m: f"text {m[0].decode()!r}"),
]


def describe(data: bytes) -> str:
    """The ticket as a readable list of ESC/POS commands: golden failures show what changed."""
    skeleton, pos, lines = _without_rasters(data), 0, []
    while pos < len(skeleton):
        for pattern, show in _COMMANDS:
            m = re.compile(pattern, re.S).match(skeleton, pos)
            if m:
                lines.append(show(m))
                # QR store carries its data after the header; skip it with the declared length.
                pos = m.end() if not pattern.startswith(rb"\x1d\(k") else m.start() + 5 + int.from_bytes(m[1], "little")
                break
        else:
            lines.append(f"byte 0x{skeleton[pos]:02x}")
            pos += 1
    return "\n".join(lines) + "\n"


def _raster_alignments(data: bytes) -> list[int]:
    """The ESC a justification (0 left, 1 centre, 2 right) in force for each raster image."""
    skeleton = _without_rasters(data)
    current, out = 0, []
    for m in re.finditer(rb"\x1ba(.)|\x1dv0\x00", skeleton, re.S):
        if m[1] is not None:
            current = m[1][0]
        else:
            out.append(current)
    return out


@pytest.mark.parametrize("width", [80, 58])
def test_golden_bytes(slip, width):
    """The whole ticket, byte for byte. After a deliberate layout change: NAVBAT_UPDATE_GOLDEN=1 pytest ..."""
    data = ticket_bytes(slip, width, "TM-T88V")
    golden = GOLDEN / f"ticket-{width}mm.bin"
    listing = GOLDEN / f"ticket-{width}mm.txt"
    if UPDATE:
        golden.write_bytes(data)
        listing.write_text(describe(data), encoding="utf-8")
    # The readable listing first: a failure there names the command that changed, not a pixel.
    assert describe(data) == listing.read_text(encoding="utf-8")
    assert describe(golden.read_bytes()) == listing.read_text(encoding="utf-8")
    assert data == golden.read_bytes()


def test_ticket_commands(slip):
    data = ticket_bytes(slip, 80, "TM-T88V")
    assert data.startswith(b"\x1b@")  # ESC @ resets the printer first
    # the number as the screens show it ("A-۰۱۲"): a half-size raster printed at double size (GS v 0, mode 3)
    assert b"A-012" not in data and data.count(b"\x1dv0\x03") == 1
    english = ticket_bytes(slip_from_ticket({**hub_ticket(load_config(), "PR1", "elderly", id=1, number="A-012",
                                                           tracking_code="TEST0012"), "lang": "en"},
                                            "http://127.0.0.1:8080", "en"), 80, "TM-T88V")
    big = english.index(b"\x1d!\x44")  # GS ! : characters 5 x 5
    assert english.index(b"A-012\n") - big < 10  # Latin digits: text mode, not an image
    url = b"http://127.0.0.1:8080/t/TEST0012"
    assert b"\x1d(k" + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url in data  # native QR, store data
    assert b"\x1d(k\x03\x001Q0" in data  # native QR, print
    assert b"\x1dkI\x0a{BTEST0012" in data  # CODE128 (function B) with code set B
    assert data.endswith(b"\x1dV\x00")  # full cut
    assert data.index(b"1Q0") < data.index(b"\x1dkI")  # QR, then the barcode on its own line
    # Persian lines start on the right: people ahead, wait, date, "documents", three documents.
    assert _raster_alignments(data).count(2) == 7


def test_rasters_fit_the_paper(slip):
    for width, profile, dots in ((80, "TM-T88V", 512), (58, "TM-T88V", 384), (80, "TM-T20II", 576)):
        data = ticket_bytes(slip, width, profile)
        widths = [int.from_bytes(m[1], "little") for m in GS_V0.finditer(data)]
        assert widths and max(widths) * 8 <= dots + 7


@pytest.mark.parametrize("profile", ["TM-T88V", "TM-T20II"])
@pytest.mark.parametrize("width", [58, 80])
def test_every_demo_ticket_is_under_10_kb(branch, profile, width):
    """Target from the issue: a full Persian ticket under 10 KB, so under 1 s at 115,200 baud."""
    for service in branch.services:
        ticket = hub_ticket(branch, service.code, "disability", id=1, number=service.numbering.format(999),
                            people_ahead=123, estimated_wait={"low": 95, "high": 240},
                            tracking_code="ABCD2345WXYZ", issued_at="2026-11-22T06:35:00Z")
        size = len(ticket_bytes(slip_from_ticket(ticket, "http://127.0.0.1:8080"), width, profile))
        assert size < 10_000, (service.code, size)


def test_profile_without_native_codes_still_prints_them(slip):
    """A cheap 58 mm printer (no QR or barcode commands) gets both as raster images."""
    data = ticket_bytes(slip, 58, "POS-5890")
    assert b"\x1d(k" not in data and b"\x1dk" not in data
    assert len(list(GS_V0.finditer(data))) > len(list(GS_V0.finditer(ticket_bytes(slip, 58, "TM-T88V"))))


def test_persian_is_shaped_and_right_to_left():
    size = 40
    # Joined letters take their narrow initial/medial forms: three joined behs are much narrower than three alone.
    joined = raster.render_line("ببب", size)
    alone = raster.render_line("ب", size)
    assert joined.width < 2.2 * alone.width
    # Logical "ا ب": the alef (the tallest stroke) is read first, so it must stand on the RIGHT.
    assert _tallest_column(raster.render_line("ا ب", size)) > 0.5
    assert _tallest_column(raster.render_line("ب ا", size)) < 0.5


def _tallest_column(img: Image.Image) -> float:
    """Where (0 = left edge, 1 = right edge) the ink reaches highest."""
    top_row = next(y for y in range(img.height) if any(img.getpixel((x, y)) == 0 for x in range(img.width)))
    xs = [x for x in range(img.width) if img.getpixel((x, top_row)) == 0]
    return (sum(xs) / len(xs)) / img.width


def test_layout_shows_what_the_issue_asks(slip):
    blocks = ticket_blocks(slip, Paper.of(80, "TM-T88V"))
    kinds = [type(b).__name__ for b in blocks]
    assert kinds.count("Big") == 1 and kinds.count("QR") == 1 and kinds.count("Barcode") == 1
    # Title, unit, priority, people ahead, wait, date, documents header + 3 documents, labels: all raster lines.
    assert kinds.count("Raster") >= 12


@pytest.mark.parametrize("width,paper_dots", [(80, 512), (58, 384)])
def test_preview_is_a_readable_image(slip, width, paper_dots):
    img = preview_png(slip, width)
    assert img.mode == "RGB"
    assert paper_dots < img.width < paper_dots + 150
    assert img.height > 900
    # Plenty of black ink on white paper, and the grey surround is there.
    grey = img.convert("L")
    hist = grey.histogram()
    assert hist[0] > 20_000 and hist[255] > 100_000 and hist[200] > 10_000


def test_english_ticket_reads_left_to_right(branch):
    slip = demo_slip(branch, when=WHEN, lang="en")
    data = ticket_bytes(slip, 80, "TM-T88V")
    alignments = _raster_alignments(data)
    assert alignments.count(0) == 7 and 2 not in alignments  # left aligned lines, none on the right


def test_document_checkbox_stands_where_reading_starts():
    line = raster.render_line("اصل و تصویر", 24)
    rtl, ltr = raster.with_checkbox(line, 24, rtl=True), raster.with_checkbox(line, 24, rtl=False)
    # The box's vertical side is a column of ink as tall as the box; find it at the reading start.
    assert _full_column(rtl, rtl.width - 1) and not _full_column(rtl, 0)
    assert _full_column(ltr, 0)


def _full_column(img: Image.Image, x: int) -> bool:
    return sum(img.getpixel((x, y)) == 0 for y in range(img.height)) >= 10


def test_raster_bytes_are_the_persian_line_dot_for_dot(slip):
    """Decode the first GS v 0 image of the ticket: set bits are the ink of the branch name as drawn."""
    data = ticket_bytes(slip, 80, "TM-T88V")
    m = next(GS_V0.finditer(data))
    width_bytes, height = int.from_bytes(m[1], "little"), int.from_bytes(m[2], "little")
    dots = Image.frombytes("1", (width_bytes * 8, height), data[m.end():m.end() + width_bytes * height])
    paper = Paper.of(80, "TM-T88V")
    expected = raster.render_line(slip.branch_name.fa, paper.px(SIZE_BODY), bold=True, max_width=paper.dots)
    printed = dots.crop((0, 0, expected.width, expected.height))
    assert [printed.getpixel((x, y)) != 0 for y in range(height) for x in range(expected.width)] == [
        expected.getpixel((x, y)) == 0 for y in range(height) for x in range(expected.width)
    ]
