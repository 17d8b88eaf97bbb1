"""The CLI contract of issue 3: `navbat user add`, `navbat device add` (the token and nothing
else on stdout), and a bad branch file refused at start with its YAML path and exit code 2."""

from __future__ import annotations

import copy
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from navbat.foundation.config import DEFAULT_CONFIG
from navbat.server.floor.db import open_db
from navbat.server.web.app import create_app
from werkzeug.security import check_password_hash


def navbat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "navbat", *args], capture_output=True, text=True, timeout=60)


def test_user_add_stores_a_hashed_pin(tmp_path: Path, branch) -> None:  # noqa: ANN001
    db_path = tmp_path / "hub.sqlite"
    r = navbat("user", "add", "zahra", "--role", "clerk", "--pin", "2580", "--db", str(db_path))
    assert (r.returncode, r.stdout.strip()) == (0, "user zahra (clerk) saved")
    assert r.stderr == f"navbat user add: there was no database at {db_path}; made a new one there\n"
    row = open_db(db_path).execute("SELECT role, pin_hash FROM users WHERE username='zahra'").fetchone()
    assert row[0] == "clerk" and "2580" not in row[1] and check_password_hash(row[1], "2580")

    bad = navbat("user", "add", "zahra", "--role", "clerk", "--pin", "25a0", "--db", str(db_path))
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == "navbat user add: the PIN must be 4 to 12 digits"
    role = navbat("user", "add", "zahra", "--role", "boss", "--pin", "2580", "--db", str(db_path))
    assert role.returncode == 2 and "invalid choice: 'boss'" in role.stderr

    # The stored PIN logs in at the hub.
    client = create_app({"BRANCH": branch, "DB_PATH": str(db_path), "IGNORE_HOURS": True}).test_client()
    ok = client.post("/api/v1/login", json={"username": "zahra", "pin": "2580", "counter": 2})
    assert ok.status_code == 200 and ok.json["token"]
    assert client.post("/api/v1/login", json={"username": "zahra", "pin": "0000", "counter": 2}).status_code == 401


def test_device_add_prints_only_the_token(tmp_path: Path, branch) -> None:  # noqa: ANN001
    db_path = tmp_path / "hub.sqlite"
    r = navbat("device", "add", "kiosk-2", "--role", "kiosk", "--db", str(db_path))
    assert r.returncode == 0
    assert r.stderr == f"navbat device add: there was no database at {db_path}; made a new one there\n"
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\n", r.stdout)  # one line: a script can do TOKEN=$(navbat device add ...)
    token = r.stdout.strip()
    stored = open_db(db_path).execute("SELECT role, token_hash FROM devices WHERE name='kiosk-2'").fetchone()
    assert stored[0] == "kiosk" and token not in stored[1]

    client = create_app({"BRANCH": branch, "DB_PATH": str(db_path), "IGNORE_HOURS": True}).test_client()
    issue = client.post("/api/v1/tickets", json={"service": "PR1"},
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "cli-1"})
    assert issue.status_code == 201

    # Re-keying a device (a stolen kiosk) kills the old token.
    rekey = navbat("device", "add", "kiosk-2", "--role", "kiosk", "--db", str(db_path))
    assert rekey.returncode == 0 and rekey.stdout.strip() != token
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {rekey.stdout.strip()}"}).json
    assert me == {"name": "kiosk-2", "display_name": None, "role": "kiosk", "counter": None}
    assert navbat("device", "add", "x", "--role", "printer", "--db", str(db_path)).returncode == 2


def _broken(raw: dict, where: str) -> dict:
    raw = copy.deepcopy(raw)
    if where == "counter-service":
        raw["counters"][3]["services"][1] = "P9"
    elif where == "counter-skill":
        raw["counters"][0]["services"][4] = {"code": "ZZ1", "weight": 0.5}
    elif where == "numbering":
        raw["units"][1]["services"][0]["numbering"] = {"prefix": "A", "start": 1, "end": 9}
    elif where == "hours":
        raw["branch"]["opening_hours"]["sat"] = "14:30-07:30"
    elif where == "weight":
        raw["priority_classes"][0]["weight"] = 0
    return raw


@pytest.mark.parametrize("where,line", [
    ("counter-service", 'counters[3].services[1]: unknown service "P9"'),
    ("counter-skill", 'counters[0].services[4]: unknown service "ZZ1"'),
    ("numbering", "units[1].services[0].numbering: give a prefix or a numeric block, not both"),
    ("hours", 'branch.opening_hours: sat: "14:30-07:30" is not HH:MM-HH:MM'),
    ("weight", "priority_classes[0].weight: Input should be greater than 0"),
])
def test_bad_branch_file_is_refused(tmp_path: Path, where: str, line: str) -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    bad = tmp_path / "branch.yaml"
    bad.write_text(yaml.safe_dump(_broken(raw, where), allow_unicode=True), encoding="utf-8")
    db_path = tmp_path / "hub.sqlite"
    r = navbat("hub", "--config", str(bad), "--db", str(db_path), "--port", "1", "--ignore-hours")
    assert r.returncode == 2 and r.stdout == ""
    assert any(said.endswith(line) for said in r.stderr.splitlines()), r.stderr  # one line, or one of several
    assert not db_path.exists()  # refused before anything started


def test_unreadable_branch_files(tmp_path: Path) -> None:
    missing = navbat("hub", "--config", str(tmp_path / "nope.yaml"), "--db", str(tmp_path / "x.sqlite"))
    assert missing.returncode == 2 and "nope.yaml: cannot read (No such file or directory)" in missing.stderr
    garbled = tmp_path / "garbled.yaml"
    garbled.write_text("branch: [unclosed\n", encoding="utf-8")
    r = navbat("hub", "--config", str(garbled), "--db", str(tmp_path / "x.sqlite"))
    assert r.returncode == 2 and "garbled.yaml: not valid YAML" in r.stderr


def test_a_busy_port_is_one_readable_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = navbat("hub", "--db", str(tmp_path / "hub.sqlite"), "--port", str(port), "--ignore-hours")
    assert r.returncode == 2 and r.stdout == ""  # no "hub on http://..." for a hub that never listened
    assert r.stderr.strip().splitlines() == [f"navbat hub: cannot listen on 127.0.0.1:{port} (Address already in use)"]
