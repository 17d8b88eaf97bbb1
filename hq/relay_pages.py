"""HQ hosts every branch's public pages (issue 18): /join/<branch> and /book/<branch> lead to
/b/<branch>/join and /b/<branch>/book, whose requests are relayed to the branch (hq/relay.py,
hq/relay_asgi.py on the event loop, server/hqlink/relay.py at the branch). Only the redirects are Flask's:
everything under /b/ waits for a branch, so no thread serves it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, request

bp = Blueprint("hq_relay", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/<any(join, book):page>/<branch>")
def entry(page: str, branch: str) -> Any:
    query = request.query_string.decode("latin-1")
    return redirect(f"/b/{branch}/{page}" + (f"?{query}" if query else ""), 302)
