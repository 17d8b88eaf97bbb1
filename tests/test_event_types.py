"""The event types are defined once (navbat.foundation.event_types, issue 25): the browser's copy is
the file made from them, the Python packages compare against the names, and each type's dataclass
writes the data the log has always held."""

from __future__ import annotations

import re
from pathlib import Path

import navbat.server.web
from navbat.foundation import event_types as E
from navbat.server.web.event_types_js import javascript

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("foundation", "queueing", "server", "hq", "counter_display", "kiosk", "printer", "navbat", "benchmarks")
# A migration keeps the names it wrote (server/floor/log_record_migration.py); event_types defines them.
OWN_NAMES = {Path("foundation/event_types.py"), Path("server/floor/log_record_migration.py")}


def test_the_browsers_event_types_file_is_made_from_the_python_names() -> None:
    shipped = Path(navbat.server.web.__file__).parent / "static" / "shared" / "event_types.js"
    assert shipped.read_text(encoding="utf-8") == javascript(), (
        "server/web/static/shared/event_types.js is out of date: "
        "python -m navbat.server.web.event_types_js > server/web/static/shared/event_types.js")
    for name, value in E.NAMES.items():
        assert f'  {name}: "{value}",\n' in javascript()


def test_every_logged_type_has_its_dataclass_and_every_dataclass_a_name() -> None:
    assert set(E.FACTS) == set(E.NAMES.values()) - {E.QUEUE_CHANGED}  # queue.changed is the bus's, not logged
    assert all(cls.TYPE == type_ for type_, cls in E.FACTS.items())


def test_no_python_module_writes_an_event_type_out() -> None:
    names = "|".join(re.escape(v) for v in E.NAMES.values())
    literal = re.compile(rf"""["']({names})["']""")
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel in OWN_NAMES:
                continue
            text = path.read_text(encoding="utf-8")
            body = text.split('"""', 2)[-1] if text.startswith('"""') else text  # a module docstring may name one
            found += [f"{rel}: {m.group(0)}" for m in literal.finditer(body)]
    assert not found, "\n".join(found)


def test_the_data_is_what_the_log_always_held() -> None:
    # Optional facts are left out when None (a walk-in's ticket has no channel); the rest are always written.
    walk_in = E.TicketIssued(1, "101", 1, "PR1", None, "ABCDEFGH", "kiosk-1:k", "kiosk-1", "2026-11-28")
    assert walk_in.data() == {"ticket": 1, "number": "101", "seq": 1, "service": "PR1", "priority": None,
                              "tracking_code": "ABCDEFGH", "idempotency_key": "kiosk-1:k", "device": "kiosk-1",
                              "branch_day": "2026-11-28"}
    assert E.TicketTransferred(1, "101", "PR2", 3, from_service="PR1").data() == {
        "ticket": 1, "number": "101", "service": "PR2", "counter": 3, "from_service": "PR1"}
    assert E.fact(E.TICKET_CANCELLED, {"ticket": 1, "number": "101", "service": "PR1", "outcome": "expired"}) == \
        E.TicketCancelled(1, "101", "PR1", outcome="expired")
