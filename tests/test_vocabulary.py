"""One word for one thing on every surface (issue 24): the slip said "کد پیگیری" where the phone
said "کد رهگیری"."""

from __future__ import annotations

import pytest
from navbat.foundation.i18n import gettext_for


@pytest.mark.parametrize("domain", ["printer", "head", "counter"])
def test_the_tracking_code_has_one_name(domain: str) -> None:
    assert gettext_for(domain, "fa")("Tracking code") == "کد رهگیری"


def test_the_booking_page_names_the_code_as_the_slip_does() -> None:
    said = gettext_for("head", "fa")('When you arrive, check in at the kiosk ("I have a turn") with the tracking '
                                     "code below; you are called only after that.")
    assert "کد رهگیری" in said and "کد پیگیری" not in said
