"""`navbat hub`: run the hub (uvicorn; see server.serve).

Secrets come from the environment (a root-only EnvironmentFile under systemd, which
`navbat service install hub` writes), never the command line, which `ps` shows to every user:
NAVBAT_HQ_TOKEN, and NAVBAT_SMS_USERNAME / NAVBAT_SMS_PASSWORD for the branch file's SMS gateway.
"""

from __future__ import annotations

import argparse
import os
import sys

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
    from navbat.server.floor.holder import HeldByHub
    from navbat.server.settings import Settings, SettingsError
    from navbat.server.web.serve import serve

    if args.hq_token:
        print("navbat hub: warning: --hq-token is visible to every user in `ps`; put it in NAVBAT_HQ_TOKEN "
              "(/etc/navbat/hub.env, which `navbat service install hub` writes)", file=sys.stderr)
    try:  # the flags map onto the one settings object; refused here, before anything starts, if it is bad
        settings = Settings.build(load_config(args.config), os.environ, hq_url=args.hq, hq_token=args.hq_token,
                                  db_path=args.db, host=args.host, port=args.port, threads=args.threads,
                                  ignore_hours=args.ignore_hours, sms_log=args.sms_log)
    except SettingsError as exc:
        print(f"navbat hub: {exc}", file=sys.stderr)
        return 2
    if settings.db_path.exists():
        hub_database(args.db)  # a file that is not a hub's is refused, never migrated into one
    try:
        serve(settings)
    except HeldByHub as exc:
        print(f"navbat hub: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the port is taken, the address is not this machine's, the db folder is read-only
        where = exc.filename or f"cannot listen on {args.host}:{args.port}"
        print(f"navbat hub: {where} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    return 0
