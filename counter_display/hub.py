"""What the displays read from the hub's API v1 (no token needed: it is public data)."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT = (2.0, 5.0)  # connect, read: the hub is on the branch LAN


class HubError(Exception):
    """The hub did not answer, or answered with an error."""


class DisplayHub:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()

    def _get(self, path: str) -> Any:
        try:
            r = self.session.get(f"{self.url}/api/v1{path}", timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise HubError(f"{self.url}: {exc.__class__.__name__}") from None
        if r.status_code != 200:
            raise HubError(f"{path}: HTTP {r.status_code} {r.text[:120]}")
        return r.json()

    def branch(self) -> dict[str, Any]:
        return self._get("/branch")

    def services(self) -> list[dict[str, Any]]:
        return self._get("/services")["services"]

    def counters(self) -> list[dict[str, Any]]:
        return self._get("/counters")["counters"]

    def counter(self, number: int) -> dict[str, Any]:
        return self._get(f"/counters/{number}")
