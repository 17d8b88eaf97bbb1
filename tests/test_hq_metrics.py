"""HQ's /metrics (issue 14): what HQ did (events, batches, errors, the dashboard's query times) added
up over `navbat hq --workers 2`'s processes, and the branches' lag from PostgreSQL; read from the HQ
machine itself, with the metrics token, or by a national user, and by nobody else."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from hq_support import HQProcess, branch_events, connect, register, shipper_for
from navbat.hq.accounts import add_branch, add_user
from navbat.hq.app import create_app
from navbat.hq.metrics import TOKEN_ENV
from navbat.server.hub import Hub
from prometheus_client.parser import text_string_to_metric_families

LAN = {"REMOTE_ADDR": "192.168.1.20"}


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def login(url: str, conn, role: str = "national", province: str | None = None) -> dict[str, str]:  # noqa: ANN001
    add_user(conn, f"u-{role}", role, "1234", province)
    token = requests.post(f"{url}/api/v1/hq/login", json={"username": f"u-{role}", "pin": "1234"}, timeout=10)
    return {"Authorization": f"Bearer {token.json()['token']}"}


def test_hq_metrics_add_up_every_worker(day_hub: Hub, hq_db: str) -> None:  # noqa: F811
    token = register(hq_db)
    with connect(hq_db) as conn:
        add_branch(conn, "ahvaz-05", "خوزستان", "اهواز", "medical")  # registered, never reports
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = Path(tempfile.gettempdir()) / f"navbat-hq-metrics-{gone.pid}"  # a run killed with -9 left it
    stale.mkdir(exist_ok=True)
    hq = HQProcess(hq_db, workers=2).start()
    assert not stale.exists() and (Path(tempfile.gettempdir()) / f"navbat-hq-metrics-{hq.proc.pid}").is_dir()
    shipper = shipper_for(day_hub, hq.url, token, batch=5).open()
    try:
        batches = 1
        while shipper.ship_once():
            batches += 1
        ingest = f"{hq.url}/api/v1/hq/ingest"
        assert requests.post(ingest, json={}, headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
        bad = {"after": 0, "events": [{"id": "x"}]}
        r = requests.post(ingest, json=bad, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 400
        with connect(hq_db) as conn:
            national = login(hq.url, conn)
        for _ in range(3):
            r = requests.get(f"{hq.url}/api/v1/hq/summary", params={"from": "2025-01-01", "to": "2025-12-31"},
                             headers=national, timeout=10)
            assert r.status_code == 200
        # a local proxy passing on a visitor from elsewhere: that visitor needs a token (docs/deploy.md)
        proxied = requests.get(f"{hq.url}/metrics", headers={"X-Forwarded-For": "203.0.113.5"}, timeout=10)
        assert proxied.status_code == 401
        r = requests.get(f"{hq.url}/metrics", timeout=10)  # from 127.0.0.1: no token needed
    finally:
        shipper.stop()
        hq.stop()
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=")
    got = samples(r.text)
    tehran, ahvaz = (("branch", "tehran-01"),), (("branch", "ahvaz-05"),)
    assert got[("navbat_hq_events_ingested_total", tehran)] == len(branch_events(day_hub))
    assert got[("navbat_hq_ratings_ingested_total", tehran)] == 3
    assert got[("navbat_hq_batches_total", tehran)] == batches > 3
    assert got[("navbat_hq_errors_total", (("endpoint", "ingest"), ("kind", "unauthorized")))] == 1
    assert got[("navbat_hq_errors_total", (("endpoint", "ingest"), ("kind", "bad_batch")))] == 1
    assert got[("navbat_hq_dashboard_query_seconds_count", (("query", "summary"),))] == 3
    assert got[("navbat_hq_dashboard_query_seconds_sum", (("query", "summary"),))] > 0
    assert got[("navbat_hq_branches", ())] == 2
    where = (("branch", "tehran-01"), ("province", "تهران"))
    assert 0 <= got[("navbat_hq_branch_lag_seconds", where)] < 120
    assert got[("navbat_hq_branch_backlog_events", where)] == 0
    assert got[("navbat_hq_branch_newest_event_age_seconds", where)] > 0  # the test day lies in the past
    assert not [k for k in got if k[0] == "navbat_hq_branch_lag_seconds" and ahvaz[0] in k[1]]  # never reported


@pytest.fixture
def hq_app(hq_db: str):  # noqa: ANN201, F811
    app = create_app({"DATABASE": hq_db, "TESTING": True})
    yield app
    app.extensions["navbat.hq"].close()


def test_only_the_hq_machine_a_token_or_a_national_user_reads_them(hq_app, hq_db: str, monkeypatch) -> None:  # noqa: ANN001, F811
    client = hq_app.test_client()
    with connect(hq_db) as conn:
        branch_token = add_branch(conn, "tehran-01", "تهران", "مرکزی", "1")
        add_user(conn, "nat", "national", "1234")
        add_user(conn, "teh", "province", "1234", "تهران")

    def session(user: str) -> dict[str, str]:
        token = client.post("/api/v1/hq/login", json={"username": user, "pin": "1234"}).json["token"]
        return {"Authorization": f"Bearer {token}"}

    assert client.get("/metrics").status_code == 200  # the test client's peer is 127.0.0.1
    assert client.get("/metrics", environ_base=LAN).status_code == 401
    r = client.get("/metrics", environ_base=LAN, headers={"Authorization": f"Bearer {branch_token}"})
    assert r.status_code == 403 and r.json["error"] == "forbidden"
    assert client.get("/metrics", environ_base=LAN, headers=session("teh")).status_code == 403
    r = client.get("/metrics", environ_base=LAN, headers=session("nat"))
    assert r.status_code == 200 and "navbat_hq_branches 1.0" in r.text
    monkeypatch.setenv(TOKEN_ENV, "scraper-secret-0123456789")
    assert client.get("/metrics", environ_base=LAN,
                      headers={"Authorization": "Bearer scraper-secret-0123456789"}).status_code == 200
    assert client.get("/metrics", environ_base=LAN, headers={"Authorization": "Bearer scraper"}).status_code == 403
