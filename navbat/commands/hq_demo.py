"""`navbat hq-demo` (make hq-demo): a national dashboard in one command.

A PostgreSQL cluster under var/hq-demo/pg (Debian's binaries), `navbat hq` on :8090 (or a free
port if that one is taken), and three branch hubs in three provinces on free ports, each with its
own branch file (its id, name, number and province; var/hq-demo/<id>.yaml) shipping to HQ; a driver
per hub plays visitors (arrivals drawn from the queueing engine's busy-day profile of the branch
file, sped up) and clerks (calling the next visitor and finishing after a drawn service time) over
the hubs' own API. HQ tokens reach the hubs through their environment, never their command line.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from navbat.commands._common import Refused, port

# id, province (HQ's), region, branch type, branch number, city and province in English
DEMO = (("tehran-01", "تهران", "مرکزی", "1", 1, "تهران", "Tehran", "Tehran"),
        ("isfahan-01", "اصفهان", "اصفهان", "2", 2, "اصفهان", "Isfahan", "Isfahan"),
        ("shiraz-01", "فارس", "شیراز", "3", 3, "شیراز", "Shiraz", "Fars"))
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
SPEED = 30  # simulated seconds per real second


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hq-demo", help="PostgreSQL, HQ and three demo branches fed by the simulator")
    p.add_argument("--folder", default="var/hq-demo")
    p.add_argument("--port", type=port, default=8090, help="HQ's port (default 8090; a free one if it is taken)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import psycopg
    from psycopg.rows import dict_row

    from navbat.hq.accounts import add_branch, add_user
    from navbat.hq.pgcluster import Cluster
    from navbat.hq.store import migrate

    if Path(args.folder).exists() and not Path(args.folder).is_dir():
        raise Refused(f"--folder {args.folder} is a file, not a folder")
    folder = Path(args.folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    configs = {bid: _branch_file(folder, bid, number, city, en_city, en_province, province)
               for bid, province, _, _, number, city, en_city, en_province in DEMO}
    hq_port = args.port if args.port and _free(args.port) else free_port()
    ports = {bid: free_port() for bid, *_ in DEMO}
    cluster = Cluster(folder / "pg")
    cluster.start()
    url = cluster.url("navbat_hq")
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname='navbat_hq'").fetchone():
            conn.execute("CREATE DATABASE navbat_hq")
    migrate(url)
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        tokens = {bid: add_branch(conn, bid, province, region, type_) for bid, province, region, type_, *_ in DEMO}
        add_user(conn, "boss", "national", "9999")
        add_user(conn, "fars", "province", "1234", "فارس")
    hq_url = f"http://127.0.0.1:{hq_port}"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # make's Ctrl-C, a service manager: stop them all
    # -P: `make hq-demo` runs in the repository, whose navbat/ folder must not shadow the installed package
    children = [subprocess.Popen([sys.executable, "-P", "-m", "navbat", "hq", "--database", url, "--port",
                                  str(hq_port)])]
    try:
        for bid, *_ in DEMO:
            db, port = folder / f"{bid}.sqlite", ports[bid]
            kiosk = _prepare(db)
            children.append(subprocess.Popen(
                [sys.executable, "-P", "-m", "navbat", "hub", "--config", str(configs[bid]), "--db", str(db), "--port",
                 str(port), "--ignore-hours", "--hq", hq_url, "--sms-log", str(folder / f"{bid}-sms.log")],
                env={**os.environ, "NAVBAT_HQ_TOKEN": tokens[bid]}, stdout=subprocess.DEVNULL))
            threading.Thread(target=_drive, args=(f"http://127.0.0.1:{port}", kiosk, hash(bid), configs[bid]),
                             daemon=True).start()
        print(f"Navbat HQ demo: dashboard {hq_url}/hq  (national boss/9999, province فارس fars/1234)")
        print("  branches: " + ", ".join(f"{bid} http://127.0.0.1:{ports[bid]}/head" for bid, *_ in DEMO)
              + "  (head/1404)")
        print(f"  turns through HQ (issue 18): {hq_url}/join/{DEMO[0][0]}, bookings {hq_url}/book/{DEMO[0][0]}")
        children[0].wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(10)
        cluster.stop()
    return 0


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def branch_text(bid: str, number: int, city: str, en_city: str, en_province: str, province: str) -> str:
    """The demo branch file as this branch's own: its id, name, number and province."""
    import yaml

    from navbat.foundation.config import DEFAULT_CONFIG

    raw = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    raw["branch"].update(
        id=bid, province={"fa": province, "en": en_province},
        name={"fa": f"شعبه {str(number).translate(FA_DIGITS)} تأمین اجتماعی {city}",
              "en": f"Social Security Branch {number}, {en_city}"})
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def _branch_file(folder: Path, bid: str, *names: object) -> Path:
    path = folder / f"{bid}.yaml"
    path.write_text(branch_text(bid, *names), encoding="utf-8")
    return path


def _prepare(db: Path) -> str:
    """The demo hub's users (head, clerks) and a kiosk; returns the kiosk's token."""
    from navbat.commands.demo import DEMO_USERS, DISPLAY_NAMES
    from navbat.server.floor.db import open_db
    from navbat.server.web.auth import add_device, add_user

    hub_db = open_db(db)
    for name, role, pin in DEMO_USERS:
        add_user(hub_db, name, role, pin, DISPLAY_NAMES[name])
    token = add_device(hub_db, "kiosk-1", "kiosk")
    hub_db.conn.close()
    return token


def _drive(url: str, kiosk: str, seed: int, config: Path) -> None:
    """Visitors and four clerks on one hub, through its API, at SPEED times real time."""
    import requests

    from navbat.foundation.config import load_config
    from navbat.queueing.branch import rules_from_branch
    from navbat.queueing.profiles import busy_day

    rng = random.Random(seed)
    branch = load_config(config)
    profile = busy_day(branch, rules_from_branch(branch))
    codes, weights = list(profile.service_mix), list(profile.service_mix.values())
    http = requests.Session()
    for _ in range(100):  # the hub is starting
        try:
            http.get(f"{url}/api/v1/health", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.3)
    clerks = {}
    for n in range(1, 5):
        token = http.post(f"{url}/api/v1/login", json={"username": f"clerk{n}", "pin": f"{n}" * 4,
                                                       "counter": n}).json()["token"]
        clerks[n] = {"Authorization": f"Bearer {token}"}
        http.post(f"{url}/api/v1/counters/{n}/open", headers=clerks[n])
    busy: dict[int, float] = {}
    rate = profile.visitors_per_hour * 0.8 / 3600 * SPEED  # arrivals per real second
    while True:
        time.sleep(1)
        try:
            if rng.random() < rate:
                http.post(f"{url}/api/v1/tickets", json={"service": rng.choices(codes, weights)[0]},
                          headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": f"demo-{rng.random()}"})
            for n, auth in clerks.items():
                if n in busy and time.monotonic() >= busy[n]:
                    http.post(f"{url}/api/v1/counters/{n}/done", json={"outcome": "served"}, headers=auth)
                    del busy[n]
                if n not in busy and http.post(f"{url}/api/v1/counters/{n}/next", headers=auth).status_code == 200:
                    busy[n] = time.monotonic() + rng.expovariate(1 / (60 * 12)) / SPEED
        except requests.RequestException:
            time.sleep(2)  # the hub is restarting or gone
