"""The phone page /t/<code> of a visit that ended "registered" (F1, F3): the request's state, its
due day in Jalali and the working days left, in Persian; then overdue, then answered."""

from __future__ import annotations

import pytest
from axe import assert_accessible, axe_context
from conftest import chromium, docs_dir, serve_in_thread
from pages_support import MIN_FONT
from requests_support import Desk, tehran

DOCS = docs_dir()


@pytest.fixture
def desk(branch, tmp_path) -> Desk:  # noqa: ANN001
    d = Desk(branch, tmp_path, tehran("1405-02-09", 10))  # Wednesday 9 Ordibehesht 1405
    yield d
    d.hub.stop()


def text(desk: Desk, code: str, lang: str = "fa") -> str:
    r = desk.client.get(f"/t/{code}?lang={lang}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_open_overdue_and_answered_in_persian(desk: Desk) -> None:
    code = desk.register("RG3")
    html = text(desk, code)
    assert "درخواست شما ثبت شد" in html and "در دست بررسی" in html
    assert "۳ روز کاری تا پاسخ مانده است" in html and "مهلت پاسخ: تا ۱۳ اردیبهشت ۱۴۰۵" in html
    assert "اداره نام‌نویسی و حساب‌های انفرادی" in html  # who answers, from the branch file
    assert 'data-request="open"' in html
    desk.clock.now = tehran("1405-02-13", 12)
    assert "مهلت پاسخ امروز است" in text(desk, code)
    desk.clock.now = tehran("1405-02-15", 12)  # Tuesday: Monday and Tuesday past the due day
    html = text(desk, code)
    assert 'data-request="overdue"' in html and "دیرتر از مهلت" in html and "پاسخ ۲ روز کاری دیر شده است" in html
    english = text(desk, code, "en")
    assert "The answer is 2 working days late" in english and "It was due by 2026-05-03" in english
    r = desk.client.post(f"/api/v1/requests/{code}/answer", json={"result": "سوابق در یک حساب ادغام شد"},
                         headers=desk.login("head"))
    assert r.status_code == 200
    html = text(desk, code)
    assert 'data-request="answered"' in html and "سوابق در یک حساب ادغام شد" in html
    assert "تاریخ پاسخ: ۱۵ اردیبهشت ۱۴۰۵، ساعت ۱۲:۰۰" in html


@pytest.mark.browser
def test_phone_page_of_an_open_and_an_overdue_request(desk: Desk) -> None:
    code = desk.register("PN4")  # a pension objection: 3 working days
    url, stop = serve_in_thread(desk.app)
    try:
        with chromium() as browser:
            page = axe_context(browser, viewport={"width": 320, "height": 640}).new_page()
            page.goto(f"{url}/t/{code}")
            assert page.locator("[data-request=open]").count() == 1
            assert "۳ روز کاری تا پاسخ مانده است" in page.text_content("#live")
            assert page.evaluate("document.documentElement.scrollWidth") <= 320
            assert page.evaluate(MIN_FONT) >= 16
            assert_accessible(page, "/t request open")
            page.screenshot(path=str(DOCS / "phone-request-open-fa.png"), full_page=True)

            desk.clock.now = tehran("1405-02-16", 9)  # Wednesday: three working days past Sunday's due day
            page.goto(f"{url}/t/{code}")
            assert page.locator("[data-request=overdue]").count() == 1
            assert "پاسخ ۳ روز کاری دیر شده است" in page.text_content("#live")
            assert page.evaluate("document.documentElement.scrollWidth") <= 320
            assert_accessible(page, "/t request overdue")
            page.screenshot(path=str(DOCS / "phone-request-overdue-fa.png"), full_page=True)
    finally:
        stop()
