"""`navbat hq`: the headquarters service; `navbat hq branch add`, `navbat hq user add`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from navbat.commands._common import Refused, port

DB_HELP = "postgresql://USER@HOST/DB or postgresql://USER@/DB?host=SOCKETDIR (default $NAVBAT_HQ_DATABASE)"


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=os.environ.get("NAVBAT_HQ_DATABASE"), help=DB_HELP)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hq", help="run headquarters (all branches' figures, on PostgreSQL)")
    _add_db(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8090)
    p.add_argument("--workers", type=int, default=1,
                   help="processes serving requests (one per core); the relay passes through PostgreSQL, "
                        "so any worker serves a branch's visitors (hq/relay.py)")
    p.set_defaults(run=run)
    what = p.add_subparsers(dest="what", metavar="{branch,user}")
    b = what.add_parser("branch", help="branches").add_subparsers(dest="action", required=True)
    add = b.add_parser("add", help="register a branch; prints only its HQ token")
    add.add_argument("branch_id")
    add.add_argument("--province", required=True)
    add.add_argument("--region", required=True)
    add.add_argument("--type", required=True, help="premium, 1..5 or medical (D1)")
    _add_db(add)
    add.set_defaults(run=run_branch_add)
    rotate = b.add_parser("rotate", help="give a branch a new HQ token (the old one stops working); prints it")
    rotate.add_argument("branch_id")
    _add_db(rotate)
    rotate.set_defaults(run=run_branch_rotate)
    u = what.add_parser("user", help="HQ users").add_subparsers(dest="action", required=True)
    add = u.add_parser("add", help="add (or change) an HQ user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("national", "province"))
    add.add_argument("--province")
    add.add_argument("--pin", required=True)
    _add_db(add)
    add.set_defaults(run=run_user_add)


def _database(args: argparse.Namespace) -> str:
    if not args.database:
        print("navbat hq: --database postgresql://... is needed", file=sys.stderr)
        raise SystemExit(2)
    return args.database


def _connect(args: argparse.Namespace):  # noqa: ANN202 - a psycopg connection
    import psycopg
    from psycopg.rows import dict_row

    from navbat.hq.store import migrate

    url = _database(args)
    try:
        migrate(url)
        return psycopg.connect(url, row_factory=dict_row, autocommit=True)
    except psycopg.OperationalError as exc:
        raise _unreachable(exc) from None


def _unreachable(exc: Exception) -> Refused:
    """The database's own first line (host, port, what failed), never the URL: it may hold a password."""
    return Refused(f"cannot use --database: {str(exc).strip().splitlines()[0]}")


def run_branch_add(args: argparse.Namespace) -> int:
    from navbat.hq.accounts import add_branch

    with _connect(args) as conn:
        try:
            print(add_branch(conn, args.branch_id, args.province, args.region, args.type))
        except ValueError as exc:
            print(f"navbat hq branch add: {exc}", file=sys.stderr)
            return 2
    return 0


def run_branch_rotate(args: argparse.Namespace) -> int:
    from navbat.hq.accounts import rotate_branch_token
    from navbat.hq.relay import token_rotated

    with _connect(args) as conn:
        try:
            token = rotate_branch_token(conn, args.branch_id)
        except ValueError as exc:
            print(f"navbat hq branch rotate: {exc}", file=sys.stderr)
            return 2
        token_rotated(conn, args.branch_id)  # HQ's workers drop the old token and end its polls now
    print(token)
    return 0


def run_user_add(args: argparse.Namespace) -> int:
    from navbat.hq.accounts import add_user

    with _connect(args) as conn:
        try:
            add_user(conn, args.username, args.role, args.pin, args.province)
        except ValueError as exc:
            print(f"navbat hq user add: {exc}", file=sys.stderr)
            return 2
    print(f"{args.username}: {args.role}" + (f" ({args.province})" if args.province else ""))
    return 0


METRICS_PREFIX = "navbat-hq-metrics-"


def _metrics_dir() -> Path:
    """A fresh folder for this run's worker counts; folders of runs that are gone are removed first
    (a run killed with -9 never reaches its `finally`)."""
    import shutil
    import tempfile

    for old in Path(tempfile.gettempdir()).glob(f"{METRICS_PREFIX}*"):
        pid = old.name.removeprefix(METRICS_PREFIX)
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.gettempdir()) / f"{METRICS_PREFIX}{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # a dead run's with our pid: wiped, as multiprocess mode needs
    folder.mkdir(mode=0o700)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


BACKLOG = 2048
KEEP_ALIVE_S = 5  # uvicorn's default, as before: a dashboard between its requests
CONNECTIONS = 8000  # per worker: every branch's relay poll, the dashboards, the relayed visitors


def _limited():  # noqa: ANN202 - (protocol factory, Limits, descriptor limit)
    """HQ's connections under the hub's limits (server.connlimits): heads and bodies on a clock, idle
    ones closed, a cap per address; the limits from NAVBAT_* in the environment, handed to the workers
    the same way; the descriptor limit raised for them all (inherited by the workers)."""
    import functools
    from collections import Counter

    from navbat.server.web.connlimits import LimitedProtocol, Limits, quiet_accept_errors, raise_file_limit

    limits = Limits.from_env(keep_alive_s=KEEP_ALIVE_S, connections=CONNECTIONS)
    os.environ.update(limits.env())  # hq/asgi.py reads them in each worker (the body's bounds)
    quiet_accept_errors()
    files = raise_file_limit(limits.connections)
    return functools.partial(LimitedProtocol, limits=limits, addresses=Counter()), limits, files


def run(args: argparse.Namespace) -> int:
    import shutil

    os.environ["NAVBAT_HQ_DATABASE"] = _database(args)
    # /metrics adds up every worker's counts from files here (prometheus_client's multiprocess mode),
    # set before prometheus_client is imported here or in a worker.
    metrics_dir = _metrics_dir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    import psycopg
    import uvicorn

    from navbat.hq.app import GRACEFUL_S
    from navbat.hq.store import migrate

    try:
        try:
            migrate(args.database)  # once, before the workers start
        except psycopg.OperationalError as exc:
            raise _unreachable(exc) from None
        protocol, limits, files = _limited()
        # uvicorn raises the stop signal again once it has shut down: a stop asked for ends with exit 0
        signal.signal(signal.SIGTERM, lambda *_: None)
        print(f"navbat hq on http://{args.host}:{args.port} ({files} file descriptors, {limits.connections} "
              f"connections, {limits.per_address} an address, per worker)", flush=True)
        # loop="asyncio" as the hub's: uvicorn's "auto" takes uvloop where it is installed, and the limits
        # (the accept batch, failed accepts logged once a minute: server.web.connlimits) are asyncio's
        uvicorn.run("navbat.hq.asgi:served", host=args.host, port=args.port, workers=args.workers,
                    log_level="warning", http=protocol, loop="asyncio",
                    limit_concurrency=None,  # the protocol caps at the accept
                    timeout_keep_alive=limits.keep_alive_s, backlog=BACKLOG, timeout_graceful_shutdown=GRACEFUL_S)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
