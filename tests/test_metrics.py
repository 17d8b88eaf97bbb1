"""`GET /metrics` (issue 14): the branch in Prometheus' text format, read by a scraper on the hub
PC or one holding a monitor device's token; and the hub's log, one line per event."""

from __future__ import annotations

import re
import subprocess
import sys

import requests
from hq_support import HQProcess, connect
from hub_process_support import readable
from navbat.hq.accounts import add_branch
from navbat.server.hqlink.shipping import Shipper
from navbat.server.hub import EXTENSION
from navbat.server.web.auth import add_device
from prometheus_client.parser import text_string_to_metric_families

LAN = {"REMOTE_ADDR": "192.168.1.20"}


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_show_the_floor(client, actions, app) -> None:  # noqa: ANN001
    clerk = actions.open_counter(1)
    for i in range(3):
        assert actions.issue("PR1", key=f"m{i}").status_code == 201
    assert client.post("/api/v1/counters/1/next", headers=clerk).status_code == 200
    assert client.post("/api/v1/counters/1/recall", headers=clerk).status_code == 200
    shown = next(s for s in client.get("/api/v1/services").json["services"] if s["code"] == "PR1")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=")
    got = samples(r.get_data(as_text=True))
    assert got[("navbat_tickets_issued_total", (("service", "PR1"),))] == 3
    assert got[("navbat_waiting", (("service", "PR1"), ("unit", "premium")))] == 2
    assert got[("navbat_calls_total", (("counter", "1"), ("kind", "called")))] == 1
    assert got[("navbat_calls_total", (("counter", "1"), ("kind", "recalled")))] == 1
    assert got[("navbat_counter_state", (("counter", "1"), ("state", "open")))] == 1
    low = got[("navbat_wait_estimate_minutes", (("bound", "low"), ("service", "PR1")))]
    high = got[("navbat_wait_estimate_minutes", (("bound", "high"), ("service", "PR1")))]
    assert 0 <= low <= high
    # The same figures the kiosks are shown.
    assert (shown["estimated_wait"]["low"], shown["estimated_wait"]["high"]) == (low, high)
    assert got[("navbat_event_stream_subscribers", (("kind", "anonymous"),))] == 0


def test_metrics_show_the_backlog_to_headquarters(client, actions, app, hq_process: HQProcess) -> None:  # noqa: ANN001, F811
    """The outbox's backlog from shipping.backlog (what /head shows): absent with no HQ link, then the
    whole log, then nothing once a real HQ (on PostgreSQL) has acknowledged it."""
    def hq_samples() -> dict:
        return {k: v for k, v in samples(client.get("/metrics").get_data(as_text=True)).items()
                if k[0].startswith("navbat_hq_")}

    for i in range(3):
        assert actions.issue("PR1", key=f"b{i}").status_code == 201
    assert hq_samples() == {}  # no link: nothing to alert on
    with connect(hq_process.db_url) as conn:
        token = add_branch(conn, "tehran-01", "تهران", "مرکزی", "1")
    hub = app.extensions[EXTENSION]
    shipper = Shipper(hub.store.path, hub.branch, hq_process.url, token).open()
    try:
        with hub.read() as db:
            events = db.execute("SELECT count(*) FROM events").fetchone()[0]
        assert events >= 3 and hq_samples() == {("navbat_hq_backlog", (("kind", "events"),)): events,
                                                 ("navbat_hq_backlog", (("kind", "ratings"),)): 0}
        assert shipper.ship_once() is False  # one batch takes it all
        got = hq_samples()
        assert got[("navbat_hq_backlog", (("kind", "events"),))] == 0
        assert 0 <= got[("navbat_hq_seconds_since_ack", ())] < 60
        assert actions.issue("PR1", key="b-after").status_code == 201  # one more, not yet shipped
        assert hq_samples()[("navbat_hq_backlog", (("kind", "events"),))] == 1
    finally:
        shipper.stop()


def test_only_the_hub_pc_or_a_monitor_token_reads_them(client, app) -> None:  # noqa: ANN001
    assert client.get("/metrics", environ_base=LAN).status_code == 401
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    assert client.get("/metrics", environ_base=LAN, headers=kiosk).status_code == 403
    with app.extensions[EXTENSION].floor.write() as tx:  # beside the running workers
        token = add_device(tx.db, "prometheus", "monitor")
    r = client.get("/metrics", environ_base=LAN, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and "navbat_waiting" in r.get_data(as_text=True)


def test_the_hub_logs_one_line_per_event_on_stdout(tmp_path) -> None:  # noqa: ANN001
    db = tmp_path / "hub.sqlite"
    navbat = [sys.executable, "-m", "navbat"]
    token = subprocess.run([*navbat, "device", "add", "k", "--role", "kiosk", "--db", str(db)], check=True,
                           capture_output=True, text=True).stdout.strip()
    proc = subprocess.Popen([*navbat, "hub", "--db", str(db), "--port", "0", "--ignore-hours"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = re.match(r"navbat hub on (\S+) ", proc.stdout.readline())[1]
        r = requests.post(f"{url}/api/v1/tickets", json={"service": "PR1"}, timeout=10,
                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "log-1"})
        assert r.status_code == 201
        line = proc.stdout.readline() if readable(proc.stdout, 20) else ""
    finally:
        proc.terminate()
        proc.wait(20)
    assert line.startswith("INFO navbat.server.floor.events: event 1 ticket.issued {") and line.count("\n") == 1
    assert r.json()["number"] in line and r.json()["tracking_code"] not in line  # nothing private
