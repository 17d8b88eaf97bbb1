"""Checks every page's test makes of a phone-sized page."""

from __future__ import annotations

# The smallest font of any visible text in <main>: a phone's page must be readable (16 px).
MIN_FONT = """() => Math.min(...[...document.querySelectorAll('main *')]
    .filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) && e.offsetParent !== null)
    .map((e) => parseFloat(getComputedStyle(e).fontSize)))"""


def fits(page) -> None:  # noqa: ANN001
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    assert page.evaluate(MIN_FONT) >= 16
