"""`navbat hub`: run the hub (uvicorn; see server.serve)."""

from __future__ import annotations

import argparse
import sys

from navbat.commands._common import add_config, add_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hub", help="run the branch hub (API, live events, staff pages)")
    add_config(p)
    add_db(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--threads", type=int, default=32, help="threads for requests (live event streams take none)")
    p.add_argument("--ignore-hours", action="store_true", help="issue tickets outside opening hours (demos, tests)")
    p.add_argument("--hq", default=None, metavar="URL", help="headquarters to ship this branch's events to")
    p.add_argument("--hq-token", default=None, help="this branch's HQ token (navbat hq branch add)")
    p.add_argument("--sms-log", default=None, metavar="PATH",
                   help="write SMS as JSON lines to PATH instead of the branch file's gateway "
                        "(default without a gateway: var/sms.log)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from navbat.foundation.config import load_config
    from navbat.server.holder import HeldByHub
    from navbat.server.serve import serve

    branch = load_config(args.config)  # refused here, before anything starts, if it is bad
    if bool(args.hq) != bool(args.hq_token):
        print("navbat hub: --hq and --hq-token go together", file=sys.stderr)
        return 2
    if args.hq:
        from navbat.server.db import Store
        from navbat.server.shipping import Shipper

        Store(args.db).close()  # migrated before the shipper reads it
        Shipper(args.db, branch, args.hq, args.hq_token).start()
    try:
        serve(branch, args.db, args.host, args.port, threads=args.threads, ignore_hours=args.ignore_hours,
              sms_log=args.sms_log, relay_to=(args.hq, args.hq_token) if args.hq else None)
    except HeldByHub as exc:
        print(f"navbat hub: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the port is taken, the address is not this machine's, the db folder is read-only
        where = exc.filename or f"cannot listen on {args.host}:{args.port}"
        print(f"navbat hub: {where} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    return 0
