"""Synthesise the wall display's sounds OFFLINE: a chime and the voice clips.

    python assets/sounds/generate.py          # (re)writes chime.wav, fa/*.wav, en/*.wav
    python assets/sounds/generate.py --guide  # only the kiosk's guidance clips (guide-*.wav)

Voice clips come from espeak-ng (`-v fa`, `-v en`), trimmed of silence and stored as
16 kHz mono 16-bit WAV so the committed set stays small. A call is assembled from
them by foundation.speech: "شماره" + number words + "باجه" + number words (the "counter" clip).
The chime is two decaying bell tones made with the wave module (no sox needed).
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATE = 16000

FA_WORDS = {
    "0": "صفر", "1": "یک", "2": "دو", "3": "سه", "4": "چهار", "5": "پنج", "6": "شش", "7": "هفت",
    "8": "هشت", "9": "نه", "10": "ده", "11": "یازده", "12": "دوازده", "13": "سیزده", "14": "چهارده",
    "15": "پانزده", "16": "شانزده", "17": "هفده", "18": "هجده", "19": "نوزده", "20": "بیست", "30": "سی",
    "40": "چهل", "50": "پنجاه", "60": "شصت", "70": "هفتاد", "80": "هشتاد", "90": "نود", "100": "صد",
    "200": "دویست", "300": "سیصد", "400": "چهارصد", "500": "پانصد", "600": "ششصد", "700": "هفتصد",
    "800": "هشتصد", "900": "نهصد", "and": "و", "number": "شماره", "counter": "باجه",
}
# Ticket prefixes are Latin letters; Persian speakers say their English names.
FA_LETTERS = {
    "A": "اِی", "B": "بی", "C": "سی", "D": "دی", "E": "ای", "F": "اِف", "G": "جی", "H": "اِچ", "I": "آی",
    "J": "جِی", "K": "کِی", "L": "اِل", "M": "اِم", "N": "اِن", "O": "اُ", "P": "پی", "Q": "کیو", "R": "آر",
    "S": "اِس", "T": "تی", "U": "یو", "V": "وی", "W": "دابلیو", "X": "اِکس", "Y": "وای", "Z": "زِد",
}
EN_WORDS = {
    **{str(n): w for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split())},
    "20": "twenty", "30": "thirty", "40": "forty", "50": "fifty", "60": "sixty", "70": "seventy",
    "80": "eighty", "90": "ninety", "hundred": "hundred", "number": "number", "counter": "counter",
}
EN_LETTERS = {c: c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
# The kiosk's "read aloud" guidance, one clip per screen (S1: many visitors cannot read well);
# foundation.speech.guidance() puts the ticket's number between the two ticket clips.
FA_GUIDE = {
    "guide-home": "خوش آمدید. برای گرفتن نوبت، بخش کار خود را روی صفحه لمس کنید. "
                  "اگر نمی‌دانید کدام است، از میز اطلاعات بپرسید.",
    "guide-unit": "کار خود را از فهرست روی صفحه لمس کنید. برای برگشتن، دکمهٔ بازگشت را بزنید.",
    "guide-service": "مدارک لازم روی صفحه نوشته شده است. اگر سالمند یا دارای معلولیت هستید، آن را انتخاب کنید. "
                     "سپس دکمهٔ سبزِ دریافت نوبت را لمس کنید.",
    "guide-ticket": "نوبت شما",
    "guide-after": "برگهٔ نوبت را بردارید و منتظر بمانید. وقتی شمارهٔ شما خوانده شد، به باجه‌ای که گفته می‌شود بروید.",
    # each state of a screen says what to do in it (issue 24), not the home screen's guidance
    "guide-no-paper": "برگهٔ نوبت چاپ نشد. شماره را به خاطر بسپارید یا یادداشت کنید.",
    "guide-checkin": "کد نوبت خود را با صفحه‌کلید بنویسید، یا کد کیو آر آن را جلوی اسکنر بگیرید.",
    "guide-checkin-wrong": "این کد پیدا نشد. کد را دوباره بنویسید، یا از میز اطلاعات بپرسید.",
    "guide-checkin-over": "این نوبت تمام شده است. لطفاً نوبت تازه بگیرید.",
    "guide-checkin-later": "اکنون زمان حضور این رزرو نیست. ساعت آن روی صفحه نوشته شده است.",
    "guide-checked-in": "حضور شما ثبت شد. شمارهٔ شما",
    "guide-checked-in-after": "در سالن منتظر بمانید. نمایشگر شما را صدا می‌زند.",
    "guide-unreachable": "سامانهٔ نوبت اکنون پاسخ نمی‌دهد. لطفاً چند لحظه بعد دوباره امتحان کنید.",
    "guide-closed": "شعبه اکنون بسته است. ساعت باز شدن روی صفحه نوشته شده است.",
    "guide-ask-desk": "این کار اینجا انجام نشد. لطفاً از میز اطلاعات بپرسید.",
}
EN_GUIDE = {
    "guide-home": "Welcome. To take a ticket, touch the kind of business you came for. "
                  "If you are not sure, ask at the information desk.",
    "guide-unit": "Touch the service you need in the list. To go back, press Back.",
    "guide-service": "The documents you need are listed on the screen. If you are elderly or have a disability, "
                     "choose it. Then touch the green button to take your ticket.",
    "guide-ticket": "Your number is",
    "guide-after": "Take your ticket and please wait. When your number is called, go to the counter it names.",
    "guide-no-paper": "The ticket could not be printed. Please remember your number, or write it down.",
    "guide-checkin": "Type the code of your turn on the keyboard, or hold its QR code to the scanner.",
    "guide-checkin-wrong": "This code was not found. Type it again, or ask at the information desk.",
    "guide-checkin-over": "This turn is over. Please take a new ticket.",
    "guide-checkin-later": "This booking cannot be checked in now. The time to come is on the screen.",
    "guide-checked-in": "You are checked in. Your number is",
    "guide-checked-in-after": "Please wait in the hall. The display will call you.",
    "guide-unreachable": "The ticket system is not answering. Please try again in a moment.",
    "guide-closed": "The branch is closed now. The opening time is on the screen.",
    "guide-ask-desk": "This could not be done here. Please ask at the information desk.",
}


def speak(text: str, voice: str, out: Path) -> None:
    """espeak-ng -> sox: resample to 16 kHz mono, trim leading/trailing silence."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as raw:
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", raw.name, text], check=True)
        subprocess.run(["sox", raw.name, "-r", str(RATE), "-c", "1", "-b", "16", str(out),
                        "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"],
                       check=True)


def chime(out: Path, seconds: float = 1.2) -> None:
    """A two-note 'ding-dong' (E5 then C5) with bell-like decay and a soft attack."""
    frames = bytearray()
    notes = ((659.25, 0.0), (523.25, 0.45))
    for i in range(int(RATE * seconds)):
        t = i / RATE
        v = 0.0
        for freq, start in notes:
            if t >= start:
                u = t - start
                env = min(1.0, u / 0.01) * math.exp(-3.2 * u)
                v += env * (math.sin(2 * math.pi * freq * u) + 0.3 * math.sin(2 * math.pi * 2 * freq * u))
        frames += struct.pack("<h", int(max(-1.0, min(1.0, v * 0.35)) * 32767))
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))


def main() -> int:
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        print("needs espeak-ng and sox (apt-get install espeak-ng sox)", file=sys.stderr)
        return 1
    only_guide = "--guide" in sys.argv  # just the kiosk's guidance clips
    if not only_guide:
        chime(HERE / "chime.wav")
    for lang, voice, words, letters in (("fa", "fa", FA_WORDS, FA_LETTERS), ("en", "en", EN_WORDS, EN_LETTERS)):
        folder = HERE / lang
        folder.mkdir(exist_ok=True)
        for name, text in (FA_GUIDE if lang == "fa" else EN_GUIDE).items():
            speak(text, voice, folder / f"{name}.wav")
        if only_guide:
            continue
        for name, text in words.items():
            speak(text, voice, folder / f"{name}.wav")
        for letter, text in letters.items():
            speak(text, voice, folder / f"letter-{letter}.wav")
    print(f"wrote {len(list(HERE.rglob('*.wav')))} clips under {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
