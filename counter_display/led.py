"""Serial LED number boards above the counters (RS-232/RS-485), driven with pyserial.

The protocol is named in the branch file (displays[].serial.protocol):
  plain  the number as ASCII then CR LF ("102\\r\\n"); a blank board is "\\r\\n".
  stx    STX, 2-digit board address (the counter number), the number right-aligned
         in 4 characters, ETX, then an XOR checksum of the bytes between STX and ETX;
         the framing most Chinese/Iranian number boards accept.
Boards show Latin digits and letters ("A-012" is sent as "A012").
`LedFollower` keeps one board in step with its counter from the hub's events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from navbat.foundation import event_types as E

STX, ETX = b"\x02", b"\x03"


class Port(Protocol):
    def write(self, data: bytes) -> int | None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


def board_text(number: str | None) -> str:
    return re.sub(r"[^0-9A-Z]", "", (number or "").upper())


def encode_plain(number: str | None, address: int) -> bytes:
    return board_text(number).encode("ascii") + b"\r\n"


def encode_stx(number: str | None, address: int) -> bytes:
    if not 0 <= address <= 99:
        raise ValueError("stx boards have addresses 0..99")
    body = f"{address:02d}{board_text(number)[-4:]:>4}".encode("ascii")
    check = 0
    for b in body:
        check ^= b
    return STX + body + ETX + bytes([check])


PROTOCOLS: dict[str, Callable[[str | None, int], bytes]] = {"plain": encode_plain, "stx": encode_stx}


class LedBoard:
    """One number board on a serial port."""

    def __init__(self, port: Port, protocol: str = "plain", address: int = 1) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown LED protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
        self.port, self.encode, self.address = port, PROTOCOLS[protocol], address
        self.shown: str | None = None

    def show(self, number: str | None) -> None:
        """Show a number, or blank the board with None."""
        self.port.write(self.encode(number, self.address))
        self.port.flush()
        self.shown = number

    def close(self) -> None:
        self.port.close()


def open_serial(port: str, baudrate: int) -> Port:
    """A pyserial port; `port` may also be a pyserial URL (loop://, socket://host:port)."""
    import serial

    return serial.serial_for_url(port, baudrate=baudrate, timeout=1, write_timeout=2)


class LedFollower:
    """Feeds one counter's board from hub events: a call shows its number, the end blanks it."""

    SHOW = (E.TICKET_CALLED, E.TICKET_RECALLED)
    CLEAR = (E.TICKET_DONE, E.TICKET_NO_SHOW, E.TICKET_TRANSFERRED, E.TICKET_CANCELLED, E.TICKET_UNCALLED)

    def __init__(self, board: LedBoard, counter: int) -> None:
        self.board, self.counter = board, counter

    def seed(self, counter_view: dict[str, Any]) -> None:
        t = counter_view.get("current_ticket")
        self.board.show(t["number"] if t else None)

    def handle(self, event: dict[str, Any]) -> None:
        if event.get("counter") != self.counter:
            return
        if event["type"] in self.SHOW:
            self.board.show(event["number"])
        elif event["type"] in self.CLEAR and self.board.shown == event.get("number"):
            self.board.show(None)
        elif event["type"] == E.COUNTER_CHANGED and event.get("state") == "closed":
            self.board.show(None)
