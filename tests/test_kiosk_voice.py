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


def test_the_kiosk_leaves_sdl_its_real_audio() -> None:
    """Started as its unit starts it (no SDL_AUDIODRIVER), the kiosk must not pick SDL's dummy driver:
    that silenced the speaker button (S1) on every installed kiosk (issue 22)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SDL_AUDIODRIVER"}
    out = subprocess.run([sys.executable, "-c", "import os; from navbat.kiosk.launch import configure; configure(); "
                          "print(os.environ.get('SDL_AUDIODRIVER'))"], env={**env, "KIVY_NO_ARGS": "1"},
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "None", out.stderr[-2000:]
