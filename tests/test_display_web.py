"""The web wall display's server side: the page, the Jalali clock, and each call's WAV."""

from __future__ import annotations

import datetime as dt

from foundation import speech
from tests.conftest import make_app


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
    assert client.get("/display/fonts/Vazirmatn-Bold.ttf").status_code == 200
    assert client.get("/display/fonts/../../setup.cfg").status_code == 404
    assert client.get("/static/display/display.js").status_code == 200
    assert client.get("/static/counter/counter.js").status_code == 200
    page = client.get("/counter").get_data(as_text=True)
    assert 'dir="rtl"' in page and "میز کار باجه" in page
