"""Staffing advice per hour (D3)."""

from __future__ import annotations

import pytest
from navbat.foundation.config import load_config
from navbat.queueing import rules_from_branch
from navbat.queueing.erlang import allen_cunneen_wait
from navbat.queueing.profiles import busy_day
from navbat.queueing.staffing import share_within_target, staffing_advice


def test_advice_per_hour() -> None:
    branch = load_config()
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules, 0.85)
    advice = staffing_advice(profile, rules, counters_now=8, share=0.85)
    assert [a.hour for a in advice][:2] == ["07:30-08:30", "08:30-09:30"]
    mean, cs2 = profile.job_moments()
    for h, a in enumerate(advice):
        # the smallest count that reaches the share
        assert share_within_target(a.counters_needed, profile, h, rules) >= 0.85
        assert share_within_target(a.counters_needed - 1, profile, h, rules) < 0.85
        assert abs(a.counters_sqrt_rule - a.counters_needed) <= 1
        load = profile.rate(h) / 60 * mean
        assert a.expected_wait_min == pytest.approx(allen_cunneen_wait(8, load, mean, cs2), abs=0.051)
    peak = max(advice, key=lambda a: a.load_erlangs)
    assert peak.counters_needed >= max(a.counters_needed for a in advice)
    # a stricter target needs at least as many counters; a busier day more
    strict = staffing_advice(profile, rules, 8, share=0.95)
    assert all(s.counters_needed >= a.counters_needed for s, a in zip(strict, advice, strict=True))
    busier = staffing_advice(busy_day(branch, rules, 0.95), rules, 8)
    assert max(a.counters_needed for a in busier) > 8
    assert any(a.expected_wait_min is None for a in busier) or max(a.within_target_pct for a in busier) < 100
    with pytest.raises(ValueError):
        staffing_advice(profile, rules, 8, share=1.5)
