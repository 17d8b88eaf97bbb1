"""What the wall and counter displays show, driven without a window.

Calls come from real hub data; the waiting counts and estimates per unit are the hub's
summaries, fed the way the hub sends them (GET /services {"services", "units"}, then each
event's "queue" and the id-less "queue.changed"). A fake hub client counts the re-reads.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import Any

import pytest
from conftest import unit_summary
from navbat.counter_display.feed import Feed, Refresher
from navbat.counter_display.viewmodel import CounterModel, WallModel
from navbat.foundation.config import Branch
from navbat.foundation.hub_events import wait_until
from navbat.foundation.wording import wait_text
from navbat.server.floor import summaries

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)  # 11:30 in Tehran, 1 Azar 1405
SETTLE_S = 0.3  # longer than the Refresher's 0.05 s pause in these tests: any re-read has happened


def call(ticket: int, number: str, counter: int, at: dt.datetime = NOW, kind: str = "ticket.called") -> dict:
    return {"id": ticket * 10, "type": kind, "at": at.isoformat(), "ticket": ticket, "number": number,
            "service": "IN1", "counter": counter}


def services_body(branch: Branch, **units: dict[str, Any]) -> dict[str, Any]:
    """GET /services: every unit, quiet unless given (the wall reads only "units")."""
    return {"services": [], "units": [units.get(u.code) or unit_summary(branch, u.code, note="not_open")
                                      for u in branch.units]}


def branch_body(branch: Branch) -> dict[str, Any]:
    return {"name": branch.branch.name.model_dump(), "timezone": branch.branch.timezone}


def wall(branch: Branch, lang: str = "fa", **units: dict[str, Any]) -> WallModel:
    m = WallModel(lang)
    m.load_branch(branch_body(branch))
    m.load_queue(services_body(branch, **units))
    return m


def loaded_wall(client, lang: str = "fa") -> WallModel:  # noqa: ANN001
    """A wall loaded from a real hub, as the app loads it."""
    m = WallModel(lang)
    m.load_branch(client.get("/api/v1/branch").json)
    m.load_queue(client.get("/api/v1/services").json)
    m.load_counters(client.get("/api/v1/counters").json["counters"])
    return m


def rows(m: WallModel) -> dict[str, tuple[str, str]]:
    return {u.code: (u.waiting, u.estimate) for u in m.view(NOW).units}


class FakeHub:
    """Answers GET /services from a dict and counts how often it was asked."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body, self.requests = body, 0

    def queue(self) -> dict[str, Any]:
        self.requests += 1
        return copy.deepcopy(self.body)


def fed_wall(branch: Branch, hub: FakeHub) -> tuple[WallModel, Feed]:
    m = wall(branch)
    feed = Feed(m, Refresher(hub.queue, m.load_queue, delay=0.05))
    feed.loaded = True
    return m, feed


# ---- calls ---------------------------------------------------------------------------


def test_a_call_shows_large_and_is_announced_the_older_ones_move_down(client) -> None:  # noqa: ANN001
    m = loaded_wall(client)
    r1 = m.handle(call(1, "101", 3), now=NOW)
    r2 = m.handle(call(2, "A-001", 1), now=NOW)
    assert r1.announce.number == "101" and r2.announce.counter == 1
    v = m.view(NOW)
    assert (v.number, v.counter, v.direction) == ("A-۰۰۱", "باجه ۱", "")  # no direction given: no arrow
    assert v.previous == [("۱۰۱", "باجه ۳")]
    assert v.branch == "شعبه ۱۴ تأمین اجتماعی تهران"
    assert (v.date, v.clock) == ("۱ آذر ۱۴۰۵", "۱۱:۳۰")


def test_english_screen_text_says_counter(branch) -> None:  # noqa: ANN001
    m = wall(branch, "en")
    m.handle(call(1, "101", 3), now=NOW)
    m.handle(call(2, "102", 4), now=NOW)
    v = m.view(NOW)
    assert v.counter == "Counter 4" and v.previous == [("101", "Counter 3")]
    c = CounterModel(2, "en")
    assert (c.view().title, c.view().services_label) == ("Counter 2", "Served at this counter")


def test_a_recall_comes_back_to_the_top_and_is_announced_again(branch) -> None:  # noqa: ANN001
    m = wall(branch)
    m.handle(call(1, "101", 3), now=NOW)
    m.handle(call(2, "102", 4), now=NOW)
    r = m.handle(call(1, "101", 3, kind="ticket.recalled"), now=NOW)
    assert r.announce.recall and r.announce.number == "101"
    v = m.view(NOW)
    assert v.number == "۱۰۱" and v.recall and v.previous == [("۱۰۲", "باجه ۴")]


def test_calls_replayed_after_an_outage_are_shown_not_spoken(branch) -> None:  # noqa: ANN001
    m = wall(branch)
    old = m.handle(call(1, "101", 3, at=NOW - dt.timedelta(minutes=10)), now=NOW)
    assert old.announce is None and m.view(NOW).number == "۱۰۱"


def test_history_is_bounded_and_a_cancelled_ticket_leaves_the_board(branch) -> None:  # noqa: ANN001
    m = wall(branch)
    for i in range(12):
        m.handle(call(i + 1, str(101 + i), 1 + i % 8), now=NOW)
    assert len(m.view(NOW).previous) == 7
    m.handle({"type": "ticket.cancelled", "ticket": 12, "number": "112"}, now=NOW)
    assert m.view(NOW).number == "۱۱۱"


def test_the_board_starts_with_what_counters_serve_now(client, actions) -> None:  # noqa: ANN001
    auth = actions.open_counter(5)
    actions.issue("RG1")
    assert client.post("/api/v1/counters/5/next", headers=auth).status_code == 200
    v = loaded_wall(client).view(NOW)
    assert (v.number, v.counter) == ("K-۰۰۱", "باجه ۵")


def test_offline_shows_a_discreet_status(branch) -> None:  # noqa: ANN001
    m = wall(branch)
    assert m.view(NOW).status  # not yet connected
    m.set_online(True)
    assert m.view(NOW).status == ""


# ---- waiting counts and estimates: the hub's summaries, worded here -------------------


def test_unit_rows_are_the_hubs_summaries_in_words(branch) -> None:  # noqa: ANN001
    m = wall(branch, insured=unit_summary(branch, "insured", 3, 5, 12),
             premium=unit_summary(branch, "premium", 1, 4, 4),
             pension=unit_summary(branch, "pension", 0, note="no_wait"),
             finance=unit_summary(branch, "finance", note="not_served"))
    assert [u.code for u in m.view(NOW).units] == [u.code for u in branch.units]  # the branch's order
    assert [u.name for u in m.view(NOW).units][:2] == ["وصول حق بیمه", "امور بیمه‌شدگان"]
    assert rows(m) == {"premium": ("۱ نفر در انتظار", "حدود ۴ دقیقه"),
                       "insured": ("۳ نفر در انتظار", "۵ تا ۱۲ دقیقه"),
                       "registration": ("۰ نفر در انتظار", "اکنون باجهٔ بازی ندارد"),
                       "pension": ("۰ نفر در انتظار", "بدون انتظار"),
                       "finance": ("۰ نفر در انتظار", "امروز ارائه نمی‌شود")}
    en = wall(branch, "en", insured=unit_summary(branch, "insured", 3, 5, 12))
    assert {u.name: (u.waiting, u.estimate) for u in en.view(NOW).units}["Insured persons' affairs"] == \
        ("3 waiting", "5–12 min")
    fresh = wall(branch, "en", insured=unit_summary(branch, "insured", 2))  # just started: no estimate yet
    assert rows(fresh)["insured"] == ("2 waiting", "no estimate yet")


def test_an_event_with_queue_updates_the_row_without_a_hub_request(branch) -> None:  # noqa: ANN001
    hub = FakeHub(services_body(branch))
    m, feed = fed_wall(branch, hub)
    event = {**call(1, "101", 3, at=dt.datetime.now(dt.UTC)), "queue": {
        "services": [{"code": "IN1", "unit": "insured", "waiting": 4, "available": True, "open_counters": 1,
                      "estimated_wait_minutes": 9, "estimated_wait": {"minutes": 9, "low": 5, "high": 14},
                      "note": None}],
        "units": [unit_summary(branch, "insured", 4, 9, 9)]}}
    reaction = feed.event(event)
    assert reaction.announce and not reaction.refresh
    issued = {"id": 11, "type": "ticket.issued", "at": NOW.isoformat(), "ticket": 2, "number": "102",
              "service": "PR1", "queue": {"services": [], "units": [unit_summary(branch, "premium", 1, 2, 6)]}}
    assert not feed.event(issued).refresh
    assert rows(m)["insured"] == ("۴ نفر در انتظار", "حدود ۹ دقیقه")
    assert rows(m)["premium"] == ("۱ نفر در انتظار", "۲ تا ۶ دقیقه")
    assert rows(m)["pension"] == ("۰ نفر در انتظار", "اکنون باجهٔ بازی ندارد")  # untouched
    time.sleep(SETTLE_S)
    assert hub.requests == 0


def test_an_event_with_changes_moves_only_those_fields_without_a_hub_request(branch) -> None:  # noqa: ANN001
    """?changes=1 (issue 27): the hub sends what moved in the summaries; the wall keeps the rest."""
    hub = FakeHub(services_body(branch, insured=unit_summary(branch, "insured", 3, 5, 12)))
    m, feed = fed_wall(branch, hub)
    m.load_queue(copy.deepcopy(hub.body))  # what it read when it started
    kept: dict = {}
    summaries.changes(kept, {"units": [unit_summary(branch, "insured", 3, 5, 12)]})  # as the hub sent it
    moved = summaries.changes(kept, {"units": [unit_summary(branch, "insured", 4, 5, 12)]})
    assert moved == {"units": {"insured": {"waiting": 4}}}
    issued = {"id": 11, "type": "ticket.issued", "at": NOW.isoformat(), "ticket": 2, "number": "102",
              "service": "IN1", "changes": moved}
    assert not feed.event(issued).refresh
    assert rows(m)["insured"] == ("۴ نفر در انتظار", "۵ تا ۱۲ دقیقه")  # the estimate kept as it was
    done = {"id": 12, "type": "ticket.done", "at": NOW.isoformat(), "ticket": 1, "number": "101", "counter": 3,
            "changes": {}}  # nothing moved: still no re-read
    assert not feed.event(done).refresh
    moved = summaries.changes(kept, {"units": [unit_summary(branch, "insured", 4, 6, 9)]})
    assert set(moved["units"]["insured"]) == {"estimated_wait", "wait_text"}  # the estimate and its words
    refreshed = {"type": "queue.changed", "at": NOW.isoformat(), "changes": moved}
    assert not feed.event(refreshed).refresh
    assert rows(m)["insured"] == ("۴ نفر در انتظار", "۶ تا ۹ دقیقه")
    time.sleep(SETTLE_S)
    assert hub.requests == 0


def test_events_without_queue_make_one_re_read_for_a_burst(branch) -> None:  # noqa: ANN001
    """A catch-up from the log after a reconnect: the events carry no "queue"."""
    hub = FakeHub(services_body(branch, insured=unit_summary(branch, "insured", 6, 10, 15)))
    m, feed = fed_wall(branch, hub)
    replayed = [call(1, "101", 3, at=NOW - dt.timedelta(minutes=5)),
                {"id": 20, "type": "ticket.done", "ticket": 1, "number": "101", "counter": 3},
                {"id": 21, "type": "counter.changed", "counter": 3, "state": "paused", "services": None}]
    assert all(feed.event(e).refresh for e in replayed)
    assert wait_until(lambda: hub.requests == 1, 2)
    assert wait_until(lambda: rows(m)["insured"] == ("۶ نفر در انتظار", "۱۰ تا ۱۵ دقیقه"), 2)
    time.sleep(SETTLE_S)
    assert hub.requests == 1  # one read for the three
    feed.event({"id": 22, "type": "ticket.issued", "ticket": 2, "number": "102", "service": "IN1"})
    assert wait_until(lambda: hub.requests == 2, 2)  # a later one gets a read of its own


def test_queue_changed_without_id_updates_the_rows(branch) -> None:  # noqa: ANN001
    hub = FakeHub(services_body(branch))
    m, feed = fed_wall(branch, hub)
    changed = {"type": "queue.changed", "at": NOW.isoformat(), "queue": {
        "services": [], "units": [unit_summary(branch, "registration", 2, 3, 7),
                                  unit_summary(branch, "finance", note="not_served")]}}
    reaction = feed.event(changed)
    assert reaction.announce is None and not reaction.refresh
    assert rows(m)["registration"] == ("۲ نفر در انتظار", "۳ تا ۷ دقیقه")
    assert rows(m)["finance"] == ("۰ نفر در انتظار", "امروز ارائه نمی‌شود")
    time.sleep(SETTLE_S)
    assert hub.requests == 0


def test_a_reconnect_re_reads_once_a_first_connect_does_not(branch) -> None:  # noqa: ANN001
    """queue.changed events are not in the hub's log, so none are replayed: the wall re-reads."""
    hub = FakeHub(services_body(branch, pension=unit_summary(branch, "pension", 1, 1, 1)))
    m, feed = fed_wall(branch, hub)
    feed.loaded = False
    feed.status(True)  # the first connection, before the first load
    time.sleep(SETTLE_S)
    assert hub.requests == 0
    feed.loaded = True
    feed.status(False)
    feed.status(True)
    assert wait_until(lambda: rows(m)["pension"] == ("۱ نفر در انتظار", "حدود ۱ دقیقه"), 2)
    assert hub.requests == 1


def test_a_failed_re_read_is_dropped_and_the_next_event_retries(branch) -> None:  # noqa: ANN001
    from navbat.foundation.hub_client import HubUnreachable

    hub = FakeHub(services_body(branch, insured=unit_summary(branch, "insured", 2, 4, 4)))
    answers = [HubUnreachable("down")]

    def flaky() -> dict[str, Any]:
        if answers:
            hub.requests += 1
            raise answers.pop()
        return hub.queue()

    m = wall(branch)
    feed = Feed(m, Refresher(flaky, m.load_queue, delay=0.05))
    feed.event({"id": 1, "type": "ticket.issued", "ticket": 1, "number": "101", "service": "IN1"})
    assert wait_until(lambda: hub.requests == 1, 2)
    time.sleep(SETTLE_S)
    assert rows(m)["insured"][0] == "۰ نفر در انتظار"
    feed.event({"id": 2, "type": "ticket.issued", "ticket": 2, "number": "102", "service": "IN1"})
    assert wait_until(lambda: rows(m)["insured"] == ("۲ نفر در انتظار", "حدود ۴ دقیقه"), 2)


def test_a_queue_for_units_not_loaded_yet_waits_for_the_first_read(branch) -> None:  # noqa: ANN001
    m = WallModel("fa")
    m.handle({"type": "queue.changed", "queue": {"units": [unit_summary(branch, "insured", 2, 4, 4)]}})
    assert m.view(NOW).units == []
    m.load_queue(services_body(branch))
    assert len(m.view(NOW).units) == len(branch.units)


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_waiting_counts_and_estimates_per_unit_from_the_live_hub(client, actions, lang: str) -> None:  # noqa: ANN001
    actions.open_counter(3)
    for _ in range(3):
        actions.issue("IN1")
    actions.issue("PR1")
    body = client.get("/api/v1/services").json
    units = {u["code"]: u for u in body["units"]}
    assert units["insured"]["waiting"] == 3 and units["premium"]["waiting"] == 1
    m = loaded_wall(client, lang)
    shown = rows(m)
    assert shown["insured"][0] == ("۳ نفر در انتظار" if lang == "fa" else "3 waiting")
    for code, (_, estimate) in shown.items():
        assert estimate == wait_text(units[code]["estimated_wait"], units[code]["note"], lang)


# ---- the screen above one counter -------------------------------------------------------


def test_counter_display_shows_its_ticket_and_sub_services(client, actions) -> None:  # noqa: ANN001
    auth = actions.open_counter(2)
    actions.issue("PR2")
    m = CounterModel(2)
    m.load_services(client.get("/api/v1/services").json["services"])
    m.load_counter(client.get("/api/v1/counters/2").json)
    v = m.view()
    assert (v.title, v.number, v.ticket_label) == ("باجه ۲", "—", "آماده پذیرش نفر بعدی")
    assert v.services_label == "خدمات این باجه"
    assert v.services[:3] == ["صدور مفاصاحساب قرارداد", "ارسال و اصلاح فهرست حق بیمه", "تقسیط بدهی و بخشودگی جرایم"]
    assert len(v.services) == 10  # D4: primary first, then the backups
    client.post("/api/v1/counters/2/next", headers=auth)
    event = {"type": "ticket.called", "counter": 2, "number": "B-001", "ticket": 1}
    assert m.handle(event).refresh and not m.handle({**event, "counter": 3}).refresh
    assert not m.handle({"type": "queue.changed", "queue": {"services": [], "units": []}}).refresh
    m.load_counter(client.get("/api/v1/counters/2").json)
    assert (m.view().number, m.view().ticket_label) == ("B-۰۰۱", "لطفاً مراجعه کنید")


# ---- issue 12: the hub gone, the day's calls back, arrows only from the branch file ------


def test_a_lost_hub_marks_the_big_number_as_the_last_one_known(branch) -> None:  # noqa: ANN001
    m = wall(branch)
    m.set_online(True)
    m.handle(call(1, "101", 3), now=NOW)
    v = m.view(NOW)
    assert (v.stale, v.status, v.labels["now"]) == (False, "", "شماره فراخوانده‌شده")
    m.set_online(False)
    v = m.view(NOW)
    assert v.stale and v.number == "۱۰۱"
    assert v.labels["now"] == "آخرین شماره پیش از قطع ارتباط"
    assert v.status == "ارتباط با سرور قطع است؛ در حال اتصال دوباره…"
    assert v.labels["stale"] == "شماره‌های این صفحه ممکن است قدیمی باشند."
    m.set_online(True)
    assert not m.view(NOW).stale


def test_the_days_calls_come_back_after_a_restart_and_are_not_spoken(client, actions) -> None:  # noqa: ANN001
    from navbat.foundation.hub_client import HubClient

    auth = actions.open_counter(6)
    numbers = []
    for _ in range(3):
        actions.issue("PN1")
        numbers.append(client.post("/api/v1/counters/6/next", headers=auth).json["number"])
        client.post("/api/v1/counters/6/done", headers=auth)
    hub = HubClient("http://hub")
    hub._request = lambda method, path, params=None: client.get(f"/api/v1{path}", query_string=params).json
    m = loaded_wall(client)  # a wall started now: the counter serves nobody, the board comes from GET /calls
    assert m.view(NOW).number == ""
    m.load_calls(hub.calls(8))
    v = m.view(NOW)
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    assert v.number == numbers[2].translate(fa) and v.counter == "باجه ۶"
    assert [n for n, _c in v.previous] == [numbers[1].translate(fa), numbers[0].translate(fa)]
    m.load_calls(hub.calls(8))  # read again after an outage: nothing doubled
    assert len(m.view(NOW).previous) == 2


def test_arrows_only_where_the_branch_file_gives_this_walls_direction(branch, tmp_path) -> None:  # noqa: ANN001
    from conftest import make_app

    walls = [d.model_copy(update={"directions": {6: "right", 3: "upstairs"}}) if d.name == "hall" else d
             for d in branch.displays]
    app = make_app(branch.model_copy(update={"displays": walls}), tmp_path / "arrows.sqlite")
    body = app.test_client().get("/api/v1/branch").json
    assert body["displays"] == [{"name": "hall", "directions": {"6": "right", "3": "upstairs"}}]
    ways = {}
    for name in ("hall", None, "elsewhere"):
        m = WallModel("fa", display=name)
        m.load_branch(body)
        ways[name] = []
        for counter in (6, 3, 1):
            m.handle(call(counter, f"10{counter}", counter), now=NOW)
            ways[name].append(m.view(NOW).direction)
    assert ways == {"hall": ["right", "upstairs", ""], None: ["", "", ""], "elsewhere": ["", "", ""]}


def test_the_watch_says_gone_when_the_stream_drops_or_the_hub_stops_answering() -> None:
    from navbat.counter_display.feed import Watch
    from navbat.foundation.hub_client import HubUnreachable

    answers = {"ok": True}

    def probe() -> None:
        if not answers["ok"]:
            raise HubUnreachable("timed out")

    said: list[bool] = []
    watch = Watch(probe, said.append, every=0.02).start()
    try:
        assert wait_until(lambda: said == [False], 2)  # the probe answers, but no stream yet
        watch.stream(True)
        assert said == [False, True]
        watch.stream(False)  # the stream dropped: at once
        assert said == [False, True, False]
        watch.stream(True)
        answers["ok"] = False  # a hub that hangs: the stream stays "connected", the probe fails
        assert wait_until(lambda: said == [False, True, False, True, False], 2), said
        answers["ok"] = True
        assert wait_until(lambda: said[-1] is True, 2), said
    finally:
        watch.stop()


def test_the_wall_lists_and_speaks_as_the_hub_says(branch) -> None:  # noqa: ANN001
    """Issue 25: how many earlier calls and how old a call still spoken come from the hub (GET
    /branch's "wall", foundation/wall.py), not from constants of the wall's own."""
    m = WallModel("fa")
    m.load_branch({**branch_body(branch), "wall": {"history": 3, "announce_within_s": 10}})
    m.load_queue(services_body(branch))
    for i in range(6):
        m.handle(call(i + 1, str(101 + i), 1 + i % 8), now=NOW)
    assert len(m.view(NOW).previous) == 3
    assert m.handle(call(9, "109", 2, at=NOW - dt.timedelta(seconds=20)), now=NOW).announce is None
    assert m.handle(call(10, "110", 2, at=NOW - dt.timedelta(seconds=5)), now=NOW).announce is not None


def test_a_unit_row_shows_the_hubs_words_for_its_wait(branch) -> None:  # noqa: ANN001
    m = wall(branch)
    shipped = unit_summary(branch, "insured", 3, 5, 12) | {"wait_text": {"fa": "حدود نیم ساعت", "en": "half an hour"}}
    m.merge_queue({"units": [shipped]})
    assert rows(m)["insured"] == ("۳ نفر در انتظار", "حدود نیم ساعت")
