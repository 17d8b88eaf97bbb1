"""`navbat kiosk --screenshot`: walk the view-model to one screen against a real hub, save a PNG."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from navbat.kiosk.viewmodel import HOME, SERVICE, TICKET, UNIT, KioskModel

SETTLE_SECONDS = 1.5  # frames for layout, fonts and icons before the picture


def prepare(model: KioskModel, screen: str, unit: str | None = None, service: str | None = None) -> str | None:
    """Bring the model to `screen`; returns a problem (one line) if that cannot be done."""
    model.refresh()
    refused = model.load_problem is not None and model.load_problem.kind == "bad_token"
    if screen == HOME and refused:
        return None  # the home screen says the token is refused: that is the picture
    if model.branch is None or refused:
        return f"the hub at {model.hub.url} did not answer" if not refused else model.message(model.load_problem)
    if screen == HOME:
        return None
    if model.load_problem is not None:
        return f"cannot open the {screen} screen: {model.message(model.load_problem)}"
    model.open_unit(unit or model.home_cards()[0].code)
    if screen == UNIT:
        return None
    rows = [r for r in model.service_rows() if r.available and (service is None or r.code == service)]
    if not rows:
        return f"no available sub-service {service or ''} in unit {model.unit}".replace("  ", " ")
    model.open_service(rows[0].code)
    if screen == SERVICE:
        return None
    assert screen == TICKET
    if model.take_ticket() is None:
        return f"no ticket: {model.message(model.problem)}"
    return None


def shoot(app: object, path: Path) -> None:
    """Run the app until the screen has settled, write the PNG, stop."""
    from kivy.clock import Clock
    from kivy.core.window import Window

    def take(_dt: float) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            written = Window.screenshot(name=str(Path(tmp) / "shot.png"))  # Kivy numbers the name
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(written, path)
        app.stop()

    def ready(_dt: float) -> None:
        app.reload = lambda: None  # the model is loaded; no refresh may redraw under the camera
        Clock.schedule_once(take, SETTLE_SECONDS)

    Clock.schedule_once(ready, 0)
    app.run()
