"""The head's pages in headless Chromium: the live floor follows the event stream (D8),
the counter tablet's faces store a rating (F2, S1), the report page draws its tables (D9)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from conftest import PINS, docs_dir
from navbat.server.web import views

pytestmark = pytest.mark.browser


def post(url: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict | None]:
    req = urllib.request.Request(url + "/api/v1" + path, data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        data = r.read()
        return r.status, json.loads(data) if data else None


def login(url: str, user: str, counter: int | None = None) -> str:
    body = {"username": user, "pin": PINS[user], **({"counter": counter} if counter else {})}
    return post(url, "/login", body)[1]["token"]


def head_page(browser, url: str):  # noqa: ANN001, ANN201
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/head")
    page.fill("input[name=pin]", PINS["head"])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#counters article[data-counter='8']")
    page.wait_for_selector("#live.on")
    return page


def test_live_floor_changes_when_a_counter_is_closed(browser, live_hub) -> None:  # noqa: ANN001
    url = live_hub.url
    clerks = {n: login(url, f"clerk{n}", n) for n in (1, 2, 3)}
    for n, token in clerks.items():
        post(url, f"/counters/{n}/open", token=token)
    kiosk = live_hub.app.config["KIOSK_TOKEN"]
    for i in range(3):
        req = urllib.request.Request(url + "/api/v1/tickets", data=json.dumps({"service": "PR1"}).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {kiosk}",
                                                             "Idempotency-Key": f"page-{i}"})
        urllib.request.urlopen(req, timeout=10).close()
    page = head_page(browser, url)
    assert page.locator("#k-open").inner_text() == "۳/۸"
    assert page.locator("#k-waiting").inner_text() == "۳"
    assert "open" in page.get_attribute("#counters article[data-counter='2']", "class")

    # the head closes counter 2 with its button
    page.click("#counters article[data-counter='2'] button[data-action=close]")
    page.wait_for_selector("#counters article[data-counter='2'].closed")
    page.wait_for_function("() => document.querySelector('#k-open').textContent === '۲/۸'")

    # a clerk elsewhere closes counter 3: the page follows the event stream, no reload
    post(url, "/counters/3/close", token=clerks[3])
    page.wait_for_selector("#counters article[data-counter='3'].closed")
    page.wait_for_function("() => document.querySelector('#k-open').textContent === '۱/۸'")

    # a call at counter 1 shows its ticket and shortens the PR1 line
    post(url, "/counters/1/next", token=clerks[1])
    page.wait_for_function("() => document.querySelector(\"#counters article[data-counter='1'] .current\")"
                           ".textContent.includes('A-۰۰۱')")
    page.wait_for_function("() => document.querySelector('#k-waiting').textContent === '۲'")

    # the head moves counter 5 to pension services: effective at its next call, shown on its card
    page.click("#counters article[data-counter='5'] button:has-text('خدمات')")
    page.select_option("#services-dialog select[name=PN1]", "1")
    page.select_option("#services-dialog select[name=RG1]", "0")
    page.click("#services-save")
    page.wait_for_function("() => document.querySelector(\"#counters article[data-counter='5'] .services-line\")"
                           ".textContent.split(' ').includes('PN1')")
    services = views.counter(live_hub.app.extensions["navbat.hub"], 5)["services"]
    assert {"code": "PN1", "weight": 1.0} in services and all(s["code"] != "RG1" for s in services)
    assert "PN1" in page.locator("#counters article[data-counter='5'] .services-line").inner_text().split()

    # a what-if: opening counter 7 for PR1 halves the PR1 line (nothing changes on the floor)
    page.select_option("#whatif select[name=counter]", "7")
    page.select_option("#whatif select[name=state]", "open")
    page.click("#whatif button[type=submit]")
    page.wait_for_selector("#whatif-result table")
    assert "PR1" in page.locator("#whatif-result").inner_text()
    assert "closed" in page.get_attribute("#counters article[data-counter='7']", "class")

    # closing a busy counter is refused, and the card says why
    page.click("#counters article[data-counter='1'] button[data-action=close]")
    page.wait_for_function("() => document.querySelector('[data-error=\"1\"]').textContent.length > 0")
    assert "open" in page.get_attribute("#counters article[data-counter='1']", "class")


def test_counter_tablet_faces_store_a_rating(browser, live_hub) -> None:  # noqa: ANN001
    url = live_hub.url
    clerk = login(url, "clerk4", 4)
    post(url, "/counters/4/open", token=clerk)
    kiosk = live_hub.app.config["KIOSK_TOKEN"]
    req = urllib.request.Request(url + "/api/v1/tickets", data=json.dumps({"service": "IN1"}).encode(),
                                 method="POST", headers={"Content-Type": "application/json",
                                                         "Authorization": f"Bearer {kiosk}", "Idempotency-Key": "t1"})
    urllib.request.urlopen(req, timeout=10).close()
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    page.goto(f"{url}/rate/4?token={live_hub.app.config['TABLET_TOKENS'][4]}")  # once: the page keeps it
    assert page.evaluate("location.search") == ""  # and takes it out of the address bar
    page.wait_for_selector("#idle:not([hidden])")
    _, ticket = post(url, "/counters/4/next", token=clerk)
    post(url, "/counters/4/done", token=clerk)
    page.wait_for_selector("#rate:not([hidden])")  # the faces come up by themselves after "done"
    fa_number = ticket["number"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert page.locator("#rate-ticket").inner_text() == fa_number
    assert page.locator(".face").count() == 3
    assert page.is_hidden("#send")  # a face first: nothing to send before it
    page.check(".face input[value='5']")
    page.fill("textarea[name=comment]", "خیلی خوب بود")
    page.click("#send")
    page.wait_for_selector("#thanks:not([hidden])")
    db = live_hub.app.extensions["navbat.hub"].floor.db
    row = db.execute("SELECT ticket_id, score, comment, source, counter, clerk FROM ratings").fetchall()
    assert row == [(ticket["id"], 5, "خیلی خوب بود", "tablet", 4, "clerk4")]


def test_report_page_shows_the_month(browser, live_hub) -> None:  # noqa: ANN001
    url = live_hub.url
    clerk = login(url, "clerk1", 1)
    post(url, "/counters/1/open", token=clerk)
    kiosk = live_hub.app.config["KIOSK_TOKEN"]
    promised = 0  # tickets given a range (none before the engine's first estimate: nothing was promised)
    for i, service in enumerate(("PR1", "PR2")):
        req = urllib.request.Request(url + "/api/v1/tickets", data=json.dumps({"service": service}).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {kiosk}",
                                                             "Idempotency-Key": f"r{i}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            promised += json.load(r)["estimated_wait"] is not None
        post(url, "/counters/1/next", token=clerk)
        post(url, "/counters/1/done", {"outcome": "registered"} if service == "PR2" else None, token=clerk)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{url}/head/reports")
    page.fill("input[name=pin]", PINS["head"])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#t-services tfoot tr[data-key=total]")
    total = page.locator("#t-services tfoot tr[data-key=total] td").all_inner_texts()
    assert total[1:3] == ["۲", "۲"]  # visitors, called
    assert page.locator("#chart-hourly svg rect.a").count() >= 1
    assert page.locator("#t-counters tbody tr[data-key='1'] td").nth(2).inner_text() == "۲"  # served at counter 1
    # the request registered with PR2's visit (issue 16): opened, none answered yet
    cells = page.locator("#t-requests tbody tr[data-key='PR2'] td").all_inner_texts()
    assert cells[1:3] == ["۱", "۰"] and cells[3] == "–"
    page.locator("#t-requests").screenshot(path=str(docs_dir() / "head-report-requests-fa.png"))
    # issue 24: the printed ranges, each judged once called: promised and judged alike
    foot = page.locator("#t-promises tfoot tr[data-key=total] td").all_inner_texts()
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    assert foot[1:3] == [str(promised).translate(fa)] * 2
    assert "فراخوانده در بازهٔ چاپ‌شده" in page.inner_text("#t-promises thead")


def test_report_page_speaks_jalali_and_persian_digits(browser, live_hub) -> None:  # noqa: ANN001
    """Issue 24: the month's chart was labelled with Gregorian days (۲۲ ۲۴ … ۳۰ ۲ ۴ …), the submission
    field's placeholder was a Latin 1404-07 and a bad date was refused in English."""
    url = live_hub.url
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{url}/head/reports")
    page.fill("input[name=pin]", PINS["head"])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#chart-daily svg")
    days = page.evaluate("""[...document.querySelectorAll('#chart-daily svg text')].map((t) => t.textContent)
                            .filter((s, i) => i >= 2 && /^[0-9۰-۹]+$/.test(s))""")  # after the axis' top and 0
    latin = [int(d.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))) for d in days]
    assert days[0] == "۱" and latin == sorted(latin) and max(latin) <= 31, days  # a Jalali month's days, in order
    page.locator("#chart-daily").screenshot(path=str(docs_dir() / "head-report-month-chart-fa.png"))
    placeholders = page.evaluate("[...document.querySelectorAll('input[name=month], input[name=date]')]"
                                 ".map((i) => i.placeholder)")
    assert placeholders == ["۱۴۰۴-۰۷", "۱۴۰۴-۰۷-۱۳", "۱۴۰۴-۰۷"], placeholders
    page.select_option("select[name=kind]", "daily")
    page.fill("input[name=date]", "1404-13-40")
    page.click("#period button[type=submit]")
    page.wait_for_function("() => document.getElementById('report-error').textContent !== ''")
    error = page.text_content("#report-error")
    assert "۱۴۰۴-۰۷-۱۳" in error and not any("a" <= c.lower() <= "z" for c in error), error


def test_the_rate_tablet_without_a_token_says_so_in_persian(browser, live_hub) -> None:  # noqa: ANN001
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    page.goto(f"{live_hub.url}/rate/4")
    page.wait_for_selector("#no-token:not([hidden])")
    said = page.text_content("#no-token")
    assert "توکن" in said and "This tablet" not in said, said


def test_consoles_name_clerks_by_the_names_the_branch_gave_them(browser, live_hub) -> None:  # noqa: ANN001
    """Issue 24: the head's floor, the clerk's own console and the report's clerks showed logins."""
    from navbat.server.reports import build_report, parse_day
    from navbat.server.web.auth import add_user

    hub = live_hub.app.extensions["navbat.hub"]
    with hub.floor.write() as tx:
        add_user(tx.db, "clerk1", "clerk", PINS["clerk1"], "مریم احمدی")
    url = live_hub.url
    clerk = login(url, "clerk1", 1)
    asked = urllib.request.Request(url + "/api/v1/me", headers={"Authorization": f"Bearer {clerk}"})
    me = urllib.request.urlopen(asked, timeout=10)
    assert json.loads(me.read())["display_name"] == "مریم احمدی"
    post(url, "/counters/1/open", token=clerk)
    kiosk = live_hub.app.config["KIOSK_TOKEN"]
    req = urllib.request.Request(url + "/api/v1/tickets", data=json.dumps({"service": "PR1"}).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {kiosk}",
                                          "Idempotency-Key": "n1"})
    urllib.request.urlopen(req, timeout=10).close()
    post(url, "/counters/1/next", token=clerk)
    post(url, "/counters/1/done", token=clerk)
    page = head_page(browser, url)
    page.wait_for_function("() => document.querySelector(\"#counters article[data-counter='1'] .clerk\").textContent"
                           " === 'مریم احمدی'")
    with hub.read() as db:
        report = build_report(db, hub.branch, parse_day(hub.branch.branch_day(hub.clock()).isoformat()))
    assert [c.label["fa"] for c in report.clerks] == ["مریم احمدی"]
