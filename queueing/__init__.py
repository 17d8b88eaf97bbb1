"""The queueing rules of Navbat, in pure Python (no Flask, no Kivy).

The hub, the simulator (`navbat simulate`) and the tests share this one
implementation: who a window calls next (`choose_next`), and when each waiting
visitor can expect to be called (`estimate_waits`).
"""

from queueing.model import Choice, Estimate, QueueState, Rules, WaitingTicket, Window
from queueing.policy import choose_next
from queueing.estimate import estimate_waits
from queueing.bridge import learn_service_minutes, rules_from_branch

__all__ = [
    "Choice", "Estimate", "QueueState", "Rules", "WaitingTicket", "Window",
    "choose_next", "estimate_waits", "learn_service_minutes", "rules_from_branch",
]
