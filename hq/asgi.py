"""HQ as an ASGI app for uvicorn's worker processes (`navbat hq --workers N`): each process makes its
own app and pool from $NAVBAT_HQ_DATABASE. The relay (the branches' polls and answers, the visitors'
/b/<branch>/ pages) lives on the event loop (hq/relay_asgi.py); every other request goes to Flask on
a2wsgi's threads."""

from __future__ import annotations

import os
from typing import Any

from a2wsgi import WSGIMiddleware
from navbat.hq.app import create_app
from navbat.hq.relay_asgi import RelayApp
from navbat.server.bodyfirst import BodyFirst
from navbat.server.connlimits import Limits, quiet_accept_errors

flask_app = create_app({"DATABASE": os.environ["NAVBAT_HQ_DATABASE"]})
_wsgi = WSGIMiddleware(flask_app, workers=16)
relay = RelayApp(flask_app)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and relay.handles(scope["path"]):
        return await relay(scope, receive, send)
    return await _wsgi(scope, receive, send)


# What uvicorn serves (`navbat hq`): the routes above, each request's body read whole on the loop
# first, under the limits `navbat hq` passed in the environment (server.bodyfirst, server.connlimits).
LIMITS = Limits.from_env()
quiet_accept_errors()
served = BodyFirst(app, LIMITS, flask_app.config["MAX_CONTENT_LENGTH"])
