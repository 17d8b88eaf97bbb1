"""The visitor's tracking page /t/<code> (F1) in Persian, and its satisfaction faces (F2, S1)."""

from __future__ import annotations

import re

from navbat.foundation.wording import wait_text
from navbat.server.floor.floor import Floor
from navbat.server.web import views

FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def fa(value: object) -> str:
    return str(value).translate(FA)


def issue(actions, service: str = "PN1") -> dict:  # noqa: ANN001
    r = actions.issue(service)
    assert r.status_code == 201, r.json
    return r.json


def test_waiting_ticket_shows_position_and_estimate_in_persian(client, actions, floor: Floor, hub) -> None:  # noqa: ANN001
    actions.open_counter(6)
    first, second = issue(actions), issue(actions)
    floor.estimates.settled()  # the page and the check below read the same replay
    page = client.get(f"/t/{second['tracking_code']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'dir="rtl"' in html and 'http-equiv="refresh"' not in html and "tracking/track.js" in html
    assert fa(second["number"]) in html and "لطفاً منتظر بمانید" in html
    assert "۱ نفر جلوتر از شما" in html
    est = views.ticket_by_code(hub, second["tracking_code"])["estimated_wait"]
    # the wait in the hub's words, as the kiosk and the slip say it (issue 24)
    assert f"زمان تقریبی انتظار: {wait_text(est, None, 'fa')}" in " ".join(html.split())
    assert re.search(r"[۰-۹]+ (فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند) ۱۴[۰-۹]{2}", html)
    assert floor.branch.service("PN1").name.fa in html
    assert floor.branch.service("PN1").documents[0].fa in html  # D6/D7: what to have ready
    # lower case and spaces in the code still find the ticket
    assert client.get(f"/t/{first['tracking_code'].lower()}").status_code == 200


def test_called_ticket_names_the_counter(client, actions) -> None:  # noqa: ANN001
    clerk = actions.open_counter(6)
    ticket = issue(actions)
    actions.client.post("/api/v1/counters/6/next", headers=clerk)
    html = client.get(f"/t/{ticket['tracking_code']}").get_data(as_text=True)
    assert "نوبت شماست!" in html and "لطفاً به باجه ۶ بروید" in html
    english = client.get(f"/t/{ticket['tracking_code']}?lang=en").get_data(as_text=True)
    assert "It is your turn!" in english and "Please go to Counter 6" in english


def test_done_ticket_offers_faces_once(client, actions, floor: Floor) -> None:  # noqa: ANN001
    clerk = actions.open_counter(6)
    ticket = issue(actions)
    code = ticket["tracking_code"]
    client.post("/api/v1/counters/6/next", headers=clerk)
    # not rateable before the visit is done
    assert client.post(f"/t/{code}/rate", data={"score": "5"}).status_code == 409
    client.post("/api/v1/counters/6/done", headers=clerk)
    html = client.get(f"/t/{code}").get_data(as_text=True)
    assert "خدمت شما انجام شد" in html and 'http-equiv="refresh"' not in html
    assert html.count('name="score"') == 3 and html.count('class="face-svg"') == 3 and "track.js" not in html
    r = client.post(f"/t/{code}/rate", data={"score": "3", "comment": "  صف طولانی بود "})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/t/{code}?lang=fa&rated=1")
    assert "از نظر شما سپاسگزاریم" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert floor.db.execute("SELECT score, comment, source, counter FROM ratings").fetchall() == \
        [(3, "صف طولانی بود", "tracking", 6)]
    again = client.post(f"/t/{code}/rate", data={"score": "5"})
    assert again.status_code == 409 and "پیش‌تر ثبت شده" in again.get_data(as_text=True)
    assert client.post(f"/t/{code}/rate", data={"score": "9"}).status_code == 400
    assert floor.db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 1


def test_no_show_and_cancelled_and_unknown(client, actions) -> None:  # noqa: ANN001
    clerk = actions.open_counter(6)
    gone, cancelled = issue(actions), issue(actions)
    client.post("/api/v1/counters/6/next", headers=clerk)
    client.post("/api/v1/counters/6/no-show", headers=clerk)
    assert "حاضر نبودید" in client.get(f"/t/{gone['tracking_code']}").get_data(as_text=True)
    head = actions.login("head")
    client.post(f"/api/v1/tickets/{cancelled['id']}/cancel", headers=head)
    assert "این نوبت لغو شد" in client.get(f"/t/{cancelled['tracking_code']}").get_data(as_text=True)
    missing = client.get("/t/NOSUCH99")
    assert missing.status_code == 404 and "چنین نوبتی پیدا نشد" in missing.get_data(as_text=True)
