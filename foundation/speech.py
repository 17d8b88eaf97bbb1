"""A call, spoken offline: "شماره ۱۰۲، باجه ۳" assembled from the clips in assets/sounds.

`phrase()` turns a ticket number and a counter into clip names; `render()` joins the
chime and the clips into one WAV (16 kHz mono), with short pauses where a speaker
would breathe. The same WAV is played by the Kivy display and served to the web one.
"""

from __future__ import annotations

import io
import re
import wave
from functools import cache
from pathlib import Path

from navbat.foundation.assets import SOUNDS

LANGS = ("fa", "en")
RATE = 16000
WORD_GAP_S = 0.06
PHRASE_GAP_S = 0.25  # after the chime, between "number 102" and "counter 3", between languages


def number_words(n: int, lang: str) -> list[str]:
    """102 -> ["100", "and", "2"] (fa: صد و دو) or ["1", "hundred", "2"] (en); 0..999, longer ones digit by digit."""
    if n < 0:
        raise ValueError("no negative numbers on tickets")
    if n > 999:
        return [w for d in str(n) for w in number_words(int(d), lang)]
    if n < 20:
        return [str(n)]
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds:
        words += [str(hundreds * 100)] if lang == "fa" else [str(hundreds), "hundred"]
    if rest:
        if words and lang == "fa":
            words.append("and")
        tens, units = divmod(rest, 10)
        if rest < 20:
            words.append(str(rest))
        else:
            words.append(str(tens * 10))
            if units:
                words += (["and"] if lang == "fa" else []) + [str(units)]
    return words


def ticket_words(number: str, lang: str) -> list[str]:
    """'A-012' -> ['letter-A', '12']; '102' -> number words. Unknown characters are skipped."""
    words: list[str] = []
    for part in re.findall(r"[A-Za-z]|\d+", number):
        if part.isdigit():
            words += number_words(int(part), lang)
        else:
            words.append(f"letter-{part.upper()}")
    return words


def phrase(number: str, counter: int, lang: str) -> list[str]:
    """The clip names of one call in one language: number … counter …  ('|' marks a pause)."""
    if lang not in LANGS:
        raise ValueError(f"no voice for language {lang!r}")
    return ["number", *ticket_words(number, lang), "|", "counter", *number_words(counter, lang)]


def clips(number: str, counter: int, langs: tuple[str, ...] = ("fa",), chime: bool = True) -> list[Path | None]:
    """Files to play in order (None is a pause): chime, then the call in each language."""
    out: list[Path | None] = [SOUNDS / "chime.wav", None] if chime else []
    for i, lang in enumerate(langs):
        if i:
            out.append(None)
        out += [None if w == "|" else SOUNDS / lang / f"{w}.wav" for w in phrase(number, counter, lang)]
    return out


@cache
def _frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            raise ValueError(f"{path}: clips must be 16 kHz mono 16-bit (run assets/sounds/generate.py)")
        return w.readframes(w.getnframes())


def _silence(seconds: float) -> bytes:
    return b"\0\0" * int(RATE * seconds)


def render(parts: list[Path | None]) -> bytes:
    """One WAV file (bytes) of the parts in order, a short gap between words."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for i, part in enumerate(parts):
            if part is None:
                w.writeframes(_silence(PHRASE_GAP_S))
                continue
            if i and parts[i - 1] is not None:
                w.writeframes(_silence(WORD_GAP_S))
            w.writeframes(_frames(part))
    return buf.getvalue()


def announcement_wav(number: str, counter: int, langs: tuple[str, ...] = ("fa",)) -> bytes:
    return render(clips(number, counter, langs))


def duration(wav_bytes: bytes) -> float:
    with wave.open(io.BytesIO(wav_bytes), "rb") as w:
        return w.getnframes() / w.getframerate()


SCREENS = ("home", "unit", "service", "ticket")
# Every kiosk screen and state says what to do in it (issue 24): one clip each, offline.
GUIDES = ("home", "unit", "service", "checkin", "checkin-wrong", "checkin-over", "checkin-later", "unreachable",
          "closed", "ask-desk")
# The states that read a ticket's number: (clip before it, clip after it).
WITH_NUMBER = {"ticket": ("guide-ticket", "guide-after"), "ticket-no-paper": ("guide-ticket", "guide-no-paper"),
               "checked-in": ("guide-checked-in", "guide-checked-in-after")}


def guidance(screen: str, lang: str, number: str | None = None) -> list[Path | None]:
    """The kiosk's "read aloud" for a screen or state (S1): its guidance clip; where a ticket was
    just issued or checked in, the number itself ("your number is A 12") and what to do next.
    Unknown screens, and a number-reading state without its number, say the home one."""
    if lang not in LANGS:
        raise ValueError(f"no voice for language {lang!r}")
    folder = SOUNDS / lang
    if screen in WITH_NUMBER and number:
        before, after = WITH_NUMBER[screen]
        return [folder / f"{before}.wav", *(folder / f"{w}.wav" for w in ticket_words(number, lang)), None,
                folder / f"{after}.wav"]
    return [folder / f"guide-{screen if screen in GUIDES else 'home'}.wav"]


def guidance_wav(screen: str, lang: str, number: str | None = None) -> bytes:
    return render(guidance(screen, lang, number))
