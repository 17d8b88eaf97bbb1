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
    # send_bytes=1: live events leave as soon as they are written, not when a buffer fills.
    waitress_serve(app, host=host, port=port, threads=threads, send_bytes=1, channel_timeout=120,
                   connection_limit=400, ident="navbat")
