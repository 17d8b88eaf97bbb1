"""Persian on the kiosk screen: shaping, right-to-left order, wrapping, digits and counts (issue 6, V2).

Waits are worded by foundation.wording.wait_text, not here; tests/test_kiosk_views.py checks that the
kiosk shows exactly its words.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from navbat.foundation.shaping import shape, wrap
from navbat.kiosk import text


def test_shape_joins_letters_and_orders_right_to_left() -> None:
    # ت final, ب medial, و final, ن initial: joined forms, and the first letter last (drawn rightmost).
    assert shape("نوبت") == "\ufe96\ufe91\ufeee\ufee7"
    assert shape("Take a ticket", rtl=False) == "Take a ticket"


def test_brackets_are_mirrored_in_persian() -> None:
    visual = shape("سالمند (۶۰ سال به بالا)")
    assert visual.index("(") < visual.index(")")  # reads as "(…)" on screen, not ")…("


def test_wrap_keeps_the_first_words_on_the_first_line() -> None:
    logical = "سامانه نوبت‌دهی اکنون پاسخ نمی‌دهد. لطفاً چند لحظه دیگر دوباره امتحان کنید."
    lines = wrap(logical, 200, measure=lambda s: 10 * len(s))
    assert len(lines) > 1 and all(10 * len(line) <= 200 for line in lines)
    words = logical.split(" ")
    prefixes = [shape(" ".join(words[:k])) for k in range(1, len(words))]
    suffixes = [shape(" ".join(words[k:])) for k in range(1, len(words))]
    assert lines[0] in prefixes  # the sentence starts on the top line (wrapped before reordering)
    assert lines[-1] in suffixes  # and ends on the bottom one


def test_counts_in_both_languages() -> None:
    assert text.waiting_count(0, "fa") == "کسی در انتظار نیست"
    assert text.waiting_count(1, "en") == "1 person waiting"
    assert text.people_ahead(12, "fa") == "۱۲ نفر جلوتر از شما"


def test_opening_text_is_jalali_with_persian_digits() -> None:
    tz = ZoneInfo("Asia/Tehran")
    now = dt.datetime(2026, 11, 20, 20, 0, tzinfo=tz)  # Friday evening
    opens = dt.datetime(2026, 11, 21, 7, 30, tzinfo=tz)
    assert text.opening_text(opens, now, "fa") == "شعبه اکنون بسته است. فردا شنبه ۳۰ آبان ۱۴۰۵ ساعت ۰۷:۳۰ باز می‌شود."
    assert text.opening_text(opens, now, "en") == (
        "The branch is closed now. It opens tomorrow, Saturday 21 November 2026, at 07:30.")
    early = dt.datetime(2026, 11, 21, 6, 0, tzinfo=tz)
    assert text.opening_text(opens, early, "fa") == "شعبه اکنون بسته است. امروز ساعت ۰۷:۳۰ باز می‌شود."
