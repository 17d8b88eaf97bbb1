"""Remote turns' settings: the branch file's `remote:` section, with what the head changed on
/head on top (table `remote_settings`, one JSON value per key). Also when turns are taken."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlite_utils
from navbat.foundation.config import Branch
from navbat.foundation.remote import Remote
from navbat.server.refusals import Conflict, Invalid
from navbat.server.times import iso
from pydantic import ValidationError

EDITABLE = ("enabled", "hours", "grace_minutes", "come_now_people", "come_now_minutes", "daily_cap")


def current(db: sqlite_utils.Database, branch: Branch) -> Remote:
    stored = {r[0]: json.loads(r[1]) for r in db.execute("SELECT key, value FROM remote_settings")}
    return Remote.model_validate(branch.remote.model_dump() | {k: v for k, v in stored.items() if k in EDITABLE})


def save(floor: Any, branch: Branch, changes: dict[str, Any]) -> Remote:
    """The head's changes, checked as the branch file's are; Invalid names the field at fault."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise Invalid("unknown_setting", f'unknown setting "{unknown[0]}"')
    with floor.write() as tx:
        merged = current(tx.db, branch).model_dump() | changes
        try:
            valid = Remote.model_validate(merged, strict=True)  # 20.0 is no number of days, "1" no count
        except ValidationError as exc:
            err = exc.errors()[0]
            raise Invalid("bad_setting", f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
        for key in changes:
            tx.db.execute("INSERT INTO remote_settings (key, value, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                          "SET value=excluded.value, at=excluded.at",
                          [key, json.dumps(getattr(valid, key)), iso(tx.now)])
        return current(tx.db, branch)


def refuse_if_closed(branch: Branch, settings: Remote, now: dt.datetime, ignore_hours: bool) -> None:
    """Remote turns are taken while the head allows them: within their own hours if set, and
    while the branch is open (unless the hub runs with --ignore-hours)."""
    if not settings.enabled:
        raise Conflict("remote_closed", "this branch takes no turns from afar now; come to the branch")
    if settings.hours is not None:
        start, end = settings.hours.split("-")
        local = now.astimezone(branch.tz).strftime("%H:%M")
        if not start <= local < end:
            raise Conflict("remote_closed", f"turns from afar are taken between {start} and {end}")
    if not ignore_hours and not branch.is_open(now):
        raise Conflict("branch_closed", "the branch is closed; turns from afar are taken while it is open")
