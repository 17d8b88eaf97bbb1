"""Printers from the branch file: a folder of files, a TCP printer on 127.0.0.1:9100, a serial line
(a real pseudo-terminal pair made by socat, read back with pyserial), and their status answers."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import serial
from navbat.foundation.config import Printer, load_config
from navbat.printer import status as st
from navbat.printer.demo import demo_slip
from navbat.printer.devices import PrinterOffline, TicketFolder, open_printer, send_ticket
from navbat.printer.fakes import FakeNetworkPrinter
from navbat.printer.layout import ticket_bytes
from PIL import Image

WHEN = dt.datetime(2026, 11, 22, 6, 35, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def slip():
    return demo_slip(load_config(), when=WHEN)


@pytest.fixture
def fake_9100():
    """The fake printer on the usual raw-printing port; a free port if 9100 is taken on this machine."""
    try:
        fake = FakeNetworkPrinter(port=9100).start()
    except OSError:
        fake = FakeNetworkPrinter(port=0).start()
    yield fake
    fake.stop()


@pytest.fixture
def pty_pair(tmp_path):
    """Two linked pseudo-terminals: the printer end and the 'cable' end we read."""
    if shutil.which("socat") is None:
        pytest.fail("socat is needed (apt install socat)")
    a, b = tmp_path / "ttyPRN", tmp_path / "ttyCABLE"
    proc = subprocess.Popen(
        ["socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while not (a.exists() and b.exists()):
        assert time.monotonic() < deadline, "socat did not make the pty pair"
        time.sleep(0.02)
    yield a, b
    proc.terminate()
    proc.wait(5)


def test_file_printer_writes_bytes_and_preview(slip, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative path is relative to the working directory
    cfg = Printer(name="kiosk", type="file", path="var/tickets", width_mm=80, profile="TM-T88V")
    device = open_printer(cfg)
    assert isinstance(device, TicketFolder)
    sent = send_ticket(device, slip, cfg.width_mm)
    device.close()
    data = (tmp_path / "var/tickets/A-012.bin").read_bytes()
    assert data == ticket_bytes(slip, 80, "TM-T88V") and sent == len(data)
    with Image.open(tmp_path / "var/tickets/A-012.png") as png:
        assert png.format == "PNG" and png.width > 512
    assert sorted(p.name for p in (tmp_path / "var/tickets").iterdir()) == ["A-012.bin", "A-012.png"]


def test_file_printer_that_cannot_write_is_offline(tmp_path):
    (tmp_path / "blocked").write_text("a file where the folder should be")
    cfg = Printer(name="kiosk", type="file", path=str(tmp_path / "blocked" / "tickets"))
    with pytest.raises(PrinterOffline, match="cannot create"):
        open_printer(cfg)


def test_network_printer_on_loopback_9100(slip, fake_9100):
    cfg = Printer(name="lobby", type="network", host="127.0.0.1", port=fake_9100.port, width_mm=80)
    device = open_printer(cfg)
    assert st.query_status(device) == (st.OK, "")
    send_ticket(device, slip, cfg.width_mm)
    device.close()
    assert fake_9100.wait_for_jobs(1)
    assert fake_9100.jobs == [ticket_bytes(slip, 80, "TM-T88V")]
    assert fake_9100.queries == [1, 4]  # DLE EOT 1 (printer) and 4 (paper roll)


@pytest.mark.parametrize("paper,cover,expected", [
    ("near_end", False, (st.PAPER_NEAR_END, "paper roll is nearly empty")),
    ("out", False, (st.PAPER_OUT, "paper roll is empty")),
    ("ok", True, (st.OFFLINE, "cover is open")),
])
def test_network_status_answers(fake_9100, paper, cover, expected):
    fake_9100.paper, fake_9100.cover_open = paper, cover
    device = open_printer(Printer(name="lobby", type="network", host="127.0.0.1", port=fake_9100.port))
    try:
        assert st.query_status(device) == expected
    finally:
        device.close()


def test_printer_that_does_not_answer_status(fake_9100):
    fake_9100.answers_status = False
    device = open_printer(Printer(name="lobby", type="network", host="127.0.0.1", port=fake_9100.port))
    try:
        assert st.query_status(device, timeout=0.2) is None
    finally:
        device.close()


def test_network_printer_switched_off_is_offline():
    fake = FakeNetworkPrinter(port=0).start()
    port = fake.port
    fake.stop()  # nothing listens on the port now
    with pytest.raises(PrinterOffline, match="lobby"):
        open_printer(Printer(name="lobby", type="network", host="127.0.0.1", port=port))


class CableEnd:
    """The far end of the serial pair, read with pyserial like a printer's UART would be."""

    def __init__(self, path: Path, baudrate: int, paper_status: int = 0x12) -> None:
        self.port = serial.Serial(str(path), baudrate, timeout=0.1)
        self.paper_status = paper_status
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pending = b""
        while not self._stop.is_set():
            pending += self.port.read(4096)
            # Answer status queries that arrive before the ticket, as a printer does.
            while not self.received and pending[:2] == b"\x10\x04" and len(pending) >= 3:
                n, pending = pending[2], pending[3:]
                self.port.write(bytes([self.paper_status if n == 4 else 0x12]))
            if pending and pending[:2] != b"\x10\x04":
                self.received += pending
                pending = b""

    def wait_for(self, size: int, timeout: float = 10) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.received) < size and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.port.close()


def test_serial_printer_over_a_pty_pair(slip, pty_pair):
    printer_end, cable_end = pty_pair
    cable = CableEnd(cable_end, 115200, paper_status=0x12 | 0x0C)  # paper near its end
    try:
        cfg = Printer(name="desk", type="serial", port=str(printer_end), baudrate=115200, width_mm=58)
        device = open_printer(cfg)
        assert st.query_status(device) == (st.PAPER_NEAR_END, "paper roll is nearly empty")
        expected = ticket_bytes(slip, 58, "TM-T88V")
        assert send_ticket(device, slip, 58) == len(expected)
        device.close()
        assert cable.wait_for(len(expected)) == expected
    finally:
        cable.close()


def test_serial_printer_that_is_not_there(tmp_path):
    with pytest.raises(PrinterOffline, match="desk"):
        open_printer(Printer(name="desk", type="serial", port=str(tmp_path / "ttyUSB9")))


def test_usb_printer_without_a_device_is_offline():
    cfg = Printer(name="usb", type="usb", vendor_id=0xFFFF, product_id=0xFFFE)
    with pytest.raises(PrinterOffline):
        open_printer(cfg)
