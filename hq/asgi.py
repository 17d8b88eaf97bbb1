"""HQ as an ASGI app for uvicorn's worker processes (`navbat hq --workers N`): each process makes its
own app and pool from $NAVBAT_HQ_DATABASE. The relay (the branches' polls and answers, the visitors'
/b/<branch>/ pages) lives on the event loop (hq/relay_asgi.py); every other request goes to Flask on
the `requests` worker's threads.

Each process's background parts are the app's workers (hq/app.py, foundation/workers.py) and the
relay's coroutines: started at uvicorn's lifespan start-up, stopped at its shutdown (SIGTERM) within
STOP_WITHIN_S, after which the process says on stdout what it stopped and which threads are left."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from a2wsgi import WSGIMiddleware
from navbat.foundation.workers import STOP_WITHIN_S, ThreadPool
from navbat.hq.app import GRACEFUL_S, WORKERS, create_app
from navbat.hq.relay_asgi import RelayApp
from navbat.server.web.bodyfirst import BodyFirst
from navbat.server.web.connlimits import Limits, quiet_accept_errors

flask_app = create_app({"DATABASE": os.environ["NAVBAT_HQ_DATABASE"]})
workers = flask_app.extensions[WORKERS]
_wsgi = WSGIMiddleware(flask_app, workers=16)
_wsgi.executor.shutdown(wait=False)  # a2wsgi's own pool, before any thread of it: ours instead, stopped with the rest
_wsgi.executor = workers.add(ThreadPool("requests", 16)).executor
relay = RelayApp(flask_app)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] == "http" and relay.handles(scope["path"]):
        return await relay(scope, receive, send)
    return await _wsgi(scope, receive, send)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await relay.hub.start()  # its listener and sweeper, on this process's loop
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            started = time.monotonic()
            await relay.hub.close()
            late = workers.stop(STOP_WITHIN_S - GRACEFUL_S - (time.monotonic() - started))
            left = sorted(t.name for t in threading.enumerate() if t is not threading.current_thread())
            print(f"navbat hq worker {os.getpid()} stopped: {len(list(workers))} workers in "
                  f"{time.monotonic() - started:.1f} s{'; still running: ' + ', '.join(late) if late else ''}; "
                  f"threads left: {', '.join(left) or 'none'}", flush=True)
            await send({"type": "lifespan.shutdown.complete"})
            return


# What uvicorn serves (`navbat hq`): the routes above, each request's body read whole on the loop
# first, under the limits `navbat hq` passed in the environment (server.bodyfirst, server.connlimits).
LIMITS = Limits.from_env()
quiet_accept_errors()
served = BodyFirst(app, LIMITS, flask_app.config["MAX_CONTENT_LENGTH"])
