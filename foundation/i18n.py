"""Translations from gettext catalogues (foundation/locale/<lang>/LC_MESSAGES/<domain>.po).

Message ids are English; each part of the product has its own domain (server,
kiosk, display, printer) so catalogues stay small. `python -m navbat.foundation.i18n compile`
turns the .po files into .mo (setup does this); when a .mo is missing the .po is
read directly, so a fresh checkout still shows Persian.
"""

from __future__ import annotations

import gettext
import io
import sys
from functools import cache
from importlib.resources import files
from pathlib import Path

from babel.messages import mofile, pofile

LOCALE_DIR = Path(str(files("navbat.foundation"))) / "locale"  # package data
LANGUAGES = ("fa", "en")


def parse_lang(value: str | None, default: str = "fa") -> str:
    """A language asked for by a user (a query string, a cookie, a flag); ValueError if unknown."""
    if value is None or value == "":
        return default
    if value not in LANGUAGES:
        raise ValueError(f"lang must be {' or '.join(LANGUAGES)}, not {value!r}")
    return value


def direction(lang: str) -> str:
    return "rtl" if lang == "fa" else "ltr"


@cache
def translation(domain: str, lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"
    po = mo.with_suffix(".po")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        # An installed wheel may be read-only (a hub under ProtectSystem=strict) and pip does not
        # keep the files' times: read the .po itself rather than fall back to English.
        return gettext.GNUTranslations(io.BytesIO(_compile(po, mo)))
    if not mo.exists():
        return gettext.NullTranslations()
    with mo.open("rb") as fh:
        return gettext.GNUTranslations(fh)


def gettext_for(domain: str, lang: str):  # noqa: ANN201 - a plain callable str -> str
    """A `_` function for one domain and language."""
    return translation(domain, lang).gettext


def _compile(po: Path, mo: Path) -> bytes:
    """The .po as .mo bytes, also written to `mo` when the folder is writable."""
    with po.open("rb") as fh:
        catalog = pofile.read_po(fh, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog)
    try:
        mo.write_bytes(buffer.getvalue())
    except OSError:
        pass  # read-only install: the caller uses the bytes
    return buffer.getvalue()


def compile_all() -> int:
    count = 0
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po"):
        _compile(po, po.with_suffix(".mo"))
        count += 1
    return count


if __name__ == "__main__":
    if sys.argv[1:] == ["compile"]:
        print(f"compiled {compile_all()} catalogue(s)")
    else:
        print("usage: python -m navbat.foundation.i18n compile", file=sys.stderr)
        sys.exit(2)
