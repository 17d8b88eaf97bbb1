"""The branch file's `sms:` and `remote:` sections (issue 18): how the hub sends SMS and the
defaults of remote turns, which the branch head may change on /head."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmsGateway(_Model):
    """An HTTP(S) SMS gateway. `url` and every `form` value are templates: {to}, {text},
    {username}, {password} are filled in (URL-encoded in the URL); GET puts everything in the URL,
    POST also sends `form` as an urlencoded body. Any 2xx answer means sent."""

    url: str = Field(pattern=r"^https?://")
    method: Literal["GET", "POST"] = "GET"
    username: str = ""
    password: str = ""
    form: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(default=10, gt=0, le=60)


class Sms(_Model):
    gateway: SmsGateway | None = None  # none: messages go to the file log (`navbat hub --sms-log`)


class Remote(_Model):
    """Remote turns' defaults; /head keeps its own values in the hub (server/visitors/remote_settings.py)."""

    enabled: bool = True
    hours: str | None = None              # "HH:MM-HH:MM": when turns are taken from afar; None: opening hours
    grace_minutes: int = Field(default=15, ge=1, le=240)       # passed over, kept this long, then expired
    come_now_people: int | None = Field(default=3, ge=0, le=100)   # "come now" at this many people ahead...
    come_now_minutes: int | None = Field(default=None, ge=0, le=240)  # ...or this many minutes of wait
    daily_cap: int = Field(default=3, ge=1, le=50)             # turns per phone per day

    @field_validator("hours")
    @classmethod
    def _span(cls, span: str | None) -> str | None:
        m = _SPAN.match(span) if span is not None else True
        if not m or (m is not True and (m[1], m[2]) >= (m[3], m[4])):
            raise ValueError(f'"{span}" is not HH:MM-HH:MM')
        return span


class Budgets(_Model):
    """What outsiders can make the branch spend (issue 23), so that no flood from a few addresses
    costs it its SMS credit, its appointment places or a sub-service's numbers. The head may change
    the SMS and booking budgets on /head (server/visitors/remote_settings.py); the kiosk cap is the file's."""

    sms_per_hour: int = Field(default=200, ge=1, le=100_000)   # SMS of every kind queued in any hour...
    sms_per_day: int = Field(default=1000, ge=1, le=1_000_000)  # ...and in a branch day; past it no new code
    alarm_percent: int = Field(default=80, ge=1, le=100)        # /head and HQ warn from this share of a budget
    bookings_per_address_hour: int = Field(default=5, ge=1, le=1000)  # appointments booked from one address
    address_day_share: float = Field(default=0.1, gt=0, le=1)   # of a sub-service's day of places, per address
    kiosk_tickets_per_minute: int = Field(default=30, ge=1, le=600)  # a kiosk token's sustained rate...
    kiosk_burst: int = Field(default=10, ge=1, le=600)                # ...and the burst it may issue at once
