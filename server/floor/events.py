"""Live events: the append-only log's public face, fanned out to SSE subscribers.

Every state change is written to the `events` table in the same transaction as the
change itself (see floor.py); after the commit it is published here, with the queue
summaries of the sub-services it touched (`queue`, derived, never stored). Subscribers
that fall behind, or reconnect with Last-Event-ID, read the table (without `queue`).
When the background estimate refresh changes the summaries, the bus also carries a
`queue.changed` message: it has no event id, since it is not part of the log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from navbat.foundation import event_types as E

# Never sent to displays: they are public (F1 codes are the visitor's key; no personal data). The call
# reason names the priority class ("disability ×3"), so it stays with the clerk (the /next answer); a
# request's result is the visitor's own answer (F1); a booking's code is its booker's key like a tracking
# code; the head's settings (budgets among them) are nobody's business on a wall.
PRIVATE_FIELDS = frozenset({"tracking_code", "idempotency_key", "device", "clerk", "priority", "pin", "reason",
                            "result", "booking", "changes"})


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    at: str
    data: dict[str, Any]
    queue: dict[str, Any] | None = None  # summaries of what it touched, when published live
    changes: dict[str, Any] | None = None  # what of them moved since the last publish (summaries.changes)
    seq: int = 0  # its place among the bus's publishes (0: read from the log)

    def public(self, summaries: bool = True) -> dict[str, Any]:
        out = {k: v for k, v in self.data.items() if k not in PRIVATE_FIELDS}
        if self.queue is not None and summaries:
            out["queue"] = self.queue
        return out

    @cached_property
    def sse(self) -> str:
        """The event as an SSE message; made once, however many displays receive it."""
        return self._sse(summaries=True)

    @cached_property
    def sse_bare(self) -> str:
        """The same without the queue summaries: what anonymous subscribers get (a fraction of the bytes)."""
        return self._sse(summaries=False)

    @cached_property
    def sse_changes(self) -> str:
        """With only what moved in the summaries ("changes"), for displays that keep them; bare when
        nothing is known (read from the log), so they re-read."""
        if self.changes is None:
            return self.sse_bare
        return self._sse(summaries=False, extra={"changes": self.changes})

    def _sse(self, summaries: bool, extra: dict[str, Any] | None = None) -> str:
        body = json.dumps({"id": self.id, "type": self.type, "at": self.at, **self.public(summaries), **(extra or {})},
                          ensure_ascii=False, separators=(",", ":") if extra else None)
        return f"id: {self.id}\nevent: {self.type}\ndata: {body}\n\n"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(row["id"], row["type"], row["at"], json.loads(row["data"]))


log = logging.getLogger(__name__)


def queue_message(queue: dict[str, Any], key: str = "queue") -> str:
    """The summaries after an estimate refresh (or, key "changes", what of them moved), as an SSE
    message without an id (not in the log)."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    compact = (",", ":") if key == "changes" else None
    body = json.dumps({"type": E.QUEUE_CHANGED, "at": at, key: queue}, ensure_ascii=False, separators=compact)
    return f"event: queue.changed\ndata: {body}\n\n"


Changes = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
KEEP_QUEUE_CHANGES = 64  # a display further behind than this many refreshes gets the whole summaries


class EventBus:
    """Keeps the recent events in memory and wakes subscribers when new ones arrive."""

    def __init__(self, load_since: Callable[[int], list[Event]], last_id: int = 0, keep: int = 5000,
                 changes: Changes | None = None) -> None:
        self._load_since = load_since
        # The summaries as last published, and what each publish changed in them (summaries.changes):
        # a display that keeps the summaries is sent only that, in the order it was published.
        self._changes, self._kept = changes, {}
        self._seq = 0
        self._queue_seq = 0
        self._queue_changes: deque[tuple[int, int, str]] = deque(maxlen=KEEP_QUEUE_CHANGES)  # (version, seq, sse)
        self._recent: deque[Event] = deque(maxlen=keep)
        self._cond = threading.Condition()
        self.last_id = last_id
        self.queue_version = 0
        self._queue_sse = ""
        self._listeners: list[Callable[[], None]] = []
        # What a subscriber at (last id, summaries' version) is sent next, made once for all those
        # standing there (thousands of streams wake on each burst); emptied on each publish.
        self._chunks: dict[tuple[int, int, bool, bool], tuple[int, int, bytes]] = {}

    def listen(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Calls wake() after each publish (from the publishing thread); returns what stops it.
        The asynchronous stream server (server.asgi) waits this way, not on the condition."""
        self._listeners.append(wake)
        return lambda: self._listeners.remove(wake)

    def publish(self, events: list[Event]) -> None:
        for ev in events if log.isEnabledFor(logging.INFO) else ():  # one line per event (journald), nothing private
            log.info("event %d %s %s", ev.id, ev.type, json.dumps(ev.public(summaries=False), ensure_ascii=False))
        with self._cond:
            for ev in events:
                self._seq += 1
                # what moved in the summaries; an event without them keeps its own word ({}: nothing moved)
                moved = self._changes(self._kept, ev.queue) if self._changes and ev.queue is not None else ev.changes
                self._recent.append(replace(ev, changes=moved, seq=self._seq))
                self.last_id = max(self.last_id, ev.id)
            self._chunks = {}
            self._cond.notify_all()
        self._wake()

    def publish_queue(self, queue: dict[str, Any]) -> None:
        """New summaries from the estimate refresh; a subscriber gets only the latest."""
        with self._cond:
            self.queue_version += 1
            self._seq += 1
            self._queue_seq, self._queue_sse = self._seq, queue_message(queue)
            if self._changes is not None:
                moved = self._changes(self._kept, queue)
                self._queue_changes.append((self.queue_version, self._seq,
                                            queue_message(moved, "changes") if moved else ""))
            self._chunks = {}
            self._cond.notify_all()
        self._wake()

    def _wake(self) -> None:
        for wake in list(self._listeners):
            wake()

    def in_memory(self, last_id: int) -> bool:
        """Whether since(last_id) is answered from memory (no read of the log)."""
        with self._cond:
            return last_id >= self.last_id or (bool(self._recent) and self._recent[0].id <= last_id + 1)

    def since(self, last_id: int) -> list[Event]:
        with self._cond:
            if last_id >= self.last_id:
                return []
            if self._recent and self._recent[0].id <= last_id + 1:
                # From the newest back: a subscriber that is nearly up to date (thousands of
                # them wake on each event) costs the few new events, not the whole deque.
                return list(_newer_than(self._recent, last_id))[::-1]
        return self._load_since(last_id)  # older than memory: read the log

    def queue_since(self, version: int) -> tuple[int, str]:
        """(the current version, its message) if newer than `version`, else (version, "")."""
        with self._cond:
            if self.queue_version > version:
                return self.queue_version, self._queue_sse
            return version, ""

    def queue_changes_since(self, version: int) -> tuple[int, list[tuple[int, str]]]:
        """(the current version, [(seq, message)]) of what the summaries' refreshes after `version`
        moved; the whole summaries when those are no longer kept."""
        with self._cond:
            if self.queue_version <= version:
                return version, []
            kept = [(seq, sse) for v, seq, sse in self._queue_changes if v > version]
            if len(kept) != self.queue_version - version:
                kept = [(self._queue_seq, self._queue_sse)]
            return self.queue_version, kept

    def chunk(self, last_id: int, queue_version: int, with_queue: bool, summaries: bool = True,
              changes: bool = False) -> tuple[int, int, bytes]:
        """(the last id, the summaries' version, the SSE bytes) a subscriber at (last_id,
        queue_version) is sent next: the events after last_id (with their summaries, only what of
        them changed, or bare) and, with_queue, newer summaries (or what of them changed: then in
        the order published, since each change is against the one before)."""
        key = (last_id, queue_version, with_queue, summaries, changes)
        chunks = self._chunks
        if key in chunks:
            return chunks[key]
        events = self.since(last_id)
        if changes and summaries:
            version, moved = self.queue_changes_since(queue_version) if with_queue else (queue_version, [])
            pieces = sorted([(ev.seq, ev.sse_changes) for ev in events] + moved, key=lambda p: p[0])
            text = "".join(sse for _, sse in pieces)
        else:
            version, queue = self.queue_since(queue_version) if with_queue else (queue_version, "")
            text = "".join(ev.sse if summaries else ev.sse_bare for ev in events) + queue  # one write per wake-up
        result = (events[-1].id if events else last_id, version, text.encode())
        with self._cond:
            if chunks is self._chunks:  # nothing published meanwhile: still what they are sent
                chunks[key] = result
        return result

    def wait(self, last_id: int, queue_version: int, timeout: float) -> None:
        """Until an event after last_id or newer summaries arrive, or timeout seconds pass."""
        with self._cond:
            self._cond.wait_for(lambda: self.last_id > last_id or self.queue_version > queue_version, timeout)


def _newer_than(recent: deque[Event], last_id: int) -> Iterator[Event]:
    for ev in reversed(recent):
        if ev.id <= last_id:
            return
        yield ev


KEEP_ALIVE = b": keep-alive\n\n"  # an SSE comment: tells the client (and any proxy) the stream lives


class Cursor:
    """Where one subscriber stands: the last event and the summaries' version it has had.
    take() gives what it has not had yet, as SSE bytes; the threaded and the asynchronous
    stream both read the bus through it."""

    def __init__(self, bus: EventBus, last_id: int, queue_version: int, with_queue: bool = True,
                 summaries: bool = True, changes: bool = False) -> None:
        self.bus, self.last_id, self.queue_version = bus, last_id, queue_version
        self.with_queue = with_queue  # a catch-up (once=1) replays the log only
        self.summaries = summaries  # anonymous subscribers get bare events, and no queue.changed
        self.changes = changes  # a display that keeps the summaries: only what moved in them

    def opening(self) -> bytes:
        return f"retry: 2000\n: connected at event {self.last_id}\n\n".encode()  # flushes the headers at once

    def pending(self) -> bool:
        return self.bus.last_id > self.last_id or self.with_queue and self.bus.queue_version > self.queue_version

    def in_memory(self) -> bool:
        return self.bus.in_memory(self.last_id)

    def take(self) -> bytes:
        self.last_id, self.queue_version, data = self.bus.chunk(self.last_id, self.queue_version, self.with_queue,
                                                                self.summaries, self.changes)
        return data
