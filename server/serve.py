"""Runs the hub on waitress, the production WSGI server."""

from __future__ import annotations

import logging

from waitress.server import create_server

from foundation.config import Branch
from server.app import create_app
from server.db import checkpoint_in_background
from server.hub import EXTENSION


def serve(branch: Branch, db_path: str, host: str, port: int, threads: int = 100, ignore_hours: bool = False) -> None:
    app = create_app({"BRANCH": branch, "DB_PATH": db_path, "IGNORE_HOURS": ignore_hours})
    checkpoint_in_background(app.extensions[EXTENSION].store)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # waitress sends each chunk as soon as it is written (send_bytes defaults to 1), so live
    # events are not held back in a buffer. Bound first (OSError if the port is taken), announced after.
    server = create_server(app, host=host, port=port, threads=threads, channel_timeout=120,
                           connection_limit=400, ident="navbat")
    bound = getattr(server, "effective_port", port)  # a host with several addresses gets a multi-socket server
    print(f"navbat hub on http://{host}:{bound} ({branch.branch.id}, db {db_path})", flush=True)
    server.run()
