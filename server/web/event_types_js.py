"""The event types' names for the browser, made from navbat.foundation.event_types (where they are
defined once): `python -m navbat.server.web.event_types_js > server/web/static/shared/event_types.js`.
A test fails when the file in static/ is not what this makes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from navbat.foundation.event_types import NAMES

FILE = Path(__file__).resolve().parent / "static" / "shared" / "event_types.js"


def javascript() -> str:
    body = "".join(f"  {name}: {json.dumps(value)},\n" for name, value in sorted(NAMES.items()))
    return ("// Made by `python -m navbat.server.web.event_types_js` from navbat/foundation/event_types.py:\n"
            "// do not edit.\n"
            "// The hub's event types by name (EVENT_TYPES.TICKET_CALLED is \"ticket.called\"); a classic script\n"
            "// or a module may load it: it sets one global.\n"
            f"globalThis.EVENT_TYPES = Object.freeze({{\n{body}}});\n")


if __name__ == "__main__":
    sys.stdout.write(javascript())
