"""Asking a printer how it is (DLE EOT real-time status), for the branch head and the kiosk.

Statuses: ok, offline, paper_out, paper_near_end. Printers that cannot answer (files,
one-way cables, some network boxes) are reported "ok" once a ticket went through.
"""

from __future__ import annotations

from escpos.escpos import Escpos
from escpos.printer import Network, Serial

OK, OFFLINE, PAPER_OUT, PAPER_NEAR_END = "ok", "offline", "paper_out", "paper_near_end"
STATUSES = (OK, OFFLINE, PAPER_OUT, PAPER_NEAR_END)

DLE_EOT = b"\x10\x04"
_FIXED_MASK, _FIXED = 0x93, 0x12  # bits 1 and 4 are always 1, bits 0 and 7 always 0 in a reply


def _ask(printer: Escpos, n: int, timeout: float) -> int | None:
    """Send DLE EOT n and read the one-byte reply; None when nothing (valid) comes back in time."""
    device = printer.device
    if isinstance(printer, Network):
        device.settimeout(timeout)
    elif isinstance(printer, Serial):
        device.timeout = timeout
    else:
        return None
    try:
        if isinstance(printer, Serial):
            device.reset_input_buffer()  # a late answer to an earlier query must not be taken for this one
        printer._raw(DLE_EOT + bytes([n]))
        # One byte is the whole answer; Serial._read() would wait for 16.
        reply = device.read(1) if isinstance(printer, Serial) else printer._read()
    except TimeoutError:
        return None
    finally:
        if isinstance(printer, Network):
            device.settimeout(printer.timeout)
        else:
            device.timeout = printer.timeout
    if not reply or reply[-1] & _FIXED_MASK != _FIXED:
        return None
    return reply[-1]


def query_status(printer: Escpos, timeout: float = 0.5) -> tuple[str, str] | None:
    """(status, detail) from the printer itself, or None if it does not answer status queries."""
    printer_state = _ask(printer, 1, timeout)
    if printer_state is None:
        return None
    paper = _ask(printer, 4, timeout)
    if paper is not None and paper & 0x60:
        return PAPER_OUT, "paper roll is empty"
    if printer_state & 0x08:
        cause = _ask(printer, 2, timeout)
        if cause is not None and cause & 0x04:
            return OFFLINE, "cover is open"
        if cause is not None and cause & 0x40:
            return OFFLINE, "printer reports an error"
        return OFFLINE, "printer is off-line"
    if paper is not None and paper & 0x0C:
        return PAPER_NEAR_END, "paper roll is nearly empty"
    return OK, ""
