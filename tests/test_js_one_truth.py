"""Issue 25: the pages' JavaScript keeps no copy of what is shared and no rule of the hub's.

Read as text: the API client, element building, translation and Persian digits are declared
once (shared/navbat.js) and every page's script uses them; no script takes a reason apart or
words a wait; every page loads the shared module before its own scripts, with no inline script.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from navbat.foundation.event_types import NAMES

STATIC = Path(str(files("navbat.server.web"))) / "static"
TEMPLATES = Path(str(files("navbat.server.web"))) / "templates"
SHARED = STATIC / "shared" / "navbat.js"
# generated from Python's event types (another part of issue 25), not written by hand
GENERATED = {STATIC / "shared" / "event_types.js"}
COPIES = {
    "an API client": re.compile(r"\bfetch\(\s*[\"'`]/api/v1"),
    "its own el()": re.compile(r"\bfunction\s+el\s*\(|\b(const|let|var)\s+el\s*=\s*\("),
    "its own t()": re.compile(r"\bfunction\s+t\s*\(|\b(const|let|var)\s+t\s*=\s*\("),
    "its own api()": re.compile(r"\b(async\s+)?function\s+api\s*\(|\b(const|let|var)\s+api\s*=\s*(async\s*)?\("),
    "Persian digits of its own": re.compile(r"۰۱۲۳۴۵۶۷۸۹|٠١٢٣٤٥٦٧٨٩|\[۰-۹\]"),
    "a template filler of its own": re.compile(r"replace\(/\\\{\(\\w\+\)\\\}/g"),
}
RULES = {
    "a regular expression over a call's reason": re.compile(r"reason[^\n]*(\.match\(|\.split\(|\.test\(|RegExp)"),
    "a wait worded in the page": re.compile(r"about \{minutes\} min|\{low\}–\{high\} min|estimate\.low|estimate\.high"),
    "a wall setting of its own": re.compile(r"\bHISTORY\s*=\s*\d|ANNOUNCE_WITHIN\w*\s*=\s*\d"),
}


def scripts() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*.js") if p != SHARED and p not in GENERATED)


def test_no_script_declares_a_copy_of_what_the_shared_module_has() -> None:
    found = [f"{p.relative_to(STATIC)}: {what}" for p in scripts()
             for what, pattern in COPIES.items() if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == []
    shared = SHARED.read_text(encoding="utf-8")
    for name in ("digits", "fmt", "translator", "el", "client", "keepDeviceToken", "EVENTS"):
        assert re.search(rf"\b{name}\b", shared), name


def test_no_script_keeps_a_rule_the_hub_ships() -> None:
    found = [f"{p.relative_to(STATIC)}: {what}" for p in scripts()
             for what, pattern in RULES.items() if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == []
    counter = "\n".join(p.read_text(encoding="utf-8") for p in (STATIC / "counter").glob("*.js"))
    assert "actions.allowed" in counter or ".allowed.includes" in counter  # the buttons follow the hub's word
    assert "current_ticket.state" not in counter and "t.state ===" not in counter


def test_no_script_writes_an_event_types_name_out() -> None:
    """The names come from Python (foundation/event_types.py, exported to shared/event_types.js)."""
    found = [f"{p.relative_to(STATIC)}: {name}" for p in [*scripts(), SHARED] for name in NAMES.values()
             if re.search(rf"[\"'`]{re.escape(name)}[\"'`]", p.read_text(encoding="utf-8"))]
    assert found == []


def test_the_counter_console_is_small_parts_with_one_job() -> None:
    parts = sorted((STATIC / "counter").glob("*.js"))
    assert len(parts) >= 6
    for p in parts:
        assert len(p.read_text(encoding="utf-8").splitlines()) <= 150, p.name


def test_every_page_loads_the_shared_module_first_and_no_inline_script() -> None:
    tag = re.compile(r"<script\b([^>]*)>", re.S)
    for page in TEMPLATES.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        attrs = [m.group(1) for m in tag.finditer(html)]
        for a in attrs:
            assert "src=" in a or 'type="application/json"' in a, (page.name, a)  # the CSP refuses inline script
        own = [a for a in attrs if "src=" in a and "shared/" not in a]
        if own and not any("head/common.js" in a for a in own) and page.parent.name == "head" \
                and page.name != "base.html":
            continue  # a part of the head's console: base.html has loaded the shared module already
        if own:
            at = {name: next((i for i, a in enumerate(attrs) if f"shared/{name}" in a), None)
                  for name in ("event_types.js", "navbat.js")}
            first_own = next(i for i, a in enumerate(attrs) if "src=" in a and "shared/" not in a)
            assert None not in at.values(), page.relative_to(TEMPLATES)
            assert at["event_types.js"] < at["navbat.js"] < first_own, page.relative_to(TEMPLATES)
