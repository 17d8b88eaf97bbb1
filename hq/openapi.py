"""The OpenAPI description of HQ's API, served at /api/v1/hq/openapi.json."""

from __future__ import annotations

from typing import Any

_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_NUM = {"type": ["number", "null"]}
RETRY_AFTER = ("a rate limit (429): seconds to wait, as Retry-After; its message is the catalogue's, in "
               "English unless Accept-Language asks for fa")


def _op(summary: str, ok: dict[str, Any], auth: bool = True, body: dict[str, Any] | None = None,
        errors: tuple[int, ...] = (400, 401, 403), params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": ok}}}, **{str(c): _ERR for c in errors}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if auth:
        op["security"] = [{"bearer": []}]
    if params:
        op["parameters"] = params
    return op


_FIGURES = {"visitors": {"type": "integer"}, "served": {"type": "integer"}, "called": {"type": "integer"},
            "mean_wait_min": _NUM, "sla_pct": _NUM, "mean_service_min": _NUM, "no_shows": {"type": "integer"},
            "transfers": {"type": "integer"}, "docs_incomplete_pct": _NUM, "ratings": {"type": "integer"},
            "satisfaction_pct": _NUM, "complaints": {"type": "integer"}, "open_hours": _NUM,
            "visitors_per_window_hour": _NUM,
            # requests answered later (F3): opened and answered in the span, on time, mean working days
            "requests_opened": {"type": "integer"}, "requests_answered": {"type": "integer"},
            "requests_on_time_pct": _NUM, "requests_mean_days": _NUM}
_REQUIRED = ["visitors", "served", "mean_wait_min", "sla_pct", "satisfaction_pct", "complaints"]
_DATE = {"type": "string", "format": "date"}
_MARKS = {"type": "object", "required": ["events_hwm", "ratings_hwm"],
          "properties": {"events_hwm": {"type": "integer"}, "ratings_hwm": {"type": "integer"}}}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Navbat headquarters API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": {"type": "object", "required": ["error", "message"],
                              "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                     "retry_after": {"type": "integer", "description": RETRY_AFTER}}}},
    },
    "paths": {
        "/api/v1/health": {"get": _op("HQ is up", {"type": "object", "properties": {"status": {"const": "ok"}}},
                                      auth=False, errors=())},
        "/api/v1/hq/login": {"post": _op(
            "An HQ user's token (the PIN in any digits); 429 too_many_attempts with Retry-After once wrong PINs for "
            "a user from an address, from an address, or for a user from unknown devices pass their free share "
            "(then each waits twice the last); a known device (its cookie from a good login) is counted apart; "
            "a session ends at logout, after 12 idle hours or 7 days",
            {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
            auth=False, errors=(400, 401, 429), body={"type": "object", "required": ["username", "pin"], "properties": {
                "username": {"type": "string"}, "pin": {"type": "string"}}})},
        "/api/v1/hq/logout": {"post": _op("Ends this session: the token no longer works", {"type": "object"},
                                          errors=(401,))},
        "/api/v1/hq/lockouts/unlock": {"post": _op(
            "A national manager lifts the locks of wrong PINs on a username or an address", {"type": "object"},
            body={"type": "object", "properties": {"username": {"type": "string"}, "address": {"type": "string"}}})},
        "/api/v1/hq/branches": {"get": _op(
            "Branches the user may see, with their link state", {"type": "object", "properties": {"branches": {
                "type": "array", "items": {"type": "object", "required": ["branch", "province", "region", "type"],
                                           "properties": {"branch": {"type": "string"}, "province": {"type": "string"},
                                                          "region": {"type": "string"}, "type": {"type": "string"},
                                                          "last_event_at": {"type": ["string", "null"]},
                                                          "backlog": {"type": "integer"},
                                                          "lag_s": _NUM,
                                                          "version": {"type": ["string", "null"],
                                                                      "description": "the hub's release, "
                                                                                     "from its last batch"},
                                                          "relay_online": {"type": "boolean"},
                                                          "relay_refused": {"type": ["object", "null"], "description":
                                                                            "a second hub refused its poll in the "
                                                                            "last day: {at, address}"}}}}}},
            params=[{"name": "province", "in": "query", "schema": {"type": "string"}}])},
        "/api/v1/hq/summary": {"get": _op(
            "Figures per province and per branch over branch days (Gregorian, inclusive)",
            {"type": "object", "required": ["provinces", "branches"], "properties": {
                "provinces": {"type": "array", "items": {"type": "object", "required": ["province", *_REQUIRED],
                                                        "properties": {"province": {"type": "string"}, **_FIGURES}}},
                "branches": {"type": "array", "items": {"type": "object",
                                                       "required": ["branch", "province", "region", *_REQUIRED],
                                                       "properties": {"branch": {"type": "string"},
                                                                      "province": {"type": "string"},
                                                                      "region": {"type": "string"}, **_FIGURES}}}}},
            params=[{"name": "from", "in": "query", "required": True, "schema": _DATE},
                    {"name": "to", "in": "query", "required": True, "schema": _DATE},
                    {"name": "province", "in": "query", "schema": {"type": "string"}}])},
        "/api/v1/hq/branches/{branch}/services": {"get": _op(
            "One branch's sub-services over branch days (the drill-down's last step)",
            {"type": "object", "properties": {"branch": {"type": "string"},
                                              "services": {"type": "array", "items": {"type": "object"}}}},
            errors=(400, 401, 403, 404),
            params=[{"name": "branch", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "from", "in": "query", "required": True, "schema": _DATE},
                    {"name": "to", "in": "query", "required": True, "schema": _DATE}])},
        "/api/v1/hq/complaints": {"get": _op(
            "The newest ratings in the lowest two faces with a comment", {"type": "object", "properties": {
                "complaints": {"type": "array", "items": {"type": "object"}}}},
            params=[{"name": "from", "in": "query", "required": True, "schema": _DATE},
                    {"name": "to", "in": "query", "required": True, "schema": _DATE},
                    {"name": "province", "in": "query", "schema": {"type": "string"}}])},
        "/api/v1/hq/submissions": {
            "get": _op("A Jalali month's reports: submitted (on time or not) and missing (D9)", {
                "type": "object", "required": ["month", "due", "overdue", "missing", "submitted"], "properties": {
                    "month": {"type": "string"}, "due": _DATE, "overdue": {"type": "boolean"},
                    "missing": {"type": "array"}, "submitted": {"type": "array"}}},
                params=[{"name": "month", "in": "query", "required": True,
                         "schema": {"type": "string", "example": "1404-07"}}]),
            "post": _op("A branch head's monthly report, sent by their hub (branch token)", {
                "type": "object", "required": ["branch", "month", "submitted_at", "on_time"]}, errors=(400, 401),
                body={"type": "object", "required": ["month"], "properties": {
                    "month": {"type": "string"}, "note": {"type": ["string", "null"]}, "by": {"type": "string"}}})},
        "/api/v1/hq/report": {"get": {**_op(
            "The national monthly report per province, region, branch and sub-service (D9)", {"type": "object"},
            params=[{"name": "month", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "format", "in": "query", "schema": {"enum": ["csv", "xlsx", "json"]}}])}},
        "/api/v1/hq/ingest": {"post": _op(
            "A branch's batch of events and ratings (branch token); answers HQ's high-water marks. 400 bad_batch "
            "names the field at fault (`field`, e.g. events[3].at); 409 gap: resend from the marks; 409 "
            "restore_needed: the batch would make HQ forget events, which only a restored branch's may "
            "(restore: true)", _MARKS,
            errors=(400, 401, 409), body={"type": "object", "required": ["after", "events"], "properties": {
                "after": {"type": "integer"}, "ratings_after": {"type": "integer"}, "last_id": {"type": "integer"},
                "events": {"type": "array"}, "ratings": {"type": "array"}, "profile": {"type": "object"},
                "version": {"type": "string", "description": "the hub's release"}, "restore": {"type": "boolean"},
                "open_turns": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                               "description": "slow hashes of the phones holding an open remote turn (issue 23)"},
                "budgets": {"type": "object", "description": "the SMS budget's use: {sms: {hour, day, percent, "
                            "state}}"}}})},
        "/api/v1/hq/open-turns/check": {"post": _op(
            "A hub, before a remote turn (branch token): does this phone hold an open turn at another branch? If "
            "not, it is claimed for this one", {"type": "object", "required": ["open_elsewhere"], "properties": {
                "open_elsewhere": {"type": "boolean"}}}, errors=(400, 401),
            body={"type": "object", "required": ["phone_hash"], "properties": {
                "phone_hash": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}})},
    },
}

# HQ's relay of the branches' public pages (issue 18): the branch's long-poll, and the pages HQ hosts
_RELAYED = {"type": "object", "required": ["id", "method", "path", "expires_in"], "properties": {
    "id": {"type": "string"}, "method": {"enum": ["GET", "POST"]}, "path": {"type": "string"},
    "query": {"type": "string"}, "headers": {"type": "object"}, "body": {"type": "string", "contentEncoding": "base64"},
    "remote_addr": {"type": "string"}, "host": {"type": "string"}, "branch": {"type": "string"},
    "scheme": {"type": "string"}, "expires_in": {"type": "number", "description": "s; then not run"}}}
_PAGE = {"description": "the branch's own answer (HTML, JSON, a redirect under /b/{branch})"}
_B = [{"name": "branch", "in": "path", "required": True, "schema": {"type": "string"}},
      {"name": "path", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "a public path only: join, book, t/{code}, the public remote and appointments API, fonts"}]
SPEC["paths"].update({
    "/api/v1/hq/relay/poll": {"get": _op(
        "The branch's long-poll (branch token): visitors' requests waiting for it, or none after `wait` s",
        {"type": "object", "required": ["requests"], "properties": {"requests": {"type": "array", "items": _RELAYED}}},
        errors=(401, 409, 503),  # 409 another_poller: one hub (X-Navbat-Poller) polls for a branch at a time
        params=[{"name": "wait", "in": "query", "schema": {"type": "number", "maximum": 30}}])},
    "/api/v1/hq/relay/answer/{id}": {"post": {**_op(
        "The branch's answer to one relayed request (branch token)", {"type": "object"}, errors=(400, 401, 410),
        body={"type": "object", "required": ["status"], "properties": {
            "status": {"type": "integer"}, "headers": {"type": "object"},
            "body": {"type": "string", "contentEncoding": "base64"}}},
        params=[{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]),
        "responses": {"204": {"description": "handed to the visitor"}, "400": _ERR, "401": _ERR, "413": _ERR,
                      "503": _ERR,
                      "410": {**_ERR, "description": "HQ no longer waits for it (the visitor was told)"}}}},
    "/b/{branch}/{path}": {method: {
        "summary": "A branch's public page or API route, relayed to its hub (no token; the visitor's address is "
                   "passed on)", "parameters": _B,
        "responses": {"2XX": _PAGE, "3XX": _PAGE, "4XX": _PAGE,
                      "404": {**_ERR, "description": "not a public path, or a branch HQ does not know"},
                      "413": _ERR, "502": {**_ERR, "description": "bad_answer: the branch's answer was refused"},
                      "503": {**_ERR, "description": "branch_offline: the branch keeps no link now; nothing was sent; "
                                                     "busy (Retry-After): 32 visitors wait for it already; "
                                                     "unavailable: HQ's database does not answer"},
                      "504": {**_ERR, "description": "relay_timeout: no answer in 10 s (a late request is not run)"}}}
        for method in ("get", "post")},
    "/join/{branch}": {"get": {"summary": "Leads to /b/{branch}/join", "responses": {"302": {"description": "moved"}},
                               "parameters": _B[:1]}},
    "/book/{branch}": {"get": {"summary": "Leads to /b/{branch}/book", "responses": {"302": {"description": "moved"}},
                               "parameters": _B[:1]}},
})
