"""axe-core, the standard accessibility engine, run inside a page Playwright drives.

scripts/setup.sh fetches the npm package's axe.min.js (pinned) into var/axe-core/. The hub's
pages send a strict Content-Security-Policy (no inline script), so the pages under test are
opened in a context made with `bypass_csp=True` (see `axe_context`), which lets Playwright
add the engine as a script tag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_DIR = Path(__file__).resolve().parent.parent / "var" / "axe-core"
BLOCKING = ("critical", "serious")


def axe_script() -> Path:
    found = sorted(AXE_DIR.glob("axe-*.min.js"))
    if not found:
        raise FileNotFoundError(f"no axe-core in {AXE_DIR}: run `make setup` (scripts/setup.sh fetches it)")
    return found[-1]


def axe_context(browser: Any, **options: Any) -> Any:
    """A browser context whose pages can take axe's script tag despite the hub's CSP."""
    return browser.new_context(bypass_csp=True, **options)


def violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[str]:
    """The page's axe violations of these impacts, one readable line each (empty: none)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: "
                                                                          + (n.failureSummary || ""))}));
    }""")
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in result if v["impact"] in impacts]


def assert_accessible(page: Any, what: str) -> None:
    found = violations(page)
    assert not found, f"{what}:\n" + "\n".join(found)
