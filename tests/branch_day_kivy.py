"""A Kivy module (Kivy loads it from $KIVY_HOME/mods, named in config.ini's [modules]) for the
branch-day test: the installed kiosk or wall runs exactly as its unit starts it, and this module,
inside that process, takes the test's requests from a folder (`cmd-N.json`, answered in
`done-N.json`):

- kiosk: {"visit": {"unit", "service", "priority"}} walks a visitor through the screens with real
  taps (navbat.kiosk.autopilot.visit); {"checkin": CODE} types a turn's code on "I have a turn" as
  a USB scanner does (navbat.kiosk.checkin_pilot.visit);
- wall: {"snapshot": PATH} exports the window to PATH and answers what its widgets show (the big
  number, the previous calls) and every announcement queued and played so far; {"state": true}
  answers the same without the picture (what a test polls: an export every poll slows the wall).

It only reads widgets and taps them; it never calls the hub itself.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Any

_state: dict[str, Any] = {"busy": False, "said": [], "played": [], "wrapped": False}


def _answer(folder: Path, name: str, body: dict[str, Any]) -> None:
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(body, ensure_ascii=False))
    os.replace(tmp, folder / name.replace("cmd-", "done-"))


def _wrap_announcer(app: Any) -> None:
    """Records each announcement the wall queues (say) and each one its player plays."""
    announcer = getattr(app, "announcer", None)
    if announcer is None or _state["wrapped"]:
        return
    _state["wrapped"] = True
    say, play = announcer.say, announcer.player.play

    def said(a: Any) -> None:
        _state["said"].append([a.number, a.counter, a.recall])
        say(a)

    def played(wav: bytes, a: Any) -> None:
        play(wav, a)
        _state["played"].append([a.number, a.counter, len(wav)])

    announcer.say, announcer.player.play = said, played


def _snapshot(app: Any, path: str | None) -> dict[str, Any]:
    if path is not None:
        app.root.export_to_png(path)
    screen = app.screen
    shown = {"number": screen.ids.big_number.text}
    if getattr(app, "wall", None) is not None:
        rows = [row for row in screen.ids.previous.children if "first" in row.ids]  # not the spacer below them
        shown["previous"] = [getattr(row.ids.first, "logical", row.ids.first.text) for row in rows]
        shown["previous_counters"] = [getattr(row.ids.second, "logical", row.ids.second.text) for row in rows]
    return {"png": path, "shown": shown, "said": list(_state["said"]), "played": list(_state["played"]),
            "online": not getattr(screen, "offline", False)}


def _run(app: Any, folder: Path, name: str, command: dict[str, Any]) -> None:
    from navbat.kiosk.autopilot import drive

    log: dict[str, Any] = {"screens": [], "problems": [], "overflow": [], "messages": []}

    def finish(error: str | None) -> None:
        log["error"] = error
        log.pop("touch", None)
        if error is not None:  # what the kiosk held when the visit failed (a one-off in CI left no trace)
            try:
                log["kiosk"] = _kiosk_state(app)
            except Exception:  # noqa: BLE001 - a fault here must not lose the answer
                log["kiosk"] = traceback.format_exc()
        _state["busy"] = False
        _answer(folder, name, log)

    if "visit" in command:
        from navbat.kiosk.autopilot import visit

        v = command["visit"]
        script = visit(app, v["unit"], v["service"], v.get("priority"), log)
    else:
        from navbat.kiosk.checkin_pilot import visit

        script = visit(app, command["checkin"], None, None, log)
    _state["busy"] = True
    drive(script, finish, timeout=command.get("timeout", 60))


def _kiosk_state(app: Any) -> dict[str, Any]:
    """The kiosk's view-model and window at a failed visit: its screen, whether it was busy, its load
    problem and each unit's summary (plain fields), for the test's failure message."""
    from kivy.base import EventLoop

    vm = getattr(app, "vm", None)
    state: dict[str, Any] = {"window": list(EventLoop.window.size) if EventLoop.window else None}
    if vm is not None:
        state.update(screen=vm.screen, busy=vm.busy, load_problem=repr(vm.load_problem),
                     units=[{k: v for k, v in u.items() if not isinstance(v, (list, dict))} for u in vm.units])
    return state


def _poll(folder: Path) -> None:
    from kivy.app import App

    app = App.get_running_app()
    if app is None or app.root is None or _state["busy"]:
        return
    _wrap_announcer(app)
    for path in sorted(folder.glob("cmd-*.json")):
        name = path.name
        command = json.loads(path.read_text())
        path.unlink()
        try:
            if "snapshot" in command or "state" in command:
                _answer(folder, name, _snapshot(app, command.get("snapshot")))
            else:
                _run(app, folder, name, command)
                return  # one visitor at a time
        except Exception:  # noqa: BLE001 - the test reads the failure from the answer
            _state["busy"] = False
            _answer(folder, name, {"error": traceback.format_exc()})


def start(win: Any, ctx: Any) -> None:
    from kivy.clock import Clock

    folder = Path(ctx.config["dir"])
    ctx.event = Clock.schedule_interval(lambda _dt: _poll(folder), 0.05)


def stop(win: Any, ctx: Any) -> None:
    ctx.event.cancel()
