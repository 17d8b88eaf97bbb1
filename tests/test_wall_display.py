"""The web wall /display in Chromium, as a visitor across the hall sees it (issue 12): the
called number at 7:1 or more even during the flash, a whole-screen "disconnected" state with
the number marked stale, the previous calls back after a reload, arrows only from the branch
file, TV-sized text, and axe-core on idle, calling and disconnected."""

from __future__ import annotations

import pytest
from axe import assert_accessible, axe_context
from conftest import chromium, docs_dir, make_app, serve_in_thread
from navbat.server.hub import EXTENSION

pytestmark = pytest.mark.browser
API = "/api/v1"
DOCS = docs_dir()
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# WCAG contrast of the big number's colour against the first opaque background behind it.
CONTRAST = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  const el = document.getElementById('now-number');
  let bg = el;
  const clear = (e) => { const c = rgb(getComputedStyle(e).backgroundColor); return c.length === 4 && c[3] === 0; };
  while (bg && clear(bg)) bg = bg.parentElement;
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(getComputedStyle(bg).backgroundColor))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def open_wall(browser, url: str, query: str = ""):  # noqa: ANN001, ANN201
    ctx = axe_context(browser, viewport={"width": 1920, "height": 1080})
    page = ctx.new_page()
    page.goto(f"{url}/display?voice={query}")
    page.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.loaded && window.navbatDisplay.online")
    return page


def test_the_called_number_stays_readable_and_comes_back_after_a_reload(live_hub, actions, hub) -> None:  # noqa: ANN001
    for _ in range(3):
        actions.issue("PN1")
    with chromium() as browser:
        wall = open_wall(browser, live_hub.url)
        assert_accessible(wall, "/display idle")
        # nobody serves pensions yet: the wall says so in words, no number
        wait = wall.text_content("#units [data-unit=pension] .estimate")
        assert wait == "اکنون باجهٔ بازی ندارد"
        assert float(wall.evaluate("getComputedStyle(document.querySelector('.unit .estimate')).fontSize")
                     .removesuffix("px")) >= 36  # across the hall from a 1080p TV

        clerk = actions.open_counter(6)
        numbers = []
        for _ in range(3):
            r = actions.client.post(f"{API}/counters/6/next", headers=clerk)
            numbers.append(r.json["number"])
            actions.client.post(f"{API}/counters/6/done", headers=clerk)
        last = numbers[-1].translate(FA)
        wall.wait_for_function("(n) => document.getElementById('now-number').textContent === n", arg=last)
        assert wall.evaluate("document.getElementById('now').classList.contains('flash')")
        assert wall.evaluate(CONTRAST) >= 7  # during the flash, not only after it
        assert wall.text_content("#arrow") == ""  # no direction in the branch file: no arrow
        assert_accessible(wall, "/display calling (flash)")
        wall.screenshot(path=str(DOCS / "display-web-calling-fa.png"))

        wall.reload()
        wall.wait_for_function("() => window.navbatDisplay.loaded")
        assert wall.text_content("#now-number") == last
        assert [t.translate(FA) for t in numbers[1::-1]] == \
            wall.eval_on_selector_all("#previous li .n", "els => els.map((e) => e.textContent)")
        assert wall.evaluate(CONTRAST) >= 7


def call_at_six(app) -> str:  # noqa: ANN001
    """One ticket issued and called at counter 6; its number as the wall shows it."""
    client = app.test_client()
    kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}", "Idempotency-Key": "k1"}
    client.post(f"{API}/tickets", json={"service": "PN1"}, headers=kiosk)
    token = client.post(f"{API}/login", json={"username": "clerk6", "pin": "6666", "counter": 6}).json["token"]
    clerk = {"Authorization": f"Bearer {token}"}
    client.post(f"{API}/counters/6/open", headers=clerk)
    return client.post(f"{API}/counters/6/next", headers=clerk).json["number"].translate(FA)


def test_a_lost_hub_is_said_across_the_screen_and_the_number_marked_stale(branch, tmp_path) -> None:  # noqa: ANN001
    app = make_app(branch, tmp_path / "wall.sqlite")
    url, stop = serve_in_thread(app)
    stopped = False
    try:
        number = call_at_six(app)
        with chromium() as browser:
            wall = open_wall(browser, url)
            assert wall.text_content("#now-number") == number
            assert wall.is_hidden("#offline")
            stop()
            stopped = True
            wall.wait_for_selector("#offline:not([hidden])")
            assert "ارتباط" in wall.text_content("#offline") and wall.get_attribute("#offline", "role") == "alert"
            assert wall.evaluate("document.body.classList.contains('offline')")
            assert wall.text_content("#now-label") == "آخرین شماره پیش از قطع ارتباط"
            assert wall.text_content("#now-number") == number
            assert wall.evaluate(CONTRAST) >= 7
            assert_accessible(wall, "/display disconnected")
            wall.screenshot(path=str(DOCS / "display-web-disconnected-fa.png"))
    finally:
        if not stopped:
            stop()
        app.extensions[EXTENSION].stop()


def test_arrows_come_only_from_the_branch_file(branch, tmp_path) -> None:  # noqa: ANN001
    walls = [d.model_copy(update={"directions": {6: "right"}}) if d.name == "hall" else d for d in branch.displays]
    app = make_app(branch.model_copy(update={"displays": walls}), tmp_path / "arrows.sqlite")
    url, stop = serve_in_thread(app)
    try:
        call_at_six(app)
        with chromium() as browser:
            assert open_wall(browser, url, "&display=hall").text_content("#arrow") == "→"
            assert open_wall(browser, url).text_content("#arrow") == ""
    finally:
        stop()


def test_recent_calls_api(client, actions) -> None:  # noqa: ANN001
    clerk = actions.open_counter(6)
    tickets = [actions.issue("PN1").json for _ in range(3)]
    for _ in range(2):
        client.post(f"{API}/counters/6/next", headers=clerk)
        client.post(f"{API}/counters/6/done", headers=clerk)
    client.post(f"{API}/counters/6/next", headers=clerk)
    client.post(f"{API}/counters/6/recall", headers=clerk)
    calls = client.get(f"{API}/calls").json["calls"]
    assert [c["ticket"] for c in calls] == [t["id"] for t in reversed(tickets)]
    assert calls[0]["recall"] is True and calls[0]["counter"] == 6
    assert client.get(f"{API}/calls?limit=1").json["calls"][0]["ticket"] == tickets[-1]["id"]
    for bad in ("0", "21", "x", "-1"):
        r = client.get(f"{API}/calls?limit={bad}")
        assert r.status_code == 400 and r.json["error"] == "bad_limit"
