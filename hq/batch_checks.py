"""What a branch's batch may hold before HQ stores any of it: every field typed and bounded, so a
batch is refused (400 with the JSON path of the field at fault, as the hub refuses a body) and
never gets as far as a 500 or a stored value that breaks the branch's next batches.

An event of a type navbat.foundation.event_types knows has each field typed as its dataclass says;
one of the types added with issue 25 (remote turns' marks, bookings, the head's settings) has only
those fields, so nothing else (never a phone) reaches HQ in them. An older type's fields are typed
when present (a hub of an older release may have written fewer), and a type HQ does not know yet is
kept as bounded JSON.

Bounds: ids and ticket numbers are PostgreSQL BIGINTs >= 0 (an event id >= 1); counters and
scores INTEGERs (a score 1 to 5); times ISO 8601 with an offset, in the years MIN_YEAR to
MAX_YEAR (a queue's events, whatever a clock went wrong by, and far from the calendar's ends,
where turning a time to the branch's local day overflows); text without NUL (PostgreSQL refuses
it), at most MAX_TEXT characters (names MAX_NAME; inside an event's data MAX_DATA_TEXT, ten times
what a hub takes in any one field of a body); an event's data JSON of at most MAX_DEPTH levels
(twice the hub's) with the same bounds inside; the profile's time zone one the zone database knows.
"""

from __future__ import annotations

import datetime as dt
import math
import types
import typing
from typing import Any
from zoneinfo import ZoneInfo

from navbat.foundation import event_types as E

MAX_BATCH = 5000
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1
MIN_YEAR, MAX_YEAR = 2000, 2200
MAX_TEXT = 1000
MAX_NAME = 100
MAX_DATA_TEXT = 10_000
MAX_DEPTH = 16
# Types whose data holds exactly their dataclass's fields (issue 25); older ones may hold fewer or more.
STRICT = frozenset({E.REMOTE_COME_NOW, E.REMOTE_CALL_SENT, E.APPOINTMENT_BOOKED, E.APPOINTMENT_CANCELLED,
                    E.APPOINTMENT_CHECKED_IN, E.APPOINTMENT_SHARES_SET, E.SETTINGS_CHANGED})


class BadBatch(ValueError):
    """The batch is refused; `path` names the field at fault ("events[3].at"), if one is."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


def whole(value: Any, path: str, low: int = 0, high: int = MAX_BIGINT) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadBatch(f"must be a whole number from {low} to {high}", path)
    return value


def text(value: Any, path: str, limit: int = MAX_TEXT, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit or "\0" in value:
        raise BadBatch(f"must be text of at most {limit} characters, without NUL", path)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadBatch("must be Unicode text (a lone surrogate is not)", path) from None
    return value


def moment(value: Any, path: str) -> str:
    """An ISO 8601 time with an offset, within MIN_YEAR..MAX_YEAR; kept as the branch wrote it."""
    text(value, path, 40)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadBatch("must be an ISO 8601 time", path) from None
    if when.tzinfo is None:
        raise BadBatch("must carry its UTC offset", path)
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise BadBatch(f"must be in the years {MIN_YEAR} to {MAX_YEAR}", path)
    return value


def zone(value: Any, path: str) -> str:
    text(value, path, 64)
    try:
        ZoneInfo(value)
    except (KeyError, ValueError, OSError):  # not found (a KeyError), or no zone's name at all
        raise BadBatch(f"unknown time zone {value[:64]!r}", path) from None
    return value


def json_value(value: Any, path: str, depth: int = 0) -> None:
    """Any JSON within the bounds (an event's data)."""
    if depth > MAX_DEPTH:
        raise BadBatch(f"nests deeper than {MAX_DEPTH} levels", path)
    if isinstance(value, str):
        text(value, path, MAX_DATA_TEXT)
    elif value is None or isinstance(value, bool):
        return
    elif isinstance(value, int):
        whole(value, path, -MAX_BIGINT - 1)
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value) > 1e15:
            raise BadBatch("must be a finite number of at most 10^15", path)
    elif isinstance(value, dict):
        for key, item in value.items():
            text(key, f"{path}.<key>", MAX_NAME)
            json_value(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            json_value(item, f"{path}[{i}]", depth + 1)
    else:
        raise BadBatch("must be JSON", path)


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_BATCH:
        raise BadBatch(f"must be a list of at most {MAX_BATCH}", path)
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadBatch("must be an object", path)
    return value


def events(value: Any) -> list[dict[str, Any]]:
    last = 0
    for i, e in enumerate(_list(value, "events")):
        at = f"events[{i}]"
        _object(e, at)
        whole(e.get("id"), f"{at}.id", 1)
        if e["id"] <= last:
            raise BadBatch("events must come in increasing id order", f"{at}.id")
        last = e["id"]
        moment(e.get("at"), f"{at}.at")
        text(e.get("type"), f"{at}.type", MAX_NAME)
        text(e.get("actor"), f"{at}.actor", MAX_NAME, optional=True)
        if e.get("ticket_id") is not None:
            whole(e["ticket_id"], f"{at}.ticket_id")
        if e.get("counter") is not None:
            whole(e["counter"], f"{at}.counter", 0, MAX_INT)
        json_value(_object(e.get("data"), f"{at}.data"), f"{at}.data")
        if e["type"] in E.FACTS:
            fact(e["type"], e["data"], f"{at}.data")
    return value


def fact(type_: str, data: dict[str, Any], path: str) -> None:
    """An event's data against its type's dataclass (see the module's docstring)."""
    kinds, strict = E.field_types(type_), type_ in STRICT
    if strict and (unknown := sorted(set(data) - set(kinds))):
        raise BadBatch(f"is no field of {type_}", f"{path}.{unknown[0]}")
    for name, (hint, required) in kinds.items():
        if name not in data:
            if strict and required:
                raise BadBatch(f"{type_} needs it", f"{path}.{name}")
            continue
        if strict or data[name] is not None:
            typed(data[name], hint, f"{path}.{name}")


def typed(value: Any, hint: Any, path: str) -> None:
    """One field as its annotation says: int, str, bool, float, X | None, dict[str, X], Any."""
    if hint is Any:
        return  # json_value has bounded it
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType):
        if value is None and type(None) in args:
            return
        hint = next(a for a in args if a is not type(None))
        args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin is dict:
        for key, item in _object(value, path).items():
            text(key, f"{path}.<key>", MAX_NAME)
            typed(item, args[1], f"{path}.{key}")
    elif hint is bool:
        if not isinstance(value, bool):
            raise BadBatch("must be true or false", path)
    elif hint is int:
        whole(value, path, -MAX_BIGINT - 1)
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise BadBatch("must be a number", path)
    elif hint is str:
        text(value, path, MAX_DATA_TEXT)


def ratings(value: Any) -> list[dict[str, Any]]:
    last = 0
    for i, r in enumerate(_list(value, "ratings")):
        at = f"ratings[{i}]"
        _object(r, at)
        whole(r.get("seq"), f"{at}.seq", 1)
        if r["seq"] <= last:
            raise BadBatch("ratings must come in increasing seq order", f"{at}.seq")
        last = r["seq"]
        whole(r.get("ticket"), f"{at}.ticket")
        whole(r.get("score"), f"{at}.score", 1, 5)
        moment(r.get("at"), f"{at}.at")
        text(r.get("comment"), f"{at}.comment", optional=True)
        for name in ("source", "clerk", "service"):
            text(r.get(name), f"{at}.{name}", MAX_NAME, optional=True)
        if r.get("counter") is not None:
            whole(r["counter"], f"{at}.counter", 0, MAX_INT)
    return value


def _names(value: Any, path: str) -> None:
    """A name in each language: {"fa": ..., "en": ...}."""
    for lang, name in _object(value, path).items():
        text(lang, f"{path}.<key>", 8)
        text(name, f"{path}.{lang}", MAX_NAME, optional=True)


def profile(value: Any) -> dict[str, Any] | None:
    """The branch's name, time zone, units and sub-services with their targets (server.shipping.profile)."""
    if value is None:
        return None
    _object(value, "profile")
    if "name" in value:
        _names(value["name"], "profile.name")
    if "timezone" in value:
        zone(value["timezone"], "profile.timezone")
    for i, u in enumerate(_list(value.get("units", []), "profile.units")):
        at = f"profile.units[{i}]"
        text(_object(u, at).get("code"), f"{at}.code", MAX_NAME)
        if "name" in u:
            _names(u["name"], f"{at}.name")
    for i, s in enumerate(_list(value.get("services", []), "profile.services")):
        at = f"profile.services[{i}]"
        text(_object(s, at).get("code"), f"{at}.code", MAX_NAME)
        text(s.get("unit"), f"{at}.unit", MAX_NAME, optional=True)
        if "name" in s:
            _names(s["name"], f"{at}.name")
        target = s.get("target")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)
                                   or not 0 < target <= 24 * 60):
            raise BadBatch("must be a number of minutes from 0 to 1440", f"{at}.target")
    return value
