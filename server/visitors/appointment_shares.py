"""The share of each sub-service's planned capacity kept for appointments (issue 18 B).

The branch file's `appointments.share` / `shares` are the defaults; the branch head changes
them on /head (`PUT /api/v1/appointments/shares`), kept in `appointment_shares` (`*` is the
share for every sub-service without one of its own). A lower share never cancels a booking:
a slot then shows no free place until enough are cancelled.
"""

from __future__ import annotations

from typing import Any

from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.server.floor.floor import Floor
from navbat.server.floor.refusals import Invalid

ALL = "*"
MAX_SHARE = 0.9  # walk-ins always keep a tenth


def shares(db: Any, branch: Branch) -> dict[str, float]:
    """The share in force for every sub-service."""
    cfg = branch.appointments
    set_ = dict(db.execute("SELECT service, share FROM appointment_shares").fetchall())
    default = set_.get(ALL)
    return {s.code: set_.get(s.code, default if default is not None else cfg.share_of(s.code))
            for s in branch.services}


def share_of(db: Any, branch: Branch, code: str) -> float:
    return shares(db, branch).get(code, 0.0)


def _share(value: object, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= MAX_SHARE:
        raise Invalid("bad_share", f"{where}: a share is a number from 0 to {MAX_SHARE}")
    return float(value)


def set_shares(floor: Floor, branch: Branch, body: dict[str, Any]) -> dict[str, Any]:
    """{"share": 0.2, "shares": {"PR1": 0.3}}: the share for all, and any of their own (replacing
    the head's earlier ones); either may be left out."""
    if "share" not in body and "shares" not in body:
        raise Invalid("missing_field", "send share, shares or both")
    default = _share(body["share"], "share") if body.get("share") is not None else None
    own = body.get("shares", {})
    if not isinstance(own, dict):
        raise Invalid("bad_share", "shares must be an object: sub-service code -> share")
    for code in own:
        if branch.service(code) is None:
            raise Invalid("unknown_service", f'unknown service "{code}"')
    values = {code: _share(v, code) for code, v in own.items()}
    with floor.write() as tx:
        if default is not None:
            values[ALL] = default
        tx.emit(E.AppointmentSharesSet(values), actor="head")  # folded into appointment_shares
        return view(tx.db, branch)


def view(db: Any, branch: Branch) -> dict[str, Any]:
    """The share for all, the sub-services' own shares (`own`), and the share in force for each."""
    set_ = dict(db.execute("SELECT service, share FROM appointment_shares").fetchall())
    cfg = branch.appointments
    if ALL in set_:
        return {"share": set_.pop(ALL), "own": set_, "shares": shares(db, branch)}
    return {"share": cfg.share, "own": {**cfg.shares, **set_}, "shares": shares(db, branch)}
