"""How many live event streams the hub serves at once, counted in this process.

Until the stream is served asynchronously (issue 15), each subscriber holds one of waitress'
request threads for as long as it listens. So streams get at most `STREAMS_MAX` of them and
the rest (`RESERVE`) always stay for kiosks, clerks and /health. Of those slots, anonymous
subscribers (no token, or one the hub does not know) get at most `ANON_MAX` in total and
`ANON_PER_ADDRESS` per address, so devices and staff consoles always have
`STREAMS_MAX - ANON_MAX` to themselves: a registered display is never refused because of
anonymous ones. Each limit is an app config value; the defaults are below.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_THREADS = 100  # waitress' threads when the config does not say (server.serve sets THREADS)
RESERVE = 25  # threads no stream may take: kiosks issuing, clerks calling, heads, /health
ANON_MAX = 10
ANON_PER_ADDRESS = 2
RETRY_AFTER_S = 30


@dataclass(frozen=True)
class Limits:
    total: int
    anonymous: int
    per_address: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Limits:
        total = config.get("STREAMS_MAX") or max(1, config.get("THREADS", DEFAULT_THREADS) - RESERVE)
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
