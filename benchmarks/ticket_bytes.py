"""Bytes per printed ticket and the time to send it over a serial line.

    .venv/bin/python benchmarks/ticket_bytes.py [--rounds N]

For the demo ticket (priority class, three documents, QR, barcode) and for the
largest ticket of the demo branch, at 58 and 80 mm: the ESC/POS size, the wire time
at 9,600 / 19,200 / 115,200 baud computed as bytes x 10 bits / baud (8N1: start +
8 data + stop bit), and the time measured through a real pseudo-terminal pair made
by socat at 115,200 baud (render + write + read back with pyserial). A pty does not
pace bytes at the baud rate, so the measured figure is the software's share; a real
cable adds the computed wire time. Target (issue 5): under 10 KB, under 1 s at 115,200.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import serial  # noqa: E402
from navbat.foundation.config import Printer, load_config  # noqa: E402
from navbat.printer.demo import demo_slip, hub_ticket  # noqa: E402
from navbat.printer.devices import open_printer, send_ticket  # noqa: E402
from navbat.printer.layout import ticket_bytes  # noqa: E402
from navbat.printer.slip import TicketSlip, slip_from_ticket  # noqa: E402

BAUDS = (9_600, 19_200, 115_200)
WHEN = dt.datetime(2026, 11, 22, 6, 35, tzinfo=dt.UTC)


def largest_slip(profile: str) -> TicketSlip:
    """The demo branch's biggest ticket: every sub-service tried with a priority class and long figures."""
    branch = load_config()
    slips = [
        slip_from_ticket(hub_ticket(branch, s.code, "disability", id=1, number=s.numbering.format(999),
                                    people_ahead=123, estimated_wait={"low": 95, "high": 240},
                                    tracking_code="ABCD2345WXYZ", issued_at=WHEN.isoformat()),
                         "http://127.0.0.1:8080")
        for s in branch.services
    ]
    return max(slips, key=lambda s: len(ticket_bytes(s, 80, profile)))


def measure_pty(slip: TicketSlip, width_mm: int, rounds: int) -> float:
    """Median seconds from 'print this slip' to the last byte read at the far end of a socat pty pair."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "printer", Path(tmp) / "cable"
        socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 5
            while not (a.exists() and b.exists()):
                if time.monotonic() > deadline:
                    raise RuntimeError("socat did not create the pty pair")
                time.sleep(0.01)
            cfg = Printer(name="bench", type="serial", port=str(a), baudrate=115_200, width_mm=width_mm)
            size = len(ticket_bytes(slip, width_mm, cfg.profile))
            times = []
            with serial.Serial(str(b), 115_200, timeout=2) as cable:
                for _ in range(rounds):
                    got = bytearray()
                    done = threading.Event()

                    def read(got: bytearray = got, done: threading.Event = done) -> None:
                        while len(got) < size:
                            chunk = cable.read(size - len(got))
                            if not chunk:
                                break
                            got.extend(chunk)
                        done.set()

                    reader = threading.Thread(target=read)
                    reader.start()
                    start = time.perf_counter()
                    device = open_printer(cfg)
                    send_ticket(device, slip, width_mm)
                    device.close()
                    done.wait(10)
                    times.append(time.perf_counter() - start)
                    reader.join()
                    if len(got) != size:
                        raise RuntimeError(f"read back {len(got)} of {size} bytes")
            return statistics.median(times)
        finally:
            socat.terminate()
            socat.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    demo = demo_slip(load_config(), when=WHEN)
    print(f"{'ticket':<26}{'mm':>4}{'bytes':>8}" + "".join(f"{b:>10,} Bd" for b in BAUDS) + f"{'pty 115200':>13}")
    worst = 0
    for name, profile, slip in (("demo, TM-T88V 180 dpi", "TM-T88V", demo),
                                ("largest, TM-T88V 180 dpi", "TM-T88V", largest_slip("TM-T88V")),
                                ("largest, TM-T20II 203 dpi", "TM-T20II", largest_slip("TM-T20II"))):
        for width in (58, 80):
            size = len(ticket_bytes(slip, width, profile))
            worst = max(worst, size)
            wire = "".join(f"{size * 10 / baud:>11.2f} s" for baud in BAUDS)
            measured = f"{measure_pty(slip, width, args.rounds) * 1000:>10.1f} ms" if profile == "TM-T88V" else ""
            print(f"{name:<26}{width:>4}{size:>8,}{wire}{measured}")
    verdict = "meets" if worst < 10_000 else "MISSES"
    print(f"\nlargest ticket {worst:,} bytes: {verdict} the < 10 KB target "
          f"({worst * 10 / 115_200:.2f} s on the wire at 115,200 baud)")
    print("pty column: render + send + read back over socat (a pty does not pace at the baud rate)")
    return 0 if worst < 10_000 else 1


if __name__ == "__main__":
    sys.exit(main())
