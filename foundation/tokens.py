"""Random tokens for devices, sessions and branches' HQ links.

URL-safe base64 can begin with "-", and such a token pasted after `--token` on a command line
(`navbat kiosk --token …`, `navbat hub --hq-token …`, a systemd unit) is read as an option. Drawing
again costs nothing and keeps the token as strong (one character of 64 is never first).
"""

from __future__ import annotations

import secrets


def new_token(nbytes: int = 24) -> str:
    while True:
        token = secrets.token_urlsafe(nbytes)
        if not token.startswith("-"):
            return token
