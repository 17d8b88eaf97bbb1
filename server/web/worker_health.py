"""The hub's workers on the head's live floor: one alert for each that is not healthy, worded here
(the "head" catalogue) so the page shows the hub's words. /metrics shows every worker's state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from navbat.foundation.i18n import gettext_for
from navbat.foundation.workers import FAILED, Health

# What the head calls each worker (foundation/workers.py names them for logs and /metrics).
LABELS = {
    "waits": "Wait estimates", "engine": "The estimates' process", "reports": "The reports' process",
    "sms": "Sending SMS", "remote": "Remote turns' messages", "hq-shipping": "Shipping to headquarters",
    "hq-relay": "Headquarters' relay", "relay": "Relayed visitors' requests", "checkpoint": "Saving the database",
    "requests": "Answering requests", "leases": "Expiring kiosks' number leases",
}


def _n(message: str) -> str:  # marks a message id for the catalogue, translated where it is shown
    return message


RESTARTING = _n("{worker} stopped with an error and is restarting ({error})")
GAVE_UP = _n("{worker} has failed and is no longer retried ({error})")


def worker_alerts(health: Iterable[Health], lang: str) -> list[dict[str, Any]]:
    _ = gettext_for("head", lang)
    out = []
    for h in health:
        if h.healthy:
            continue
        label = _(LABELS.get(h.name, h.name))
        text = _(GAVE_UP if h.state == FAILED else RESTARTING).format(worker=label, error=h.last_error or "?")
        out.append({"kind": "worker_unhealthy", "level": "danger" if h.state == FAILED else "warning",
                    "worker": h.name, "state": h.state, "last_error": h.last_error, "last_beat": h.last_beat,
                    "restarts": h.restarts, "text": text})
    return out
