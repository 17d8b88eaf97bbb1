"""SMS and phone codes over real sockets: the code arrives in the file log; a fake HTTP gateway on
127.0.0.1 that is down and then back gets the message after retries, and /head's status shows it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from conftest import HandClock, make_app, serve_in_thread
from navbat.foundation.config import Branch
from navbat.foundation.remote import Sms, SmsGateway
from navbat.server.visitors import verify
from sms_support import FakeGateway, code_from, read_log

PHONE = "09121234567"


@pytest.fixture
def live(branch: Branch, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log))
    url, stop = serve_in_thread(app)
    yield url, log
    stop()


def test_verify_sends_a_code_to_the_file_log_and_checks_it(live: tuple[str, Path]) -> None:
    url, log = live
    r = requests.post(f"{url}/api/v1/remote/verify", json={"phone": "+98 912 123 4567"}, timeout=5)
    assert r.status_code == 202, r.text
    [message] = read_log(log)
    assert message["to"] == PHONE and "کد" in message["text"]
    assert len(code_from(message)) == verify.CODE_DIGITS
    # a second code within the minute is refused, with Retry-After
    again = requests.post(f"{url}/api/v1/remote/verify", json={"phone": PHONE}, timeout=5)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    assert again.json()["error"] == "too_many_requests"


def test_bad_phone_is_a_clear_400(live: tuple[str, Path]) -> None:
    url, _ = live
    for phone in ("12345", 9121234567, "", "0912123456x"):
        r = requests.post(f"{url}/api/v1/remote/verify", json={"phone": phone}, timeout=5)
        assert r.status_code == 400 and r.json()["error"] == "bad_phone", (phone, r.text)


def test_codes_expire_and_allow_a_few_tries(branch: Branch, tmp_path: Path) -> None:
    clock = HandClock(dt.datetime(2026, 5, 2, 9, 0, tzinfo=dt.UTC))
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log), CLOCK=clock)
    hub, box = app.extensions["navbat.hub"], app.extensions["navbat.hub"].outbox
    try:
        verify.send_code(hub.floor, box, PHONE, "127.0.0.1")
        code = code_from(read_log(log)[0])
        wrong = "00000" if code != "00000" else "11111"
        for left in range(verify.CODE_TRIES - 1, -1, -1):
            with pytest.raises(verify.WrongCode) as exc:
                verify.check_code(hub.floor, PHONE, wrong)
            assert exc.value.tries_left == left
        with pytest.raises(verify.Refused) as exc:  # out of tries: even the right code is refused
            verify.check_code(hub.floor, PHONE, code)
        assert exc.value.code == "no_code"
        clock.advance(minutes=2)
        verify.send_code(hub.floor, box, PHONE, "127.0.0.1")
        code = code_from(read_log(log, 2)[1])
        assert verify.check_code(hub.floor, "۰۹۱۲۱۲۳۴۵۶۷", code) == PHONE  # Persian digits too
        clock.advance(minutes=6)
        with pytest.raises(verify.Refused) as exc:
            verify.check_code(hub.floor, PHONE, code)
        assert exc.value.code == "no_code"  # expired
    finally:
        hub.stop()


def test_a_code_is_used_once(branch: Branch, tmp_path: Path) -> None:
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log))
    hub, box = app.extensions["navbat.hub"], app.extensions["navbat.hub"].outbox
    try:
        verify.send_code(hub.floor, box, PHONE, "127.0.0.1")
        code = code_from(read_log(log)[0])
        assert verify.check_code(hub.floor, PHONE, code) == PHONE
        with hub.floor.write() as tx:
            verify.use_code(tx, PHONE)
        with pytest.raises(verify.Refused):
            verify.check_code(hub.floor, PHONE, code)
    finally:
        hub.stop()


def test_addresses_are_rate_limited(branch: Branch, tmp_path: Path) -> None:
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(tmp_path / "sms.log"))
    hub, box = app.extensions["navbat.hub"], app.extensions["navbat.hub"].outbox
    try:
        for n in range(verify.ADDRESS_PER_HOUR):
            verify.send_code(hub.floor, box, f"0912000{n:04d}", "10.0.0.9")
        with pytest.raises(verify.TooMany):
            verify.send_code(hub.floor, box, "09130000000", "10.0.0.9")
        verify.send_code(hub.floor, box, "09130000000", "10.0.0.10")  # another address may
    finally:
        hub.stop()


def test_gateway_down_then_back_delivers_after_retries(branch: Branch, tmp_path: Path) -> None:
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    FakeGateway.up, FakeGateway.received, FakeGateway.failures = False, [], 0
    port = gateway.server_address[1]
    cfg = SmsGateway(url=f"http://127.0.0.1:{port}/send?user={{username}}&key={{password}}&to={{to}}&msg={{text}}",
                     username="navbat", password="s3cret&x", timeout_s=2)
    custom = branch.model_copy(update={"sms": Sms(gateway=cfg)})
    # twelve tries take 10 s: still retrying when the test reads the status
    app = make_app(custom, tmp_path / "hub.sqlite", SMS_BACKOFF_S=(0.2, 0.2, 1.0))
    url, stop = serve_in_thread(app)
    try:
        started = time.monotonic()
        r = requests.post(f"{url}/api/v1/remote/verify", json={"phone": PHONE}, timeout=5)
        assert r.status_code == 202  # answered at once, although the gateway is down
        assert time.monotonic() - started < 2
        head = {"Authorization": "Bearer " + requests.post(f"{url}/api/v1/login", json={
            "username": "head", "pin": "1404"}, timeout=5).json()["token"]}
        end = time.monotonic() + 5
        while FakeGateway.failures < 2 and time.monotonic() < end:
            time.sleep(0.05)
        assert FakeGateway.failures >= 2  # retried
        status = requests.get(f"{url}/api/v1/remote/sms-status", headers=head, timeout=5).json()
        assert status["retrying"] == 1 and status["last_error"] == "gateway answered 503"
        FakeGateway.up = True
        end = time.monotonic() + 5
        while not FakeGateway.received and time.monotonic() < end:
            time.sleep(0.05)
        [got] = FakeGateway.received
        assert got["to"] == PHONE and got["user"] == "navbat" and got["key"] == "s3cret&x"
        assert "کد" in got["msg"]
        status = requests.get(f"{url}/api/v1/remote/sms-status", headers=head, timeout=5).json()
        assert status == {**status, "sent": 1, "retrying": 0, "failed": 0}
    finally:
        stop()
        gateway.shutdown()


def test_navbat_hub_sms_log_writes_the_code_there(tmp_path: Path) -> None:
    """`navbat hub --sms-log PATH`, the demo's SMS centre, as the command runs it."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "sms.jsonl"
    hub = subprocess.Popen([sys.executable, "-m", "navbat", "hub", "--db", str(tmp_path / "hub.sqlite"), "--port",
                            str(port), "--ignore-hours", "--sms-log", str(log)], stdout=subprocess.PIPE, text=True)
    try:
        assert f"http://127.0.0.1:{port}" in hub.stdout.readline()  # bound and announced
        r = requests.post(f"http://127.0.0.1:{port}/api/v1/remote/verify", json={"phone": PHONE}, timeout=10)
        assert r.status_code == 202
        [message] = read_log(log, timeout=10)
        assert message["to"] == PHONE and len(code_from(message)) == verify.CODE_DIGITS
    finally:
        hub.terminate()
        hub.wait(10)


def test_a_message_not_sent_before_a_restart_leaves_after_it(branch: Branch, tmp_path: Path) -> None:
    """The outbox is in the hub's file: a message the log could not take (here: the path is a folder)
    is sent by the next run of the hub, once."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(blocked), SMS_BACKOFF_S=(0.1, 1.0))
    hub = app.extensions["navbat.hub"]
    verify.send_code(hub.floor, hub.outbox, PHONE, "127.0.0.1")
    end = time.monotonic() + 5
    while time.monotonic() < end:
        with hub.read() as db:
            status = hub.outbox.status(db)
        if status["retrying"]:
            break
        time.sleep(0.05)
    assert status["retrying"] == 1 and "cannot write" in status["last_error"]
    hub.stop()
    log = tmp_path / "sms.log"
    again = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log))
    try:
        [message] = read_log(log)
        assert message["to"] == PHONE
    finally:
        again.extensions["navbat.hub"].stop()


def test_a_publish_between_a_messages_insert_and_its_commit_does_not_hold_it_back(branch: Branch,
                                                                                  tmp_path: Path) -> None:
    """The estimate refresh publishes from its own thread, whenever it finishes. One that came while a
    write had queued a message but not yet committed it took the outbox's one "something queued" flag
    and woke the worker, which looked before the commit and found nothing; the commit then woke nobody
    and the message waited for the worker's step a minute later (test_remote_turns' missing SMS now
    and then). Each write now wakes the worker after its own commit."""
    log = tmp_path / "sms.log"
    app = make_app(branch, tmp_path / "hub.sqlite", SMS_LOG=str(log))
    hub = app.extensions["navbat.hub"]
    try:
        with hub.floor.write() as tx:
            hub.outbox.queue(tx, PHONE, "نوبت شما نزدیک است", "come_now")
            refresh = threading.Thread(target=hub.bus.publish_queue, args=({},))  # the refresh's thread
            refresh.start()
            refresh.join()
            time.sleep(0.5)  # the worker, if woken by it, looks now: before this write commits
        [message] = read_log(log, timeout=5)  # before: nothing within a minute
        assert message["to"] == PHONE and message["text"] == "نوبت شما نزدیک است"
    finally:
        hub.stop()
