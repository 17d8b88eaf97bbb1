"""Which waiting visitor a counter calls next: accumulating priority (V1, V2, D3).

Every waiting ticket's score grows linearly with its wait:

    urgency = minutes waited / target wait of its sub-service
              (with Rules.target_growth < 1, the targets count less: 0 is minutes / 20 for all)
    score   = (urgency + head start) × priority class weight × service weight

- priority class weight: elderly and disability 2.5, veteran 1.75, everyone else 1
  (config/branches.yaml; chosen on simulated weeks, README "The rule, tuned on evidence");
- head start: a visitor of a priority class starts as if they had already waited
  `Rules.priority_head_start` of their target (0.2: 4 min of a 20-min target), so an
  elderly visitor goes ahead of the regular visitors who have waited less than
  (0.2 × 2.5 =) 50 % of their target, right on arrival;
- service weight: 1 at a counter's own unit, 0.8 as a backup; a visitor already past their
  target counts as primary everywhere, so backup counters pitch in fully for them.

The counter calls the highest score among the sub-services it serves, all of a
sub-service's visitors forming one pooled line across counters. A regular visitor's score
keeps growing without limit while a head start is fixed, so nobody is starved (the
classic complaint about strict priority). Without the head start, pure accumulation
left the elderly waiting 53–60 % as long as everyone else in the demo simulation, mostly
the wait until the first counter frees up; with it, about a third.

A checked-in appointment (`due_at`, issue 18) is a due-time priority: from its slot on it
scores `Rules.due_score` (3) plus its lateness, so the next counter serving it calls it,
unless a walk-in has waited past three times their target (a regular visitor; an elderly one
sooner). The bound on what appointments take is the plan: they can only book the share of
each slot's capacity the head reserves for them, so walk-ins keep the rest and their aging.
"""

from __future__ import annotations

from collections.abc import Sequence

from navbat.queueing.lines import Group, WaitingLines, group_heads
from navbat.queueing.model import Choice, Counter, Reason, Rules, WaitingTicket

Tables = tuple[dict[str, float], dict[str | None, tuple[float, float]]]
# (rules, tables) of the last Rules seen: choose_next runs thousands of times per estimate.
# One tuple, replaced whole, so threads of the hub never see one rule set with another's tables.
_cached: tuple[Rules, Tables] | None = None


def _tables(rules: Rules) -> Tables:
    """1 / target minutes per sub-service; (weight, head start) per priority class."""
    global _cached
    cached = _cached
    if cached is None or cached[0] is not rules:
        g, base = rules.target_growth, rules.default_target_min
        inv_target = {s: rules.target(s) ** -g * base ** (g - 1) for s in rules.target_wait_min}
        classes: dict[str | None, tuple[float, float]] = {None: (1.0, 0.0)}
        for code, w in rules.priority_weights.items():
            classes[code] = (w, rules.priority_head_start if w > 1 else 0.0)
        cached = _cached = (rules, (inv_target, classes))
    return cached[1]


def _best(counter: Counter, waiting: Sequence[WaitingTicket], now: float,
          rules: Rules) -> tuple[WaitingTicket, float] | None:
    inv_target, classes = _tables(rules)
    default_inv = 1.0 / rules.default_target_min
    services = counter.services
    best: WaitingTicket | None = None
    best_key: tuple[float, float, float, int] = (-1.0, 0.0, 0.0, 0)
    best_value = -1.0
    for t in group_heads(waiting, services):
        service_weight = services.get(t.service, 0.0)
        if service_weight <= 0:
            continue
        inv = inv_target.get(t.service, default_inv)
        weight, head = classes.get(t.priority) or (rules.weight(t.priority), 0.0)
        if t.due_at is not None:  # a checked-in appointment
            value, weight = _due_value(t.due_at, now, inv, rules) * service_weight, 1.0
        else:
            urgency = (now - t.arrived_at) * inv / 60.0
            if urgency < 0:
                urgency = 0.0
            elif urgency >= 1.0:
                service_weight = 1.0  # past target: backup counters count in full
            value = (urgency + head) * weight * service_weight
        if value < best_value:  # the common case: no tie-break needed (this runs thousands of times per estimate)
            continue
        key = (value, weight * service_weight * inv, -t.order, -t.id)
        if key > best_key:
            best, best_key, best_value = t, key, value
    return None if best is None else (best, best_value)


class Picker:
    """`pick` for the replays, over a `WaitingLines`: the same choice, with each group's constants
    (its service weight at the counter, 1 / target, class weight and head start) looked up once
    per counter and group rather than at every call: a replay of a hall of 1,000 makes thousands
    of calls (issue 27). The arithmetic is `_best`'s, term for term, so the floats are the same."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.inv_target, self.classes = _tables(rules)
        self.default_inv = 1.0 / rules.default_target_min
        self._plans: dict[int, dict[Group, tuple[float, float, float, float] | None]] = {}

    def _constants(self, counter: Counter, group: Group) -> tuple[float, float, float, float] | None:
        service, priority = group[0], group[1]
        service_weight = counter.services.get(service, 0.0)
        if service_weight <= 0:
            return None
        weight, head = self.classes.get(priority) or (self.rules.weight(priority), 0.0)
        return service_weight, self.inv_target.get(service, self.default_inv), weight, head

    def __call__(self, key: int, counter: Counter, lines: WaitingLines, now: float) -> WaitingTicket | None:
        """The ticket counter `key` (its place in the replay's list) calls now, or None."""
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = {}
        by_service = lines.by_service()
        best: WaitingTicket | None = None
        best_key: tuple[float, float, float, int] = (-1.0, 0.0, 0.0, 0)
        best_value = -1.0
        for s in counter.services:
            groups = by_service.get(s)
            if groups is None:
                continue
            for group, members in groups.items():
                if group in plan:
                    constants = plan[group]
                else:
                    constants = plan[group] = self._constants(counter, group)
                if constants is None:
                    continue
                t = members[0][2]
                service_weight, inv, weight, head = constants
                if t.due_at is not None:  # a checked-in appointment
                    value, weight = _due_value(t.due_at, now, inv, self.rules) * service_weight, 1.0
                else:
                    urgency = (now - t.arrived_at) * inv / 60.0
                    if urgency < 0:
                        urgency = 0.0
                    elif urgency >= 1.0:
                        service_weight = 1.0  # past target: backup counters count in full
                    value = (urgency + head) * weight * service_weight
                if value < best_value:
                    continue
                k = (value, weight * service_weight * inv, -t.order, -t.id)
                if k > best_key:
                    best, best_key, best_value = t, k, value
        return best


def _due_value(due_at: float, now: float, inv_target: float, rules: Rules) -> float:
    """Before its slot an appointment is called only by a counter nobody else waits for
    (-0.5 sits below every walk-in's score, all >= 0); from its slot on it scores
    `due_score` plus its lateness as urgency, so it goes first until some walk-in has waited
    longer than that (the bound on how long walk-ins can be held back)."""
    if now < due_at:
        return -0.5
    return rules.due_score + (now - due_at) * inv_target / 60.0


def score(ticket: WaitingTicket, service_weight: float, now: float, rules: Rules) -> float:
    """The ticket's score at a counter with this service weight (see the module docstring)."""
    found = _best(Counter(0, {ticket.service: service_weight}), [ticket], now, rules)
    return found[1] if found else 0.0


def pick(counter: Counter, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """choose_next without the explanation (for the estimator's replays)."""
    found = _best(counter, waiting, now, rules)
    return None if found is None else Choice(found[0], found[1])


def choose_next(counter: Counter, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """The ticket `counter` should call now, with the reason shown to the clerk; None if nobody waits.

    Ties (e.g. visitors who arrived this second) go to the faster-growing score, then the
    earlier arrival, then the lower id, so the choice is deterministic. `waiting` may be a
    plain sequence or a `WaitingLines` index (much faster with thousands waiting).
    """
    found = _best(counter, waiting, now, rules)
    if found is None:
        return None
    ticket, value = found
    return Choice(ticket, value, explain(ticket, counter.services[ticket.service], now, rules))


def explain(ticket: WaitingTicket, service_weight: float, now: float, rules: Rules) -> tuple[Reason, ...]:
    """Why this visitor, as codes and values the hub words for the clerk (server/floor/reasons.py):

    - ``waited`` {minutes, target}: a walk-in's wait against its sub-service's target; or
      ``appointment_late`` {minutes} / ``appointment_early`` {minutes} for a checked-in booking;
    - ``priority`` {class, weight, head_start}: the visitor's class, its weight and head start (minutes);
    - ``primary_service``, ``backup_service`` {weight}, or ``backup_past_target``: how the
      counter serves the sub-service.
    """
    target = rules.target(ticket.service)
    waited = max(0.0, now - ticket.arrived_at) / 60.0
    parts = [Reason("waited", {"minutes": round(waited), "target": _number(target)})]
    if ticket.due_at is not None:
        late = (now - ticket.due_at) / 60.0
        parts = [Reason("appointment_late", {"minutes": round(late)}) if late >= 0
                 else Reason("appointment_early", {"minutes": round(-late)})]
    if ticket.priority:
        weight = rules.weight(ticket.priority)
        head = round(rules.priority_head_start * target) if weight > 1 else 0
        parts.append(Reason("priority", {"class": ticket.priority, "weight": _number(weight), "head_start": head}))
    if service_weight >= 1.0:
        parts.append(Reason("primary_service"))
    elif waited >= target:
        parts.append(Reason("backup_past_target"))
    else:
        parts.append(Reason("backup_service", {"weight": _number(service_weight)}))
    return tuple(parts)


def _number(value: float) -> float | int:
    """3.0 -> 3, 0.5 -> 0.5: as a person writes it."""
    return int(value) if float(value).is_integer() else round(value, 2)
