"""Spoken calls from offline clips: number words, clip order, and the WAV produced (issue 7)."""

from __future__ import annotations

import io
import wave

import pytest
from navbat.foundation import speech


@pytest.mark.parametrize(("n", "fa", "en"), [
    (0, ["0"], ["0"]),
    (7, ["7"], ["7"]),
    (19, ["19"], ["19"]),
    (40, ["40"], ["40"]),
    (45, ["40", "and", "5"], ["40", "5"]),
    (100, ["100"], ["1", "hundred"]),
    (102, ["100", "and", "2"], ["1", "hundred", "2"]),
    (345, ["300", "and", "40", "and", "5"], ["3", "hundred", "40", "5"]),
    (999, ["900", "and", "90", "and", "9"], ["9", "hundred", "90", "9"]),
    (1203, ["1", "2", "0", "3"], ["1", "2", "0", "3"]),
])
def test_number_words(n: int, fa: list[str], en: list[str]) -> None:
    assert speech.number_words(n, "fa") == fa
    assert speech.number_words(n, "en") == en


def test_every_number_up_to_999_has_its_clips_in_both_languages() -> None:
    for lang in speech.LANGS:
        for n in range(1000):
            for word in speech.number_words(n, lang):
                assert (speech.SOUNDS / lang / f"{word}.wav").exists(), (lang, n, word)


def test_phrase_of_a_call_says_number_then_window() -> None:
    assert speech.phrase("102", 3, "fa") == ["number", "100", "and", "2", "|", "counter", "3"]
    assert speech.phrase("A-012", 14, "en") == ["number", "letter-A", "12", "|", "counter", "14"]
    with pytest.raises(ValueError):
        speech.phrase("102", 3, "de")


def frames(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        return w.readframes(w.getnframes())


def clip(path) -> bytes:  # noqa: ANN001
    return frames(path.read_bytes())


def test_announcement_wav_is_the_chime_then_the_clips_in_order() -> None:
    wav = speech.announcement_wav("102", 3, ("fa", "en"))
    audio = frames(wav)
    parts = speech.clips("102", 3, ("fa", "en"))
    assert parts[0].name == "chime.wav"
    names = [f"{p.parent.name}/{p.stem}" for p in parts if p is not None][1:]
    assert names == ["fa/number", "fa/100", "fa/and", "fa/2", "fa/counter", "fa/3",
                     "en/number", "en/1", "en/hundred", "en/2", "en/counter", "en/3"]
    # every clip is found in the output, each after the one before it
    position = 0
    for p in parts:
        if p is None:
            continue
        found = audio.find(clip(p), position)
        assert found >= position, p
        position = found + len(clip(p))
    assert speech.duration(wav) > 3.0


def test_the_committed_clips_are_small_16khz_mono() -> None:
    files = list(speech.SOUNDS.rglob("*.wav"))
    assert len(files) > 100
    calls = [f for f in files if not f.name.startswith("guide-")]
    assert sum(f.stat().st_size for f in calls) < 2_500_000
    # the kiosk's read-aloud guidance: a few sentences per screen and state (issue 24), in both voices
    assert sum(f.stat().st_size for f in files if f.name.startswith("guide-")) < 6_000_000
    for f in files:
        frames(f.read_bytes())  # asserts 16 kHz mono 16-bit
