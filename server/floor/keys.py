"""The Idempotency-Keys tickets keep, for the ones that must not carry what the client sent as it is.

A ticket's key goes into the log (ticket.issued) and to HQ, where phone numbers never go. A remote
turn's key is scoped to its phone, so that one phone's key never answers for another's: by a
digest of the two, not the number itself (before 0.3.1 it was "remote:<phone>:<key>"; m013 rewrote
those kept already, in the log and in the tickets folded from it).
"""

from __future__ import annotations

import hashlib
import re

OLD_REMOTE = re.compile(r"^remote:(0\d{10}):(.+)$", re.DOTALL)  # "remote:<phone>:<client's key>"


def remote_key(phone: str, client_key: str) -> str:
    """The key a remote turn joined by `phone` with `client_key` keeps (phone as verify.normal_phone gives it)."""
    return "remote:" + hashlib.sha256(f"{phone}\n{client_key}".encode()).hexdigest()[:32]


def without_phone(key: str) -> str:
    """An old remote turn's key as a new one would be; any other key as it is."""
    match = OLD_REMOTE.match(key)
    return remote_key(match[1], match[2]) if match else key
