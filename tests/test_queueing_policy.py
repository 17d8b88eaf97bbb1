"""The call-next rule on small hand-worked cases (V1, V2, D3, D4)."""

from __future__ import annotations

import dataclasses
import random

import pytest
from navbat.queueing import Counter, Rules, WaitingLines, WaitingTicket, choose_next
from navbat.queueing.baselines import oldest_first, strict_priority

NOW = 1_800_000_000.0
RULES = Rules(
    priority_weights={"elderly": 3.0, "veteran": 2.0},
    target_wait_min={"A": 20.0, "B": 20.0, "Q": 15.0, "L": 25.0},
    expected_service_min={"A": 5.0, "B": 5.0, "Q": 5.0, "L": 5.0},
)
PRIMARY_A = Counter(1, {"A": 1.0, "B": 0.5})  # A is this counter's own unit, B a backup


def ticket(id_: int, service: str, waited_min: float, priority: str | None = None) -> WaitingTicket:
    return WaitingTicket(id_, service, NOW - waited_min * 60, priority)


def called(counter: Counter, tickets: list[WaitingTicket], now: float = NOW) -> int | None:
    choice = choose_next(counter, tickets, now, RULES)
    return None if choice is None else choice.ticket.id


def test_nobody_waiting_or_nothing_this_counter_serves() -> None:
    assert choose_next(PRIMARY_A, [], NOW, RULES) is None
    assert choose_next(PRIMARY_A, [ticket(1, "Q", 30)], NOW, RULES) is None


def test_own_unit_first_when_waits_are_alike() -> None:
    # A: 8/20 × 1 = 0.40; B: 10/20 × 0.5 = 0.25 -> the own unit's visitor although B waited longer
    assert called(PRIMARY_A, [ticket(1, "B", 10), ticket(2, "A", 8)]) == 2


def test_backup_visitor_who_waited_twice_as_long_goes_first() -> None:
    # A: 6/20 = 0.30; B: 14/20 × 0.5 = 0.35
    assert called(PRIMARY_A, [ticket(1, "A", 6), ticket(2, "B", 14)]) == 2


def test_past_target_a_backup_visitor_counts_in_full() -> None:
    # B overdue: 21/20 × 1 = 1.05 beats A at 18/20 = 0.90; at 19 min B would be 0.475 and lose
    assert called(PRIMARY_A, [ticket(1, "A", 18), ticket(2, "B", 21)]) == 2
    assert called(PRIMARY_A, [ticket(1, "A", 18), ticket(2, "B", 19)]) == 1


def test_urgency_is_relative_to_the_sub_service_target() -> None:
    counter = Counter(2, {"Q": 1.0, "L": 1.0})
    full = dataclasses.replace(RULES, target_growth=1.0)
    # in full: Q 9/15 = 0.60 beats L 12/25 = 0.48 although L has waited longer
    assert choose_next(counter, [ticket(1, "L", 12), ticket(2, "Q", 9)], NOW, full).ticket.id == 2
    # by default (0.5) the target counts by its square root: Q 9/√(15·20) = 0.52 < L 12/√(25·20) = 0.54
    assert called(counter, [ticket(1, "L", 12), ticket(2, "Q", 9)]) == 1
    assert called(counter, [ticket(1, "L", 12), ticket(2, "Q", 10)]) == 2  # Q 0.58
    # not at all (0): minutes alone
    none = dataclasses.replace(RULES, target_growth=0.0)
    assert choose_next(counter, [ticket(1, "L", 12), ticket(2, "Q", 11.9)], NOW, none).ticket.id == 1


def test_elderly_goes_ahead_of_a_short_wait_but_not_a_long_one() -> None:
    # fresh elderly: (0 + 0.2 head start) × 3 = 0.60
    assert called(PRIMARY_A, [ticket(1, "A", 10), ticket(2, "A", 0, "elderly")]) == 2  # regular 0.50
    assert called(PRIMARY_A, [ticket(1, "A", 13), ticket(2, "A", 0, "elderly")]) == 1  # regular 0.65
    # veteran ×2: (2/20 + 0.2) × 2 = 0.60 vs regular 11/20 = 0.55
    assert called(PRIMARY_A, [ticket(1, "A", 11), ticket(2, "A", 2, "veteran")]) == 2


def test_a_stream_of_elderly_visitors_does_not_starve_a_regular_one() -> None:
    """One counter calling every 5 minutes; before each call a new elderly visitor arrives.

    Hand-worked: at each call the elderly visitor has waited 1 min, score (1/20 + 0.2) × 3 =
    0.75; the regular visitor's score t/20 passes that once t > 15 min, so they are called at
    the call at t = 20 min. Strict priority never calls them.
    """
    counter = Counter(1, {"A": 1.0})

    def run(rule) -> float | None:  # type: ignore[no-untyped-def]
        waiting = WaitingLines([WaitingTicket(0, "A", NOW)])
        next_id = 1
        for k in range(1, 40):
            now = NOW + k * 5 * 60
            waiting.add(WaitingTicket(next_id, "A", now - 60, "elderly"))  # arrived a minute ago
            next_id += 1
            choice = rule(counter, waiting, now, RULES)
            waiting.remove(choice.ticket.id)
            if choice.ticket.id == 0:
                return (now - NOW) / 60
        return None

    assert run(choose_next) == 20
    assert run(strict_priority) is None  # the classic complaint about strict priority


def test_every_score_keeps_growing() -> None:
    for prio in (None, "elderly", "veteran"):
        for weight in (1.0, 0.5):
            counter = Counter(1, {"A": weight})
            scores = [choose_next(counter, [ticket(1, "A", 0, prio)], NOW + m * 60, RULES).score for m in range(0, 120)]
            assert all(b > a for a, b in zip(scores, scores[1:], strict=False)), (prio, weight)


def test_reason_tells_the_clerk_why() -> None:
    choice = choose_next(PRIMARY_A, [ticket(7, "A", 23, "elderly")], NOW, RULES)
    assert choice is not None
    # codes and values, no words: the hub words them in the clerk's language (server/floor/reasons.py)
    assert [p.as_json() for p in choice.reason] == [
        {"code": "waited", "minutes": 23, "target": 20},
        {"code": "priority", "class": "elderly", "weight": 3, "head_start": 4},
        {"code": "primary_service"}]
    backup = choose_next(PRIMARY_A, [ticket(8, "B", 5)], NOW, RULES)
    assert [p.as_json() for p in backup.reason] == [{"code": "waited", "minutes": 5, "target": 20},
                                                    {"code": "backup_service", "weight": 0.5}]
    late = choose_next(PRIMARY_A, [ticket(9, "B", 25)], NOW, RULES)
    assert late.reason[-1].as_json() == {"code": "backup_past_target"}


def test_ties_are_deterministic() -> None:
    same = [WaitingTicket(5, "A", NOW), WaitingTicket(3, "A", NOW), WaitingTicket(4, "A", NOW)]
    assert called(PRIMARY_A, same) == 3  # same arrival: lowest id
    fresh = [WaitingTicket(1, "A", NOW), WaitingTicket(2, "B", NOW)]
    assert called(PRIMARY_A, fresh) == 1  # both at zero: the own unit's score grows faster


def test_indexed_lines_choose_like_a_plain_list() -> None:
    rng = random.Random(4)
    services = ["A", "B", "Q", "L"]
    for _ in range(200):
        classes = [None, None, None, "elderly", "veteran"]
        tickets = [WaitingTicket(i, rng.choice(services), NOW - rng.uniform(0, 3600), rng.choice(classes))
                   for i in range(rng.randint(1, 40))]
        counter = Counter(1, {s: rng.choice([1.0, 0.5]) for s in rng.sample(services, rng.randint(1, 4))})
        plain = choose_next(counter, tickets, NOW, RULES)
        indexed = choose_next(counter, WaitingLines(tickets), NOW, RULES)
        assert (plain and plain.ticket) == (indexed and indexed.ticket)
        if plain:  # and it is the true maximum of the score over every ticket the counter serves
            from navbat.queueing.policy import score
            best = max(score(t, counter.services[t.service], NOW, RULES) for t in tickets if counter.serves(t.service))
            assert plain.score == pytest.approx(best)


def test_baselines() -> None:
    tickets = [ticket(1, "A", 5, "elderly"), ticket(2, "B", 9), ticket(3, "A", 7)]
    assert oldest_first(PRIMARY_A, tickets, NOW, RULES).ticket.id == 2
    assert strict_priority(PRIMARY_A, tickets, NOW, RULES).ticket.id == 1


def test_waiting_lines_add_remove() -> None:
    lines = WaitingLines([ticket(1, "A", 5), ticket(2, "A", 9)])
    assert len(lines) == 2 and ticket(1, "A", 5) in lines
    with pytest.raises(ValueError):
        lines.add(ticket(1, "A", 5))
    assert lines.remove(2).id == 2
    assert [t.id for t in lines.heads()] == [1]
    lines.remove(1)
    assert len(lines) == 0 and list(lines.heads()) == []
