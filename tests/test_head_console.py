"""The branch head's live floor (D8) after a simulated busy morning, driven through the hub's API.

Run as a script to refresh the README's screenshot:
    .venv/bin/python tests/test_head_console.py --out docs/head-console.png
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import PINS, chromium, make_app, serve_in_thread  # noqa: E402
from navbat.foundation.config import Branch, load_config  # noqa: E402
from navbat.queueing import rules_from_branch  # noqa: E402
from navbat.queueing.profiles import busy_day  # noqa: E402
from navbat.server.web import views

TEHRAN = ZoneInfo("Asia/Tehran")


class Clock:
    """The hub's clock, moved by the test (the busy morning takes no real time)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)


def morning_start(day: dt.date | None = None) -> dt.datetime:
    day = day or dt.datetime.now(TEHRAN).date()
    return dt.datetime.combine(day, dt.time(7, 30), tzinfo=TEHRAN)


def busy_morning(app, clock: Clock, branch: Branch, minutes: int = 150, seed: int = 7,  # noqa: ANN001
                 open_counters: tuple[int, ...] = (1, 2, 3, 4, 5, 6)) -> dict[str, int]:
    """07:30 onwards: arrivals a little above what the open counters can serve, clerks calling,
    serving (some documents incomplete, some no-shows, a transfer), visitors rating at the
    counter tablets, a printer low on paper and a display gone offline."""
    rnd = random.Random(seed)
    client = app.test_client()
    profile = busy_day(branch, rules_from_branch(branch))
    codes, weights = list(profile.service_mix), list(profile.service_mix.values())
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
    display = {"Authorization": f"Bearer {app.config['DISPLAY_TOKEN']}"}
    clerks = {}
    for n in open_counters:
        r = client.post("/api/v1/login", json={"username": f"clerk{n}", "pin": PINS[f"clerk{n}"], "counter": n})
        clerks[n] = {"Authorization": f"Bearer {r.json['token']}"}
        assert client.post(f"/api/v1/counters/{n}/open", headers=clerks[n]).status_code == 200
    busy_until: dict[int, float] = {}
    counts = {"issued": 0, "done": 0, "no_show": 0, "rated": 0, "transferred": 0}
    per_minute = 1.1 * len(open_counters) / profile.work_per_visitor()
    for minute in range(minutes):
        for _ in range(_poisson(rnd, per_minute * profile.hours[min(minute // 60, len(profile.hours) - 1)])):
            code = rnd.choices(codes, weights)[0]
            priority = "elderly" if rnd.random() < profile.priority_mix.get(code, {}).get("elderly", 0) else None
            r = client.post("/api/v1/tickets", json={"service": code, "priority": priority},
                            headers={**kiosk, "Idempotency-Key": f"m{minute}-{counts['issued']}"})
            assert r.status_code == 201, r.json
            counts["issued"] += 1
        for n, auth in clerks.items():
            current = client.get(f"/api/v1/counters/{n}").json["current_ticket"]
            if current and minute >= busy_until[n]:
                if current["state"] == "called":  # the holder never came to the counter
                    client.post(f"/api/v1/counters/{n}/no-show", headers=auth)
                    counts["no_show"] += 1
                elif counts["transferred"] < 2 and current["service"].startswith("IN") and rnd.random() < 0.2:
                    client.post(f"/api/v1/counters/{n}/transfer", json={"service": "PN1"}, headers=auth)
                    counts["transferred"] += 1
                else:
                    outcome = "documents_incomplete" if rnd.random() < 0.08 else "served"
                    assert client.post(f"/api/v1/counters/{n}/done", json={"outcome": outcome},
                                       headers=auth).status_code == 200
                    counts["done"] += 1
                    if rnd.random() < 0.4:
                        score = rnd.choice((5, 5, 5, 4, 3, 3, 1))
                        r = client.post("/api/v1/ratings", json={"counter": n, "ticket": current["id"], "score": score},
                                        headers={"Authorization": f"Bearer {app.config['TABLET_TOKENS'][n]}"})
                        assert r.status_code == 201, r.json
                        counts["rated"] += 1
                current = None
            if current is None:
                r = client.post(f"/api/v1/counters/{n}/next", headers=auth)
                if r.status_code == 200 and rnd.random() < 0.05:
                    busy_until[n] = minute + 2  # called twice over two minutes, then a no-show
                elif r.status_code == 200:
                    client.post(f"/api/v1/counters/{n}/start", headers=auth)
                    mean = profile.service_min[r.json["service"]]
                    busy_until[n] = minute + max(1.0, rnd.lognormvariate(0, 0.5) * mean)
        if minute == 40:
            client.post("/api/v1/devices/status", json={"printer": "kiosk-1-printer", "status": "paper_near_end"},
                        headers=kiosk)
        if minute == 120:
            client.post("/api/v1/devices/status", json={"status": "offline", "detail": "no heartbeat"},
                        headers=display)
        clock.advance(1)
    return counts


def _poisson(rnd: random.Random, mean: float) -> int:
    count, t = 0, rnd.expovariate(1.0)
    while t < mean:
        count += 1
        t += rnd.expovariate(1.0)
    return count


def head_token(client) -> dict[str, str]:  # noqa: ANN001
    r = client.post("/api/v1/login", json={"username": "head", "pin": PINS["head"]})
    return {"Authorization": f"Bearer {r.json['token']}"}


def screenshot(url: str, out: Path, width: int = 1440, height: int = 1500,
               extras: dict[str, str] | None = None) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{url}/head")
        page.fill("input[name=pin]", PINS["head"])
        page.click("#login button[type=submit]")
        page.wait_for_selector("#counters article[data-counter='8']")
        page.wait_for_selector("#staffing tbody tr")
        page.select_option("#whatif select[name=counter]", "7")
        page.select_option("#whatif select[name=state]", "open")
        page.click("#whatif button[type=submit]")
        page.wait_for_selector("#whatif-result table")
        page.wait_for_timeout(300)
        page.screenshot(path=str(out), full_page=True)
        if extras:
            _extras(browser, url, out.parent, extras)


def _extras(browser, url: str, folder: Path, extras: dict[str, str]) -> None:  # noqa: ANN001
    """The day's report, a visitor's tracking page and a counter tablet, beside the console."""
    page = browser.new_page(viewport={"width": 1280, "height": 1200})
    page.goto(f"{url}/head/reports?date={extras['date']}")
    page.fill("input[name=pin]", PINS["head"])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#t-services tfoot tr[data-key=total]")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / "head-report.png"), full_page=True)
    phone = browser.new_page(viewport={"width": 400, "height": 820}, device_scale_factor=1)
    for name, code in (("head-tracking-waiting.png", extras["waiting"]), ("head-tracking-done.png", extras["done"])):
        phone.goto(f"{url}/t/{code}")
        phone.wait_for_timeout(300)
        phone.screenshot(path=str(folder / name), full_page=True)
    tablet = browser.new_page(viewport={"width": 1024, "height": 700})
    tablet.goto(f"{url}/rate/{extras['counter']}?token={extras['tablet_token']}")  # the counter's own tablet
    tablet.wait_for_selector("#rate:not([hidden])")
    tablet.wait_for_timeout(300)
    tablet.screenshot(path=str(folder / "head-tablet.png"))


@pytest.fixture
def morning(branch: Branch, tmp_path: Path):  # noqa: ANN201
    clock = Clock(morning_start())
    app = make_app(branch, tmp_path / "morning.sqlite", CLOCK=clock)
    counts = busy_morning(app, clock, branch, minutes=120)  # 90 left no line past its target under issue 13's rule
    return app, clock, counts


def test_floor_after_a_busy_morning_agrees_with_the_report(morning) -> None:  # noqa: ANN001
    app, clock, counts = morning
    client = app.test_client()
    head = head_token(client)
    assert client.get("/api/v1/head/floor").status_code == 401
    floor = client.get("/api/v1/head/floor", headers=head).json
    assert floor["totals"]["served_today"] == counts["done"] > 0
    assert floor["totals"]["open_counters"] == 6
    day = dt.datetime.fromisoformat(floor["day"]).date()
    report = client.get(f"/api/v1/reports/daily?date={day.isoformat()}", headers=head).json
    assert report["total"]["visitors"] == counts["issued"]
    assert report["total"]["served"] == counts["done"]
    assert report["total"]["no_shows"] == counts["no_show"]
    assert report["total"]["ratings"] == counts["rated"] == floor["satisfaction_today"]["ratings"]
    served = {w["number"]: w["served_today"] for w in floor["counters"]}
    assert served == {int(w["key"]): w["served"] for w in report["counters"]}
    waiting = {s["code"]: s["waiting"] for s in floor["services"]}
    assert sum(waiting.values()) == floor["totals"]["waiting"] > 0
    # arrivals beyond capacity: some sub-service's oldest visitor is past its target, and the page says so
    assert any(s["over_target"] for s in floor["services"])
    kinds = {a["kind"] for a in floor["alerts"]}
    assert {"wait_over_target", "device_warning"} <= kinds
    over = next(s for s in floor["services"] if s["over_target"])
    assert over["longest_wait_minutes"] > over["target_wait_minutes"]


def _extras_for(app, clock: Clock) -> dict[str, str]:  # noqa: ANN001
    """A waiting ticket, a done and unrated one, and a counter with its visitor just finished."""
    hub = app.extensions["navbat.hub"]
    floor = hub.floor
    waiting = floor.db.execute("SELECT tracking_code FROM tickets WHERE state='waiting' ORDER BY arrived_at DESC"
                               ).fetchone()[0]
    done = floor.db.execute("""SELECT tracking_code FROM tickets WHERE state='done'
                               AND id NOT IN (SELECT ticket_id FROM ratings) ORDER BY finished_at DESC""").fetchone()[0]
    client = app.test_client()
    token = client.post("/api/v1/login", json={"username": "head", "pin": PINS["head"]}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    counter = next(c["number"] for c in views.counters(hub) if c["current_ticket"])
    client.post(f"/api/v1/counters/{counter}/done", headers=auth)
    from navbat.server.reports import parse_day

    return {"date": parse_day(floor.branch.branch_day(clock()).isoformat()).label, "waiting": waiting, "done": done,
            "counter": str(counter), "tablet_token": app.config["TABLET_TOKENS"][counter]}


def main() -> int:
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description="Screenshot of the head console after a busy morning")
    ap.add_argument("--out", default="docs/head-console.png")
    ap.add_argument("--minutes", type=int, default=150)
    ap.add_argument("--all", action="store_true", help="also the report, tracking and tablet pages, beside --out")
    args = ap.parse_args()
    branch = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(morning_start())
        app = make_app(branch, Path(tmp) / "morning.sqlite", CLOCK=clock)
        counts = busy_morning(app, clock, branch, minutes=args.minutes)
        print(counts)
        extras = _extras_for(app, clock) if args.all else None
        url, stop = serve_in_thread(app)
        try:
            screenshot(url, Path(args.out), extras=extras)
        finally:
            stop()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
