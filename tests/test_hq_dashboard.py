"""The /hq dashboard in Debian's chromium over a real socket, on a real PostgreSQL seeded with
simulated branches: provinces ranked, drill-down, lag shown as lag, a province manager's view;
screenshots of the national and one province's view (docs/ with NAVBAT_UPDATE_DOCS=1)."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from axe import assert_accessible, axe_context
from conftest import browser, docs_dir  # noqa: F401
from hq_support import connect, seed_branches
from navbat.hq.accounts import add_user
from navbat.hq.app import create_app
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser


@pytest.fixture
def hq_url(hq_db: str, branch):  # noqa: ANN001, ANN201, F811
    today = dt.datetime.now(ZoneInfo("Asia/Tehran")).date()
    seed_branches(hq_db, branch, [today - dt.timedelta(days=1), today])
    with connect(hq_db) as conn:
        add_user(conn, "boss", "national", "9999")
        add_user(conn, "fars", "province", "1234", "فارس")
        conn.execute("UPDATE branches SET last_contact_at = now() - interval '45 minutes', branch_last_id = "
                     "events_hwm + 312 WHERE id = 'tabriz-01'")  # its WAN is down: 45 min of lag, a backlog
    app = create_app({"DATABASE": hq_db})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["navbat.hq"].close()


def login(page, url: str, user: str, pin: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/hq")
    page.fill("input[name=username]", user)
    page.fill("input[name=pin]", pin)
    page.click("#login button")
    page.wait_for_selector("#bars button")


def test_national_view_ranks_provinces_and_drills_down(browser, hq_url: str) -> None:  # noqa: ANN001, F811
    page = axe_context(browser, viewport={"width": 1280, "height": 860}).new_page()
    page.goto(f"{hq_url}/hq")
    page.wait_for_selector("#login")
    assert_accessible(page, "/hq login")
    login(page, hq_url, "boss", "9999")
    assert_accessible(page, "/hq national")
    names = page.locator("#bars .name").all_inner_texts()
    assert names[0] == "تهران" and set(names) >= {"اصفهان", "فارس", "خراسان رضوی", "آذربایجان شرقی", "خوزستان"}
    assert "بی‌خبر" in page.inner_text("#lagging")  # tabriz-01, 45 minutes without a batch
    assert "هرگز گزارش نداده" in page.inner_text("#lagging")  # ahvaz-05
    # the map: all 31 provinces drawn; those with branches coloured by the figure, Tehran darkest
    page.wait_for_selector("#map [data-province] title", state="attached")
    fills = page.evaluate("""Object.fromEntries([...document.querySelectorAll('#map [data-province]')]
        .map((p) => [p.dataset.province, p.getAttribute('fill')]))""")
    assert len(fills) == 31 and fills["یزد"] == "#d5dbe0"  # no branch there: grey
    darkness = {name: sum(int(c) for c in fill[4:-1].split(","))
                for name, fill in fills.items() if fill.startswith("rgb")}
    assert min(darkness, key=darkness.get) == "تهران" and darkness["تهران"] < darkness["خوزستان"]
    assert page.text_content("#map [data-province='تهران'] title").startswith("تهران: ")
    page.screenshot(path=str(docs_dir() / "hq-national.png"), full_page=True)
    page.locator("#map [data-province='تهران']").click()  # the map drills down like the bars
    page.locator("#bars .name", has_text="شمال").wait_for()
    assert page.is_hidden("#map-box")
    assert sorted(page.locator("#bars .name").all_inner_texts()) == ["شرق", "شمال", "مرکزی"]
    page.select_option("#figure", "visitors_per_window_hour")  # from the counters' open and close events
    assert "–" not in page.locator("#bars .val").all_inner_texts()
    # issue 24: the printed wait's figures come from /hq/promises; the simulated branches' logs keep no
    # printed ranges, so every region shows none ("–"), never a made-up 0
    page.select_option("#figure", "inside_pct")
    assert set(page.locator("#bars .val").all_inner_texts()) == {"–"}
    assert page.evaluate("data.summary.provinces.every((p) => 'inside_pct' in p)")
    page.select_option("#figure", "mean_wait_min")
    page.screenshot(path=str(docs_dir() / "hq-province.png"), full_page=True)
    page.locator("#crumbs button").first.click()
    page.locator("#bars button", has_text="خوزستان").click()
    page.locator("#bars .name", has_text="اهواز").wait_for()
    page.locator("#bars button", has_text="اهواز").click()
    page.wait_for_function("() => document.querySelectorAll('#bars button').length === 2")
    lag = page.locator("#bars button.lag").inner_text()
    assert "هرگز گزارش نداده" in lag and "۰" not in lag.split("\n")[-1]  # lag, not "0 visitors"
    page.locator("#bars button:not(.lag)").click()
    page.wait_for_selector("#detail tbody tr")
    assert page.locator("#detail tbody tr").count() >= 3  # the branch's sub-services, by name
    assert "PR1" not in page.inner_text("#detail")
    # issue 24: branches by their names (the crumbs, the lagging and late lists), percentages with "٪"
    named = page.evaluate("data.branches.filter((b) => b.name).map((b) => b.branch)")  # a branch that never
    shown = page.inner_text("#console")  # reported has told HQ no name: its id is all there is
    assert len(named) > 5 and not [b for b in named if b in shown], shown
    within = page.locator("#detail tbody tr td:nth-child(5)").all_inner_texts()
    assert within and all(w.endswith("٪") or w == "–" for w in within), within
    assert_accessible(page, "/hq branch")


def test_province_view(browser, hq_url: str) -> None:  # noqa: ANN001, F811
    page = browser.new_page(viewport={"width": 1280, "height": 760})
    login(page, hq_url, "fars", "1234")
    assert page.locator("#bars .name").all_inner_texts() == ["فارس"]
    page.locator("#bars button").click()
    page.locator("#bars .name", has_text="شیراز").wait_for()
    assert page.locator("#bars .name").all_inner_texts() == ["شیراز"]
    assert "tehran" not in page.inner_text("#console")  # nor their lag, nor their complaints
