"""Announcements one after another: two calls never talk over each other.

`AnnouncementQueue` owns one worker thread; `say()` only enqueues, so the UI and the
event stream never wait for audio. Where the sound goes is a small `Player`:
`KivyPlayer` (the hall's speakers), `FilePlayer` (numbered WAV files: a record of what
the hall heard, used by tests and `--audio-out`), or `SilentPlayer` (no speakers).
"""

from __future__ import annotations

import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from navbat.foundation import speech


@dataclass(frozen=True)
class Announcement:
    number: str  # as printed: "102", "A-012"
    counter: int
    recall: bool = False


class Player:
    """Plays one WAV to the end (blocking). Subclasses say where it goes."""

    def play(self, wav: bytes, announcement: Announcement) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SilentPlayer(Player):
    """No speakers: waits as long as the audio would last, so the pacing stays real."""

    def play(self, wav: bytes, announcement: Announcement) -> None:
        time.sleep(speech.duration(wav))


class FilePlayer(Player):
    """Writes each announcement to <folder>/<nnn>-<number>-<counter>.wav in the order heard."""

    def __init__(self, folder: Path, realtime: bool = False) -> None:
        self.folder, self.realtime, self.count = Path(folder), realtime, 0
        self.folder.mkdir(parents=True, exist_ok=True)

    def play(self, wav: bytes, announcement: Announcement) -> None:
        self.count += 1
        name = f"{self.count:03d}-{announcement.number}-{announcement.counter}.wav"
        tmp = self.folder / f".{name}.part"
        tmp.write_bytes(wav)
        tmp.rename(self.folder / name)  # appears whole: readers never see half a file
        if self.realtime:
            time.sleep(speech.duration(wav))


class KivyPlayer(Player):
    """The hall's speakers through Kivy's audio (SDL2). Sounds are loaded and started on the
    UI thread (Kivy's rule); the announcer thread only waits for the sound's length."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="navbat-voice-")
        self.count = 0

    def play(self, wav: bytes, announcement: Announcement) -> None:
        from kivy.clock import Clock
        from kivy.core.audio import SoundLoader

        self.count += 1
        path = Path(self._dir.name) / f"call-{self.count % 4}.wav"
        path.write_bytes(wav)
        holder: dict[str, object] = {}

        def start(_dt: float) -> None:
            sound = SoundLoader.load(str(path))
            if sound is not None:  # None: no audio device; the pacing is kept anyway
                sound.play()
                holder["sound"] = sound

        def stop(_dt: float) -> None:
            sound = holder.get("sound")
            if sound is not None:
                sound.stop()
                sound.unload()

        Clock.schedule_once(start)
        time.sleep(speech.duration(wav) + 0.15)
        Clock.schedule_once(stop)


class AnnouncementQueue:
    """FIFO of announcements played by one worker thread, in the order they were called."""

    def __init__(self, player: Player, langs: tuple[str, ...] = ("fa",),
                 on_start: Callable[[Announcement], None] | None = None) -> None:
        self.player, self.langs, self.on_start = player, langs, on_start
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._work, name="announcer", daemon=True)
        self._thread.start()

    def say(self, announcement: Announcement) -> None:
        self._idle.clear()
        self._queue.put(announcement)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                if self.on_start:
                    self.on_start(item)
                self.player.play(speech.announcement_wav(item.number, item.counter, self.langs), item)
            except Exception as exc:  # noqa: BLE001 - a bad clip must not silence the next calls
                self.errors.append(f"{item.number}: {exc}")
            finally:
                if self._queue.empty():
                    self._idle.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once everything queued has been played."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
