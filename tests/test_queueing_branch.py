"""The bridge from config/branches.yaml to the queueing rules (D2, D4, V2)."""

from __future__ import annotations

from navbat.foundation.config import load_config, parse_config
from navbat.queueing import counters_from_branch, rules_from_branch
from navbat.queueing.branch import unit_of_services


def test_rules_from_the_demo_branch() -> None:
    branch = load_config()
    rules = rules_from_branch(branch)
    assert rules.priority_weights == {"elderly": 2.5, "disability": 2.5, "veteran": 1.75}  # issue 13's sweep
    assert rules.target("PR1") == 20 and rules.expected("PN1") == 14
    assert rules.backup_weight == 0.8 and rules.target_growth == 0.5
    assert set(rules.target_wait_min) == {s.code for s in branch.services}


def test_demo_counters_primary_in_one_unit_backup_in_two_chained() -> None:
    branch = load_config()
    unit_of = unit_of_services(branch)
    backed_up: dict[str, int] = {}
    for c in counters_from_branch(branch):
        primary = {unit_of[s] for s, v in c.services.items() if v == 1.0}
        backup = {unit_of[s] for s, v in c.services.items() if v < 1.0}
        assert len(primary) == 1 and len(backup) == 2 and not primary & backup
        for u in backup:
            backed_up[u] = backed_up.get(u, 0) + 1
    assert set(backed_up) == {u.code for u in branch.units}  # every unit has backups


def test_bare_code_outside_the_unit_is_served_as_a_backup() -> None:
    raw = {
        "branch": {"id": "t", "name": {"fa": "ت", "en": "t"}},
        "policy": {"backup_weight": 0.4},
        "units": [
            {"code": "u1", "name": {"fa": "ی", "en": "u1"},
             "services": [{"code": "S1", "name": {"fa": "خ", "en": "s1"}, "numbering": {"prefix": "A"},
                           "expected_minutes": 5, "target_wait_minutes": 10}]},
            {"code": "u2", "name": {"fa": "د", "en": "u2"},
             "services": [{"code": "S2", "name": {"fa": "خ", "en": "s2"}, "numbering": {"prefix": "B"},
                           "expected_minutes": 5, "target_wait_minutes": 10, "enabled": False},
                          {"code": "S3", "name": {"fa": "خ", "en": "s3"}, "numbering": {"prefix": "C"},
                           "expected_minutes": 5, "target_wait_minutes": 10}]},
        ],
        "counters": [{"number": 1, "name": {"fa": "۱", "en": "1"}, "unit": "u1",
                      "services": ["S1", "S2", {"code": "S3", "weight": 0.7}]},
                     {"number": 2, "name": {"fa": "۲", "en": "2"}, "services": ["S1", "S3"]}],
    }
    c1, c2 = counters_from_branch(parse_config(raw))
    assert c1.services == {"S1": 1.0, "S3": 0.7}  # S2 is disabled; an explicit weight is kept
    assert c2.services == {"S1": 1.0, "S3": 1.0}  # no unit: every sub-service is its own
    raw["counters"][0]["services"] = ["S1", "S3"]
    assert counters_from_branch(parse_config(raw))[0].services == {"S1": 1.0, "S3": 0.4}
