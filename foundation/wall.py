"""How a wall shows calls: defined once here, shipped by the hub (GET /branch's `wall`, the web
wall's page settings), and read by the Kivy wall (counter_display/viewmodel.py) and the web
wall (server/web/static/display/) alike."""

from __future__ import annotations

HISTORY = 7  # earlier calls listed under the current one
ANNOUNCE_WITHIN_S = 90  # calls older than this (caught up after an outage) are shown, not spoken


def wall_settings() -> dict[str, int]:
    """What every wall is told: {"history", "announce_within_s"}."""
    return {"history": HISTORY, "announce_within_s": ANNOUNCE_WITHIN_S}
