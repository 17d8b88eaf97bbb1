"""The branch simulator and `navbat simulate` (small runs; the full week is `navbat simulate --seed 1`)."""

from __future__ import annotations

import json

import pytest
from navbat.foundation.config import load_config, parse_config
from navbat.queueing import counters_from_branch, rules_from_branch
from navbat.queueing.erlang import allen_cunneen_wait
from navbat.queueing.profiles import busy_day
from navbat.queueing.simulate import POLICIES, draw_visitors, pooled_bound, run_policy, simulate_branch

from navbat.cli import main

KEYS = {"mean_wait_min", "p90_wait_min", "max_wait_min", "sla_pct", "priority_mean_wait_min", "regular_mean_wait_min",
        "utilisation", "estimate_mae_min", "naive_estimate_mae_min"}


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    branch = load_config()
    rules = rules_from_branch(branch)
    return branch, rules, busy_day(branch, rules, 0.85)


def test_busy_day_profile(demo) -> None:  # type: ignore[no-untyped-def]
    branch, rules, profile = demo
    assert sum(profile.service_mix.values()) == pytest.approx(1.0)
    assert set(profile.service_mix) == {s.code for s in branch.services}
    peak = max(range(len(profile.hours)), key=profile.hours.__getitem__)
    assert profile.open_minute == 7 * 60 + 30 and 1 <= peak <= 3  # peaks mid-morning
    # scaled so the 8 counters are busy 85 % of the 7-hour day
    work = profile.visitors_per_hour * len(profile.hours) * profile.work_per_visitor()
    assert work / (8 * profile.minutes) == pytest.approx(0.85)
    assert profile.priority_mix["PN1"]["elderly"] > profile.priority_mix["PR1"]["elderly"]


def test_visitors_are_repeatable(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, profile = demo
    a, b, c = draw_visitors(profile, 2, 3), draw_visitors(profile, 2, 3), draw_visitors(profile, 2, 4)
    assert a == b and a != c
    expected = 2 * profile.visitors_per_hour * len(profile.hours)
    assert abs(len(a) - expected) < 4 * expected**0.5
    assert all(x.arrival < y.arrival for x, y in zip(a, a[1:], strict=False))


def test_every_policy_calls_every_visitor_once(demo) -> None:  # type: ignore[no-untyped-def]
    branch, rules, profile = demo
    visitors = draw_visitors(profile, 3, 11)  # single days vary a lot (1 to 11 min mean waits)
    counters = counters_from_branch(branch)
    means = {}
    for name in POLICIES:
        outcomes, busy = run_policy(name, visitors, counters, rules, profile, estimate=False)
        assert sorted(o.visitor.id for o in outcomes) == [v.id for v in visitors]
        assert all(o.called_at >= o.visitor.arrival for o in outcomes)
        served = [o for o in outcomes if not o.visitor.no_show]
        # a no-show costs the counter the same minute under every rule, lines included
        assert busy == pytest.approx(sum(o.visitor.minutes for o in served)
                                     + profile.no_show_min * (len(outcomes) - len(served)))
        means[name] = sum(o.called_at - o.visitor.arrival for o in served) / len(served) / 60
    assert means["navbat"] < means["lines"]


def test_pooled_bound(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, profile = demo
    mean, cs2 = profile.job_moments()
    assert 0.3 < cs2 < 1.0  # log-normal spread 0.6 plus the mix of sub-services
    assert pooled_bound(profile, 8) == pytest.approx(allen_cunneen_wait(8, 0.85 * 8, mean, cs2))
    assert pooled_bound(profile, 9) < pooled_bound(profile, 8) / 2  # one more counter halves it and more


def test_cross_training_variants(demo) -> None:  # type: ignore[no-untyped-def]
    branch, _, _ = demo
    two, one, none = (counters_from_branch(branch, k) for k in (2, 1, 0))
    for a, b, c in zip(two, one, none, strict=True):
        assert set(c.services) < set(b.services) < set(a.services)
        assert all(v == 1.0 for v in c.services.values())
    assert counters_from_branch(branch, None) == two


def test_simulate_branch_shape_and_seed(demo) -> None:  # type: ignore[no-untyped-def]
    branch, _, _ = demo
    first = simulate_branch(branch, seed=5, days=1, estimate=False)
    assert first == simulate_branch(branch, seed=5, days=1, estimate=False)
    assert set(first["policies"]) == {"navbat", "lines", "oldest_first", "strict_priority", "pooled_fcfs"}
    assert first["pooled_fcfs_mean_wait_min"] == first["policies"]["pooled_fcfs"]["mean_wait_min"]
    assert all(KEYS <= set(m) for m in first["policies"].values())
    assert first["bound_mean_wait_min"] > 0
    # the bound's assumption simulated on the same visitors: no call rule on the real services beats it by much
    assert first["pooled_fcfs_mean_wait_min"] <= 1.05 * first["policies"]["navbat"]["mean_wait_min"]
    with pytest.raises(ValueError):
        simulate_branch(branch, days=0)


def test_cli_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["simulate", "--seed", "2", "--days", "1", "--json", "--backups", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"bound_mean_wait_min", "policies"}
    assert out["run"]["backups"] == 1 and out["run"]["seed"] == 2
    navbat = out["policies"]["navbat"]
    assert KEYS <= set(navbat)
    assert navbat["estimate_mae_min"] < navbat["naive_estimate_mae_min"]


def test_cli_staffing_and_bad_input(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["simulate", "--staffing", "--json"]) == 0
    advice = json.loads(capsys.readouterr().out)
    assert advice["counters_now"] == 8 and len(advice["hours"]) == 7
    assert main(["simulate", "--staffing"]) == 0
    assert "09:30-10:30" in capsys.readouterr().out
    assert main(["simulate", "--utilisation", "1.5"]) == 2
    assert "--utilisation must be between 0 and 1" in capsys.readouterr().err
    assert main(["simulate", "--days", "0"]) == 2


def _text(s: str) -> dict[str, str]:
    return {"fa": s, "en": s}


def _service(code: str, minutes: float) -> dict[str, object]:
    return {"code": code, "name": _text(code), "numbering": {"prefix": code[0]}, "expected_minutes": minutes,
            "target_wait_minutes": 15}


def test_any_branch_file_gets_a_generic_day() -> None:
    text, service = _text, _service
    branch = parse_config({
        "branch": {"id": "small", "name": text("small"), "opening_hours": {"sat": "08:00-12:00"}},
        "units": [{"code": "u1", "name": text("u1"), "services": [service("A1", 4), service("A2", 6)]},
                  {"code": "u2", "name": text("u2"), "services": [service("B1", 10)]}],
        "counters": [{"number": 1, "name": text("1"), "unit": "u1", "services": ["A1", "A2", "B1"]},
                     {"number": 2, "name": text("2"), "unit": "u2", "services": ["B1", "A1"]},
                     {"number": 3, "name": text("3"), "unit": "u2", "services": ["B1"]}],
    })
    result = simulate_branch(branch, seed=3, days=2, estimate=False)
    assert result["run"]["profile"] == "generic day" and result["run"]["counters"] == 3
    for m in result["policies"].values():
        assert 0.6 < m["utilisation"] < 1.0 and m["visitors"] > 50
