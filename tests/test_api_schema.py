"""Schemathesis holds the hub to its own OpenAPI description (/api/v1/openapi.json), over a real
socket: every operation, with a few examples each, as the branch head and as a kiosk. No answer may
be a server error, and every status, content type, header and body must be the documented ones;
requests outside the schema must be refused.

`positive_data_acceptance` is left out on purpose: the hub refuses more than a JSON schema can say
(an unknown sub-service, a day that is no Jalali date, what-if changes that name no counter, any
number past 64 bits anywhere in a body), and it must keep refusing them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import PINS, LiveHub

EXAMPLES = 8  # per operation and phase: the whole run stays well under two minutes on two cores
# One worker: schemathesis' threads race in CPython 3.11's ast.parse (hypothesis describing a
# filter's lambda), "SystemError: AST constructor recursion depth mismatch".
CONFIG = """
[[operations]]
include-path = "/events"
parameters = { once = "1" }
"""  # a live stream never ends: the catch-up answer is what can be checked


def schemathesis(hub: LiveHub, token: str, tmp_path: Path, *only: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    st = Path(sys.executable).with_name("st")
    command = [str(st), "--config-file", str(config), "run", f"{hub.url}/api/v1/openapi.json",
               "--checks", "all", "--exclude-checks", "positive_data_acceptance",
               "--max-examples", str(EXAMPLES), "--seed", "15", "--workers", "1", "--no-shrink",
               "--request-timeout", "10", "--suppress-health-check", "all", "--warnings", "off",
               "-H", f"Authorization: Bearer {token}", *only]
    return subprocess.run(command, capture_output=True, text=True, timeout=150, cwd=tmp_path)


def _a_visit_to_rate(url: str, head: dict[str, str], kiosk: dict[str, str]) -> None:
    """A visitor served at counter 1, so that its tablet has someone to rate (200, not only 204)."""
    r = requests.post(f"{url}/api/v1/tickets", json={"service": "PR1"}, headers={**kiosk, "Idempotency-Key": "st-1"},
                      timeout=10)
    assert r.status_code == 201, r.text
    for action in ("open", "next", "start", "done"):
        r = requests.post(f"{url}/api/v1/counters/1/{action}", headers=head, timeout=10)
        assert r.status_code == 200, (action, r.text)


@pytest.mark.slow
def test_the_hub_keeps_to_its_openapi_description(live_hub: LiveHub, tmp_path: Path) -> None:
    url, config = live_hub.url, live_hub.app.config
    login = requests.post(f"{url}/api/v1/login", json={"username": "head", "pin": PINS["head"]}, timeout=10)
    head = login.json()["token"]
    _a_visit_to_rate(url, {"Authorization": f"Bearer {head}"}, {"Authorization": f"Bearer {config['KIOSK_TOKEN']}"})
    runs = [  # (whose token, which operations); /logout last, as it ends the head's session
        (config["TABLET_TOKENS"][1], ("--include-path-regex", "^/(ratings|me)")),
        (config["KIOSK_TOKEN"], ("--include-path-regex", "^/(tickets|devices/status)$")),
        (config["DISPLAY_TOKEN"], ("--include-path-regex", "^/(events|devices/status)$")),
        (head, ("--exclude-path", "/logout")),
        (head, ("--include-path", "/logout")),
    ]
    for token, only in runs:
        run = schemathesis(live_hub, token, tmp_path, *only)
        assert run.returncode == 0, f"{only}\n{run.stdout[-12000:]}{run.stderr[-2000:]}"
