"""The OpenAPI description of API v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
RETRY_AFTER = ("a rate limit (429): seconds to wait, as Retry-After; its message is the catalogue's, in "
               "English unless Accept-Language asks for fa")


def _op(summary: str, ok: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
        auth: bool = True, errors: tuple[int, ...] = (400, 401, 403, 404, 409),
        created: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": ok or {"description": "ok"}}}
    if created:
        op["responses"]["201"] = created
    for code in (*errors, 413, 431):  # server/web/guards.py: any request may be too big, or its headers
        op["responses"][str(code)] = _ERR
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        for code in (400, 413, 415):  # server/web/guards.py: bad JSON, too big, not JSON
            op["responses"][str(code)] = _ERR
    if auth:
        op["security"] = [{"bearer": []}]
    return op


_N = {"name": "n", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}, "example": 1}
_EVENT_ID = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
_PENDING = {"description": "the visitor to rate", "content": {"application/json": {"schema": {
    "type": "object", "required": ["ticket", "number", "service", "counter"],
    "properties": {"ticket": {"type": "integer"}, "number": {"type": "string"}, "service": {"type": "string"},
                   "counter": {"type": "integer"}}}}}}
_RATED = {"description": "the rating, stored", "content": {"application/json": {"schema": {
    "type": "object", "required": ["ticket", "score", "comment", "source"],
    "properties": {"ticket": {"type": "integer"}, "score": {"type": "integer", "minimum": 1, "maximum": 5},
                   "comment": {"type": ["string", "null"]}, "source": {"enum": ["tracking", "tablet"]}}}}}}
_SSE = {"type": "object", "description": "one event: `data` is its JSON; logged events have an `id`",
        "required": ["data"], "properties": {"id": {"type": "string"}, "event": {"type": "string"},
                                             "data": {"type": "string", "contentMediaType": "application/json"}}}
_LANG = {"name": "lang", "in": "query", "schema": {"enum": ["en", "fa"]}, "description": "CSV and XLSX headings"}
_TICKET = {"$ref": "#/components/schemas/Ticket"}
_T_OK = {"description": "the ticket", "content": {"application/json": {"schema": _TICKET}}}

_paths: dict[str, Any] = {
    "/health": {"get": _op("Liveness, and this hub's release", auth=False, errors=(), ok={
        "description": "up", "content": {"application/json": {"schema": {
            "type": "object", "required": ["status", "version"],
            "properties": {"status": {"const": "ok"}, "version": {"type": "string"}}}}}})},
    "/login": {"post": _op("Log in with a PIN (clerks name their counter); 429 too_many_attempts with Retry-After "
                           "after repeated wrong PINs", auth=False, errors=(400, 401, 404, 409, 429), body={
        "type": "object", "required": ["username", "pin"],
        "properties": {"username": {"type": "string"}, "pin": {"type": "string"}, "counter": {"type": "integer"}}})},
    "/logout": {"post": _op("End this session and free the counter")},
    "/lockouts/unlock": {"post": _op("The head lifts the lock-outs of wrong PINs on a username (from every address) "
                                     "or on an address", body={"oneOf": [
                                         {"type": "object", "required": ["username"], "additionalProperties": False,
                                          "properties": {"username": {"type": "string", "minLength": 1}}},
                                         {"type": "object", "required": ["address"], "additionalProperties": False,
                                          "properties": {"address": {"type": "string", "minLength": 1}}}]})},
    "/me": {"get": _op("Who this token belongs to: name (login), display_name (a person's, as the branch gave it), "
                       "role, counter", errors=(401,))},
    "/branch": {"get": _op("Branch names, units, priority classes, opening hours, walls' directions",
                           auth=False, errors=())},
    "/services": {"get": _op("Sub-services with documents, steps and their live summary (waiting, estimate, note); "
                             "units' summaries", auth=False, errors=())},
    "/tickets": {"post": {**_op("Issue a ticket (kiosk token): 201 when issued, 200 with the same ticket when "
                                "its Idempotency-Key was seen", ok=_T_OK, created=_T_OK, body={
                                    "type": "object", "required": ["service"], "properties": {
                                        "service": {"type": "string"}, "priority": {"type": ["string", "null"]}}}),
                          "description": "409 `numbers_exhausted` when every number of the sub-service's block "
                                         "is held by an open ticket today: nothing is issued, and the same "
                                         "Idempotency-Key issues normally once a number is free. Other 409s: "
                                         "`service_unavailable`, `branch_closed`, `idempotency_conflict`. 429 "
                                         "`too_many_tickets` with Retry-After past the kiosk token's budget (the "
                                         "branch file's `budgets.kiosk_tickets_per_minute`, `kiosk_burst`); a "
                                         "replayed Idempotency-Key costs nothing.",
                          "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                                          "schema": {"type": "string", "minLength": 1, "maxLength": 100,
                                                     "pattern": r"^\S"}}]}},
    "/tickets/{code}": {"get": {**_op("A ticket by tracking code: state, position, estimate, counter", ok=_T_OK,
                                      auth=False, errors=(404,)),
                                "parameters": [{"name": "code", "in": "path", "required": True,
                                                "schema": {"type": "string"}}]}},
    "/tickets/{n}/cancel": {"post": {**_op("Cancel a waiting ticket (branch head)", ok=_T_OK), "parameters": [_N]}},
    "/counters": {"get": _op("Every counter's state, clerk, services and current ticket", auth=False, errors=())},
    "/calls": {"get": {**_op("The day's latest calls, one per ticket, newest first (cancelled ones left out): "
                             "a reloaded wall display shows them again", auth=False, errors=(400,)),
                       "parameters": [{"name": "limit", "in": "query",
                                       "schema": {"type": "integer", "minimum": 1, "maximum": 20}}]}},
    "/counters/{n}": {"get": {**_op("One counter's state, clerk, services, current ticket and the actions it may "
                                    "take now (`actions`: allowed, refused with their codes, primary)", auth=False,
                                    errors=(404,)), "parameters": [_N]}},
    "/counters/{n}/services": {"put": {**_op("Change which sub-services a counter serves (branch head)", body={
        "type": "object", "properties": {"services": {}}}), "parameters": [_N]}},
    "/devices/status": {"post": _op("A device reports its printer's state", body={
        "type": "object", "required": ["status"], "properties": {
            "status": {"enum": ["ok", "offline", "paper_out", "paper_near_end", "error"]},
            "printer": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9_-]{1,16}$"},
            "detail": {"type": ["string", "null"]}}}),
        "get": _op("Last known state of every device", auth=False, errors=())},
    "/events": {"get": {
        "summary": "Server-Sent Events; Last-Event-ID resumes. Live ticket and counter events "
                   "carry `queue` (the summaries they changed); `queue.changed` (no id) follows "
                   "estimate refreshes",
        "description": "Anonymous subscribers are served, within caps in total and per address, the same "
                       "events without `queue` and without `queue.changed`, gathered once a second; a device "
                       "or session token (`Authorization: Bearer`, or `token` in the query for a browser's "
                       "EventSource) earns the full stream and a slot anonymous ones cannot take. Over a cap: "
                       "`503 too_many_streams` at once, with Retry-After. `once=1` sends what was missed and "
                       "closes.",
        "security": [{}, {"bearer": []}],
        "parameters": [
            {"name": "token", "in": "query", "schema": {"type": "string", "maxLength": 200},
             "description": "a device or session token, for clients that cannot send headers"},
            {"name": "last_event_id", "in": "query", "schema": _EVENT_ID},
            {"name": "Last-Event-ID", "in": "header", "schema": _EVENT_ID},
            {"name": "once", "in": "query", "schema": {"enum": ["1"]}}],
        "responses": {
            "200": {"description": "the stream", "content": {"text/event-stream": {"schema": _SSE}}},
            "400": _ERR, "413": _ERR, "431": _ERR,
            "503": {**_ERR, "description": "too_many_streams: every stream slot this caller may take is in use",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}}},
    # The branch head's console (server/web/pages/head_api.py)
    "/head/floor": {"get": _op("Live floor: per sub-service and per counter, with alerts (branch head)")},
    "/head/staffing": {"get": {**_op("Counters needed per hour for the rest of the day (branch head)"),
                               "parameters": [{"name": "share", "in": "query", "schema": {
                                   "type": "number", "minimum": 0.5, "exclusiveMaximum": 1}}]}},
    "/head/what-if": {"post": _op("Expected waits before and after a staffing change (branch head)", body={
        "type": "object", "properties": {"changes": {"type": "array"}, "counter": {"type": "integer"},
                                         "services": {}, "state": {"type": "string"}}})},
    "/ratings/pending": {"get": {**_op("The visitor a counter's tablet may rate now (that counter's tablet token; "
                                       "`counter`, if sent, must be its own); 204 when there is none",
                                       ok=_PENDING, errors=(400, 401, 403, 404)),
                                 "parameters": [{"name": "counter", "in": "query",
                                                 "schema": {"type": "integer"}}]}},
    "/ratings": {"post": {**_op("A satisfaction rating, 1-5 faces (F2, V4): the visitor's tracking code, or "
                                "{counter, ticket} from that counter's tablet token", auth=False, errors=(
                                    400, 401, 403, 404, 409), created=_RATED, body={
        "type": "object", "required": ["score"], "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5}, "counter": {"type": "integer"},
            "ticket": {"type": "integer"}, "tracking_code": {"type": "string"}, "comment": {"type": "string"}}}),
        "security": [{}, {"bearer": []}]}},
    "/reports/daily": {"get": {**_op("The day's report (branch head); format json|csv|xlsx"), "parameters": [
        {"name": "date", "in": "query", "schema": {"type": "string"}},
        {"name": "format", "in": "query", "schema": {"enum": ["json", "csv", "xlsx"]}}, _LANG]}},
    "/reports/monthly": {"get": {**_op("A Jalali month's report (D9); format json|csv|xlsx"), "parameters": [
        {"name": "month", "in": "query", "schema": {"type": "string", "example": "1404-07"}},
        {"name": "format", "in": "query", "schema": {"enum": ["json", "csv", "xlsx"]}}, _LANG]}},
}
_paths["/login"]["post"]["responses"]["429"] = {**_ERR, "description": "too_many_attempts: wait Retry-After seconds",
                                               "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
for _report in ("/reports/daily", "/reports/monthly"):
    _paths[_report]["get"]["responses"]["200"] = {"description": "the report, in the format asked for", "content": {
        "application/json": {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string"}}}}
del _paths["/ratings"]["post"]["responses"]["200"]  # a rating is always new: 201
_paths["/ratings/pending"]["get"]["responses"]["204"] = {"description": "nobody to rate at this counter now"}
for _action in ("open", "close", "pause", "resume", "next", "uncall", "recall", "start", "done", "no-show",
                "transfer"):
    _body = {"type": "object", "required": ["service"], "properties": {"service": {"type": "string"}}} \
        if _action == "transfer" else None
    _ok = _T_OK if _action not in ("open", "close", "pause", "resume") else None
    op = _op(f"Counter action: {_action} (clerk of that counter or branch head)"
             + ('; {"outcome": served|documents_incomplete|referred|registered} (registered: a request answered '
                'later, issue 16)' if _action == "done" else "")
             + ("; a call made by mistake, taken back within 15 s (issue 24): the visitor keeps their place"
                if _action == "uncall" else ""), ok=_ok, body=_body)
    if _action == "next":
        op["responses"]["204"] = {"description": "nobody waits for this counter"}
    _paths[f"/counters/{{n}}/{_action}"] = {"post": {**op, "parameters": [_N]}}

# Requests answered later (issue 16: F1, F3): a visit that ends "registered" opens one with a due date.
_REQUEST = {"type": ["object", "null"], "description": "a request answered later (visits that ended registered)",
            "properties": {"state": {"enum": ["open", "answered", "overdue"]},
                           "due": {"type": "string", "format": "date"},
                           "answered_at": {"type": ["string", "null"]}, "result": {"type": ["string", "null"]},
                           "days_left": {"type": ["integer", "null"],
                                         "description": "working days to the due day; 0 due today, < 0 late"}}}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 32}}
_paths["/requests/{code}/answer"] = {"post": {**_op(
    "Mark a request answered with a short result (clerk or branch head); the same result again answers the same",
    ok={"description": "the request", "content": {"application/json": {"schema": _REQUEST}}}, body={
        "type": "object", "required": ["result"], "properties": {"result": {"type": "string", "minLength": 1,
                                                                            "maxLength": 500}}}),
    "parameters": [_CODE]}}
_paths["/requests"] = {"get": _op("Open and overdue requests, oldest first, with counts per sub-service and unit "
                                  "(branch head)", errors=(401, 403))}
# Store and forward to headquarters (issue 17, server/hqlink/shipping.py): the backlog /head shows.
_paths["/head/hq-link"] = {"get": _op("Events and ratings headquarters has not acknowledged yet (branch head)", ok={
    "description": "the link's state", "content": {"application/json": {"schema": {
        "type": "object", "required": ["configured", "events", "ratings"], "properties": {
            "configured": {"type": "boolean"}, "url": {"type": ["string", "null"]},
            "events": {"type": "integer", "minimum": 0}, "ratings": {"type": "integer", "minimum": 0},
            "last_ok_at": {"type": ["string", "null"]}, "last_error": {"type": ["string", "null"]}}}}}})}
_paths["/head/monthly-submission"] = {"post": _op(
    "Submit a finished Jalali month's report to headquarters with a note (branch head, D9); 409 when the hub "
    "ships nowhere or HQ does not answer", body={"type": "object", "required": ["month"], "properties": {
        "month": {"type": "string", "example": "1404-07"}, "note": {"type": "string"}}}, ok={
        "description": "HQ's record", "content": {"application/json": {"schema": {
            "type": "object", "required": ["branch", "month", "submitted_at", "on_time"], "properties": {
                "branch": {"type": "string"}, "month": {"type": "string"}, "submitted_at": {"type": "string"},
                "on_time": {"type": "boolean"}}}}}})}
# ---- issue 18 A: remote turns (server/web/api/remote.py) ------------------------------------------
_TOO_MANY = {**_ERR, "description": "too_many_requests: wait Retry-After seconds",
             "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
_SETTINGS = {"type": "object", "properties": {
    "enabled": {"type": "boolean"}, "hours": {"type": ["string", "null"], "example": "08:00-12:00"},
    "grace_minutes": {"type": "integer", "minimum": 1, "maximum": 240},
    "come_now_people": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
    "come_now_minutes": {"type": ["integer", "null"], "minimum": 0, "maximum": 240},
    "daily_cap": {"type": "integer", "minimum": 1, "maximum": 50},
    # the head's budgets (issue 23; server/visitors/budgets.py)
    "sms_per_hour": {"type": "integer", "minimum": 1}, "sms_per_day": {"type": "integer", "minimum": 1},
    "alarm_percent": {"type": "integer", "minimum": 1, "maximum": 100},
    "bookings_per_address_hour": {"type": "integer", "minimum": 1, "maximum": 1000},
    "address_day_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}}, "additionalProperties": False}
_paths.update({
    "/remote/verify": {"post": _op("Text a one-time code to a mobile number (202); it expires in 5 minutes and "
                                   "allows 3 tries; one a minute and 5 an hour per phone, 20 an hour per address "
                                   "(429 too_many_requests with Retry-After), none past the branch's SMS budget for "
                                   "the hour or day (429 sms_budget_spent)", auth=False, errors=(400, 429), body={
        "type": "object", "required": ["phone"],
        "properties": {"phone": {"type": "string", "example": "09121234567"}}})},
    "/remote/tickets": {"post": _op("Join the queue from afar with the SMS code (201, state `remote`): the turn holds "
                                    "its place from now and is called once it checks in. 409 open_turn (the phone has "
                                    "one here), open_turn_elsewhere (at another branch, as HQ answers when "
                                    "linked), daily_cap, remote_closed, branch_closed; 403 wrong_code or no_code",
                                    auth=False, errors=(400, 403, 404, 409), created=_T_OK, body={
        "type": "object", "required": ["service", "phone", "code"], "properties": {
            "service": {"type": "string"}, "phone": {"type": "string"}, "code": {"type": "string"}}})},
    "/tickets/{code}/check-in": {"post": {**_op(
        "A remote turn is at the branch (kiosk or clerk): callable in its original place; again: 200, unchanged. "
        "404 not_remote for any other code; 409 turn_over", ok=_T_OK),
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]}},
    "/remote/settings": {"get": _op("Remote turns' settings and the last 30 days' turns and no-show rate (head)"),
                         "put": _op("Change remote hours, grace time, \"come now\" threshold, daily cap (head)",
                                    body=_SETTINGS)},
    "/remote/sms-status": {"get": _op("SMS sent, retrying and failed, with the latest error, and the SMS budget's "
                                      "use: budget.hour and budget.day {used, budget}, percent, state ok | near | "
                                      "spent (head)")},
})
del _paths["/remote/verify"]["post"]["responses"]["200"]
_paths["/remote/verify"]["post"]["responses"]["202"] = {"description": "the code is on its way"}
_paths["/remote/verify"]["post"]["responses"]["429"] = _TOO_MANY
del _paths["/remote/tickets"]["post"]["responses"]["200"]

# ---- Appointments (issue 18 B: server/web/api/appointments.py) ----------------------------------
_BOOKING_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40},
                 "description": "the booking's code (8 letters and digits)"}
_BOOKING = {"description": "the booking", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Appointment"}}}}
_SLOTS = {"description": "the day's coming slots", "content": {"application/json": {"schema": {
    "type": "object", "required": ["slots"], "properties": {
        "service": {"type": ["string", "null"]}, "date": {"type": ["string", "null"]},
        "slots": {"type": "array", "items": {"type": "object", "required": ["start", "free"], "properties": {
            "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "free": {"type": "integer", "minimum": 0}}}}}}}}}
_paths.update({
    "/appointments/slots": {"get": {**_op(
        "A sub-service's slots on a coming working day, with the places left (the branch's appointment share of "
        "the plan); 409 booking_closed outside booking hours, branch_closed on a closed day, too_far_ahead, "
        "day_past, no_appointments", ok=_SLOTS, auth=False, errors=(400, 404, 409)),
        "parameters": [{"name": "service", "in": "query", "required": True, "schema": {"type": "string"}},
                       {"name": "date", "in": "query", "required": True,
                        "schema": {"type": "string", "format": "date"}}]}},
    "/appointments": {"post": _op(
        "Book a slot with the phone's one-time code (POST /remote/verify): 201 with the booking's code; 409 "
        "slot_full, booking_exists (one open booking per phone), and the slots' refusals; 429 too_many_bookings "
        "(from one address in an hour) or address_share_spent (its share of the day's places)", auth=False,
        errors=(400, 403, 404, 409, 429), created=_BOOKING, body={
            "type": "object", "required": ["service", "date", "start", "phone", "code"], "properties": {
                "service": {"type": "string"}, "date": {"type": "string", "format": "date"},
                "start": {"type": "string", "example": "09:30"}, "phone": {"type": "string"},
                "code": {"type": "string"}}})},
    "/appointments/today": {"get": _op("Today's bookings per slot (booked, checked in, cancelled, no-shows) and "
                                       "the appointments' no-show rate over four weeks (branch head)",
                                       errors=(401, 403))},
    "/appointments/shares": {
        "get": _op("The share of each sub-service's planned capacity kept for appointments (branch head)",
                   errors=(401, 403)),
        "put": _op("Set the share for all sub-services and any of their own, 0-0.9 (branch head); a lower share "
                   "cancels no booking", errors=(400, 401, 403), body={
                       "type": "object", "minProperties": 1, "properties": {
                           "share": {"type": ["number", "null"], "minimum": 0, "maximum": 0.9},
                           "shares": {"type": "object", "additionalProperties": {
                               "type": "number", "minimum": 0, "maximum": 0.9}}}})},
    "/appointments/{code}": {"get": {**_op("A booking by its code", ok=_BOOKING, auth=False, errors=(404,)),
                                     "parameters": [_BOOKING_CODE]}},
    "/appointments/{code}/cancel": {"post": {**_op(
        "Cancel a booking (its code is the key): the slot is free again; 409 checked_in", ok=_BOOKING,
        auth=False, errors=(404, 409)), "parameters": [_BOOKING_CODE]}},
    "/appointments/{code}/check-in": {"post": {**_op(
        "Check in at the branch (kiosk or clerk token) within the window around the slot: 201 with the new "
        "ticket, which the engine calls at its slot; 200 with the same ticket on a retry; 409 "
        "outside_check_in_window, appointment_cancelled", ok=_T_OK, created=_T_OK, errors=(401, 403, 404, 409)),
        "parameters": [_BOOKING_CODE]}},
})
del _paths["/appointments"]["post"]["responses"]["200"]  # a booking is always new: 201
# Issue 26: kiosks that issue while the hub is away (docs/leases.md, server/floor/leases.py); kiosk token only.
_LEASE = {"description": "the lease", "content": {"application/json": {"schema": {
    "type": "object", "required": ["lease", "service", "branch_day", "numbers", "granted_at", "expires_at"],
    "properties": {"lease": {"type": "integer"}, "service": {"type": "string"},
                   "branch_day": {"type": "string", "format": "date"},
                   "numbers": {"type": "array", "items": {"type": "object", "required": ["seq", "number"],
                                                          "properties": {"seq": {"type": "integer"},
                                                                         "number": {"type": "string"}}}},
                   "granted_at": {"type": "string", "format": "date-time"},
                   "expires_at": {"type": "string", "format": "date-time"}}}}}}
_OFFLINE_TICKET = {"type": "object", "required": ["idempotency_key", "lease", "seq", "number", "service", "issued_at"],
                   "properties": {"idempotency_key": {"type": "string", "maxLength": 100},
                                  "lease": {"type": "integer"}, "seq": {"type": "integer"},
                                  "number": {"type": "string"}, "service": {"type": "string"},
                                  "priority": {"type": ["string", "null"]},
                                  "issued_at": {"type": "string", "format": "date-time"}}}
_paths.update({
    "/leases": {"post": _op(
        "Numbers set aside for this kiosk to issue alone while the hub is away (201): sized by the sub-service's "
        "last hour (10-60, at most a quarter of its block); 409 lease_limit (4 live per sub-service), "
        "numbers_exhausted, service_unavailable, branch_closed; 429 too_many_leases (30 an hour)",
        errors=(400, 401, 403, 404, 409, 429), created=_LEASE,
        body={"type": "object", "required": ["service"], "properties": {"service": {"type": "string"}}})},
    "/leases/{n}/return": {"post": {**_op(
        "Give a lease back once its tickets are merged: the seqs not used", errors=(401, 403, 404), ok={
            "description": "the seqs given back", "content": {"application/json": {"schema": {
                "type": "object", "required": ["returned"],
                "properties": {"returned": {"type": "array", "items": {"type": "integer"}}}}}}}),
        "parameters": [_N]}},
    "/offline-tickets": {"post": _op(
        "Merge the kiosk's journal (at most 500, in issue order) exactly once by idempotency key: each ticket "
        "takes its place in line by its issue time (the kiosk's clock corrected past a 5 s skew); 429 "
        "too_many_merges (30 a minute)", errors=(400, 401, 403, 429),
        body={"type": "object", "required": ["sent_at", "tickets"], "properties": {
            "sent_at": {"type": "string", "format": "date-time"},
            "tickets": {"type": "array", "maxItems": 500, "items": _OFFLINE_TICKET}}}, ok={
            "description": "one result per ticket, in the order sent", "content": {"application/json": {"schema": {
                "type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {
                    "type": "object", "required": ["idempotency_key", "status", "ticket", "error"],
                    "properties": {"idempotency_key": {"type": ["string", "null"]},
                                   "status": {"enum": ["merged", "already", "refused"]},
                                   "ticket": {"type": ["integer", "null"]},
                                   "error": {"type": ["string", "null"]}}}}}}}}})},
})
del _paths["/leases"]["post"]["responses"]["200"]  # a lease is always new: 201
_APPOINTMENT_SCHEMA = {"type": "object", "required": ["code", "service", "date", "start", "state"], "properties": {
    "code": {"type": "string"}, "service": {"type": "string"}, "date": {"type": "string", "format": "date"},
    "start": {"type": "string"}, "state": {"enum": ["booked", "cancelled", "checked_in"]},
    "phone": {"type": "string", "description": "masked: the last four digits"}}}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Navbat hub API", "version": "1.0.0"},
    "servers": [{"url": "/api/v1"}],
    "paths": _paths,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "message"],
                      "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                     "retry_after": {"type": "integer", "description": RETRY_AFTER}}},
            "Ticket": {"type": "object", "properties": {
                "id": {"type": "integer"}, "number": {"type": "string"}, "service": {"type": "string"},
                "priority": {"type": ["string", "null"]}, "state": {"type": "string"},
                "people_ahead": {"type": ["integer", "null"]}, "position": {"type": ["integer", "null"]},
                "people_ahead_range": {"type": ["object", "null"], "properties": {
                    "low": {"type": "integer"}, "high": {"type": "integer"}}},
                "estimated_wait_minutes": {"type": ["integer", "null"]},
                "estimated_wait": {"type": ["object", "null"]},
                # no open counter serves it: no number (no_open_window); before the planned opening:
                # counted from it (before_opening, opens_at)
                "wait_note": {"enum": ["no_open_window", "before_opening", None]},
                "opens_at": {"type": ["string", "null"]}, "tracking_code": {"type": "string"},
                # the wait as every screen says it, in every language (foundation/wording.py)
                "wait_text": {"type": ["object", "null"], "properties": {"fa": {"type": "string"},
                                                                         "en": {"type": "string"}}},
                # staff only: why the engine called it (codes and values), and those words per language
                "reason": {"type": ["array", "string", "null"], "items": {
                    "type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}},
                "reason_text": {"type": ["object", "null"]},
                "issued_at": {"type": "string", "format": "date-time"}, "counter": {"type": ["integer", "null"]},
                "request": _REQUEST,
                "appointment": {"type": ["object", "null"], "description": "the booked slot it checked in for"}}},
            "Appointment": _APPOINTMENT_SCHEMA,
        },
    },
}
