"""Appointments as due-time priority in the engine (issue 18): a checked-in appointment is
called at its slot, ahead of walk-ins, but never holds a walk-in back past the bound."""

from __future__ import annotations

import pytest
from navbat.queueing import Counter, Rules, WaitingLines, WaitingTicket, choose_next

RULES = Rules(priority_weights={"elderly": 2.5}, target_wait_min={"A": 20.0}, target_growth=1.0)
NOW = 100_000.0
COUNTER = Counter(1, {"A": 1.0})


def walk_in(id_: int, waited_min: float, priority: str | None = None) -> WaitingTicket:
    return WaitingTicket(id_, "A", NOW - waited_min * 60, priority)


def booked(id_: int, slot_in_min: float, checked_in_min_ago: float = 10.0) -> WaitingTicket:
    return WaitingTicket(id_, "A", NOW - checked_in_min_ago * 60, due_at=NOW + slot_in_min * 60)


@pytest.mark.parametrize("index", [False, True])
def test_a_due_appointment_goes_ahead_of_walk_ins_who_waited_less_than_the_bound(index: bool) -> None:
    waiting = [walk_in(1, 40), walk_in(2, 15, "elderly"), booked(3, 0)]
    pool = WaitingLines(waiting) if index else waiting
    choice = choose_next(COUNTER, pool, NOW, RULES)
    assert choice is not None and choice.ticket.id == 3
    assert choice.reason[0].as_json() == {"code": "appointment_late", "minutes": 0}


def test_a_walk_in_past_the_bound_is_not_starved() -> None:
    # due_score 3: a regular visitor who has waited past 3× the 20-min target goes first
    choice = choose_next(COUNTER, [walk_in(1, 61), booked(2, 0)], NOW, RULES)
    assert choice is not None and choice.ticket.id == 1
    # an elderly visitor sooner: (25/20 + 0.2 head start) × 2.5 > 3
    choice = choose_next(COUNTER, [walk_in(1, 25, "elderly"), booked(2, 0)], NOW, RULES)
    assert choice is not None and choice.ticket.id == 1
    # ...but a long-overdue appointment's lateness counts as urgency too
    choice = choose_next(COUNTER, [walk_in(1, 61), booked(2, -30)], NOW, RULES)
    assert choice is not None and choice.ticket.id == 2


def test_before_its_slot_an_appointment_waits_for_walk_ins_but_takes_an_idle_counter() -> None:
    early = booked(2, 5)
    choice = choose_next(COUNTER, [walk_in(1, 0), early], NOW, RULES)
    assert choice is not None and choice.ticket.id == 1  # a walk-in who came this second
    choice = choose_next(COUNTER, [early], NOW, RULES)
    assert choice is not None and choice.ticket.id == 2
    assert choice.reason[0].as_json() == {"code": "appointment_early", "minutes": 5}


@pytest.mark.parametrize("index", [False, True])
def test_appointments_go_by_slot_not_by_check_in(index: bool) -> None:
    # the later slot checked in first; the earlier slot is the one due
    waiting = [booked(1, -1, checked_in_min_ago=30), booked(2, -6, checked_in_min_ago=1), walk_in(3, 10)]
    pool = WaitingLines(waiting) if index else waiting
    choice = choose_next(COUNTER, pool, NOW, RULES)
    assert choice is not None and choice.ticket.id == 2


def test_the_index_keeps_appointments_apart_and_removes_them() -> None:
    lines = WaitingLines([walk_in(1, 5), booked(2, 3), booked(3, -3)])
    heads = {t.id for t in lines.heads({"A": 1.0})}
    assert heads == {1, 3}  # the walk-ins' head and the earliest slot
    lines.remove(3)
    assert {t.id for t in lines.heads()} == {1, 2}


def test_a_backup_counter_weighs_a_due_appointment_like_anyone_else() -> None:
    backup = Counter(2, {"A": 0.5})
    due = booked(1, 0)
    choice = choose_next(backup, [due, walk_in(2, 10)], NOW, RULES)
    assert choice is not None and choice.ticket.id == 1
    # the appointment counts at the backup weight (3 × 0.5); a walk-in past target counts in full
    choice = choose_next(backup, [due, walk_in(2, 35)], NOW, RULES)
    assert choice is not None and choice.ticket.id == 2
