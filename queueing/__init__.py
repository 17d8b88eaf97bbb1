"""The queueing rules of Navbat, in pure Python (no Flask, no Kivy).

The hub, the simulator (`navbat simulate`) and the tests share this one
implementation: who a window calls next (`choose_next`), when each waiting
visitor can expect to be called (`estimate_waits`), service times learned from
history (`learn_service_minutes`), the pooled bound (`erlang`), the branch
simulator (`simulate`) and staffing advice (`staffing`).
"""

from queueing.branch import rules_from_branch, windows_from_branch
from queueing.estimate import estimate_newcomers, estimate_waits
from queueing.learn import learn_service_minutes
from queueing.lines import WaitingLines
from queueing.model import Choice, Estimate, QueueState, Rules, WaitingTicket, Window
from queueing.policy import choose_next

__all__ = [
    "Choice", "Estimate", "QueueState", "Rules", "WaitingLines", "WaitingTicket", "Window",
    "choose_next", "estimate_newcomers", "estimate_waits", "learn_service_minutes",
    "rules_from_branch", "windows_from_branch",
]
