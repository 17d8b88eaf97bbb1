"""The kiosk's "read aloud" (S1): every screen's guidance exists as an offline clip in both
voices, and the ticket screen reads the number and what to do next."""

from __future__ import annotations

import pytest
from navbat.foundation import speech


@pytest.mark.parametrize("lang", speech.LANGS)
def test_every_screen_has_its_guidance(lang: str) -> None:
    for screen in speech.SCREENS:
        parts = speech.guidance(screen, lang, "A-012" if screen == "ticket" else None)
        assert parts and all(p is None or p.is_file() for p in parts), screen
        assert speech.duration(speech.guidance_wav(screen, lang, "A-012")) > 1.0


def test_the_ticket_screen_reads_the_number_then_what_next() -> None:
    names = [p.stem if p else "|" for p in speech.guidance("ticket", "fa", "A-012")]
    assert names == ["guide-ticket", "letter-A", "12", "|", "guide-after"]
    assert [p.stem for p in speech.guidance("ticket", "fa")] == ["guide-home"]  # no ticket: the start again
    with pytest.raises(ValueError):
        speech.guidance("home", "de")
