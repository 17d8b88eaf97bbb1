"""An index of waiting tickets by (sub-service, priority class, line, appointment or not),
each kept oldest first (appointments: earliest slot first).

Within one group every ticket's score grows at the same rate, so the oldest ticket of a
group (the earliest slot) always outranks the rest of it: a counter only has to compare group heads. The
simulator and the estimator keep one of these up to date instead of rescanning every
waiting ticket at each call; the hub may do the same (`choose_next` accepts either).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Sequence

from navbat.queueing.model import WaitingTicket

Group = tuple[str, str | None, int | None, bool]  # sub-service, priority, line, appointment


def _group(t: WaitingTicket) -> Group:
    return (t.service, t.priority, t.line, t.due_at is not None)


class WaitingLines(Sequence[WaitingTicket]):
    def __init__(self, tickets: Iterable[WaitingTicket] = ()) -> None:
        self._groups: dict[Group, list[tuple[float, int, WaitingTicket]]] = {}
        # the same lists by sub-service, so a counter looks only at the groups it serves
        self._by_service: dict[str, dict[Group, list[tuple[float, int, WaitingTicket]]]] = {}
        self._by_id: dict[int, WaitingTicket] = {}
        for t in tickets:
            self.add(t)

    def add(self, ticket: WaitingTicket) -> None:
        if ticket.id in self._by_id:
            raise ValueError(f"ticket {ticket.id} is already waiting")
        self._by_id[ticket.id] = ticket
        key = _group(ticket)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = self._by_service.setdefault(ticket.service, {})[key] = []
        insort(group, (ticket.order, ticket.id, ticket))

    def remove(self, ticket_id: int) -> WaitingTicket:
        ticket = self._by_id.pop(ticket_id)
        key = _group(ticket)
        group = self._groups[key]
        del group[bisect_left(group, (ticket.order, ticket.id))]
        if not group:
            del self._groups[key]
            mine = self._by_service[ticket.service]
            del mine[key]
            if not mine:
                del self._by_service[ticket.service]
        return ticket

    def heads(self, services: dict[str, float] | None = None) -> Iterator[WaitingTicket]:
        """The oldest ticket of every non-empty group (only of `services`, if given)."""
        if services is None:
            return (group[0][2] for group in self._groups.values())
        by_service = self._by_service
        return (group[0][2] for s in services if s in by_service for group in by_service[s].values())

    def by_service(self) -> dict[str, dict[Group, list[tuple[float, int, WaitingTicket]]]]:
        """The groups of each sub-service, each oldest first, as kept (read-only: for `policy.Picker`)."""
        return self._by_service

    def get(self, ticket_id: int) -> WaitingTicket | None:
        return self._by_id.get(ticket_id)

    def __contains__(self, ticket: object) -> bool:
        return isinstance(ticket, WaitingTicket) and self._by_id.get(ticket.id) == ticket

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[WaitingTicket]:
        return iter(list(self._by_id.values()))

    def __getitem__(self, index):  # type: ignore[no-untyped-def]  # Sequence protocol; rarely used
        return list(self._by_id.values())[index]


def group_heads(waiting: Sequence[WaitingTicket], services: dict[str, float] | None = None) -> Iterable[WaitingTicket]:
    """Group heads of a plain sequence in one pass (optionally only sub-services in `services`)."""
    if isinstance(waiting, WaitingLines):
        return waiting.heads(services)
    heads: dict[Group, WaitingTicket] = {}
    for t in waiting:
        if services is not None and t.service not in services:
            continue
        key = _group(t)
        h = heads.get(key)
        if h is None or t.order < h.order or (t.order == h.order and t.id < h.id):
            heads[key] = t
    return heads.values()
