"""Runs the hub on waitress, the production WSGI server."""

from __future__ import annotations

import logging

from flask import Flask
from waitress.server import create_server

from foundation.config import Branch
from server.app import create_app
from server.db import checkpoint_in_background
from server.hub import EXTENSION

# waitress' own limits, above the hub's (server.guards: 32 KB of headers, 64 KB of body), so a
# request between the two still gets the hub's JSON 431 or 413. Past these, waitress answers by
# itself (plain text: "431 Request Header Fields Too Large", or 413 on the Content-Length alone,
# before reading the body) and closes the connection; a client still sending then sees a reset,
# unless it reads the answer despite the failed send, as requests does. They also bound what
# one connection may make waitress buffer: 400 of them hold at most 400 x 320 KB.
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 256 * 1024


def hub_server(app: Flask, host: str, port: int, threads: int = 100):  # noqa: ANN201 - waitress' server
    app.config["THREADS"] = threads  # live event streams may take all but server.streams.RESERVE of them
    return create_server(app, host=host, port=port, threads=threads, channel_timeout=120, connection_limit=400,
                         ident="navbat", max_request_header_size=MAX_HEADER_BYTES,
                         max_request_body_size=MAX_BODY_BYTES)


def serve(branch: Branch, db_path: str, host: str, port: int, threads: int = 100, ignore_hours: bool = False) -> None:
    app = create_app({"BRANCH": branch, "DB_PATH": db_path, "IGNORE_HOURS": ignore_hours})
    checkpoint_in_background(app.extensions[EXTENSION].store)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # waitress sends each chunk as soon as it is written (send_bytes defaults to 1), so live
    # events are not held back in a buffer. Bound first (OSError if the port is taken), announced after.
    server = hub_server(app, host, port, threads)
    bound = getattr(server, "effective_port", port)  # a host with several addresses gets a multi-socket server
    print(f"navbat hub on http://{host}:{bound} ({branch.branch.id}, db {db_path})", flush=True)
    server.run()
