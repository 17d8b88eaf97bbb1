"""The kiosk's screens say exactly what the hub's summaries say, worded like the wall (no hub needed).

A fake hub answers GET /branch, GET /services and POST /tickets with canned JSON shaped
as in the hub -> devices contract; its figures are deliberately not what the kiosk could
work out from the sub-services, so a kiosk that derived its own would be caught.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from navbat.foundation.wording import wait_text
from navbat.kiosk import viewmodel as vm
from navbat.kiosk.viewmodel import KioskModel
from navbat.kiosk.views import PriorityOption


def _t(fa: str, en: str) -> dict[str, str]:
    return {"fa": fa, "en": en}


BRANCH = {
    "id": "test", "name": _t("شعبه آزمایشی", "Test branch"), "timezone": "Asia/Tehran", "open_now": True,
    "next_opening": None, "opening_hours": {},
    "units": [{"code": "premium", "name": _t("وصول حق بیمه", "Premium collection"), "icon": "premium.png",
               "services": ["PR1", "PR2"]},
              {"code": "insured", "name": _t("امور بیمه‌شدگان", "Insured persons' affairs"), "icon": "insured.png",
               "services": ["IN1"]},
              {"code": "pension", "name": _t("مستمری‌ها", "Pensions"), "icon": None, "services": ["PN1"]},
              {"code": "finance", "name": _t("اداری و مالی", "Finance"), "icon": None, "services": ["FN1"]}],
    "priority_classes": [{"code": "elderly", "name": _t("سالمند", "Elderly")}],
}


def _service(code: str, unit: str, name: dict, **summary: Any) -> dict[str, Any]:
    """A ServiceItem: catalogue fields merged with its ServiceSummary."""
    return {"code": code, "name": name, "unit": unit, "unit_name": next(u["name"] for u in BRANCH["units"]
                                                                        if u["code"] == unit),
            "documents": [_t("کارت ملی", "National ID card")], "steps": [_t("بررسی", "Checked")],
            "responsible": None, "expected_minutes": 9, "target_wait_minutes": 20, "counters": [1],
            "waiting": 0, "available": True, "open_counters": 1, "estimated_wait_minutes": None,
            "estimated_wait": None, "note": None, **summary}


def _unit(code: str, services: list[str], **summary: Any) -> dict[str, Any]:
    unit = next(u for u in BRANCH["units"] if u["code"] == code)
    return {"code": code, "name": unit["name"], "services": services, "waiting": 0, "available": True,
            "open_counters": 1, "estimated_wait": None, "note": None, **summary}


QUEUE = {
    "services": [
        _service("PR1", "premium", _t("مفاصاحساب", "Clearance"), waiting=2, estimated_wait_minutes=10,
                 estimated_wait={"minutes": 10, "low": 8, "high": 14}),
        _service("PR2", "premium", _t("فهرست حق بیمه", "Premium lists"), waiting=0, note="no_wait",
                 estimated_wait={"minutes": 0, "low": 0, "high": 0}),
        _service("IN1", "insured", _t("غرامت دستمزد", "Sick pay"), waiting=3, open_counters=0, note="not_open"),
        _service("PN1", "pension", _t("بازنشستگی", "Retirement"), available=False, open_counters=0,
                 counters=[], note="not_served"),
        _service("FN1", "finance", _t("پیگیری پرداخت", "Payment follow-up"), waiting=1),
    ],
    "units": [
        # Not min/max of its sub-services on purpose: the kiosk must show the hub's figures, not its own.
        _unit("premium", ["PR1", "PR2"], waiting=7, estimated_wait={"low": 3, "high": 4}),
        _unit("insured", ["IN1"], waiting=3, open_counters=0, note="not_open"),
        _unit("pension", ["PN1"], available=False, open_counters=0, note="not_served"),
        _unit("finance", ["FN1"], waiting=1),  # no estimate yet (the hub just started)
    ],
}

TICKET = {"id": 1, "number": "A-012", "service": "PR1", "unit": "premium", "priority": None, "state": "waiting",
          "tracking_code": "Q7K2M9XP", "issued_at": "2026-11-22T06:35:00Z", "people_ahead": 2,
          "estimated_wait_minutes": 11, "estimated_wait": {"minutes": 11, "low": 9, "high": 16},
          "branch_name": BRANCH["name"], "service_name": _t("نام از هاب", "Name from the hub"),
          "unit_name": BRANCH["units"][0]["name"], "priority_name": None, "documents": [], "timezone": "Asia/Tehran"}


class FakeHub:
    url = "http://fake-hub"

    def __init__(self) -> None:
        self.queue_answer = copy.deepcopy(QUEUE)

    def me(self) -> dict[str, Any]:
        return {"name": "kiosk-1", "role": "kiosk", "counter": None}

    def branch(self) -> dict[str, Any]:
        return copy.deepcopy(BRANCH)

    def queue(self) -> dict[str, Any]:
        return copy.deepcopy(self.queue_answer)

    def issue_ticket(self, service: str, priority: str | None, key: str) -> dict[str, Any]:
        return copy.deepcopy(TICKET)


@pytest.fixture
def model() -> KioskModel:
    m = KioskModel(FakeHub())
    m.refresh()
    return m


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_unit_cards_show_the_hubs_unit_summaries(model, lang) -> None:  # noqa: ANN001
    model.set_lang(lang)
    cards = model.home_cards()
    assert [c.code for c in cards] == [u["code"] for u in QUEUE["units"]]
    for card, unit in zip(cards, QUEUE["units"], strict=True):
        assert card.estimate == wait_text(unit["estimated_wait"], unit["note"], lang)
        assert card.title == unit["name"][lang] and card.enabled == unit["available"]
    assert cards[0].icon == "premium.png" and cards[2].icon is None  # icons from GET /branch


def test_unit_card_words(model) -> None:  # noqa: ANN001
    premium, insured, pension, finance = model.home_cards()
    assert (premium.waiting, premium.estimate) == ("۷ نفر در انتظار", "۳ تا ۴ دقیقه")  # the hub's sums, not 2 / 8-14
    assert insured.estimate == "اکنون باجهٔ بازی ندارد"
    assert pension.estimate == "امروز ارائه نمی‌شود" and not pension.enabled
    assert finance.estimate == "هنوز برآوردی نیست"
    model.set_lang("en")
    assert [c.estimate for c in model.home_cards()] == ["3–4 min", "no counter open now",
                                                      "not served today", "no estimate yet"]
    assert model.home_cards()[0].waiting == "7 people waiting"  # the kiosk's own wording of the count


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_service_rows_show_the_hubs_service_summaries(model, lang) -> None:  # noqa: ANN001
    model.set_lang(lang)
    for unit in QUEUE["units"]:
        model.open_unit(unit["code"])
        rows = model.service_rows()
        summaries = [s for s in QUEUE["services"] if s["unit"] == unit["code"]]
        assert [r.code for r in rows] == [s["code"] for s in summaries]
        for row, s in zip(rows, summaries, strict=True):
            assert row.estimate == wait_text(s["estimated_wait"], s["note"], lang)
            assert row.available == s["available"] and row.title == s["name"][lang]
        model.home()


def test_a_service_no_counter_gives_is_greyed_with_the_reason(model) -> None:  # noqa: ANN001
    model.open_unit("pension")
    (row,) = model.service_rows()
    assert not row.available and row.reason == "امروز هیچ باجه‌ای این خدمت را ارائه نمی‌دهد"
    model.set_lang("en")
    (row,) = model.service_rows()
    assert row.reason == "No counter gives this service today" and row.estimate == "not served today"
    model.open_service("PN1")
    assert model.screen == vm.UNIT


def test_service_screen_words_the_summary_and_offers_priority_options(model) -> None:  # noqa: ANN001
    model.set_lang("en")
    model.open_unit("premium")
    model.open_service("PR1")
    view = model.service_view()
    assert view.estimate == "8–14 min" and view.expected == "Service takes about 9 minutes at the counter"
    assert view.priorities == [PriorityOption(None, "No priority", True), PriorityOption("elderly", "Elderly", False)]
    model.choose_priority("elderly")
    assert [o.selected for o in model.service_view().priorities] == [False, True]


def test_ticket_screen_keeps_the_tickets_own_estimate(model) -> None:  # noqa: ANN001
    model.open_unit("premium")
    model.open_service("PR1")
    model.hub.queue_answer["services"][0]["estimated_wait"] = {"minutes": 30, "low": 25, "high": 40}
    model.take_ticket()  # no printer on this kiosk
    view = model.ticket_view()
    assert view.estimate == "زمان تقریبی انتظار: " + wait_text(TICKET["estimated_wait"], None, "fa")
    assert view.estimate == "زمان تقریبی انتظار: ۹ تا ۱۶ دقیقه"
    assert view.service == "نام از هاب" and view.number == "A-۰۱۲" and view.print_ok is False
    model.set_lang("en")
    assert model.ticket_view().estimate == "Estimated wait: 9–16 min"


def test_refresh_takes_the_new_summaries(model) -> None:  # noqa: ANN001
    model.hub.queue_answer["units"][0].update(waiting=1, estimated_wait=None, note="no_wait")
    model.refresh()
    assert (model.home_cards()[0].waiting, model.home_cards()[0].estimate) == ("۱ نفر در انتظار", "بدون انتظار")
