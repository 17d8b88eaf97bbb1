"""Wait estimates (D6): hand-checkable states, the hub's newcomer probe, learned service times,
and accuracy against simulated branch days."""

from __future__ import annotations

import dataclasses

import pytest
from navbat.foundation.config import load_config
from navbat.queueing import (
    Counter,
    QueueState,
    Rules,
    WaitingTicket,
    counters_from_branch,
    estimate_newcomers,
    estimate_waits,
    learn_service_minutes,
    rules_from_branch,
)
from navbat.queueing.profiles import busy_day
from navbat.queueing.simulate import draw_visitors, run_policy, summarise

NOW = 1_800_000_000.0
# near-deterministic service times make the replay hand-checkable
EXACT = Rules(target_wait_min={"A": 20.0, "B": 20.0}, expected_service_min={"A": 10.0, "B": 4.0}, service_cv=1e-4,
              priority_weights={"elderly": 3.0})


def waiting(*specs: tuple[int, str, float]) -> list[WaitingTicket]:
    return [WaitingTicket(i, s, NOW - m * 60) for i, s, m in specs]


def test_free_counter_means_no_wait() -> None:
    state = QueueState(waiting((1, "A", 0)), [Counter(1, {"A": 1.0})], NOW)
    est = estimate_waits(state, EXACT)[1]
    assert (est.minutes, est.low, est.high) == (0, 0, 0)


def test_busy_counter_hand_worked() -> None:
    # counter busy for 4 of 10 minutes -> free in 6; three tickets of 10 minutes each then
    counter = Counter(1, {"A": 1.0}, busy_since=NOW - 240, busy_service="A")
    state = QueueState(waiting((1, "A", 3), (2, "A", 2), (3, "A", 1)), [counter], NOW)
    est = estimate_waits(state, EXACT)
    assert [round(est[i].minutes, 2) for i in (1, 2, 3)] == [6.0, 16.0, 26.0]


def test_newcomer_probe_and_two_counters() -> None:
    counters = [Counter(1, {"A": 1.0}, busy_since=NOW - 60, busy_service="B"),  # B: 4 min, free in 3
                Counter(2, {"A": 1.0}, busy_since=NOW - 120, busy_service="A")]  # free in 8
    probe = WaitingTicket(-1, "A", NOW)
    state = QueueState(waiting((1, "A", 5)) + [probe], counters, NOW)
    est = estimate_waits(state, EXACT)
    assert est[1].minutes == pytest.approx(3.0, abs=0.01)
    assert est[-1].minutes == pytest.approx(8.0, abs=0.01)
    assert set(est) == {1, -1}


def test_paused_and_closed_counters() -> None:
    paused = QueueState(waiting((1, "A", 0)), [Counter(1, {"A": 1.0}, state="paused")], NOW)
    assert estimate_waits(paused, EXACT)[1].minutes == pytest.approx(EXACT.pause_minutes)
    # before any counter opens, the ones that serve the sub-service are assumed to open now
    closed = QueueState(waiting((1, "A", 2), (2, "A", 1)), [Counter(1, {"A": 1.0}, state="closed")], NOW)
    assert [round(e.minutes, 2) for e in estimate_waits(closed, EXACT).values()] == [0.0, 10.0]
    # nobody serves B at all: a naive figure rather than nothing
    orphan = QueueState(waiting((1, "B", 0)), [Counter(1, {"A": 1.0})], NOW)
    assert estimate_waits(orphan, EXACT)[1].minutes == pytest.approx(4.0)


def test_later_elderly_visitors_are_expected_to_go_ahead() -> None:
    counter = Counter(1, {"A": 1.0}, busy_since=NOW, busy_service="A")
    regular = WaitingTicket(1, "A", NOW)
    recent = [WaitingTicket(100 + i, "A", NOW - i * 600, "elderly") for i in range(6)]  # 6 elderly an hour
    alone = estimate_waits(QueueState([regular], [counter], NOW), EXACT)[1].minutes
    with_stream = estimate_waits(QueueState([regular], [counter], NOW, recent_arrivals=recent), EXACT)[1].minutes
    assert alone == pytest.approx(10.0, abs=0.01)
    assert with_stream > alone
    # and an elderly newcomer is estimated ahead of the regular visitor who came just before
    elderly = WaitingTicket(-1, "A", NOW, "elderly")
    est = estimate_waits(QueueState([regular, elderly], [counter], NOW), EXACT)
    assert est[-1].minutes < est[1].minutes


def test_same_state_same_answer_and_ordered_range() -> None:
    rules = dataclasses.replace(EXACT, service_cv=0.6)
    counters = [Counter(n, {"A": 1.0, "B": 0.5}, busy_since=NOW - 60 * n, busy_service="A") for n in (1, 2, 3)]
    state = QueueState(waiting(*[(i, "AB"[i % 2], 10 - i) for i in range(10)]), counters, NOW)
    first, again = estimate_waits(state, rules), estimate_waits(state, rules)
    assert first == again
    for e in first.values():
        assert 0 <= e.low <= e.minutes <= e.high


def test_learned_service_minutes() -> None:
    rules = Rules(expected_service_min={"A": 10.0, "B": 6.0, "C": 5.0}, prior_samples=5)
    typical = [6.0, 7.0, 8.0, 9.0, 10.0] * 20  # mean 8; then two forgotten "done" presses and a misclick
    learned = learn_service_minutes({"A": typical + [240.0, 300.0, 0.01], "B": [9.0],
                                     "C": [], "D": [7.0, 7.0, 7.0, 7.0, 7.0]}, rules)
    assert learned["A"] == pytest.approx((100 * 8.0 + 5 * 10.0) / 105)  # outliers dropped, mild shrinkage
    assert learned["B"] == pytest.approx((9.0 + 5 * 6.0) / 6)  # one sample barely moves it
    assert learned["C"] == 5.0  # no history: the configured value
    assert learned["D"] == pytest.approx((35.0 + 5 * rules.default_service_min) / 10)  # unknown to the config
    assert learn_service_minutes({"A": [float("nan"), -3.0]}, rules)["A"] == 10.0


def test_estimates_on_a_simulated_day() -> None:
    """On a simulated busy day the estimate beats the naive one and its range covers about 80 %."""
    branch = load_config()
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules, 0.85)
    outcomes, busy = run_policy("navbat", draw_visitors(profile, 1, 7), counters_from_branch(branch), rules, profile)
    m = summarise(outcomes, busy, len(branch.counters), 1, profile, rules)
    assert m["estimate_mae_min"] < 0.6 * m["naive_estimate_mae_min"]
    assert m["estimate_mae_min"] < 0.5 * m["mean_wait_min"]
    assert 65 <= m["estimate_range_coverage_pct"] <= 95


def test_newcomers_for_every_sub_service_at_once() -> None:
    # counter 1 (A only) busy for 6 more minutes; counter 2 (A and B) free now
    counters = [Counter(1, {"A": 1.0}, busy_since=NOW - 240, busy_service="A"), Counter(2, {"A": 1.0, "B": 1.0})]
    state = QueueState(waiting((1, "A", 3)), counters, NOW)
    both = estimate_newcomers(state, EXACT, ["A", "B"])
    # A: ticket 1 takes counter 2 now, the newcomer gets counter 1 in 6 min; B: counter 2 after ticket 1, 10 min
    assert both["A"].minutes == pytest.approx(6.0, abs=0.01)
    assert both["B"].minutes == pytest.approx(10.0, abs=0.01)
    for code in ("A", "B"):  # the same as probing one newcomer at a time
        probed = dataclasses.replace(state, waiting=state.waiting + [WaitingTicket(-1, code, NOW)])
        alone = estimate_waits(probed, EXACT)
        assert alone[-1].minutes == pytest.approx(both[code].minutes, abs=0.01)
    assert estimate_newcomers(state, EXACT, []) == {}


def test_odd_states_do_not_break_the_estimate() -> None:
    counter = Counter(1, {"A": 1.0})
    twice = WaitingTicket(1, "A", NOW - 60)
    recent = [WaitingTicket(100 + i, "B", NOW - i * 60) for i in range(30)]  # B visitors keep coming
    state = QueueState([twice, twice, WaitingTicket(2, "B", NOW)], [counter], NOW, recent_arrivals=recent)
    est = estimate_waits(state, EXACT)
    assert est[1].minutes == 0.0
    assert est[2].minutes == pytest.approx(4.0)  # nobody serves B: the naive figure, at once


def test_random_halls_always_get_sane_estimates() -> None:
    """Whatever the hub sends (paused, closed, busy counters, unknown codes), every ticket gets an ordered range."""
    import random

    rng = random.Random(9)
    rules = dataclasses.replace(EXACT, service_cv=0.6, estimate_runs=6)
    codes = ["A", "B", "X"]  # X is in no rule table
    for _ in range(60):
        counters = [Counter(n, {c: rng.choice([1.0, 0.5]) for c in rng.sample(codes, rng.randint(1, 3))},
                            rng.choice(["open", "open", "paused", "closed"]),
                            NOW - rng.uniform(0, 3000) if rng.random() < 0.6 else None, rng.choice(codes + [None]))
                    for n in range(rng.randint(0, 4))]
        classes = [None, "elderly", "odd"]  # "odd" is no configured class
        tickets = [WaitingTicket(i, rng.choice(codes), NOW - rng.uniform(-60, 3600), rng.choice(classes))
                   for i in range(rng.randint(0, 25))]
        recent = [WaitingTicket(1000 + i, rng.choice(codes), NOW - rng.uniform(0, 7200))
                  for i in range(rng.randint(0, 30))]
        state = QueueState(tickets, counters, NOW, recent_arrivals=recent, no_show_share=rng.choice([0.0, 0.1]))
        est = estimate_waits(state, rules)
        assert set(est) == {t.id for t in tickets}
        for e in est.values():
            assert 0 <= e.low <= e.minutes <= e.high < 10_000
