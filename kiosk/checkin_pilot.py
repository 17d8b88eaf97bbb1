"""A scripted visitor at "I have a turn" in the real window (issue 18 A), for the window test:

    python -m navbat.kiosk.checkin_pilot --hub URL --token T --scan LINK [--typo CODE] [--screenshot PNG]
                                         [--print-to DIR]

taps "I have a turn" on the home screen, taps a wrong code on the screen's keys (`--typo`) and
"check in", then types `--scan` as a USB scanner does (characters, then Enter), and prints one
JSON line: the screens seen, each message shown, the checked-in ticket's number, overflow found.
With `--print-to`, the kiosk has the branch file's printer writing its paper into DIR (and its
queue there): the checked-in turn's slip is printed, and the pilot waits for the outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from navbat.kiosk.autopilot import Script, drive, find, inspect, read_aloud


def visit(app: Any, scan: str, typo: str | None, shot: Path | None, log: dict[str, Any]) -> Script:
    from kivy.core.window import Window

    sm = app.root

    def on(name: str) -> Callable[[], bool]:
        frames = [0]

        def check() -> bool:
            frames[0] = frames[0] + 1 if sm.current == name else 0
            return frames[0] >= 3
        check.__doc__ = f"the {name} screen"
        return check

    def answered() -> bool:
        """the hub's answer to the check-in"""
        return not app.checkin.busy and (app.checkin.ticket is not None or app.checkin.problem is not None)

    yield lambda: find(sm.get_screen("home"), "UnitTile") is not None
    yield on("home")
    yield sm.get_screen("home").ids.checkin
    yield on("checkin")
    screen = sm.get_screen("checkin")
    log["screens"].append(sm.current)
    inspect(screen, log)
    yield read_aloud(screen)  # the speaker, at each state: empty, a wrong code, checked in
    if typo:
        for ch in typo:
            yield find(screen, "KeyTile", code=ch)
        log["typed"] = screen.code
        yield screen.ids.submit
        yield answered
        log["messages"].append(screen.message)
        yield read_aloud(screen)
    for ch in scan:  # a USB scanner is a keyboard: text, then Enter
        Window.dispatch("on_textinput", ch)
    log["scanned_code"] = screen.code
    Window.dispatch("on_key_down", 13, 40, "\r", [])
    yield answered
    log["messages"].append(screen.message)
    log["number"] = (app.checkin.ticket or {}).get("number")
    if app.vm.printer is not None:
        yield lambda: app.checkin.printed is not None
        yield lambda: screen.message == app.checkin.message(app.vm.lang)
        log["printed"] = app.checkin.printed
        log["messages"].append(screen.message)
    inspect(screen, log)
    yield read_aloud(screen)
    log["spoken"] = app.reader.spoken
    if shot is not None:
        yield lambda: screen.message == app.checkin.message(app.vm.lang)
        shot.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            os.replace(Window.screenshot(name=str(Path(tmp) / "shot.png")), shot)  # Kivy numbers the name
        log["screenshot"] = str(shot)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m navbat.kiosk.checkin_pilot")
    p.add_argument("--hub", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--scan", required=True, help="what the scanner types: a code or the tracking link")
    p.add_argument("--typo", default=None, help="a code tapped on the keys first")
    p.add_argument("--screenshot", type=Path, default=None)
    p.add_argument("--lang", default="fa")
    p.add_argument("--print-to", type=Path, default=None, help="a folder: print the slips there")
    args = p.parse_args(argv)

    from navbat.kiosk.launch import configure

    configure()
    from navbat.foundation.hub_client import HubClient
    from navbat.kiosk.app import KioskApp
    from navbat.kiosk.viewmodel import KioskModel

    printer = None
    if args.print_to is not None:
        from navbat.foundation.config import load_config
        from navbat.kiosk.printing import KioskPrinter

        branch = load_config()
        cfg = branch.printer(branch.kiosks[0].printer).model_copy(update={"path": str(args.print_to)})
        printer = KioskPrinter(cfg, branch, args.hub, args.print_to / "queue.sqlite").start(warm_up=False)
    app = KioskApp(KioskModel(HubClient(args.hub, args.token), printer, lang=args.lang))
    log: dict[str, Any] = {"screens": [], "messages": [], "overflow": [], "error": None}

    def finish(error: str | None) -> None:
        log["error"] = error
        app.stop()

    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: drive(visit(app, args.scan, args.typo, args.screenshot, log), finish, 60), 0)
    app.run()
    print(json.dumps(log, ensure_ascii=False), flush=True)
    return 0 if log["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
