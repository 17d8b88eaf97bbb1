"""The kiosk's journal (issue 26): leases and tickets issued alone, on disk before the slip prints."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from navbat.kiosk.journal import ALREADY, MERGED, REFUSED, Journal, NoNumber

DAY = "2026-12-07"


def lease(lid: int, service: str = "PN1", first: int = 41, size: int = 4, hours: float = 4.0,
          day: str = DAY) -> dict:
    granted = dt.datetime.now(dt.UTC)
    return {"lease": lid, "service": service, "branch_day": day,
            "numbers": [{"seq": s, "number": f"{500 + s}"} for s in range(first, first + size)],
            "granted_at": granted.isoformat(), "expires_at": (granted + dt.timedelta(hours=hours)).isoformat()}


def test_numbers_come_in_lease_order_once_each_and_a_key_twice_is_one_ticket(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite")
    j.add_lease(lease(7))
    j.add_lease(lease(7))  # the same answer twice is one lease
    j.add_lease(lease(8, first=60, size=2))
    assert j.unused("PN1", DAY) == (6, 2)
    got = [j.issue(f"k{i}", "PN1", None, DAY)["number"] for i in range(6)]
    assert got == ["541", "542", "543", "544", "560", "561"]  # the oldest lease first
    assert j.issue("k0", "PN1", None, DAY)["number"] == "541"  # a retried key: the same ticket
    with pytest.raises(NoNumber):
        j.issue("k9", "PN1", None, DAY)
    assert j.unused("PN1", DAY) == (0, 2)
    assert [t["idempotency_key"] for t in j.pending()] == [f"k{i}" for i in range(6)]


def test_a_lease_of_another_day_or_past_its_time_is_not_used(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite")
    j.add_lease(lease(1, day="2026-12-06"))
    j.add_lease(lease(2, hours=0.05))  # 3 minutes: inside the 5-minute margin already
    with pytest.raises(NoNumber):
        j.issue("k", "PN1", None, DAY)
    j.add_lease(lease(3, service="PN2"))
    with pytest.raises(NoNumber):
        j.issue("k", "PN1", None, DAY)  # another sub-service's lease is not this one's
    assert j.issue("k", "PN2", None, DAY)["lease"] == "3"


def test_answers_mark_tickets_and_a_lease_is_returnable_only_once_merged(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite")
    j.add_lease(lease(7))
    j.add_lease(lease(8, service="PN2"))
    for key in ("a", "b", "c"):
        j.issue(key, "PN1", None, DAY)
    assert j.returnable() == ["8"]  # nothing issued from 8; 7 has tickets the hub has not answered for
    j.answered([{"idempotency_key": "a", "status": MERGED, "ticket": 12, "error": None},
                {"idempotency_key": "b", "status": ALREADY, "ticket": 13, "error": None}])
    assert [t["idempotency_key"] for t in j.pending()] == ["c"]
    assert "7" not in j.returnable()
    j.answered([{"idempotency_key": "c", "status": REFUSED, "ticket": None, "error": "seq_used"},
                {"idempotency_key": "a", "status": REFUSED, "ticket": None, "error": "late"}])  # a is answered
    states = {t["idempotency_key"]: (t["state"], t["error"]) for t in j.tickets()}
    assert states == {"a": (MERGED, None), "b": (ALREADY, None), "c": (REFUSED, "seq_used")}
    assert j.returnable() == ["7", "8"]
    j.returned("7")
    assert j.returnable() == ["8"]


def test_a_ticket_written_survives_the_process_being_killed(tmp_path: Path) -> None:
    """A kiosk that loses power right after the slip: the ticket is in the file, pending, with the
    lease it used, and the next number is the one after it."""
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    j.add_lease(lease(7))
    j.save_branch({"name": {"fa": "شعبه", "en": "Branch"}}, {"services": [], "units": []})
    script = textwrap.dedent(f"""
        import os, signal
        from navbat.kiosk.journal import Journal
        j = Journal({str(path)!r})
        t = j.issue("power-cut", "PN1", "elderly", {DAY!r})
        print(t["number"], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == -9 and out.stdout.strip() == "541", out.stderr
    again = Journal(path)
    [ticket] = again.pending()
    assert (ticket["idempotency_key"], ticket["number"], ticket["priority"], ticket["lease"]) == (
        "power-cut", "541", "elderly", "7")
    assert again.issue("next", "PN1", None, DAY)["number"] == "542"
    assert again.load_branch() == ({"name": {"fa": "شعبه", "en": "Branch"}}, {"services": [], "units": []})


def test_a_journal_that_cannot_be_opened_is_said_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    out = subprocess.run([sys.executable, "-m", "navbat", "kiosk", "--hub", "http://127.0.0.1:1", "--token", "t",
                          "--no-printer", "--journal", str(tmp_path / "file" / "journal.sqlite")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("navbat kiosk: cannot open the journal "), out.stderr
