"""Fixtures every test shares: a hub on a temporary database, through Flask's test
client or on a real socket (the hub's own server, server.web.serve, on 127.0.0.1, a free port), and
headquarters' PostgreSQL (hq_support: one cluster for the whole run, a database per test).

The suite runs in parallel (scripts/run-tests.sh: pytest-xdist, a process per worker): whatever a
test makes lives in its tmp_path or on a free port; the hooks below share what is costly to make
(the cluster) and keep apart what each worker writes (Kivy's home)."""

from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import navbat.server.web.auth  # noqa: F401  (loads the submodule used as server.web.auth)
import pytest
from flask import Flask
from flask.testing import FlaskClient
from navbat.foundation.config import DEFAULT_CONFIG, Branch, load_config
from navbat.foundation.remote import Budgets
from navbat.foundation.wording import worded_wait
from navbat.server.floor.floor import Floor
from navbat.server.hub import EXTENSION, Hub
from navbat.server.web.app import create_app
from navbat.server.web.auth import add_device, add_user
from navbat.server.web.serve import HubServer

from navbat import server  # noqa: I001

# The support modules whose fixtures every test module may use without importing them (a fixture
# imported into a module is that module's own: a session fixture so imported is made once per module).
pytest_plugins = ("hq_support", "counter_support", "relay_support", "remote_support", "leases_support")


def pytest_configure(config: pytest.Config) -> None:
    """The run's controller (the only process without `workerinput`) names the cluster's folder;
    the xdist workers it starts inherit the name. Each worker gets a Kivy home of its own (Kivy
    writes its config.ini there on first start)."""
    from hq_support import SHARED_CLUSTER  # here: hq_support imports this module

    if not hasattr(config, "workerinput"):
        # made by the first test that needs it
        os.environ[SHARED_CLUSTER] = os.path.join(tempfile.gettempdir(), f"navbat-pg-{uuid.uuid4().hex[:12]}")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("KIVY_HOME"):
        os.environ["KIVY_HOME"] = os.path.join(os.environ["KIVY_HOME"], worker)
        os.makedirs(os.environ["KIVY_HOME"], exist_ok=True)


# The files that take longest, longest first (a worker's wall seconds on the 2-core machine, December
# 2026: the branch day ~150-200, the others 30-60 each; scripts/run-tests.sh gives each worker whole
# files, in collection order): started first, they run beside the many short files instead of after
# them. A file not named here comes after, those with more tests first (pytest-xdist's own order,
# which run-tests.sh turns off for this one).
LONGEST_FIRST = ("test_branch_day.py", "test_kiosk_outage.py", "test_logins_fair.py", "test_hub_logins.py",
                 "test_install.py", "test_api_schema.py", "test_kiosk_window.py", "test_upgrade.py",
                 "test_hq_relay_hard.py", "test_time_limits.py", "test_visitor_pages_reflow.py", "test_hq_relay.py",
                 "test_hq_api.py", "test_display_kivy_layout.py", "test_phone_page.py", "test_cli_honest.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Orders the run by file: LONGEST_FIRST, then the others by their number of tests; a file's
    own tests keep their order."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.path.name] = counts.get(item.path.name, 0) + 1
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), -counts[item.path.name], item.path.name))


def pytest_unconfigure(config: pytest.Config) -> None:
    """After every worker is done: the run's cluster stops (if a test started it)."""
    from hq_support import SHARED_CLUSTER, stop_shared_cluster

    if not hasattr(config, "workerinput") and os.environ.get(SHARED_CLUSTER):
        stop_shared_cluster(os.environ.pop(SHARED_CLUSTER))


# Debian's chromium as root, with nothing dialling out (only loopback, ever).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PINS = {"head": "1404", **{f"clerk{n}": f"{n}{n}{n}{n}" for n in range(1, 9)}}


_hash_once = functools.cache(server.web.auth.generate_password_hash)


@pytest.fixture(autouse=True)
def _each_pin_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """make_app adds nine users; one real scrypt hash per PIN for the whole run will do."""
    monkeypatch.setattr(server.web.auth, "generate_password_hash", _hash_once)


class HandClock:
    """The hub's clock (the app's CLOCK), moved by the test."""

    def __init__(self, when: dt.datetime) -> None:
        self.now = when

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def unit_summary(branch: Branch, code: str, waiting: int = 0, low: int | None = None, high: int | None = None,
                 note: str | None = None) -> dict[str, Any]:
    """A UnitSummary as the hub sends it (see the hub -> devices contract)."""
    u = next(u for u in branch.units if u.code == code)
    out = {"code": u.code, "name": u.name.model_dump(), "services": [s.code for s in u.services],
           "waiting": waiting, "available": note != "not_served", "open_counters": 0 if note else 1,
           "estimated_wait": None if low is None else {"low": low, "high": high}, "note": note}
    return out | {"wait_text": worded_wait(out)}  # worded by the hub, as server/floor/summaries.py does


# Every test's visitors come from 127.0.0.1 and its kiosks share one token: the budgets that keep a few
# addresses or a token from using up a branch (issue 23) are tests/test_budgets.py's, at their defaults.
LOOSE_BUDGETS = Budgets(bookings_per_address_hour=1000, address_day_share=1.0, kiosk_tickets_per_minute=600,
                        kiosk_burst=600)


@pytest.fixture(scope="session")
def branch() -> Branch:
    return load_config().model_copy(update={"budgets": LOOSE_BUDGETS})


def loose_branch_file(folder: Path) -> Path:
    """The demo branch file with LOOSE_BUDGETS, for a `navbat hub` process under a test's load."""
    import yaml

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["budgets"] = LOOSE_BUDGETS.model_dump()
    path = folder / "loose-branch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def make_app(branch: Branch, db_path: Path, **config: object) -> Flask:
    app = create_app({"BRANCH": branch, "DB_PATH": str(db_path), "IGNORE_HOURS": True, "TESTING": True, **config})
    # Set-up on the writer under the floor's write lock: the hub's workers already run (create_app
    # starts them) and write on the same connection; a write beside theirs lost its savepoint.
    with app.extensions[EXTENSION].floor.write() as tx:
        db = tx.db
        for name, pin in PINS.items():
            add_user(db, name, "head" if name == "head" else "clerk", pin)
        app.config["KIOSK_TOKEN"] = add_device(db, "kiosk-1", "kiosk")
        app.config["DISPLAY_TOKEN"] = add_device(db, "hall", "display")
        # Each counter's satisfaction tablet (/rate/<n>): rates only that counter's visitors.
        app.config["TABLET_TOKENS"] = {c.number: add_device(db, f"tablet-{c.number}", "tablet", c.number)
                                       for c in branch.counters}
    return app


@pytest.fixture
def app(branch: Branch, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(branch, tmp_path / "navbat.sqlite")
    yield app
    app.extensions[EXTENSION].stop()


@pytest.fixture
def hub(app: Flask) -> Hub:
    return app.extensions[EXTENSION]


@pytest.fixture
def floor(hub: Hub) -> Floor:
    return hub.floor


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Actions:
    """Logging in and the common requests, as a kiosk or a clerk would make them."""

    def __init__(self, client: FlaskClient, app: Flask) -> None:
        self.client, self.app = client, app
        self.kiosk = {"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}"}
        self._keys = 0

    def tablet(self, counter: int) -> dict[str, str]:
        """The headers of that counter's satisfaction tablet."""
        return {"Authorization": f"Bearer {self.app.config['TABLET_TOKENS'][counter]}"}

    def login(self, username: str, counter: int | None = None) -> dict[str, str]:
        body = {"username": username, "pin": PINS[username]}
        if counter is not None:
            body["counter"] = counter
        r = self.client.post("/api/v1/login", json=body)
        assert r.status_code == 200, r.json
        return {"Authorization": f"Bearer {r.json['token']}"}

    def issue(self, service: str, priority: str | None = None, key: str | None = None):  # noqa: ANN201
        self._keys += 1
        headers = {**self.kiosk, "Idempotency-Key": key or f"test-{self._keys}"}
        return self.client.post("/api/v1/tickets", json={"service": service, "priority": priority}, headers=headers)

    def open_counter(self, number: int, clerk: str | None = None) -> dict[str, str]:
        auth = self.login(clerk or f"clerk{number}", number)
        r = self.client.post(f"/api/v1/counters/{number}/open", headers=auth)
        assert r.status_code == 200, r.json
        return auth


@pytest.fixture
def actions(client: FlaskClient, app: Flask) -> Actions:
    return Actions(client, app)


@dataclass
class LiveHub:
    app: Flask
    url: str


def serve_in_thread(app: Flask, threads: int = 16) -> tuple[str, callable]:
    """Runs the app as `navbat hub` serves it (server.web.serve: uvicorn) at 127.0.0.1:<free port>;
    returns (url, stop)."""
    server = HubServer(app, "127.0.0.1", 0, threads)
    stop_server = server.start_in_thread()

    def stop() -> None:
        stop_server()
        app.extensions[EXTENSION].stop()

    return f"http://127.0.0.1:{server.port}", stop


@pytest.fixture
def live_hub(app: Flask) -> Iterator[LiveHub]:
    url, stop = serve_in_thread(app)
    yield LiveHub(app, url)
    stop()


# One chromium per test worker (a launch and its Playwright driver cost about 1.2 CPU s, a fresh context
# 0.3): each test gets the browser with the contexts (pages, cookies, storage, cache) it opened closed
# after it. While the browser lives, Playwright's sync API keeps an asyncio event loop on the main
# thread, which asyncio.run refuses to run beside: a test marked `own_event_loop` stops the browser
# first (the next test that asks starts another), and the worker's session stops it at its end.
_shared_browser: dict[str, Any] = {}  # "playwright", "browser"; "testing" once a test has begun


def _launch(playwright: Any) -> Any:  # noqa: ANN401
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


def _stop_shared_browser() -> None:
    shared = {k: _shared_browser.pop(k) for k in ("browser", "playwright") if k in _shared_browser}
    try:
        if "browser" in shared:
            shared["browser"].close()
    finally:
        if "playwright" in shared:
            shared["playwright"].stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _shared_browser["testing"] = True
    if item.get_closest_marker("own_event_loop"):
        _stop_shared_browser()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _stop_shared_browser()


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Debian chromium driven by Playwright (which cannot download its own here): the test
    worker's own (see _shared_browser), or a fresh one outside a test or off the main thread."""
    from playwright.sync_api import sync_playwright

    if "testing" not in _shared_browser or threading.current_thread() is not threading.main_thread():
        with sync_playwright() as p:
            browser = _launch(p)
            try:
                yield browser
            finally:
                browser.close()
        return
    if "browser" not in _shared_browser or not _shared_browser["browser"].is_connected():
        _stop_shared_browser()  # a browser that died: its driver goes too
        _shared_browser["playwright"] = sync_playwright().start()
        _shared_browser["browser"] = _launch(_shared_browser["playwright"])
    browser = _shared_browser["browser"]
    before = set(browser.contexts)
    try:
        yield browser
    finally:
        for context in browser.contexts:
            if context not in before:
                context.close()


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def docs_dir() -> Path:
    """Where tests write their screenshots: docs/ with NAVBAT_UPDATE_DOCS=1 (to refresh the
    README's pictures), otherwise a temporary folder, so a test run leaves the tree clean."""
    if os.environ.get("NAVBAT_UPDATE_DOCS"):
        return Path(__file__).resolve().parent.parent / "docs"
    return Path(tempfile.mkdtemp(prefix="navbat-shots-"))
