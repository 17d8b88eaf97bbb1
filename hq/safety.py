"""HQ's browser-safety headers, on every answer of its own (hq/app.py) and of the relay's
(hq/relay_asgi.py): HQ's origin holds the national managers' sessions, so no page on it runs
script HQ did not ship, none is framed, and none leaks its address."""

from __future__ import annotations

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",  # no inline script, no eval; a relayed answer is never typed as script (relay_filter)
    "style-src 'self' 'unsafe-inline'",  # the pages' <style> blocks (fonts) and style=""
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",  # with it, a browser runs nothing not typed as script
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP 2
    "Referrer-Policy": "no-referrer",  # a tracking page's address holds its code
    "Cross-Origin-Resource-Policy": "same-origin",
}


def asgi_headers(extra: dict[str, str] | None = None) -> list[tuple[bytes, bytes]]:
    """HEADERS (and `extra`, which win) as an ASGI response's header list."""
    merged = {**HEADERS, **(extra or {})}
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]
