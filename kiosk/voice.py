"""The kiosk's "read aloud" (S1: many visitors cannot read well): each screen's guidance in the
kiosk's language, from the offline clips in assets/sounds (foundation.speech.guidance), and on
the ticket screen the number itself and what to do next. One sound at a time: a second tap
starts the guidance over rather than talking over itself."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from navbat.foundation import speech

if TYPE_CHECKING:
    from navbat.kiosk.checkin import CheckIn
    from navbat.kiosk.viewmodel import KioskModel

# What the kiosk shows -> what the speaker says (issue 24): each state its own guidance.
PROBLEM_GUIDES = {"hub_down": "unreachable", "closed": "closed", "bad_token": "ask-desk", "refused": "ask-desk"}
CHECKIN_GUIDES = {None: "checkin", "too_short": "checkin", "not_found": "checkin-wrong", "over": "checkin-over",
                  "not_now": "checkin-later", "unreachable": "unreachable", "refused": "ask-desk"}


def guide(vm: KioskModel, checkin: CheckIn) -> tuple[str, str | None]:
    """The guidance (foundation.speech.guidance's screen) and the number it reads, for what the
    kiosk shows now: the check-in screen's state, the ticket with or without its paper, a problem
    on screen ("not answering", "closed"), else the screen's own."""
    if vm.screen == "checkin":
        if checkin.ticket is not None:
            return "checked-in", checkin.ticket.get("number")
        return CHECKIN_GUIDES.get(checkin.problem, "ask-desk"), None
    if vm.screen == "ticket" and vm.ticket is not None:
        no_paper = vm.printed is not None and not vm.printed.printed
        return ("ticket-no-paper" if no_paper else "ticket"), vm.ticket.get("number")
    problem = vm.problem or (vm.load_problem if vm.screen == "home" else None)
    if problem is not None:
        return PROBLEM_GUIDES.get(problem.kind, "ask-desk"), None
    return vm.screen, None


class Reader:
    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="navbat-kiosk-voice-")
        self._sound: Any = None
        self.spoken: list[list[str]] = []  # clip names in the order read (tests, support)

    def read(self, screen: str, lang: str, number: str | None = None) -> None:
        """Main thread (Kivy's audio rule): stops what is playing and reads this screen."""
        from kivy.core.audio import SoundLoader

        parts = speech.guidance(screen, lang, number)
        self.spoken.append([p.stem if p is not None else "|" for p in parts])
        self.stop()
        path = Path(self._dir.name) / f"guide-{len(self.spoken) % 2}.wav"
        path.write_bytes(speech.render(parts))
        sound = SoundLoader.load(str(path))
        if sound is not None:  # None: no audio device (tests under Xvfb); the record above stays
            sound.play()
            self._sound = sound

    def stop(self) -> None:
        if self._sound is not None:
            self._sound.stop()
            self._sound.unload()
            self._sound = None
