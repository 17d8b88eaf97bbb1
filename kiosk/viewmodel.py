"""What the kiosk does, without Kivy: its state and the visitor's steps; tests drive this class directly.

Screens: home (units) -> unit (its sub-services) -> service (documents, steps, priority,
"take a ticket") -> ticket (number, people ahead, estimate). What each screen shows is
worded by kiosk.views from the hub's answers; the kiosk derives no figure of its own.
The visit's Idempotency-Key is made once when the visitor first presses "take a ticket"
and reused for every retry, so a double tap, a timeout or a hub restart never makes two
tickets (issue 6).

Network and printing are split in three steps so the Kivy layer can run the middle one
on a worker thread: `begin_*` (UI thread, decides), `fetch_*`/`request_*` (any thread,
no state), `finish_*` (UI thread, applies the result).

Working alone (issue 26): with a journal, a ticket the hub does not answer within `ALONE_AFTER`
comes from the kiosk's lease (kiosk/alone.py), and so does every one after it until the lease
keeper has merged the journal and says the hub is back (`hub_state`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

from navbat.foundation.hub_client import HubClient, HubRefused, HubUnreachable
from navbat.foundation.persian import format_date
from navbat.kiosk import alone as alone_ticket
from navbat.kiosk import text, views
from navbat.kiosk.alone import ALONE_AFTER, NO_LEASE
from navbat.kiosk.journal import Journal
from navbat.kiosk.printing import KioskPrinter, PrintOutcome
from navbat.kiosk.views import ServiceRow, ServiceView, TicketView, UnitCard

HOME, UNIT, SERVICE, TICKET = "home", "unit", "service", "ticket"
# The hub's answers meaning the kiosk's token is wrong: unknown or re-keyed (401), another device's role (403).
TOKEN_REFUSALS = ("unauthorized", "session_expired", "forbidden", "not_a_kiosk")
SCREENS = (HOME, UNIT, SERVICE, TICKET)
IDLE_SECONDS = 60.0  # a visitor who walks away leaves the kiosk on home for the next one
TICKET_SECONDS = 20.0  # the ticket screen stays this long, then home


@dataclasses.dataclass(frozen=True)
class Problem:
    kind: str  # hub_down | refused | closed | bad_token
    code: str  # the hub's error code, or "unreachable"
    can_retry: bool


class KioskModel:
    """One kiosk's state. Call UI-side methods from one thread (Kivy's main thread)."""

    def __init__(self, hub: HubClient, printer: KioskPrinter | None = None, lang: str = "fa",
                 clock: Callable[[], float] = time.monotonic, new_key: Callable[[], str] | None = None,
                 idle_seconds: float = IDLE_SECONDS, ticket_seconds: float = TICKET_SECONDS,
                 journal: Journal | None = None, alone_after: tuple[float, float] = ALONE_AFTER) -> None:
        self.hub, self.printer = hub, printer
        self.journal, self.alone_after = journal, alone_after
        self.alone = False  # the hub does not answer: tickets come from this kiosk's leases
        self.lang = lang
        self.clock = clock
        self.new_key = new_key or (lambda: uuid.uuid4().hex)
        self.idle_seconds, self.ticket_seconds = idle_seconds, ticket_seconds
        self.screen = HOME
        self.branch: dict[str, Any] | None = None  # GET /branch: names, units' icons, priority classes, hours
        self.services: list[dict[str, Any]] = []  # GET /services "services": catalogue + ServiceSummary
        self.units: list[dict[str, Any]] = []  # GET /services "units": UnitSummary
        self.unit: str | None = None
        self.service: str | None = None
        self.priority: str | None = None
        self.key: str | None = None  # this visit's Idempotency-Key, once "take a ticket" was pressed
        self.busy = False
        self.problem: Problem | None = None  # shown on the current screen
        self.load_problem: Problem | None = None  # the home screen could not load (hub down, closed, bad token)
        self.token_ok = False  # the hub accepted this kiosk's token (GET /me), checked before the first screen
        self.ticket: dict[str, Any] | None = None
        self.printed: PrintOutcome | None = None
        self.last_touch = clock()
        self.listeners: list[Callable[[], None]] = []
        kept = journal.load_branch() if journal is not None else None
        if kept is not None:  # the last branch data the hub sent: screens before (or without) the hub
            self.branch, queue = kept
            self.services, self.units = queue["services"], queue["units"]

    # ---- observers -----------------------------------------------------------
    def changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    @property
    def _(self) -> Callable[[str], str]:
        return text.translator(self.lang)

    # ---- loading the branch and the live counts --------------------------------
    def fetch(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """GET /branch and /services (sub-services and units with the hub's summaries), any thread;
        raises HubUnreachable / HubRefused. Until the hub has accepted the kiosk's token, GET /me
        first: a wrong token is said on the first screen, not at the first visitor's tap."""
        if not self.token_ok:
            me = self.hub.me()
            if me.get("role") != "kiosk":
                raise HubRefused(403, "not_a_kiosk", f"the token is a {me.get('role')}'s, not a kiosk's")
        branch, queue = self.hub.branch(), self.hub.queue()
        if self.journal is not None:
            self.journal.save_branch(branch, queue)
        return branch, queue

    def finish_fetch(self, result: tuple[dict[str, Any], dict[str, Any]] | Exception) -> None:
        if isinstance(result, HubRefused) and result.code in TOKEN_REFUSALS:
            self.token_ok = False
            self.load_problem = Problem("bad_token", result.code, can_retry=False)
        elif isinstance(result, Exception):
            if self.branch is None or isinstance(result, HubRefused):
                self.load_problem = self._problem_for(result)
            elif self.journal is not None and isinstance(result, HubUnreachable):
                self.alone = True
        else:
            self.token_ok = True
            self.branch, queue = result
            self.services, self.units = queue["services"], queue["units"]
            self.load_problem = None
            if not self.branch.get("open_now", True):
                self.load_problem = Problem("closed", "branch_closed", can_retry=False)
        self.changed()

    def hub_state(self, reachable: bool) -> None:
        """The lease keeper's word: the hub answers (and the journal is merged), or it does not (UI thread)."""
        if (not reachable and self.journal is not None) != self.alone:
            self.alone = not self.alone
            self.changed()

    def branch_day(self) -> str:
        return alone_ticket.branch_day(self.branch)

    def alone_text(self) -> str:
        """The line every screen shows while the kiosk works alone ("" otherwise)."""
        return alone_ticket.banner(self.lang) if self.alone else ""

    def refresh(self) -> None:
        """Blocking fetch + finish (tests, screenshot mode)."""
        try:
            result: Any = self.fetch()
        except (HubUnreachable, HubRefused) as exc:
            result = exc
        self.finish_fetch(result)

    def _closed_text(self) -> str:
        raw = (self.branch or {}).get("next_opening")
        when = dt.datetime.fromisoformat(raw) if raw else None
        return text.opening_text(when, dt.datetime.now(dt.UTC), self.lang)

    def _problem_for(self, exc: Exception) -> Problem:
        if isinstance(exc, HubUnreachable):
            return Problem("hub_down", "unreachable", can_retry=True)
        assert isinstance(exc, HubRefused)
        if exc.code == "branch_closed":
            return Problem("closed", exc.code, can_retry=False)
        return Problem("refused", exc.code, can_retry=False)

    def message(self, problem: Problem | None) -> str:
        """The problem in the visitor's language (rendered late, so the language toggle applies)."""
        _ = self._
        if problem is None:
            return ""
        if problem.code == NO_LEASE:
            return _("The ticket system is not answering and this kiosk has no numbers of this service left. "
                     "Please ask at the information desk.")
        if problem.kind == "hub_down":
            return _("The ticket system is not answering right now. Please try again in a moment.")
        if problem.kind == "closed":
            return self._closed_text()
        if problem.kind == "bad_token":
            return _("This kiosk's token is not accepted by the ticket system ({reason}). Please tell the "
                     "branch's IT staff: a new token is made with `navbat device add NAME --role kiosk`.").format(
                reason=problem.code)
        if problem.code == "service_unavailable":
            return _("No counter gives this service today. Please ask at the information desk.")
        if problem.code == "numbers_exhausted":
            return _("Every number of this service is in use right now. Please try again in a few minutes.")
        return _("The ticket could not be issued ({reason}). Please ask at the information desk.").format(
            reason=problem.code)

    # ---- navigation ----------------------------------------------------------------
    def touch(self) -> None:
        self.last_touch = self.clock()

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.touch()
        self.changed()

    def toggle_lang(self) -> None:
        self.set_lang("en" if self.lang == "fa" else "fa")

    def open_unit(self, code: str) -> None:
        if self.load_problem and self.load_problem.kind in ("closed", "bad_token"):
            return
        if not any(u["code"] == code for u in self.units):
            raise KeyError(code)
        self.unit, self.screen = code, UNIT
        self.touch()
        self.changed()

    def open_service(self, code: str) -> None:
        svc = self._service(code)
        if not svc["available"]:
            return  # greyed out: the row explains why
        self.service, self.priority, self.key, self.problem = code, None, None, None
        self.unit = svc["unit"]
        self.screen = SERVICE
        self.touch()
        self.changed()

    def choose_priority(self, code: str | None) -> None:
        if self.key is not None:
            return  # a request with the old choice may have reached the hub; keep the visit's ticket one ticket
        if code is not None and code not in {p["code"] for p in (self.branch or {}).get("priority_classes", [])}:
            raise KeyError(code)
        self.priority = code
        self.touch()
        self.changed()

    def back(self) -> None:
        """One screen back; leaving the service screen abandons its (unissued) visit."""
        if self.busy:
            return
        self.screen = {UNIT: HOME, SERVICE: UNIT, TICKET: HOME}.get(self.screen, HOME)
        if self.screen in (HOME, UNIT):
            self._end_visit()
        self.touch()
        self.changed()

    def home(self) -> None:
        if self.busy:
            return
        self.screen = HOME
        self.unit = None
        self._end_visit()
        self.changed()

    def _end_visit(self) -> None:
        self.service, self.priority, self.key, self.problem = None, None, None, None
        self.ticket, self.printed = None, None

    def time_left(self) -> float:
        """Seconds until the kiosk goes home by itself (idle, or the ticket was shown long enough)."""
        if self.screen == TICKET:
            # Without paper the visitor must copy the number down: give them longer.
            limit = self.ticket_seconds * (3 if self.printed is not None and not self.printed.printed else 1)
        else:
            limit = self.idle_seconds
        return max(0.0, limit - (self.clock() - self.last_touch))

    def tick(self) -> bool:
        """Called every second: back home after idling or after the ticket was shown. True if it went home."""
        if self.screen != HOME and not self.busy and self.time_left() <= 0:
            self.home()
            return True
        return False

    # ---- taking a ticket ---------------------------------------------------------
    def begin_ticket(self) -> tuple[str, str | None, str] | None:
        """The request to send, or None when one is already under way (a double tap)."""
        if self.busy or self.screen != SERVICE or self.service is None:
            return None
        if self.key is None:
            self.key = self.new_key()  # once per visit; every retry sends the same one
        self.busy, self.problem = True, None
        self.touch()
        self.changed()
        return self.service, self.priority, self.key

    def request_ticket(self, job: tuple[str, str | None, str]) -> dict[str, Any] | Exception:
        """POST /tickets (any thread); with a journal, the hub has `alone_after` to answer, then (and at
        once while the kiosk knows it is alone) the ticket comes from the kiosk's lease."""
        if self.journal is not None and self.alone:
            return self.issue_alone(job)
        try:
            if self.journal is None:
                return self.hub.issue_ticket(*job)
            return self.hub.issue_ticket(*job, timeout=self.alone_after)
        except HubUnreachable as exc:
            return exc if self.journal is None else self.issue_alone(job, unanswered=True)
        except HubRefused as exc:
            return exc

    def issue_alone(self, job: tuple[str, str | None, str], unanswered: bool = False) -> dict[str, Any] | Exception:
        """The visit's ticket from this kiosk's lease (kiosk/alone.py), durable before it is shown (any thread)."""
        assert self.journal is not None
        return alone_ticket.issue(self.journal, job, self.branch, list(self.services), unanswered)

    def finish_ticket(self, result: dict[str, Any] | Exception) -> dict[str, Any] | None:
        """Show the ticket (returns it, to be printed) or the problem."""
        self.busy = False
        self.touch()
        if isinstance(result, HubUnreachable) and str(result) == NO_LEASE:
            self.alone = True
            self.problem = Problem("hub_down", NO_LEASE, can_retry=True)
            self.changed()
            return None
        if isinstance(result, Exception):
            self.problem = self._problem_for(result)
            if not self.problem.can_retry:
                self.key = None  # the hub refused: nothing was issued under this key
            self.changed()
            return None
        if result.get("offline"):
            self.alone = True
        self.ticket, self.printed, self.screen = result, None, TICKET
        self.changed()
        return result

    def submit_print(self, ticket: dict[str, Any]) -> str | None:
        """Hand the ticket to the print queue at once (any thread; the worker that got the answer calls
        it, so paper does not wait for the screen). Returns the job id, or None without a printer."""
        if self.printer is None:
            return None
        try:
            return self.printer.submit(ticket, self.lang)
        except Exception:  # a ticket that cannot be laid out: reported by print_ticket
            return None

    def print_ticket(self, ticket: dict[str, Any]) -> PrintOutcome:
        """Print through the kiosk's printer and wait for the outcome (any thread; blocks up to the
        printer's wait). Submitting again is harmless: the queue keeps one job per ticket."""
        if self.printer is None:
            return PrintOutcome(False, "none", "this kiosk has no printer")
        try:
            return self.printer.print_ticket(ticket, self.lang)
        except Exception as exc:  # a bad slip must not take the kiosk down; the number is on screen
            return PrintOutcome(False, "error", f"{type(exc).__name__}: {exc}")

    def finish_print(self, ticket: dict[str, Any], outcome: PrintOutcome) -> None:
        if self.ticket is not None and self.ticket.get("id") == ticket.get("id") and (
                self.ticket.get("idempotency_key") == ticket.get("idempotency_key")):
            self.printed = outcome
            self.changed()

    def take_ticket(self) -> dict[str, Any] | None:
        """The whole press, blocking (tests, benchmarks): issue, then print."""
        job = self.begin_ticket()
        if job is None:
            return None
        ticket = self.finish_ticket(self.request_ticket(job))
        if ticket is not None:
            self.finish_print(ticket, self.print_ticket(ticket))
        return ticket

    # ---- what each screen shows ------------------------------------------------------
    def _service(self, code: str) -> dict[str, Any]:
        for s in self.services:
            if s["code"] == code:
                return s
        raise KeyError(code)

    def branch_name(self) -> str:
        return (self.branch or {}).get("name", {}).get(self.lang, "")

    def today(self) -> str:
        """Today's date in the branch's zone (Jalali, Persian digits in fa)."""
        from zoneinfo import ZoneInfo

        zone = ZoneInfo((self.branch or {}).get("timezone") or "Asia/Tehran")
        return format_date(dt.datetime.now(zone), self.lang)

    def home_cards(self) -> list[UnitCard]:
        """One card per unit, as the hub sums it up (waiting total, estimate, note)."""
        icons = {u["code"]: u.get("icon") for u in (self.branch or {}).get("units", [])}
        cards = [views.unit_card(u, icons.get(u["code"]), self.lang) for u in self.units]
        if self.alone:  # the counts are the hub's last, not now's: none is shown rather than a stale one
            cards = [dataclasses.replace(c, waiting="", estimate="") for c in cards]
        return cards

    def unit_title(self) -> str:
        unit = next((u for u in self.units if u["code"] == self.unit), None)
        return unit["name"][self.lang] if unit else ""

    def service_rows(self) -> list[ServiceRow]:
        rows = [views.service_row(s, self.lang) for s in self.services if s["unit"] == self.unit]
        if self.alone:
            rows = [dataclasses.replace(r, waiting="", estimate="") for r in rows]
        return rows

    def service_view(self) -> ServiceView:
        view = views.service_view(self._service(self.service or ""), (self.branch or {}).get("priority_classes", []),
                                  self.priority, self.lang)
        if self.alone:
            honest = self._("The estimate will be on the wall when the system is back.")
            view = dataclasses.replace(view, estimate=honest)
        return view

    def ticket_view(self) -> TicketView:
        return views.ticket_view(self.ticket or {}, None if self.printed is None else self.printed.printed, self.lang)

    def label(self, msgid: str) -> str:
        """A fixed label of the screens (buttons, headings), translated."""
        return self._(msgid)
