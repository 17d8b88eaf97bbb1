"""A display's view-model kept in step with the hub, as plain Python (no Kivy).

The first picture comes from GET requests. After that each live event carries what it
changed (the wall's unit summaries in its "queue"), so most events need no request at
all. Only an event the model cannot apply by itself (one replayed from the log after a
reconnect, without "queue"; a change at this counter) makes the display re-read the hub,
and a burst of those makes one read. After a reconnect the display re-reads too: the
hub's id-less "queue.changed" events are not in its log, so none are replayed.

Whether the hub is there at all is the `Watch`'s to say: the event stream dropping says it at
once, but a hub that hangs (or a cable pulled without a reset) leaves the stream silent for
up to 45 s, so the watch also asks GET /health every second with a short timeout. Either
failing is "gone" within about 2 s; both good again is "back".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from navbat.counter_display.viewmodel import Reaction
from navbat.foundation.hub_client import HubError

COALESCE_S = 0.2  # events closer together than this share one re-read
PROBE_EVERY_S = 1.0  # with a 1 s timeout on each probe, a silent hub is noticed within about 2 s


class Model(Protocol):
    online: bool

    def handle(self, event: dict[str, Any]) -> Reaction: ...
    def set_online(self, online: bool) -> None: ...


class Refresher:
    """Re-reads the hub on a worker thread: `ask()` as often as you like; the asks that come
    before the read starts share it. `fetch` makes the request, `deliver` gets its answer
    (the app hands it to its UI thread). A HubError is dropped: the next ask tries again."""

    def __init__(self, fetch: Callable[[], Any], deliver: Callable[[Any], None], delay: float = COALESCE_S) -> None:
        self.fetch, self.deliver, self.delay = fetch, deliver, delay
        self._lock = threading.Lock()
        self._pending = False

    def ask(self) -> None:
        with self._lock:
            if self._pending:
                return
            self._pending = True
        threading.Thread(target=self._work, name="hub-refresh", daemon=True).start()

    def _work(self) -> None:
        time.sleep(self.delay)
        with self._lock:
            self._pending = False  # an ask from now on gets a read of its own: it may be newer than this one
        try:
            data = self.fetch()
        except HubError:
            return
        self.deliver(data)


class Feed:
    """Hub events into a view-model; call `event` and `status` from one thread (the UI's)."""

    def __init__(self, model: Model, refresher: Refresher) -> None:
        self.model, self.refresher = model, refresher
        self.loaded = False

    def event(self, event: dict[str, Any]) -> Reaction:
        reaction = self.model.handle(event)
        if reaction.refresh:
            self.refresher.ask()
        return reaction

    def status(self, online: bool) -> None:
        was = self.model.online
        self.model.set_online(online)
        if online and not was and self.loaded:
            self.refresher.ask()  # back after an outage: what changed meanwhile


class Watch:
    """Stream status and a health probe into one "is the hub there" (`on_status`, on changes only).
    `stream(up)` comes from the event stream's thread; the probe runs on a thread of its own."""

    def __init__(self, probe: Callable[[], Any], on_status: Callable[[bool], None],
                 every: float = PROBE_EVERY_S) -> None:
        self.probe, self.on_status, self.every = probe, on_status, every
        self._lock = threading.Lock()
        self._stream_up = self._answers = False
        self._up: bool | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-watch", daemon=True)

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def stream(self, up: bool) -> None:
        with self._lock:
            self._stream_up = up
        self._tell()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.probe()
                answers = True
            except HubError:
                answers = False
            with self._lock:
                self._answers = answers
            self._tell()
            self._stop.wait(self.every)

    def _tell(self) -> None:
        with self._lock:  # told under the lock, so two threads never report out of order
            up = self._stream_up and self._answers
            if up != self._up:
                self._up = up
                self.on_status(up)
