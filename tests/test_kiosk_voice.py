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


def _spoken(vm, checkin, lang: str = "fa") -> list[str]:  # noqa: ANN001
    from navbat.kiosk import voice

    state, number = voice.guide(vm, checkin)
    parts = speech.guidance(state, lang, number)
    assert all(p is None or p.is_file() for p in parts)
    return [p.stem if p else "|" for p in parts]


@pytest.mark.parametrize("lang", speech.LANGS)
def test_every_kiosk_state_reads_its_own_guidance(lang: str) -> None:
    """Issue 24: the speaker button on the check-in screen (empty, wrong code, checked in), on "the
    system is not answering", "the branch is closed" and a ticket without paper said the home screen's."""
    from kiosk_support import FakeHub
    from navbat.foundation.hub_client import HubRefused, HubUnreachable
    from navbat.kiosk.checkin import CheckIn
    from navbat.kiosk.printing import PrintOutcome
    from navbat.kiosk.viewmodel import KioskModel

    vm = KioskModel(None, lang=lang)  # type: ignore[arg-type]  # no hub is asked: states are set as answers
    checkin = CheckIn(FakeHub(HubRefused(404, "not_remote", ""), HubRefused(404, "not_found", "")))  # type: ignore[arg-type]
    assert _spoken(vm, checkin, lang) == ["guide-home"]
    vm.finish_fetch(HubUnreachable("down"))  # the first load: the hub does not answer
    assert _spoken(vm, checkin, lang) == ["guide-unreachable"]
    vm.finish_fetch(({"open_now": False, "next_opening": None}, {"services": [], "units": []}))
    assert _spoken(vm, checkin, lang) == ["guide-closed"]
    vm.finish_fetch(({"open_now": True}, {"services": [], "units": []}))
    assert _spoken(vm, checkin, lang) == ["guide-home"]

    vm.screen = "checkin"
    assert _spoken(vm, checkin, lang) == ["guide-checkin"]  # empty: how to type a code
    checkin.type("ZZZZ2222")
    checkin.finish(checkin.request(checkin.begin()))
    assert _spoken(vm, checkin, lang) == ["guide-checkin-wrong"]  # what went wrong
    for refusal, clip in ((HubRefused(409, "turn_over", ""), "guide-checkin-over"),
                          (HubRefused(409, "outside_check_in_window", ""), "guide-checkin-later"),
                          (HubUnreachable("down"), "guide-unreachable")):
        checkin.type("ABCD2345")
        checkin.begin()
        checkin.finish(refusal)
        assert _spoken(vm, checkin, lang) == [clip]
    checkin.type("ABCD2345")
    checkin.begin()
    checkin.finish({"number": "F-003", "people_ahead": 1})
    assert _spoken(vm, checkin, lang) == ["guide-checked-in", "letter-F", "3", "|", "guide-checked-in-after"]

    vm.screen = "home"
    ticket = {"id": 7, "number": "A-012"}
    vm.screen, vm.service = "service", "PR1"
    vm.finish_ticket(ticket)
    assert _spoken(vm, checkin, lang) == ["guide-ticket", "letter-A", "12", "|", "guide-after"]  # still printing
    vm.finish_print(ticket, PrintOutcome(False, "paper_out", "no paper"))
    assert _spoken(vm, checkin, lang) == ["guide-ticket", "letter-A", "12", "|", "guide-no-paper"]
    vm.home()
    vm.screen = "service"
    vm.finish_ticket(HubUnreachable("down"))  # the hub went away under the visitor's tap
    assert _spoken(vm, checkin, lang) == ["guide-unreachable"]
