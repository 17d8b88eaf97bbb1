"""Live events: the append-only log's public face, fanned out to SSE subscribers.

Every state change is written to the `events` table in the same transaction as the
change itself (see floor.py); after the commit it is published here. Subscribers
that fall behind, or reconnect with Last-Event-ID, read the table.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import Any

EVENT_TYPES = (
    "ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.done",
    "ticket.no_show", "ticket.transferred", "ticket.cancelled", "counter.changed",
    "device.status",
)
# Never sent to displays: they are public (F1 codes are the visitor's key; no personal data). The call
# reason names the priority class ("disability ×3"), so it stays with the clerk (the /next answer).
PRIVATE_FIELDS = frozenset({"tracking_code", "idempotency_key", "device", "clerk", "priority", "pin", "reason"})


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    at: str
    data: dict[str, Any]

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k not in PRIVATE_FIELDS}

    @cached_property
    def sse(self) -> str:
        """The event as an SSE message; made once, however many displays receive it."""
        body = json.dumps({"id": self.id, "type": self.type, "at": self.at, **self.public()}, ensure_ascii=False)
        return f"id: {self.id}\nevent: {self.type}\ndata: {body}\n\n"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(row["id"], row["type"], row["at"], json.loads(row["data"]))


class EventBus:
    """Keeps the recent events in memory and wakes subscribers when new ones arrive."""

    def __init__(self, load_since, keep: int = 5000) -> None:  # noqa: ANN001 - callable(id) -> list[Event]
        self._load_since = load_since
        self._recent: deque[Event] = deque(maxlen=keep)
        self._cond = threading.Condition()
        self.last_id = 0

    def publish(self, events: list[Event]) -> None:
        with self._cond:
            for ev in events:
                self._recent.append(ev)
                self.last_id = max(self.last_id, ev.id)
            self._cond.notify_all()

    def since(self, last_id: int) -> list[Event]:
        with self._cond:
            if last_id >= self.last_id:
                return []
            if self._recent and self._recent[0].id <= last_id + 1:
                return [e for e in self._recent if e.id > last_id]
        return self._load_since(last_id)  # older than memory: read the log

    def wait(self, last_id: int, timeout: float) -> list[Event]:
        """Events after last_id, waiting up to timeout seconds for the first one."""
        with self._cond:
            self._cond.wait_for(lambda: self.last_id > last_id, timeout)
        return self.since(last_id)
