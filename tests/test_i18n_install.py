"""Catalogues in an installed wheel (issue 14): pip does not keep the files' times, so a .po may
look newer than its .mo, and the hub's sandbox makes site-packages read-only. The Persian text
must still come from the .po then, never fall back to English."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from navbat.foundation import i18n


@pytest.fixture
def locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))  # a wheel built without .mo
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    i18n.translation.cache_clear()
    yield copy
    i18n.translation.cache_clear()


def test_a_read_only_install_reads_the_po(locale: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(self: Path, data: bytes) -> int:
        raise PermissionError(13, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "write_bytes", read_only)  # root ignores chmod; ProtectSystem=strict does not
    assert i18n.gettext_for("kiosk", "fa")("nobody waiting") == "کسی در انتظار نیست"
    assert not list(locale.glob("*/LC_MESSAGES/*.mo"))


def test_a_writable_one_compiles_it_once(locale: Path) -> None:
    assert i18n.gettext_for("kiosk", "fa")("nobody waiting") == "کسی در انتظار نیست"
    assert (locale / "fa/LC_MESSAGES/kiosk.mo").stat().st_size > 0
