"""Remote turns' settings: the branch file's `remote:` section, with what the head changed on
/head on top (table `remote_settings`, one JSON value per key, folded from settings.changed
events). Also when turns are taken.
The head's SMS and booking budgets (`budgets:`, issue 23) are kept the same way, in the same table."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.foundation.remote import Budgets, Remote
from navbat.server.floor.refusals import Conflict, Invalid
from pydantic import ValidationError

if TYPE_CHECKING:
    from navbat.server.floor.floor import Floor

EDITABLE = ("enabled", "hours", "grace_minutes", "come_now_people", "come_now_minutes", "daily_cap")
# the kiosk cap stays the branch file's: a head never needs to loosen it for a real kiosk
BUDGETS = ("sms_per_hour", "sms_per_day", "alarm_percent", "bookings_per_address_hour", "address_day_share")


def _stored(db: sqlite_utils.Database) -> dict[str, Any]:
    return {r[0]: json.loads(r[1]) for r in db.execute("SELECT key, value FROM remote_settings")}


def current(db: sqlite_utils.Database, branch: Branch) -> Remote:
    stored = _stored(db)
    return Remote.model_validate(branch.remote.model_dump() | {k: v for k, v in stored.items() if k in EDITABLE})


def budgets(db: sqlite_utils.Database, branch: Branch) -> Budgets:
    """The budgets in force: the branch file's, with the head's on top."""
    stored = _stored(db)
    return Budgets.model_validate(branch.budgets.model_dump() | {k: v for k, v in stored.items() if k in BUDGETS})


def save(floor: Floor, branch: Branch, changes: dict[str, Any]) -> Remote:
    """The head's changes, checked as the branch file's are; Invalid names the field at fault."""
    unknown = sorted(set(changes) - set(EDITABLE) - set(BUDGETS))
    if unknown:
        raise Invalid("unknown_setting", f'unknown setting "{unknown[0]}"')
    with floor.write() as tx:
        remote = _valid(Remote, current(tx.db, branch).model_dump() | changes)
        spend = _valid(Budgets, budgets(tx.db, branch).model_dump() | changes)
        checked = {key: (remote if key in EDITABLE else spend).model_dump(mode="json")[key] for key in changes}
        if checked:
            # folded into remote_settings (server/floor/projection.py)
            tx.emit(E.SettingsChanged(checked), actor="head")
        return current(tx.db, branch)


def _valid(model: type[Remote] | type[Budgets], merged: dict[str, Any]) -> Any:
    fields = {k: v for k, v in merged.items() if k in model.model_fields}
    try:
        return model.model_validate(fields, strict=True)  # 20.0 is no number of days, "1" no count
    except ValidationError as exc:
        err = exc.errors()[0]
        raise Invalid("bad_setting", f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from None


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
