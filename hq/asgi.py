"""HQ as an ASGI app for uvicorn's worker processes (`navbat hq --workers N`): each process makes its
own app and pool from $NAVBAT_HQ_DATABASE."""

from __future__ import annotations

import os

from a2wsgi import WSGIMiddleware
from navbat.hq.app import create_app

app = WSGIMiddleware(create_app({"DATABASE": os.environ["NAVBAT_HQ_DATABASE"]}), workers=16)
