"""Old import path of the branch bridge, kept for code written before queueing.branch existed.

Use `queueing.rules_from_branch` and `queueing.learn_service_minutes` (one implementation each,
in queueing/branch.py and queueing/learn.py).
"""

from queueing.branch import rules_from_branch
from queueing.learn import learn_service_minutes

__all__ = ["learn_service_minutes", "rules_from_branch"]
