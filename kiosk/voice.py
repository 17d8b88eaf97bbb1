"""The kiosk's "read aloud" (S1: many visitors cannot read well): each screen's guidance in the
kiosk's language, from the offline clips in assets/sounds (foundation.speech.guidance), and on
the ticket screen the number itself and what to do next. One sound at a time: a second tap
starts the guidance over rather than talking over itself."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from navbat.foundation import speech


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
