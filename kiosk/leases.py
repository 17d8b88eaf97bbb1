"""The lease keeper: while the hub answers, it sends the journal back and keeps each sub-service's
numbers topped up; when the kiosk stops, it returns what it holds (issue 26, docs/leases.md).

One `Loop` worker (foundation/workers.py), so it is started, stopped and watched like every
moving part. Each step, in this order:

1. send the tickets issued alone, oldest first, at most 500 a request, with their own
   idempotency keys and issue times; each is marked only from the hub's answer, so a crash
   between the send and the answer sends it again and the hub says "already";
2. only when nothing is left to send, tell the kiosk the hub is back (it stops issuing alone);
3. return the leases that are used up, out of date, or past their time, once merged;
4. ask for the next lease of a sub-service when fewer than half of its newest one's numbers are
   unused (no lease at all: ask now).

A step that cannot reach the hub tells the kiosk it is alone and tries again soon (`probe_every`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from navbat.foundation.hub_client import HubClient, HubRefused, HubUnreachable
from navbat.foundation.workers import Loop
from navbat.kiosk.journal import Journal, lease_id

log = logging.getLogger(__name__)
BATCH = 500  # tickets per request, the hub's limit
EVERY_S = 5.0  # between steps while the hub answers
PROBE_S = 1.0  # between tries while it does not
LATER_S = 10.0  # after the hub's 429 on a merge (its budget: 30 journals a minute)
REFUSED_PAUSE_S = 300.0  # a sub-service the hub would not lease (closed, exhausted) is asked again after this
RETURN_WITHIN_S = 3.0  # returning the leases when the kiosk stops: at most this long


def leasable(services: list[dict[str, Any]]) -> list[str]:
    """The sub-services to hold leases for: those a visitor can take a ticket of (GET /services)."""
    return [s["code"] for s in list(services) if s.get("available", True)]


class LeaseKeeper:
    """Keeps one kiosk's leases and merges its journal. `services()` names the sub-services to hold
    leases for; `branch_day()` the branch's day now; `on_hub(reachable)` is called on every change."""

    def __init__(self, hub: HubClient, journal: Journal, services: Callable[[], list[str]],
                 branch_day: Callable[[], str], on_hub: Callable[[bool], None] | None = None,
                 every: float = EVERY_S, probe_every: float = PROBE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # Its own connection: the visitor's requests never queue behind the keeper's.
        self.hub = HubClient(hub.url, hub.token, timeout=hub.timeout)
        self.journal, self.services, self.branch_day = journal, services, branch_day
        self.on_hub = on_hub
        self.every, self.probe_every, self.clock = every, probe_every, clock
        self.reachable: bool | None = None
        self.refused: dict[str, float] = {}  # sub-service -> when it may be asked again
        self.refused_tickets = 0  # tickets the hub would not merge (kept in the journal with the reason)
        self.worker = Loop("leases", self.step, every=every, closing=self.give_back)

    # ---- the worker's step ---------------------------------------------------------------
    def step(self) -> float:
        try:
            if not self.merge():
                self.hub.health()  # nothing was sent: ask anyway, so a silent hub is noticed
            self._hub_is(True)
            self.return_spent()
            self.top_up()
        except HubUnreachable:
            self._hub_is(False)
            return self.probe_every
        except HubRefused as exc:  # 429 on the journal: the hub is there and busy; try again later
            log.warning("the hub asks to wait before the next merge: %s", exc)
            return LATER_S
        return self.every

    def _hub_is(self, reachable: bool) -> None:
        if reachable != self.reachable:
            self.reachable = reachable
            log.warning("hub %s", "answers: issuing through it" if reachable else "does not answer: issuing alone")
        # Said every step, not only on a change: the kiosk may have gone alone on its own (a visitor's
        # request that timed out) while this keeper never saw the hub gone.
        if self.on_hub is not None:
            self.on_hub(reachable)

    def merge(self) -> int:
        """Send every pending ticket; how many the hub merged or already had. Raises HubUnreachable."""
        done = 0
        while batch := self.journal.pending(BATCH):
            sent_at = dt.datetime.now(dt.UTC).isoformat()
            tickets = [{"idempotency_key": t["idempotency_key"], "lease": lease_id(t["lease"]), "seq": t["seq"],
                        "number": t["number"], "service": t["service"], "priority": t["priority"],
                        "issued_at": t["issued_at"],
                        # the visit's request the hub never answered: it may hold a ticket nobody got
                        **({"unanswered_key": t["unanswered_key"]} if t["unanswered_key"] else {})}
                       for t in batch]
            try:
                results = self.hub.offline_tickets(sent_at, tickets)
            except HubRefused as exc:
                if exc.status == 429:  # too_many_merges: the hub answers, it only wants us to wait
                    raise
                # the whole body refused: a bug on one side; keep them, say so, and keep issuing alone
                log.error("the hub refused the journal (%s); %d tickets kept to send again", exc, len(batch))
                raise HubUnreachable(str(exc)) from None
            self.journal.answered(results)
            refused = [r for r in results if r.get("status") == "refused"]
            for r in refused:
                log.error("offline ticket %s refused by the hub: %s", r.get("idempotency_key"), r.get("error"))
            self.refused_tickets += len(refused)
            done += len(results) - len(refused)
            if not results:  # nothing answered for: sending the same again would loop
                break
        return done

    def return_spent(self) -> None:
        """Give back the leases no more use: every number used, another day's, or past their time."""
        day = self.branch_day()
        now = dt.datetime.now(dt.UTC)
        for lease in self.journal.leases():
            if lease["returned_at"] is not None:
                continue
            spent = (lease["used"] >= lease["size"] or lease["branch_day"] != day
                     or dt.datetime.fromisoformat(lease["use_until"]) <= now)
            if spent and lease["id"] in self.journal.returnable():
                self._return(lease["id"])

    def _return(self, lease: str) -> None:
        try:
            self.hub.return_lease(lease_id(lease))
        except HubRefused as exc:  # not_your_lease: the hub does not know it (a new database); nothing to give
            log.warning("lease %s not returned: %s", lease, exc)
        self.journal.returned(lease)

    def top_up(self) -> None:
        day, now = self.branch_day(), self.clock()
        for service in self.services():
            if self.refused.get(service, 0.0) > now:
                continue
            left, size = self.journal.unused(service, day)
            if size and left * 2 >= size:
                continue
            try:
                self.journal.add_lease(self.hub.lease(service))
            except HubRefused as exc:
                wait = REFUSED_PAUSE_S
                if exc.status == 429:  # too_many_leases, the hub's budget: stop asking for a while
                    for s in self.services():
                        self.refused[s] = now + 60.0
                    return
                log.info("no lease of %s: %s", service, exc.code)
                self.refused[service] = now + wait

    # ---- stopping ------------------------------------------------------------------
    def give_back(self) -> None:
        """When the kiosk stops (the worker's closing): send what is left and return every lease whose
        tickets are merged, within a bound; a hub that does not answer keeps them until they expire."""
        deadline = self.clock() + RETURN_WITHIN_S
        try:
            self.merge()
            for lease in self.journal.returnable():
                if self.clock() > deadline:
                    break
                self._return(lease)
        except (HubUnreachable, HubRefused) as exc:
            log.warning("leases kept (they expire on the hub): %s", exc)
