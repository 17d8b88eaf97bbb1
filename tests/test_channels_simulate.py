"""Remote turns and appointments in the simulator (issue 18): relations the model must hold."""

from __future__ import annotations

import json
from collections import Counter as Tally

import pytest
from navbat.foundation.config import load_config
from navbat.queueing import counters_from_branch, rules_from_branch
from navbat.queueing.appointments import slot_capacities, visits_per_slot
from navbat.queueing.channels import SLOT_MIN, _ChannelRun, assign, run_mix
from navbat.queueing.profiles import busy_day
from navbat.queueing.simulate import DAY, draw_visitors

from navbat.cli import main


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    branch = load_config()
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules, 0.85)
    return profile, counters_from_branch(branch), rules, draw_visitors(profile, 2, 5)


def test_slot_capacities_spread_the_reserved_share_and_never_exceed_it() -> None:
    caps = slot_capacities(0.9, 0.2, 28)  # 0.18 a slot: one about every sixth slot
    assert sum(caps) == 5 and set(caps) == {0, 1}
    assert slot_capacities(10, 0.25, 4) == [2, 3, 2, 3]
    assert slot_capacities(3, 0.0, 4) == [0, 0, 0, 0] and slot_capacities(3, 0.5, 0) == []


def test_every_visit_is_called_once_and_appointments_keep_to_their_slots(demo) -> None:  # type: ignore[no-untyped-def]
    profile, counters, rules, visitors = demo
    visits = assign(visitors, profile, counters, rules, remote=0.2, booked=0.2, seed=5)
    channels = Tally(v.channel for v in visits)
    dropped = len(visitors) - len(visits)  # remote and booked visitors who never came
    assert channels["remote"] and channels["appointment"] and dropped > 0
    came = {x.visitor.id for x in visits}
    assert all(v.no_show for v in visitors if v.id not in came)
    # never more appointments in a slot than the plan's reserved share
    taken = Tally((int(v.ticket.due_at // DAY), v.visitor.service, int(v.ticket.due_at % DAY // (SLOT_MIN * 60)))
                  for v in visits if v.channel == "appointment")
    for (_day, service, slot), n in taken.items():
        per_slot = visits_per_slot(counters, service, SLOT_MIN, rules, profile.service_min)
        assert n <= slot_capacities(per_slot, 0.2, profile.minutes // SLOT_MIN)[slot]
    # a remote turn's place counts from joining, before it is in the hall
    assert all(v.ticket.arrived_at < v.visitor.arrival for v in visits if v.channel == "remote")
    outcomes = _ChannelRun(visits, counters, rules, profile).run()
    assert sorted(o.visitor.id for o in outcomes) == sorted(v.visitor.id for v in visits)
    assert all(o.called_at >= o.visitor.arrival for o in outcomes)  # nobody called before check-in


def test_the_table_s_relations(demo) -> None:  # type: ignore[no-untyped-def]
    profile, counters, rules, visitors = demo
    alone = run_mix(visitors, profile, counters, rules, 0.0, 0.0, 5)
    booked = run_mix(visitors, profile, counters, rules, 0.0, 0.2, 5)
    remote = run_mix(visitors, profile, counters, rules, 0.2, 0.0, 5)
    assert alone["remote"] == alone["appointments"] == 0 and alone["appointments_on_time_pct"] is None
    assert alone["walk_ins"] == sum(1 for v in visitors if not v.no_show)
    assert 0 < booked["appointments"] <= 0.2 * len(visitors) and booked["walk_ins"] < alone["walk_ins"]
    # due-time priority: appointments are called near their slot, well before a walk-in's wait
    assert booked["appointments_on_time_pct"] >= 90
    assert booked["appointment_mean_late_min"] < booked["walk_in_mean_wait_min"]
    # a remote turn held its place: after check-in it waits less than the walk-ins
    assert remote["remote_wait_after_check_in_min"] < remote["walk_in_mean_wait_min"]


def test_cli_channels_table_and_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["simulate", "--channels", "--days", "1", "--seeds", "1-2", "--booked", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "20 % booked" in out and "0 % remote + 10 % booked" in out and "Targets (issue 18)" in out
    assert main(["simulate", "--channels", "--days", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mixes"]["walk-ins only"]["walk_in_wait_ratio"] == 1.0
    assert main(["simulate", "--channels", "--remote", "0.7", "--booked", "0.4"]) == 2
