"""Running an LED board headless: seed it from the hub, then follow the event stream."""

from __future__ import annotations

import threading

from navbat.counter_display.led import LedFollower
from navbat.foundation.hub_client import HubClient, HubError
from navbat.foundation.hub_events import EventStream


def follow(hub_url: str, follower: LedFollower, stop: threading.Event | None = None,
           ready: threading.Event | None = None, token: str | None = None) -> int:
    """Blocks until stop is set (or Ctrl-C); reconnects by itself. `ready` is set once the
    board is seeded and the event stream is live. `token`: the board's device token."""
    stop = stop or threading.Event()
    live = threading.Event()
    lock = threading.Lock()  # events and the seeding write to the same port

    def on_event(event: dict) -> None:
        with lock:
            follower.handle(event)

    stream = EventStream(hub_url, on_event, lambda up: live.set() if up else live.clear(), token=token).start()
    hub = HubClient(hub_url)
    while not stop.is_set():
        try:
            view = hub.counter(follower.counter)
            with lock:
                follower.seed(view)
            break
        except HubError:
            stop.wait(2)
    while ready is not None and not stop.is_set() and not live.wait(0.2):
        pass
    if ready is not None:
        ready.set()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stream.stop()
        follower.board.close()
    return 0
