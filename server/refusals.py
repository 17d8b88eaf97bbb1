"""What the hub refuses, and why: domain errors with a stable code and a readable message.

The floor, logins, ratings and the head's tools raise these; they know nothing of HTTP.
`server.errors` is the one place that turns each kind into a status code.
"""

from __future__ import annotations

import math


class Refused(Exception):
    """A request the hub will not carry out; `code` is stable (clients branch on it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Invalid(Refused):
    """The request itself is malformed or names something impossible."""


class NotFound(Refused):
    """It names a ticket, counter or sub-service that does not exist."""


class Conflict(Refused):
    """Valid, but not now: the floor's state does not allow it."""


class Unauthorized(Refused):
    """Nobody we know: no login, or a wrong PIN or token."""


class Forbidden(Refused):
    """Someone we know, who may not do this."""


class TooMany(Refused):
    """A rate or budget is used up (HTTP 429 with Retry-After): SMS codes, bookings from one
    address, a kiosk token's tickets. `retry_after` is whole seconds, at least 1."""

    def __init__(self, code: str, message: str, retry_after: float) -> None:
        super().__init__(code, message)
        self.retry_after = max(1, math.ceil(retry_after))
