"""What the wall and window displays show, driven without a window from real hub data."""

from __future__ import annotations

import datetime as dt

from counter_display.viewmodel import CounterModel, WallModel

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)  # 11:30 in Tehran, 1 Azar 1405


def call(ticket: int, number: str, counter: int, at: dt.datetime = NOW, kind: str = "ticket.called") -> dict:
    return {"id": ticket * 10, "type": kind, "at": at.isoformat(), "ticket": ticket, "number": number,
            "service": "IN1", "counter": counter}


def loaded_wall(client, lang: str = "fa") -> WallModel:  # noqa: ANN001
    m = WallModel(lang)
    m.load_branch(client.get("/api/v1/branch").json)
    m.load_services(client.get("/api/v1/services").json["services"])
    m.load_counters(client.get("/api/v1/counters").json["counters"])
    return m


def test_a_call_shows_large_and_is_announced_the_older_ones_move_down(client) -> None:  # noqa: ANN001
    m = loaded_wall(client)
    r1 = m.handle(call(1, "101", 3), now=NOW)
    r2 = m.handle(call(2, "A-001", 1), now=NOW)
    assert r1.announce.number == "101" and r2.announce.counter == 1 and r2.refresh_services
    v = m.view(NOW)
    assert (v.number, v.window, v.arrow) == ("A-۰۰۱", "باجه ۱", "←")
    assert v.previous == [("۱۰۱", "باجه ۳")]
    assert v.branch == "شعبه ۱۴ تأمین اجتماعی تهران"
    assert (v.date, v.clock) == ("۱ آذر ۱۴۰۵", "۱۱:۳۰")


def test_a_recall_comes_back_to_the_top_and_is_announced_again(client) -> None:  # noqa: ANN001
    m = loaded_wall(client)
    m.handle(call(1, "101", 3), now=NOW)
    m.handle(call(2, "102", 4), now=NOW)
    r = m.handle(call(1, "101", 3, kind="ticket.recalled"), now=NOW)
    assert r.announce.recall and r.announce.number == "101"
    v = m.view(NOW)
    assert v.number == "۱۰۱" and v.recall and v.previous == [("۱۰۲", "باجه ۴")]


def test_calls_replayed_after_an_outage_are_shown_not_spoken(client) -> None:  # noqa: ANN001
    m = loaded_wall(client)
    old = m.handle(call(1, "101", 3, at=NOW - dt.timedelta(minutes=10)), now=NOW)
    assert old.announce is None and m.view(NOW).number == "۱۰۱"


def test_history_is_bounded_and_a_cancelled_ticket_leaves_the_board(client) -> None:  # noqa: ANN001
    m = loaded_wall(client)
    for i in range(12):
        m.handle(call(i + 1, str(101 + i), 1 + i % 8), now=NOW)
    assert len(m.view(NOW).previous) == 7
    m.handle({"type": "ticket.cancelled", "ticket": 12, "number": "112"}, now=NOW)
    assert m.view(NOW).number == "۱۱۱"


def test_waiting_counts_and_estimates_per_unit(client, actions) -> None:  # noqa: ANN001
    actions.open_counter(3)
    for _ in range(3):
        actions.issue("IN1")
    actions.issue("PR1")
    m = loaded_wall(client)
    rows = {u.name: u for u in m.view(NOW).units}
    assert rows["امور بیمه‌شدگان"].waiting == "۳ نفر در انتظار"
    # the unit's estimate spans its sub-services' estimates for a newcomer (engine's figures)
    waits = sorted(s["estimated_wait_minutes"] for s in client.get("/api/v1/services").json["services"]
                   if s["unit"] == "insured" and s["available"] and s["estimated_wait_minutes"] is not None)
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    expected = ("بدون انتظار" if waits[-1] < 1 else f"حدود {waits[0]} دقیقه" if waits[0] == waits[-1]
                else f"{waits[0]} تا {waits[-1]} دقیقه").translate(fa)
    assert rows["امور بیمه‌شدگان"].estimate == expected
    assert rows["امور فنی مستمری‌ها"].estimate != "امروز ارائه نمی‌شود"  # served by backups today
    assert rows["وصول حق بیمه"].waiting == "۱ نفر در انتظار"
    en = {u.name: u for u in loaded_wall(client, "en").view(NOW).units}
    assert en["Insured persons' affairs"].waiting == "3 waiting"


def test_the_board_starts_with_what_windows_serve_now(client, actions) -> None:  # noqa: ANN001
    auth = actions.open_counter(5)
    actions.issue("RG1")
    assert client.post("/api/v1/counters/5/next", headers=auth).status_code == 200
    v = loaded_wall(client).view(NOW)
    assert (v.number, v.window) == ("K-۰۰۱", "باجه ۵")


def test_offline_shows_a_discreet_status(client) -> None:  # noqa: ANN001
    m = loaded_wall(client)
    assert m.view(NOW).status  # not yet connected
    m.set_online(True)
    assert m.view(NOW).status == ""


def test_window_display_shows_its_ticket_and_sub_services(client, actions) -> None:  # noqa: ANN001
    auth = actions.open_counter(2)
    actions.issue("PR2")
    m = CounterModel(2)
    m.load_services(client.get("/api/v1/services").json["services"])
    m.load_counter(client.get("/api/v1/counters/2").json)
    v = m.view()
    assert (v.title, v.number, v.ticket_label) == ("باجه ۲", "—", "آماده پذیرش نفر بعدی")
    assert v.services[:3] == ["صدور مفاصاحساب قرارداد", "ارسال و اصلاح فهرست حق بیمه", "تقسیط بدهی و بخشودگی جرایم"]
    assert len(v.services) == 10  # D4: primary first, then the backups
    client.post("/api/v1/counters/2/next", headers=auth)
    event = {"type": "ticket.called", "counter": 2, "number": "B-001", "ticket": 1}
    assert m.handle(event).refresh_counter and not m.handle({**event, "counter": 3}).refresh_counter
    m.load_counter(client.get("/api/v1/counters/2").json)
    assert (m.view().number, m.view().ticket_label) == ("B-۰۰۱", "لطفاً مراجعه کنید")
