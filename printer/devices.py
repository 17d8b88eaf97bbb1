"""Printers from `config/branches.yaml`: USB, serial, network, a folder of files, or a dummy.

All of them are python-escpos printers, so the layout talks to one interface. A ticket
is rendered to bytes first and then written in one go (`send_ticket`), so a printer
that drops off mid-ticket fails the whole job, which the print queue then retries.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, Network, Serial
from navbat.foundation.config import Printer
from navbat.printer.layout import preview_png, ticket_bytes
from navbat.printer.slip import TicketSlip

NETWORK_TIMEOUT = 5.0  # seconds to connect or write; a kiosk must not hang on a dead printer


class PrinterOffline(OSError):
    """The printer cannot be reached now (unplugged, switched off, cable out); try again later."""


class TicketFolder(Escpos):
    """A 'printer' that keeps each ticket as <path>/<number>.bin (ESC/POS bytes) and <number>.png.

    Used by the demo kiosk and for checking layouts without paper. A relative path is
    relative to the current working directory.
    """

    def __init__(self, path: str | Path, width_mm: int = 80, **kwargs) -> None:  # noqa: ANN003 - Escpos kwargs
        Escpos.__init__(self, **kwargs)
        self.path = Path(path)
        self.width_mm = width_mm
        self._buffer: list[bytes] = []
        self.last_files: tuple[Path, Path] | None = None

    def open(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PrinterOffline(f"cannot create {self.path}: {exc.strerror}") from None
        if not os.access(self.path, os.W_OK):
            raise PrinterOffline(f"cannot write to {self.path}")
        self._device = self.path

    def _raw(self, msg: bytes) -> None:
        self._buffer.append(msg)

    def save_ticket(self, slip: TicketSlip) -> tuple[Path, Path]:
        """Write what was sent since the last ticket, and its preview; both appear whole or not at all."""
        name = re.sub(r"[^A-Za-z0-9_-]", "_", slip.number)
        data = b"".join(self._buffer)
        bin_path, png_path = self.path / f"{name}.bin", self.path / f"{name}.png"
        _atomic_write(bin_path, data)
        preview = preview_png(slip, self.width_mm, self.profile)
        with tempfile.NamedTemporaryFile(dir=self.path, suffix=".png.tmp", delete=False) as tmp:
            preview.save(tmp, format="PNG")
        os.chmod(tmp.name, 0o644)  # temp files are private; tickets are for everyone to read
        os.replace(tmp.name, png_path)
        self._buffer.clear()
        self.last_files = (bin_path, png_path)
        return self.last_files

    def close(self) -> None:
        self._buffer.clear()
        self._device = False


def _atomic_write(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)


def make_printer(cfg: Printer) -> Escpos:
    """The python-escpos object for a configured printer, not yet connected."""
    profile = cfg.profile
    if cfg.type == "network":
        return Network(cfg.host, port=int(cfg.port or 9100), timeout=NETWORK_TIMEOUT, profile=profile)
    if cfg.type == "serial":
        # Thermal printers on a serial line use DTR/DSR handshaking (python-escpos' default).
        return Serial(devfile=str(cfg.port), baudrate=cfg.baudrate, timeout=NETWORK_TIMEOUT, profile=profile)
    if cfg.type == "usb":
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise PrinterOffline("USB printers need pyusb (pip install pyusb) and libusb-1.0")
        return Usb(cfg.vendor_id, cfg.product_id, profile=profile)
    if cfg.type == "file":
        return TicketFolder(cfg.path or ".", width_mm=cfg.width_mm, profile=profile)
    return Dummy(profile=profile)


def open_printer(cfg: Printer) -> Escpos:
    """Connect to a configured printer; PrinterOffline when it cannot be reached."""
    printer = make_printer(cfg)
    try:
        printer.open()
    except DeviceNotFoundError as exc:
        raise PrinterOffline(f"printer {cfg.name} ({cfg.type}) is not reachable: {_one_line(exc)}") from None
    except (OSError, ValueError) as exc:  # ValueError: pyusb without a libusb backend, a bad serial setting
        raise PrinterOffline(f"printer {cfg.name} ({cfg.type}) is not reachable: {_one_line(exc)}") from None
    return printer


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def send_ticket(printer: Escpos, slip: TicketSlip, width_mm: int) -> int:
    """Render one ticket and send it in one write; returns the number of bytes sent."""
    data = ticket_bytes(slip, width_mm, printer.profile)
    if isinstance(printer, Serial) and printer.device is not None:
        # A printer holding DSR low would block the write for ever; allow twice the line time.
        printer.device.write_timeout = 2 + 2 * len(data) * 10 / printer.baudrate
    printer._raw(data)  # python-escpos' only way to send prepared bytes
    if isinstance(printer, TicketFolder):
        printer.save_ticket(slip)
    return len(data)
