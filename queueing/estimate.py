"""When each waiting visitor can expect to be called."""

from __future__ import annotations

from queueing.model import Estimate, QueueState, Rules


def estimate_waits(state: QueueState, rules: Rules) -> dict[int, Estimate]:
    """Baseline: people ahead in the same sub-service × service time ÷ windows serving it."""
    out: dict[int, Estimate] = {}
    ahead: dict[str, int] = {}
    for t in sorted(state.waiting, key=lambda t: (t.arrived_at, t.id)):
        n = ahead.get(t.service, 0)
        ahead[t.service] = n + 1
        minutes = state.service_min.get(t.service) or rules.expected_service_min.get(t.service, 8.0)
        windows = sum(1 for w in state.windows if w.state != "closed" and w.serves(t.service)) or 1
        mid = (n + 1) * minutes / windows
        out[t.id] = Estimate(mid, mid * 0.6, mid * 1.5)
    return out
