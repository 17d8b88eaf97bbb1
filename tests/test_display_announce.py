"""The announcement queue: calls are spoken in the order called, never over each other."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from navbat.counter_display.announce import Announcement, AnnouncementQueue, FilePlayer, Player
from navbat.foundation import speech


class TimedPlayer(Player):
    """Records when each announcement starts and ends; takes a fixed short time to 'play'."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spans: list[tuple[str, float, float]] = []
        self.playing = 0
        self.max_playing = 0
        self._lock = threading.Lock()

    def play(self, wav: bytes, announcement: Announcement) -> None:
        with self._lock:
            self.playing += 1
            self.max_playing = max(self.max_playing, self.playing)
        start = time.monotonic()
        time.sleep(self.seconds)
        with self._lock:
            self.playing -= 1
        self.spans.append((announcement.number, start, time.monotonic()))


def test_calls_from_many_threads_are_spoken_one_at_a_time_in_order() -> None:
    player = TimedPlayer(0.05)
    q = AnnouncementQueue(player)
    order: list[str] = []
    lock = threading.Lock()

    def clerk(n: int) -> None:
        for k in range(3):
            number = str(100 + n * 10 + k)
            with lock:  # the order the hub's events arrive in
                order.append(number)
                q.say(Announcement(number, n))

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert q.wait_idle(10)
    q.close()
    assert [s[0] for s in player.spans] == order
    assert player.max_playing == 1
    for (_, _, end), (_, start, _) in zip(player.spans, player.spans[1:], strict=False):
        assert start >= end  # the next one starts only after the previous ended


def test_file_player_writes_what_the_hall_hears_in_order(tmp_path: Path) -> None:
    q = AnnouncementQueue(FilePlayer(tmp_path), langs=("fa", "en"))
    calls = [Announcement("102", 3), Announcement("A-012", 1), Announcement("102", 3, recall=True)]
    for c in calls:
        q.say(c)
    assert q.wait_idle(10)
    q.close()
    files = sorted(p.name for p in tmp_path.glob("*.wav"))
    assert files == ["001-102-3.wav", "002-A-012-1.wav", "003-102-3.wav"]
    for name, call in zip(files, calls, strict=True):
        assert (tmp_path / name).read_bytes() == speech.announcement_wav(call.number, call.counter, ("fa", "en"))
    assert q.errors == []


class FlakySpeaker(FilePlayer):
    """A speaker that fails once (unplugged), then works again."""

    def play(self, wav: bytes, announcement: Announcement) -> None:
        if announcement.number == "101":
            raise OSError("audio device busy")
        super().play(wav, announcement)


def test_a_failed_announcement_does_not_silence_the_next(tmp_path: Path) -> None:
    q = AnnouncementQueue(FlakySpeaker(tmp_path))
    for number in ("100", "101", "102"):
        q.say(Announcement(number, 3))
    assert q.wait_idle(10)
    q.close()
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["001-100-3.wav", "002-102-3.wav"]
    assert q.errors == ["101: audio device busy"]
