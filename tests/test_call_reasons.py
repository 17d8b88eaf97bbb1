"""Issue 25: the engine says why it called a visitor in codes and values; the hub words them from
the "counter" catalogue in every language (server/floor/reasons.py), so no screen parses a reason."""

from __future__ import annotations

import json
import re

from navbat.queueing import Counter, Rules, WaitingTicket, choose_next
from navbat.server.floor import reasons

NOW = 1_800_000_000.0


def test_every_code_the_engine_gives_is_worded_in_persian_and_english(branch) -> None:  # noqa: ANN001
    rules = Rules(target_wait_min={"A": 20.0, "B": 20.0}, priority_weights={"elderly": 2.5})
    counter = Counter(1, {"A": 1.0, "B": 0.5})
    cases = [WaitingTicket(1, "A", NOW - 23 * 60, "elderly"), WaitingTicket(2, "B", NOW - 5 * 60),
             WaitingTicket(3, "B", NOW - 25 * 60), WaitingTicket(4, "A", NOW - 60, due_at=NOW - 120),
             WaitingTicket(5, "A", NOW, due_at=NOW + 300)]
    seen = set()
    for ticket in cases:
        parts = [p.as_json() for p in choose_next(counter, [ticket], NOW, rules).reason]
        seen |= {p["code"] for p in parts}
        words = reasons.reason_text(parts, branch)
        assert not re.search(r"[A-Za-z0-9]", words["fa"]), words["fa"]  # Persian digits, names and words
        assert "_" not in words["en"] and words["en"], words["en"]  # no code left unworded
    assert seen == {"waited", "priority", "primary_service", "backup_service", "backup_past_target",
                    "appointment_late", "appointment_early"}
    first = reasons.reason_text([p.as_json() for p in choose_next(counter, cases[:1], NOW, rules).reason], branch)
    assert first["en"] == "waited 23 min of 20 target; Elderly (60+) ×2.5 (+4 min head start); primary skill"
    assert first["fa"] == ("۲۳ دقیقه انتظار (هدف: ۲۰ دقیقه)؛ سالمند (۶۰ سال به بالا) ×۲٫۵ (+۴ دقیقه امتیاز اولویت)؛ "
                           "خدمت اصلی این باجه")


def test_the_tickets_row_keeps_the_codes_and_an_old_log_its_prose(branch) -> None:  # noqa: ANN001
    parts = [{"code": "primary_service"}]
    assert reasons.stored(reasons.for_row(parts)) == parts
    assert json.loads(reasons.for_row(parts)) == parts
    legacy = "waited 3 min of 20 target; primary skill"  # written before the codes (0.2.0)
    assert reasons.stored(legacy) == legacy and reasons.reason_text(legacy, branch) == {"fa": legacy, "en": legacy}
    assert reasons.reason_text(None, branch) is None
