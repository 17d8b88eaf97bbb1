"""The branch file's `appointments:` section (issue 18): booking a sub-service at a time slot.

    appointments:
      share: 0.2                # of each sub-service's planned capacity, kept for appointments
      shares: {PN1: 0.3}        # a sub-service's own share (0 takes none)
      slot_minutes: 15
      booking_days: 7           # how many coming working days can be booked
      booking_hours: "06:00-22:00"   # when the public may book or cancel (branch time)
      check_in_before_minutes: 30    # the kiosk's check-in window around the slot's start
      check_in_after_minutes: 15
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class Appointments(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(default=0.0, ge=0, le=0.9)  # none unless the branch reserves some
    shares: dict[str, float] = Field(default_factory=dict)
    slot_minutes: int = Field(default=15, ge=5, le=120)
    booking_days: int = Field(default=7, ge=1, le=60)
    booking_hours: str = "00:00-24:00"
    check_in_before_minutes: int = Field(default=30, ge=0, le=240)
    check_in_after_minutes: int = Field(default=15, ge=0, le=240)

    @field_validator("shares")
    @classmethod
    def _shares(cls, shares: dict[str, float]) -> dict[str, float]:
        for code, value in shares.items():
            if not 0 <= value <= 0.9:
                raise PydanticCustomError("share", "{code}: a share is between 0 and 0.9", {"code": code})
        return shares

    @field_validator("booking_hours")
    @classmethod
    def _hours(cls, span: str) -> str:
        m = _SPAN.match(span)
        if not m or (m[1], m[2]) >= (m[3], m[4]):
            raise PydanticCustomError("hours", '"{span}" is not HH:MM-HH:MM', {"span": span})
        return span

    def share_of(self, service: str) -> float:
        return self.shares.get(service, self.share)

    def booking_span(self) -> tuple[int, int]:
        """Minutes after midnight when booking opens and closes."""
        start, end = (int(p[:2]) * 60 + int(p[3:]) for p in self.booking_hours.split("-"))
        return start, end
