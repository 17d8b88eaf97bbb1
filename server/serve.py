"""Runs the hub on waitress, the production WSGI server."""

from __future__ import annotations

import logging

from waitress import serve as waitress_serve

from navbat.config import Branch
from server.app import create_app


def serve(branch: Branch, db_path: str, host: str, port: int, threads: int = 64, ignore_hours: bool = False) -> None:
    app = create_app({"BRANCH": branch, "DB_PATH": db_path, "IGNORE_HOURS": ignore_hours})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(f"navbat hub on http://{host}:{port} ({branch.branch.id}, db {db_path})", flush=True)
    # waitress sends each chunk as soon as it is written (send_bytes defaults to 1), so live
    # events are not held back in a buffer.
    waitress_serve(app, host=host, port=port, threads=threads, channel_timeout=120,
                   connection_limit=400, ident="navbat")
