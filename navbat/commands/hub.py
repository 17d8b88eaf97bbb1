"""`navbat hub`: run the hub (uvicorn; see server.serve).

Secrets come from the environment (a root-only EnvironmentFile under systemd, which
`navbat service install hub` writes), never the command line, which `ps` shows to every user:
NAVBAT_HQ_TOKEN, and NAVBAT_SMS_USERNAME / NAVBAT_SMS_PASSWORD for the branch file's SMS gateway.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from navbat.commands._common import add_config, add_db, hub_database, port


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hub", help="run the branch hub (API, live events, staff pages)")
    add_config(p)
    add_db(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8080)
    p.add_argument("--threads", type=int, default=32, help="threads for requests (live event streams take none)")
    p.add_argument("--ignore-hours", action="store_true", help="issue tickets outside opening hours (demos, tests)")
    p.add_argument("--hq", default=None, metavar="URL", help="headquarters to ship this branch's events to")
    p.add_argument("--hq-token", default=None, help="this branch's HQ token (navbat hq branch add); better "
                   "$NAVBAT_HQ_TOKEN: an option is visible to every user in `ps`")
    p.add_argument("--sms-log", default=None, metavar="PATH",
                   help="write SMS as JSON lines to PATH instead of the branch file's gateway "
                        "(default without a gateway: var/sms.log)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.foundation.config import load_config
    from navbat.server.holder import HeldByHub
    from navbat.server.serve import serve

    branch = _sms_login(load_config(args.config))  # refused here, before anything starts, if it is bad
    if Path(args.db).exists():
        hub_database(args.db)  # a file that is not a hub's is refused, never migrated into one
    if args.hq_token:
        print("navbat hub: warning: --hq-token is visible to every user in `ps`; put it in NAVBAT_HQ_TOKEN "
              "(/etc/navbat/hub.env, which `navbat service install hub` writes)", file=sys.stderr)
    else:
        args.hq_token = os.environ.get("NAVBAT_HQ_TOKEN") or None
    if bool(args.hq) != bool(args.hq_token):
        print("navbat hub: --hq and the HQ token (NAVBAT_HQ_TOKEN, or --hq-token) go together", file=sys.stderr)
        return 2
    try:
        serve(branch, args.db, args.host, args.port, threads=args.threads, ignore_hours=args.ignore_hours,
              sms_log=args.sms_log, link=(args.hq, args.hq_token) if args.hq else None)
    except HeldByHub as exc:
        print(f"navbat hub: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the port is taken, the address is not this machine's, the db folder is read-only
        where = exc.filename or f"cannot listen on {args.host}:{args.port}"
        print(f"navbat hub: {where} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    return 0


def _sms_login(branch):  # noqa: ANN001, ANN202 - a Branch, from its own module
    """The SMS gateway's username and password from the environment, over the branch file's."""
    gateway = branch.sms.gateway if branch.sms else None
    login = {k: os.environ[f"NAVBAT_SMS_{k.upper()}"] for k in ("username", "password")
             if os.environ.get(f"NAVBAT_SMS_{k.upper()}")}
    if gateway is None or not login:
        return branch
    sms = branch.sms.model_copy(update={"gateway": gateway.model_copy(update=login)})
    return branch.model_copy(update={"sms": sms})
