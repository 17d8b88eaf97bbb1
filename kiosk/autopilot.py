"""Scripted visitors for the real window: taps go through Kivy's input pipeline like a finger's.

Used by the window tests and benchmarks/kiosk.py:

    python -m navbat.kiosk.autopilot --hub URL --token T --unit pension --service PN1 [--printer-folder DIR]

starts the kiosk, walks home -> unit -> service -> "take a ticket" (tapped twice, as a
hurried visitor does; "try again" when the hub did not answer) -> ticket -> home, and
prints one JSON line: what it saw, the ticket number, the print outcome and timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Generator
from typing import Any

Script = Generator[Any, None, None]  # yields a widget to tap, or a predicate to wait for


def tap(widget: Any) -> None:
    """A finger's down and up at the widget's centre, through Kivy's input pipeline. (Not
    kivy.tests.common.UnitTestTouch: that module imports pytest, which an installed kiosk lacks.)"""
    from kivy.base import EventLoop
    from kivy.input.motionevent import MotionEvent

    class Touch(MotionEvent):
        def depack(self, args: dict) -> None:
            self.sx, self.sy = args["x"], args["y"]  # the window's fractions, as a touch screen gives them
            super().depack(args)

    win = EventLoop.window
    x, y = widget.to_window(*widget.center)
    touch = Touch("autopilot", 99, {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)},
                  is_touch=True, type_id="touch")
    touch.profile = ["pos"]
    EventLoop.post_dispatch_input("begin", touch)
    EventLoop.post_dispatch_input("end", touch)


def drive(script: Script, done: Callable[[str | None], None], timeout: float = 60.0) -> None:
    """Run `script` one step per frame; `done(None)` at its end or `done(error)`."""
    from kivy.clock import Clock

    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {"wait": None, "what": "start"}

    def frame(_dt: float) -> bool:
        if time.monotonic() > deadline:
            done(f"timed out waiting for: {state['what']}")
            return False
        wait = state["wait"]
        if wait is not None and not wait():
            return True
        state["wait"] = None
        try:
            item = next(script)
        except StopIteration:
            done(None)
            return False
        except Exception as exc:  # a broken expectation ends the run with its message
            done(f"{type(exc).__name__}: {exc}")
            return False
        if callable(item):
            state["wait"], state["what"] = item, getattr(item, "__doc__", None) or repr(item)
        else:
            tap(item)
        return True

    Clock.schedule_interval(frame, 0)


def find(root: Any, cls_name: str, **attrs: Any) -> Any | None:
    for w in root.walk():
        if type(w).__name__ == cls_name and all(getattr(w, k, None) == v for k, v in attrs.items()):
            return w
    return None


def _visible(widget: Any) -> bool:
    while widget is not None and widget is not widget.parent:
        if widget.opacity == 0 or min(widget.size) <= 0:
            return False
        widget = widget.parent
    return True


def inspect(screen: Any, log: dict[str, Any]) -> None:
    """Record the smallest touch target and any text that does not fit its box on this screen."""
    from navbat.kiosk.widgets import KLabel, Tile

    targets = [w for w in screen.walk() if isinstance(w, Tile) and not w.disabled and _visible(w)]
    smallest = min((min(w.size) for w in targets), default=None)
    if smallest is not None:
        log["smallest_target_px"] = min(log.get("smallest_target_px", smallest), smallest)
    from kivy.uix.boxlayout import BoxLayout

    for box in screen.walk():  # fixed-height rows that add up to more than their column spill over others
        if (isinstance(box, BoxLayout) and box.orientation == "vertical" and _visible(box)
                and box.minimum_height > box.height + 2):
            log["overflow"].append(f"{screen.name}: a column needs {box.minimum_height:.0f} px, has {box.height:.0f}")
    for label in screen.walk():
        if isinstance(label, KLabel) and label.logical and _visible(label):
            tw, th = label.texture_size
            if tw > label.width + 2 or th > label.height + 2:
                log["overflow"].append(f"{screen.name}: {label.logical[:40]!r} needs {tw:.0f}x{th:.0f}, "
                                       f"has {label.width:.0f}x{label.height:.0f}")


def read_aloud(screen: Any) -> Any:
    """The screen's speaker button (in its top bar)."""
    return next(w.ids["read_aloud"] for w in screen.walk() if "read_aloud" in getattr(w, "ids", {}))


def visit(app: Any, unit: str, service: str, priority: str | None, log: dict[str, Any]) -> Script:
    """One visitor, three touches (plus a second, hurried tap on "take a ticket")."""
    from kivy.core.window import Window

    sm = app.root

    def seen(name: str) -> Callable[[], bool]:
        frames = [0]

        def check() -> bool:
            # Two frames on the screen, so layout has settled before it is inspected.
            frames[0] = frames[0] + 1 if sm.current == name else 0
            if frames[0] < 3:
                return False
            inspect(sm.current_screen, log)
            return True
        check.__doc__ = f"the {name} screen"
        return check

    def tap_until(name: str, target: Callable[[], Any], every_s: float = 2.0) -> Callable[[], bool]:
        """Taps target() until the `name` screen shows, again every `every_s` while the screen it is
        on stays (as a visitor would), and only once the tile stands where it stood a frame before: a
        tile the kiosk's refresh has just made anew is not laid out yet (Kivy's 100x100 at 0,0), and a
        touch at its centre lands on whatever is in that corner (perhaps the language button)."""
        here, arrived, last_tap, last_spot = sm.current, seen(name), [-every_s], [None]

        def check() -> bool:
            if sm.current == here and time.monotonic() - last_tap[0] >= every_s:
                widget = target()
                spot = (tuple(widget.to_window(*widget.pos)), tuple(widget.size)) if widget is not None else None
                fresh = widget is not None and tuple(widget.pos) == (0, 0) and tuple(widget.size) == (100, 100)
                settled = spot is not None and spot == last_spot[0] and not fresh
                last_spot[0] = spot
                if settled:
                    tap(widget)
                    last_tap[0] = time.monotonic()
            return arrived()
        check.__doc__ = f"the {name} screen"
        return check

    def home_ready() -> bool:
        """the home screen's unit tiles"""
        return find(sm.get_screen("home"), "UnitTile", code=unit) is not None

    yield home_ready
    yield seen("home")
    log["screens"].append(sm.current)
    yield read_aloud(sm.get_screen("home"))
    yield tap_until("unit", lambda: find(sm.get_screen("home"), "UnitTile", code=unit))
    log["screens"].append(sm.current)
    yield tap_until("service", lambda: find(sm.get_screen("unit"), "ServiceTile", code=service))
    log["screens"].append(sm.current)
    screen = sm.get_screen("service")
    if priority:
        yield find(screen, "PriorityTile", code=priority)
    log["touch"] = time.perf_counter()
    log["touch_epoch"] = time.time()
    take = screen.ids.take
    tap(take)
    yield take  # the same button again, one frame later: must not make a second ticket
    while True:
        def answered() -> bool:
            """a ticket or a problem"""
            return sm.current == "ticket" or app.problem_view is not None
        yield answered
        if sm.current == "ticket":
            break
        log["problems"].append(app.problem_view.message)
        retry = app.problem_view.ids.retry
        yield retry
    log["screens"].append(sm.current)
    ticket_screen = sm.get_screen("ticket")

    def printed() -> bool:
        """the printer's answer"""
        return ticket_screen.print_state != "printing"

    yield printed
    yield seen("ticket")
    log.update(number=ticket_screen.number, ahead=ticket_screen.ahead, print_state=ticket_screen.print_state,
               note=ticket_screen.note)
    yield read_aloud(ticket_screen)
    log["spoken"] = app.reader.spoken
    yield ticket_screen.ids.done
    yield seen("home")
    log["screens"].append(sm.current)
    log["window"] = list(Window.size)


def tour(app: Any, log: dict[str, Any]) -> Script:
    """Every unit and every sub-service screen, tapped in turn and inspected (no tickets taken)."""
    sm = app.root
    home = sm.get_screen("home")

    def on(name: str, count: int = 3) -> Callable[[], bool]:
        frames = [0]

        def check() -> bool:
            frames[0] = frames[0] + 1 if sm.current == name else 0
            return frames[0] >= count
        check.__doc__ = f"the {name} screen"
        return check

    def home_ready() -> bool:
        """the home screen's unit tiles"""
        return find(home, "UnitTile") is not None

    yield home_ready
    yield on("home")
    inspect(sm.current_screen, log)
    for unit in [c.code for c in app.vm.home_cards()]:
        yield find(home, "UnitTile", code=unit)
        yield on("unit")
        inspect(sm.current_screen, log)
        log["screens"].append(f"unit:{unit}")
        for row in app.vm.service_rows():
            if not row.available:
                continue
            yield find(sm.get_screen("unit"), "ServiceTile", code=row.code)
            yield on("service")
            inspect(sm.current_screen, log)
            log["screens"].append(f"service:{row.code}")
            yield sm.get_screen("service").children[0].children[-1].ids.back  # the top bar's back
            yield on("unit")
        yield sm.get_screen("unit").children[0].children[-1].ids.back
        yield on("home")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m navbat.kiosk.autopilot")
    p.add_argument("--hub", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--config", default=None)
    p.add_argument("--printer-folder", help="write tickets here instead of the file printer's own folder")
    p.add_argument("--queue-db", default="var/print-queue-autopilot.sqlite")
    p.add_argument("--unit", default="pension")
    p.add_argument("--service", default="PN1")
    p.add_argument("--priority", default=None)
    p.add_argument("--lang", default="fa")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--tour", action="store_true", help="visit every unit and sub-service screen instead")
    p.add_argument("--size", default="1280x800", help="window size WxH (default 1280x800)")
    args = p.parse_args(argv)
    started = time.perf_counter()

    from navbat.kiosk.launch import configure

    width, height = (int(v) for v in args.size.lower().split("x"))
    configure(width=width, height=height)
    from navbat.foundation.config import load_config
    from navbat.foundation.hub_client import HubClient
    from navbat.kiosk.printing import KioskPrinter
    from navbat.kiosk.viewmodel import KioskModel

    branch = load_config(args.config)
    hub = HubClient(args.hub, args.token)
    cfg = branch.printer(branch.kiosks[0].printer)
    if args.printer_folder:
        cfg = cfg.model_copy(update={"path": args.printer_folder})
    printer = KioskPrinter(cfg, branch, args.hub, args.queue_db, report=hub.report_printer).start()
    from navbat.kiosk.app import KioskApp

    app = KioskApp(KioskModel(hub, printer, lang=args.lang))
    log: dict[str, Any] = {"screens": [], "problems": [], "overflow": [], "error": None}

    def finish(error: str | None) -> None:
        log["error"] = error
        marks = app.marks
        log["timings_ms"] = {
            "start_to_home": round((marks.get("home_ready", 0) - started) * 1000, 1),
            "touch_to_ticket": round((marks.get("ticket", 0) - log.get("touch", 0)) * 1000, 1),
            "touch_to_printed": round((marks.get("printed", 0) - log.get("touch", 0)) * 1000, 1),
        }
        if "home_ready" in marks:
            log["home_ready_epoch"] = time.time() - (time.perf_counter() - marks["home_ready"])
        app.stop()

    from kivy.clock import Clock

    script = tour(app, log) if args.tour else visit(app, args.unit, args.service, args.priority, log)
    Clock.schedule_once(lambda _dt: drive(script, finish, args.timeout), 0)
    app.run()
    log.pop("touch", None)
    print(json.dumps(log, ensure_ascii=False), flush=True)
    return 0 if log["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
