"""The branch description in `config/branches.yaml`, validated with pydantic.

A bad file is refused with the YAML path of the problem, e.g.
``counters[3].services[1]: unknown service "P9"``.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from navbat.foundation import yaml_text
from navbat.foundation.appointments import Appointments
from navbat.foundation.lookup import BranchLookups
from navbat.foundation.remote import Budgets, Remote, Sms
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

DEFAULT_CONFIG = Path(str(files("navbat.config"))) / "branches.yaml"  # the demo branch, package data
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
# A host name the hub answers to: a name, "*.suffix", an IP address, "<ip>" (any IP address),
# "<hostname>" (this machine's name) or "*" (any host: the check is off).
_HOST = re.compile(r"^(<ip>|<hostname>|\*|(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*"
                   r"|[0-9a-f:.]+)$")
DEFAULT_HOSTS = ("localhost", "*.localhost", "<ip>", "<hostname>", "*.local")


class ConfigError(Exception):
    """A branch file that cannot be used; str() is one readable line per problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A text in Persian (shown first) and English."""

    fa: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fa


class Numbering(_Model):
    """Either a letter prefix (A-001 …) or a numeric block (101–199); both wrap."""

    prefix: str | None = Field(default=None, pattern=r"^[A-Z]{1,2}$")
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    digits: int = Field(default=3, ge=1, le=4)

    @model_validator(mode="after")
    def _one_kind(self) -> Numbering:
        if self.prefix is None and (self.start is None or self.end is None):
            raise ValueError("give either a prefix or both start and end")
        if self.prefix is not None and (self.start is not None or self.end is not None):
            raise ValueError("give a prefix or a numeric block, not both")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self

    @property
    def size(self) -> int:
        if self.prefix is not None:
            return 10**self.digits - 1
        return self.end - self.start + 1  # type: ignore[operator]

    def format(self, sequence: int) -> str:
        """The printed number for the n-th ticket of the day (1-based)."""
        slot = (sequence - 1) % self.size
        if self.prefix is not None:
            return f"{self.prefix}-{slot + 1:0{self.digits}d}"
        return str(self.start + slot)  # type: ignore[operator]


class Service(_Model):
    code: Code
    name: Text
    numbering: Numbering
    expected_minutes: float = Field(gt=0, le=240)
    target_wait_minutes: float = Field(gt=0, le=480)
    documents: list[Text] = Field(default_factory=list)
    steps: list[Text] = Field(default_factory=list)
    responsible: Text | None = None  # D6: "who is responsible"
    enabled: bool = True
    # F3: a request registered at the counter is answered within this many working days (never
    # more than 10), by this unit or back office; None: the counter's answer is the final one.
    answer_working_days: int | None = Field(default=None, ge=1, le=10)
    answered_by: Text | None = None


class Unit(_Model):
    code: Code
    name: Text
    icon: str | None = None
    services: list[Service] = Field(min_length=1)


class PriorityClass(_Model):
    code: Code
    name: Text
    weight: float = Field(gt=0, le=100)


class CounterService(_Model):
    """A sub-service a counter serves, with its weight: 1.0 its own unit's, < 1 a backup."""

    code: Code
    weight: float = Field(default=1.0, gt=0, le=1)

    @field_validator("code")
    @classmethod
    def _known(cls, code: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("services")
        if known is not None and code not in known:
            raise PydanticCustomError("unknown_service", 'unknown service "{code}"', {"code": code})
        return code


class Counter(_Model):
    number: int = Field(ge=1, le=999)
    name: Text
    unit: Code | None = None
    services: list[CounterService] = Field(min_length=1)

    @field_validator("services", mode="before")
    @classmethod
    def _bare_codes(cls, value: Any) -> Any:
        # "PR1" is shorthand for {code: PR1, weight: 1.0} (a primary skill).
        if isinstance(value, list):
            return [{"code": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None, info: ValidationInfo) -> str | None:
        known = (info.context or {}).get("units")
        if unit is not None and known is not None and unit not in known:
            raise PydanticCustomError("unknown_unit", 'unknown unit "{unit}"', {"unit": unit})
        return unit

    def weight_of(self, service: str) -> float:
        """The counter's weight for a sub-service; 0 when it does not serve it."""
        return next((s.weight for s in self.services if s.code == service), 0.0)


class Printer(_Model):
    name: Code
    type: Literal["usb", "serial", "network", "file", "dummy"]
    width_mm: Literal[58, 80] = 80
    profile: str = "TM-T88V"
    host: str | None = None
    port: int | str | None = None  # TCP port for network, device path for serial
    baudrate: int = 19200
    vendor_id: int | None = None
    product_id: int | None = None
    path: str | None = None  # folder for file printers

    @model_validator(mode="after")
    def _transport(self) -> Printer:
        needs = {"network": ("host",), "serial": ("port",), "usb": ("vendor_id", "product_id"), "file": ("path",)}
        missing = [f for f in needs.get(self.type, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type} printer needs {', '.join(missing)}")
        return self


class Kiosk(_Model):
    name: Code
    printer: Code | None = None


class SerialPort(_Model):
    port: str
    baudrate: int = 9600
    protocol: str = "plain"


Direction = Literal["left", "right", "ahead", "behind", "upstairs", "downstairs"]


class Display(_Model):
    name: Code
    kind: Literal["wall", "counter", "led"] = "wall"
    counter: int | None = None
    serial: SerialPort | None = None
    # Which way each counter is from where this wall hangs (counter number -> direction). A
    # counter not listed gets no arrow: a wrong arrow sends an elderly visitor the wrong way.
    directions: dict[int, Direction] = Field(default_factory=dict)


class Policy(_Model):
    """Knobs of the call-next policy; the defaults need no tuning."""

    # the weight of a service outside the counter's own unit; the file's old key is still read.
    # 0.8 since issue 13's sweep: it cut the estimate error without costing the mean wait
    backup_weight: float = Field(default=0.8, gt=0, le=1,
                                 validation_alias=AliasChoices("backup_weight", "backup_skill_weight"))
    # a priority class starts as if it had already waited this share of its target
    priority_head_start: float = Field(default=0.2, ge=0, le=2)
    # how much a sub-service's target sets how fast its visitors' scores grow (1: in full, 0: not)
    target_growth: float = Field(default=0.5, ge=0, le=1)


class BranchInfo(_Model):
    id: Code
    name: Text
    province: Text | None = None
    timezone: str = "Asia/Tehran"
    opening_hours: dict[Literal[WEEKDAYS], str] = Field(default_factory=dict)  # type: ignore[valid-type]
    holidays: list[dt.date] = Field(default_factory=list)  # the branch's own closures, besides the official ones
    holidays_file: str | None = None  # the official holidays (foundation/workdays.py); None: the shipped file
    # The Host names browsers may reach the hub by; any other gets 400 bad_host (DNS rebinding).
    allowed_hosts: list[str] = Field(default_factory=lambda: list(DEFAULT_HOSTS), min_length=1)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        out = [h.strip().lower().rstrip(".") for h in hosts]
        for host in out:
            if not _HOST.match(host):
                raise PydanticCustomError("host", '"{host}" is not a host name, "*.suffix", "<ip>" or "<hostname>"',
                                          {"host": host[:60]})
        return out

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("timezone", 'unknown time zone "{name}"', {"name": name}) from None
        return name

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, hours: dict[str, str]) -> dict[str, str]:
        for day, span in hours.items():
            m = _HOURS.match(span)
            if not m or (m[1], m[2]) >= (m[3], m[4]):
                raise PydanticCustomError("hours", '{day}: "{span}" is not HH:MM-HH:MM', {"day": day, "span": span})
        return hours


class Branch(BranchLookups, _Model):
    branch: BranchInfo
    policy: Policy = Policy()
    priority_classes: list[PriorityClass] = Field(default_factory=list)
    units: list[Unit] = Field(min_length=1)
    counters: list[Counter] = Field(min_length=1)
    printers: list[Printer] = Field(default_factory=list)
    kiosks: list[Kiosk] = Field(default_factory=list)
    displays: list[Display] = Field(default_factory=list)
    appointments: Appointments = Appointments()  # issue 18: booked time slots
    sms: Sms = Sms()  # issue 18: SMS gateway, remote turns
    remote: Remote = Remote()
    budgets: Budgets = Budgets()  # issue 23: what outsiders may cost the branch

    @model_validator(mode="after")
    def _unique(self) -> Branch:
        for what, codes in (
            ("service", [s.code for s in self.services]),
            ("unit", [u.code for u in self.units]),
            ("counter", [c.number for c in self.counters]),
            ("priority class", [p.code for p in self.priority_classes]),
            ("printer", [p.name for p in self.printers]),
        ):
            dupes = sorted({str(c) for c in codes if codes.count(c) > 1})
            if dupes:
                raise ValueError(f"duplicate {what}: {', '.join(dupes)}")
        unknown = sorted(set(self.appointments.shares) - {s.code for s in self.services})
        if unknown:
            raise ValueError(f"appointments.shares: unknown service {', '.join(unknown)}")
        printers = {p.name for p in self.printers}
        for kiosk in self.kiosks:
            if kiosk.printer and kiosk.printer not in printers:
                raise ValueError(f'kiosk "{kiosk.name}": unknown printer "{kiosk.printer}"')
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.branch.timezone)

    def branch_day(self, when: dt.datetime) -> dt.date:
        """The calendar day in the branch's time zone; ticket numbers restart each day."""
        return when.astimezone(self.tz).date()

    def is_open(self, when: dt.datetime) -> bool:
        span = self.opening_span(when.astimezone(self.tz).date())
        return span is not None and span[0] <= when < span[1]

    def opening_span(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """That day's opening and closing time (aware, branch time), or None if closed."""
        span = self.branch.opening_hours.get(WEEKDAYS[day.weekday()])
        if span is None or day in self.branch.holidays:
            return None
        start, end = (dt.time(*map(int, part.split(":"))) for part in span.split("-"))
        return dt.datetime.combine(day, start, tzinfo=self.tz), dt.datetime.combine(day, end, tzinfo=self.tz)

    def next_opening(self, when: dt.datetime) -> dt.datetime | None:
        """When the branch next opens (aware, branch time), or None if never."""
        local = when.astimezone(self.tz)
        for ahead in range(0, 15):
            span = self.opening_span(local.date() + dt.timedelta(days=ahead))
            if span is not None and span[0] > local:
                return span[0]
        return None


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "union[", "literal[")):
            out += f".{part}" if out else str(part)
    return out or "(top)"


def _context(raw: Any) -> dict[str, set[str]]:
    """Codes defined in the file, so references to them can be checked in one pass."""
    units = raw.get("units") if isinstance(raw, dict) else None
    if not isinstance(units, list):
        return {}
    services = {
        str(s.get("code"))
        for u in units if isinstance(u, dict) and isinstance(u.get("services"), list)
        for s in u["services"] if isinstance(s, dict)
    }
    return {"services": services, "units": {str(u.get("code")) for u in units if isinstance(u, dict)}}


def parse_config(raw: Any) -> Branch:
    try:
        return Branch.model_validate(raw, context=_context(raw))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = err["loc"]
            if err["type"] == "unknown_service" and loc[-1] == "code":
                loc = loc[:-1]  # the skill was written as a bare code
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{_path(loc)}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: str | Path | None = None) -> Branch:
    """Read and validate a branch file; raises ConfigError with readable lines."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml_text.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    branch = parse_config(raw)
    holidays_file = branch.branch.holidays_file
    if holidays_file and not Path(holidays_file).is_absolute():  # relative to the branch file
        info = branch.branch.model_copy(update={"holidays_file": str(path.parent / holidays_file)})
        branch = branch.model_copy(update={"branch": info})
    return branch
