"""How many live event streams the hub serves at once, counted in this process.

A stream is a coroutine and a socket (server.asgi), not a thread, so the caps bound memory and
fairness, not threads: at most `STREAMS_MAX` streams in all (about 4000 x 50 KB), of which
anonymous subscribers (no token, or one the hub does not know: a phone following its ticket)
get at most `ANON_MAX` in total and `ANON_PER_ADDRESS` per address. So devices and staff
consoles always have `STREAMS_MAX - ANON_MAX` to themselves: a registered display is never
refused because of anonymous ones. Each limit is an app config value; the defaults are below.
A guest Wi-Fi that puts every phone behind one address (NAT) needs a larger ANON_PER_ADDRESS.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STREAMS_MAX = 4000
ANON_MAX = 3000
ANON_PER_ADDRESS = 8  # a phone's tabs; a NAT in front of many phones needs more
RETRY_AFTER_S = 30


@dataclass(frozen=True)
class Limits:
    total: int
    anonymous: int
    per_address: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Limits:
        total = config.get("STREAMS_MAX", STREAMS_MAX)
        anonymous = min(config.get("ANON_MAX", ANON_MAX), total)
        return cls(total, anonymous, min(config.get("ANON_PER_ADDRESS", ANON_PER_ADDRESS), anonymous))


class Slot:
    """One admitted stream; release() gives it back, once, however often it is called."""

    def __init__(self, streams: Streams, address: str | None) -> None:
        self._streams, self.address = streams, address
        self._held = True

    def release(self) -> None:
        self._streams._release(self)


class Streams:
    """The streams open now: in total, anonymous ones, and anonymous ones per address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.anonymous = 0
        self._by_address: Counter[str] = Counter()

    def admit(self, limits: Limits, address: str | None) -> Slot | None:
        """A slot for a registered subscriber (address None) or an anonymous one from `address`;
        None when a cap is reached."""
        with self._lock:
            if self.total >= limits.total:
                return None
            if address is not None:
                if self.anonymous >= limits.anonymous or self._by_address[address] >= limits.per_address:
                    return None
                self.anonymous += 1
                self._by_address[address] += 1
            self.total += 1
            return Slot(self, address)

    def _release(self, slot: Slot) -> None:
        with self._lock:
            if not slot._held:
                return
            slot._held = False
            self.total -= 1
            if slot.address is not None:
                self.anonymous -= 1
                self._by_address[slot.address] -= 1
                if not self._by_address[slot.address]:
                    del self._by_address[slot.address]
