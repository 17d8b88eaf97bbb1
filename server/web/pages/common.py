"""What every page shares: the language it is shown in, and the fonts it is drawn with."""

from __future__ import annotations

from flask import Blueprint, Response, request, send_from_directory
from navbat.foundation.assets import FONT_FILES, FONTS
from navbat.foundation.i18n import parse_lang
from navbat.server.floor.refusals import Invalid, NotFound

bp = Blueprint("assets", __name__)


def lang() -> str:
    """?lang=fa|en, else the language the user chose before (cookie), else Persian."""
    try:
        return parse_lang(request.args.get("lang") or request.cookies.get("navbat_lang"))
    except ValueError as exc:
        raise Invalid("bad_lang", str(exc)) from None


@bp.get("/fonts/<name>")
@bp.get("/display/fonts/<name>")  # the old path, for one release (pages cached on a TV)
def font(name: str) -> Response:
    """Vazirmatn (assets/fonts, OFL) for every page."""
    if name not in FONT_FILES:
        raise NotFound("not_found", "no such font")
    return send_from_directory(FONTS, name, max_age=86400)
