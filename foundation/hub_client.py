"""The hub's API v1 as kiosks, displays and LED boards use it: plain requests with short timeouts.

Errors come back as two exceptions: HubUnreachable (no answer: network, timeout,
hub restarting) and HubRefused (the hub answered with an error JSON). The kiosk
shows the first as "try again" and the second with its reason.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

CONNECT_TIMEOUT = 2.0  # seconds; the hub is on the branch LAN
READ_TIMEOUT = 5.0


class HubError(Exception):
    """The hub could not give an answer (either kind below)."""


class HubUnreachable(HubError):
    """No answer from the hub (down, network cut, timed out)."""


class HubRefused(HubError):
    """The hub answered with an error: `code` is its machine-readable error (e.g. branch_closed)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class HubClient:
    """One kiosk's connection to the hub (keeps a pooled HTTP session)."""

    def __init__(self, url: str, token: str | None = None, timeout: tuple[float, float] | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout or (CONNECT_TIMEOUT, READ_TIMEOUT)
        self.session = requests.Session()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            r = self.session.request(method, f"{self.url}/api/v1{path}", headers=headers,
                                     timeout=kwargs.pop("timeout", None) or self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise HubUnreachable(f"{self.url}: {exc.__class__.__name__}") from None
        if r.status_code >= 400:
            try:
                body = r.json()
                code, message = str(body.get("error", "error")), str(body.get("message", ""))
            except ValueError:
                if r.status_code >= 500:  # a proxy's or a restarting server's HTML page
                    raise HubUnreachable(f"{self.url}: HTTP {r.status_code}") from None
                code, message = "error", r.text[:200]
            raise HubRefused(r.status_code, code, message)
        return r.json() if r.content else None

    def branch(self) -> dict[str, Any]:
        """Names, units, priority classes, open_now and next_opening."""
        return self._request("GET", "/branch")

    def services(self) -> list[dict[str, Any]]:
        """Every sub-service with its catalogue entry and live summary (waiting, estimate, note)."""
        return self._request("GET", "/services")["services"]

    def queue(self) -> dict[str, Any]:
        """GET /services whole: {"services": [...], "units": [...]}, the shape of an event's "queue"."""
        return self._request("GET", "/services")

    def counters(self) -> list[dict[str, Any]]:
        """Every counter: state, the sub-services it serves, the ticket at it."""
        return self._request("GET", "/counters")["counters"]

    def counter(self, number: int) -> dict[str, Any]:
        return self._request("GET", f"/counters/{number}")

    def calls(self, limit: int = 8) -> list[dict[str, Any]]:
        """GET /calls: the day's latest call of each ticket, newest first (a restarted wall shows them again)."""
        return self._request("GET", "/calls", params={"limit": limit})["calls"]

    def me(self) -> dict[str, Any]:
        """GET /me with the device's token: {name, role}; HubRefused 401 if the hub does not know the token."""
        return self._request("GET", "/me")

    def health(self) -> dict[str, Any]:
        """GET /health: whether the hub answers at all (a display's watch on it)."""
        return self._request("GET", "/health")

    def issue_ticket(self, service: str, priority: str | None, idempotency_key: str,
                     timeout: tuple[float, float] | None = None) -> dict[str, Any]:
        """POST /tickets; the same key always returns the same ticket, so retries are safe. `timeout`
        (connect, read) bounds this one request (a kiosk with a lease gives up sooner and issues alone)."""
        return self._request("POST", "/tickets", json={"service": service, "priority": priority},
                             headers={"Idempotency-Key": idempotency_key}, timeout=timeout)

    def ticket(self, tracking_code: str) -> dict[str, Any]:
        """GET /tickets/<code>: the ticket as its holder sees it, with what its slip prints (reprints)."""
        return self._request("GET", f"/tickets/{tracking_code}")

    def check_in(self, tracking_code: str) -> dict[str, Any]:
        """POST /tickets/<code>/check-in: a remote turn's visitor is at the branch (issue 18); 404 not_remote."""
        return self._request("POST", f"/tickets/{quote(tracking_code, safe='')}/check-in")

    def check_in_appointment(self, code: str) -> dict[str, Any]:
        """POST /appointments/<code>/check-in (issue 18 B): 201 or 200 with the ticket, 404 unknown."""
        return self._request("POST", f"/appointments/{quote(code, safe='')}/check-in")

    def lease(self, service: str) -> dict[str, Any]:
        """POST /leases: a block of numbers of `service` set aside for this kiosk (docs/leases.md)."""
        return self._request("POST", "/leases", json={"service": service})

    def return_lease(self, lease: int | str) -> dict[str, Any]:
        """POST /leases/<id>/return once the lease's journal is merged: its unused numbers go back."""
        return self._request("POST", f"/leases/{quote(str(lease), safe='')}/return")

    def offline_tickets(self, sent_at: str, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST /offline-tickets: tickets issued while the hub did not answer, in issue order (at most 500);
        one result per ticket (merged | already | refused)."""
        return self._request("POST", "/offline-tickets", json={"sent_at": sent_at, "tickets": tickets})["results"]

    def report_printer(self, printer: str, status: str, detail: str = "") -> None:
        """Tell the hub (and so the branch head) how the kiosk's printer is."""
        self._request("POST", "/devices/status", json={"printer": printer, "status": status, "detail": detail})

    def close(self) -> None:
        self.session.close()
