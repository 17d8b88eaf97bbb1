"""Why the engine called a visitor, in the clerk's words.

The engine (queueing/policy.py `explain`) gives codes and values — `waited` {minutes, target},
`priority` {class, weight, head_start}, `primary_service` … — which the `ticket.called` event
and the ticket's row keep as they are. The hub words them here from the "counter" catalogue, in
every language at once (`reason_text`), and the console shows those words: no screen takes a
reason apart.
"""

from __future__ import annotations

import json
from typing import Any

from navbat.foundation.config import Branch
from navbat.foundation.i18n import LANGUAGES, gettext_for
from navbat.foundation.persian import digits

Parts = list[dict[str, Any]]
SEPARATOR = {"fa": "؛ ", "en": "; "}


def stored(reason: Any) -> Parts | str | None:
    """The reason as a ticket's row holds it (JSON text of the parts) or an event carries it (the
    parts); a log written before the codes holds English prose, kept as it is."""
    if isinstance(reason, str) and reason.startswith("["):
        try:
            return json.loads(reason)
        except ValueError:
            return reason
    return reason


def for_row(reason: Any) -> str | None:
    """What the tickets table keeps: the parts as JSON text."""
    return json.dumps(reason, ensure_ascii=False) if isinstance(reason, list) else reason


def _number(value: Any, lang: str) -> str:
    text = digits(value, lang)
    return text.replace(".", "٫") if lang == "fa" else text


def part_words(part: dict[str, Any], branch: Branch, lang: str) -> str:
    """One part, worded; a code this hub does not know yet is shown as its code."""
    _ = gettext_for("counter", lang)
    code = part.get("code")
    n = lambda key: _number(part.get(key, 0), lang)  # noqa: E731 - a local shorthand
    if code == "waited":
        return _("waited {m} min of {t} target").format(m=n("minutes"), t=n("target"))
    if code == "appointment_late":
        return _("appointment, slot {m} min ago").format(m=n("minutes"))
    if code == "appointment_early":
        return _("appointment, slot in {m} min").format(m=n("minutes"))
    if code == "priority":
        pclass = branch.priority(part.get("class"))
        name = pclass.name.model_dump().get(lang) or pclass.name.fa if pclass else str(part.get("class"))
        if part.get("head_start"):
            return _("{priority} ×{weight} (+{m} min head start)").format(priority=name, weight=n("weight"),
                                                                           m=n("head_start"))
        return _("{priority} ×{weight}").format(priority=name, weight=n("weight"))
    if code == "primary_service":
        return _("primary skill")
    if code == "backup_service":
        return _("backup skill ×{weight}").format(weight=n("weight"))
    if code == "backup_past_target":
        return _("backup skill, in full past target")
    return str(code)


def reason_words(reason: Any, branch: Branch, lang: str) -> str:
    parts = stored(reason)
    if not parts:
        return ""
    if isinstance(parts, str):
        return parts  # a day logged before the codes
    return SEPARATOR[lang].join(part_words(p, branch, lang) for p in parts)


def reason_text(reason: Any, branch: Branch) -> dict[str, str] | None:
    """{"fa": ..., "en": ...}: the reason as each console shows it; None when there is none."""
    if not reason:
        return None
    return {lang: reason_words(reason, branch, lang) for lang in LANGUAGES}
