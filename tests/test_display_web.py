"""The web wall display: the page, the Jalali clock, each call's WAV, and in Chromium how
the page keeps its waiting counts from the hub's summaries (the API is scripted there,
so each /services read is counted)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import chromium, make_app, unit_summary
from navbat.foundation import speech
from navbat.foundation.config import Branch
from navbat.foundation.wording import wait_text


def test_page_is_persian_rtl_with_branch_name_and_jalali_date(branch, tmp_path) -> None:  # noqa: ANN001
    clock = lambda: dt.datetime(2026, 3, 21, 5, 0, tzinfo=dt.UTC)  # noqa: E731 - 08:30 on 1 Farvardin 1405
    client = make_app(branch, tmp_path / "d.sqlite", CLOCK=clock).test_client()
    r = client.get("/display")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert "شعبه ۱۴ تأمین اجتماعی تهران" in html and "۱ فروردین ۱۴۰۵" in html and "۰۸:۳۰" in html
    assert client.get("/display/clock?lang=en").json["date"] == "2026-03-21"
    en = client.get("/display?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in en and "Social Security Branch 14, Tehran" in en
    assert client.get("/display?lang=de").json["error"] == "bad_lang"


def test_announcement_wav_is_the_same_as_the_kivy_display_plays(client) -> None:  # noqa: ANN001
    r = client.get("/display/announce.wav?number=A-012&counter=3&voice=fa,en")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    assert r.data == speech.announcement_wav("A-012", 3, ("fa", "en"))


def test_announcement_refuses_bad_input_with_json_errors(client) -> None:  # noqa: ANN001
    for query, code in (("number=<script>&counter=3", "bad_number"), ("number=102&counter=x", "bad_counter"),
                        ("number=102&counter=99", "unknown_counter"), ("number=102&counter=3&voice=de", "bad_voice")):
        r = client.get(f"/display/announce.wav?{query}")
        assert 400 <= r.status_code < 500 and r.json["error"] == code, query


def test_fonts_and_static_files_are_served(client) -> None:  # noqa: ANN001
    assert client.get("/fonts/Vazirmatn-Bold.ttf").status_code == 200
    assert client.get("/display/fonts/Vazirmatn-Bold.ttf").status_code == 200  # the old path, pages cached on a TV
    assert client.get("/display/fonts/../../setup.cfg").status_code == 404
    assert client.get("/static/display/display.js").status_code == 200
    for script in ("counter/main.js", "counter/view.js", "shared/navbat.js"):
        r = client.get(f"/static/{script}")
        assert r.status_code == 200 and "javascript" in r.content_type  # a module needs a script's type (nosniff)
    page = client.get("/counter").get_data(as_text=True)
    assert 'dir="rtl"' in page and "میز کار باجه" in page


def page_texts(client, lang: str) -> dict[str, str]:  # noqa: ANN001
    html = client.get(f"/display?lang={lang}").get_data(as_text=True)
    return json.loads(html.split('<script id="texts" type="application/json">')[1].split("</script>")[0])


def test_the_hub_words_every_wait_and_the_page_carries_no_wording_of_its_own(client, actions) -> None:  # noqa: ANN001
    """Issue 25: display.js re-worded waits with its own rounding; now GET /services ships the words."""
    for lang in ("fa", "en"):
        texts = page_texts(client, lang)
        assert texts["Counter {number}"] == ("باجه {number}" if lang == "fa" else "Counter {number}")
        assert not {"about {minutes} min", "{low}–{high} min", "no wait"} & texts.keys()  # nothing to word with
    actions.open_counter(3)
    actions.issue("IN1")
    queue = client.get("/api/v1/services").json
    for summary in queue["units"] + queue["services"]:
        assert summary["wait_text"] == {lang: wait_text(summary["estimated_wait"], summary["note"], lang,
                                                        summary["wait_note"], summary["opens_at"])
                                        for lang in ("fa", "en")}, summary["code"]
    assert any(u["open_counters"] for u in queue["units"]) and "no counter open now" in {
        u["wait_text"]["en"] for u in queue["units"]}
    wall = client.get("/display").get_data(as_text=True)
    settings = json.loads(wall.split('<script id="wall" type="application/json">')[1].split("</script>")[0])
    assert settings == client.get("/api/v1/branch").json["wall"] == {"history": 7, "announce_within_s": 90}


# ---- the page in Chromium, against a scripted API ----------------------------------------

# Replaces the browser's EventSource so the test decides when each event arrives.
FAKE_EVENT_SOURCE = """
window.EventSource = class {
  constructor(url) {
    this.url = url; this.listeners = {};
    window.fakeSource = this;
    setTimeout(() => this.onopen && this.onopen(), 0);
  }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  close() {}
  emit(type, data) { for (const fn of this.listeners[type] || []) fn({ type, data: JSON.stringify(data) }); }
};
"""


class ScriptedApi:
    """GET /api/v1/services and /counters for the page, from dicts; counts the /services reads."""

    def __init__(self, branch: Branch) -> None:
        self.services = {"services": [], "units": [unit_summary(branch, u.code, note="not_open")
                                                  for u in branch.units]}
        self.services["units"][1] = unit_summary(branch, "insured", 3, 5, 12)
        self.reads = 0

    def attach(self, page) -> None:  # noqa: ANN001
        page.add_init_script(FAKE_EVENT_SOURCE)
        page.route("**/api/v1/services", self._services)
        page.route("**/api/v1/counters", lambda route: route.fulfill(json={"counters": []}))

    def _services(self, route) -> None:  # noqa: ANN001
        self.reads += 1
        route.fulfill(json=copy.deepcopy(self.services))


def units_shown(page) -> dict[str, list[str]]:  # noqa: ANN001
    return page.evaluate("""Object.fromEntries([...document.querySelectorAll('#units .unit')].map(
        (u) => [u.dataset.unit, [...u.children].map((d) => d.textContent)]))""")


@pytest.mark.browser
def test_web_display_takes_unit_rows_from_event_queues_and_reads_services_only_when_needed(
        branch, live_hub, tmp_path: Path) -> None:  # noqa: ANN001
    api = ScriptedApi(branch)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        api.attach(page)
        page.goto(f"{live_hub.url}/display?lang=en&voice=")
        page.wait_for_function(
            "() => window.navbatDisplay && window.navbatDisplay.loaded && window.navbatDisplay.online")
        page.wait_for_timeout(400)
        assert api.reads == 1
        shown = units_shown(page)
        assert list(shown) == [u.code for u in branch.units]
        assert shown["insured"] == ["Insured persons' affairs", "3 waiting", "5–12 min"]
        assert shown["premium"][1:] == ["0 waiting", "no counter open now"]

        # (1) a live event carries "queue": the row changes, nothing is read
        now = dt.datetime.now(dt.UTC).isoformat()
        page.evaluate("(ev) => window.fakeSource.emit('ticket.called', ev)", {
            "id": 7, "type": "ticket.called", "at": now, "ticket": 1, "number": "101", "service": "IN1",
            "counter": 3, "queue": {"services": [], "units": [unit_summary(branch, "insured", 2, 4, 4)]}})
        assert page.text_content("#now-counter") == "Counter 3"
        assert units_shown(page)["insured"][1:] == ["2 waiting", "about 4 min"]
        # (3) the hub's estimates moved: an id-less queue.changed, nothing is read
        page.evaluate("(ev) => window.fakeSource.emit('queue.changed', ev)", {
            "type": "queue.changed", "at": now, "queue": {"services": [], "units": [
                unit_summary(branch, "registration", 1, note="no_wait"),
                unit_summary(branch, "finance", note="not_served")]}})
        shown = units_shown(page)
        assert shown["registration"][1:] == ["1 waiting", "no wait"]
        assert shown["finance"][1:] == ["0 waiting", "not served today"]
        page.wait_for_timeout(400)
        assert api.reads == 1

        # (2) a catch-up from the log: three events without "queue" make one read
        api.services["units"][1] = unit_summary(branch, "insured", 6, 10, 15)
        # one after another as a catch-up sends them (one evaluate: three round trips to the page could
        # land further apart than the display's pause on a loaded machine, and make two reads)
        page.evaluate("(evs) => evs.forEach((ev) => window.fakeSource.emit(ev.type, ev))", [
            {"id": 8, "type": "ticket.done", "ticket": 1, "number": "101", "counter": 3},
            {"id": 9, "type": "ticket.issued", "ticket": 2, "number": "102", "service": "IN1"},
            {"id": 10, "type": "counter.changed", "counter": 3, "state": "paused", "services": None}])
        page.wait_for_function("() => document.querySelector('#units [data-unit=insured] .waiting').textContent"
                               " === '6 waiting'")
        page.wait_for_timeout(400)
        assert api.reads == 1 + 1
        # the hub's word
        assert units_shown(page)["registration"][1:] == ["0 waiting", "no counter open now"]

        # back after an outage: queue.changed events are not replayed, so the page re-reads once
        page.evaluate("window.fakeSource.onerror(); window.fakeSource.onopen()")
        page.wait_for_timeout(400)
        assert api.reads == 3 and page.evaluate("window.navbatDisplay.requests") == 3
        page.close()

        fa = browser.new_page(viewport={"width": 1280, "height": 720})
        ScriptedApi(branch).attach(fa)
        fa.goto(f"{live_hub.url}/display?voice=")
        fa.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.loaded")
        fa.evaluate("(ev) => window.fakeSource.emit('ticket.called', ev)", {
            "id": 7, "type": "ticket.called", "at": "2020-01-01T00:00:00+00:00", "ticket": 1, "number": "101",
            "service": "IN1", "counter": 3,
            "queue": {"services": [], "units": [unit_summary(branch, "premium", 1, 2, 2)]}})
        fa.screenshot(path=str(tmp_path / "display-web-units-fa.png"))
        assert fa.text_content("#now-counter") == "باجه ۳"
        shown = units_shown(fa)
        assert shown["insured"][1:] == ["۳ نفر در انتظار", "۵ تا ۱۲ دقیقه"]
        assert shown["premium"][1:] == ["۱ نفر در انتظار", "حدود ۲ دقیقه"]


# Every box a visitor reads on the wall; none may sit on another or leave the screen (issue 24).
WALL_BOXES = """() => {
  const boxes = [];
  for (const sel of ['#branch', '#sound', '#when', '#now-label', '#now-number', '#now-counter-line',
                     '#previous-box h2', '#previous li', 'footer h2', '.unit']) {
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      boxes.push({sel, text: el.textContent.trim().slice(0, 30), x: r.left, y: r.top, r: r.right, b: r.bottom,
                  // a line's glyphs may rise above its line box: height is judged on the rows only
                  clipped: el.scrollWidth > el.clientWidth + 1
                    || (sel === '#previous li' && el.scrollHeight > el.clientHeight + 1)});
    }
  }
  return {boxes, w: innerWidth, h: innerHeight};
}"""
WALL_SIZES = ((1280, 720), (1366, 768), (1920, 1080), (3840, 2160))


def wall_faults(layout: dict) -> list[str]:
    """Pairs of boxes that overlap, and boxes off the screen or with text cut off."""
    boxes, faults = layout["boxes"], []
    for i, a in enumerate(boxes):
        if a["x"] < -0.5 or a["y"] < -0.5 or a["r"] > layout["w"] + 0.5 or a["b"] > layout["h"] + 0.5:
            faults.append(f"off the screen: {a['sel']} {a['text']!r}")
        if a["clipped"] and a["sel"] != ".unit":
            faults.append(f"text cut off: {a['sel']} {a['text']!r}")
        for b in boxes[i + 1:]:
            if min(a["r"], b["r"]) - max(a["x"], b["x"]) > 0.5 and min(a["b"], b["b"]) - max(a["y"], b["y"]) > 0.5:
                faults.append(f"overlap: {a['sel']} {a['text']!r} / {b['sel']} {b['text']!r}")
    return faults


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_wall_holds_its_layout_after_ten_calls_at_every_size(branch, live_hub, lang: str) -> None:  # noqa: ANN001
    """Issue 24: after eight calls the counter line ran under the units, "waiting" sat on the
    called panel and the 6th and 7th earlier calls were hidden. Ten calls, a long unit name."""
    from conftest import docs_dir

    docs = docs_dir()
    api = ScriptedApi(branch)
    long_name = {"fa": "امور بیمه‌شدگان، مستمری‌بگیران و ازکارافتادگان حرفه‌ای و غیرحرفه‌ای",
                 "en": "Insured persons, pensioners and the professionally and otherwise disabled"}
    api.services["units"][1]["name"] = long_name
    with chromium() as browser:
        for width, height in WALL_SIZES:
            page = browser.new_page(viewport={"width": width, "height": height})
            api.attach(page)
            page.goto(f"{live_hub.url}/display?lang={lang}&voice=")
            page.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.loaded")
            counters = [c.number for c in branch.counters]
            for n in range(10):
                page.evaluate("(ev) => window.fakeSource.emit('ticket.called', ev)", {
                    "id": 100 + n, "type": "ticket.called", "at": "2020-01-01T00:00:00+00:00", "ticket": n + 1,
                    "number": f"A-{n + 1:03d}", "service": "PR1", "counter": counters[n % len(counters)]})
            page.wait_for_timeout(700)  # the call's flash
            layout = page.evaluate(WALL_BOXES)
            assert len([b for b in layout["boxes"] if b["sel"] == "#previous li"]) == 7  # every earlier call shown
            faults = wall_faults(layout)
            assert faults == [], (width, height, faults)
            # a unit's name is cut (two lines and "…") only when longer than any the branch has: the made-up
            # one is, every real unit name (D2's five) is read whole, at every size and in both languages
            cut = page.evaluate("""[...document.querySelectorAll('.unit .name')].filter((e) => {
                const shown = e.getBoundingClientRect().height;  // its lines as clamped, against all of them
                e.style.webkitLineClamp = 'unset';
                const whole = e.getBoundingClientRect().height;
                e.style.webkitLineClamp = '';
                return whole > shown + 1;
              }).map((e) => e.textContent)""")
            assert cut == [long_name[lang]], (width, height, cut)
            if lang == "fa" and (width, height) != (1366, 768):
                page.screenshot(path=str(docs / f"display-web-{width}x{height}-fa.png"))
            page.close()


@pytest.mark.browser
def test_the_wall_drops_a_call_taken_back(branch, live_hub) -> None:  # noqa: ANN001
    """Issue 24: a clerk takes back a call made by mistake: the wall shows the call before it again."""
    api = ScriptedApi(branch)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        api.attach(page)
        page.goto(f"{live_hub.url}/display?voice=")
        page.wait_for_function("() => window.navbatDisplay && window.navbatDisplay.loaded")
        for n, number in enumerate(("501", "502")):
            page.evaluate("(ev) => window.fakeSource.emit('ticket.called', ev)", {
                "id": 10 + n, "type": "ticket.called", "at": "2020-01-01T00:00:00+00:00", "ticket": n + 1,
                "number": number, "service": "PN1", "counter": 6})
        assert page.text_content("#now-number") == "۵۰۲"
        page.evaluate("(ev) => window.fakeSource.emit('ticket.uncalled', ev)", {
            "id": 12, "type": "ticket.uncalled", "at": "2020-01-01T00:00:05+00:00", "ticket": 2, "number": "502",
            "service": "PN1", "counter": 6})
        assert page.text_content("#now-number") == "۵۰۱"
        assert page.locator("#previous li").count() == 0


@pytest.mark.browser
def test_web_display_asks_for_changes_and_keeps_the_fields_that_did_not_move(branch, live_hub) -> None:  # noqa: ANN001
    """Issue 27: the wall subscribes with ?changes=1 and applies what moved to the summaries it keeps."""
    api = ScriptedApi(branch)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        api.attach(page)
        page.goto(f"{live_hub.url}/display?lang=en&voice=")
        page.wait_for_function(
            "() => window.navbatDisplay && window.navbatDisplay.loaded && window.navbatDisplay.online")
        assert "changes=1" in page.evaluate("window.fakeSource.url")
        now = dt.datetime.now(dt.UTC).isoformat()
        page.evaluate("(ev) => window.fakeSource.emit('ticket.issued', ev)", {
            "id": 7, "type": "ticket.issued", "at": now, "ticket": 2, "number": "102", "service": "IN1",
            "changes": {"units": {"insured": {"waiting": 4}}}})
        assert units_shown(page)["insured"][1:] == ["4 waiting", "5–12 min"]  # the estimate as it was
        page.evaluate("(ev) => window.fakeSource.emit('queue.changed', ev)", {
            "type": "queue.changed", "at": now,
            "changes": {"units": {"insured": {  # what the hub sends when an estimate moves: it and its words
                "estimated_wait": {"low": 6, "high": 6},
                "wait_text": unit_summary(branch, "insured", 4, 6, 6)["wait_text"]}}}})
        assert units_shown(page)["insured"][1:] == ["4 waiting", "about 6 min"]
        page.evaluate("(ev) => window.fakeSource.emit('ticket.done', ev)", {
            "id": 8, "type": "ticket.done", "at": now, "ticket": 1, "number": "101", "counter": 3, "changes": {}})
        page.wait_for_timeout(400)
        assert api.reads == 1  # nothing was read after the first picture
        page.close()
