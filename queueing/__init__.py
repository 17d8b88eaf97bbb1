"""The queueing rules of Navbat, in pure Python (no Flask, no Kivy).

The hub, the simulator (`navbat simulate`) and the tests share this one
implementation: who a counter calls next (`choose_next`), when each waiting
visitor can expect to be called and how many go first (`estimate_waits`, `estimate_floor`), service times learned from
history (`learn_service_minutes`), the pooled bound (`erlang`), the branch
simulator (`simulate`) and staffing advice (`staffing`).
"""

from navbat.queueing.branch import counters_from_branch, rules_from_branch
from navbat.queueing.estimate import estimate_floor, estimate_newcomers, estimate_waits
from navbat.queueing.learn import learn_service_minutes
from navbat.queueing.lines import WaitingLines
from navbat.queueing.model import Choice, Counter, Estimate, QueueState, Reason, Rules, WaitingTicket
from navbat.queueing.policy import choose_next

__all__ = [
    "Choice", "Counter", "Estimate", "QueueState", "Reason", "Rules", "WaitingLines", "WaitingTicket",
    "choose_next", "counters_from_branch", "estimate_floor", "estimate_newcomers", "estimate_waits",
    "learn_service_minutes", "rules_from_branch",
]
