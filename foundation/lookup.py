"""A branch file's lists by key, built once (issue 27): the hub looks a service, a counter or a
priority class up on every request, and a scan of the list each time added up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from navbat.foundation.config import Counter, Display, Printer, PriorityClass, Service, Unit


class BranchIndex:
    """Services, units, counters, priority classes, displays and printers by key. The first of a
    duplicated key wins, as the scans it replaces did (the branch file refuses duplicates anyway)."""

    def __init__(self, sources: tuple[Sequence[Any], ...]) -> None:
        self.sources = sources  # the lists it was built from: a copy of the model with others rebuilds it
        units, counters, priorities, displays, printers = sources
        self.services = tuple(s for u in units for s in u.services)
        self.service: dict[str, Any] = {}
        self.unit_of: dict[str, Any] = {}
        for u in units:
            for s in u.services:
                self.service.setdefault(s.code, s)
                self.unit_of.setdefault(s.code, u)
        self.counter = _first_by(counters, lambda c: c.number)
        self.priority = _first_by(priorities, lambda p: p.code)
        self.display = _first_by(displays, lambda d: d.name)
        self.printer = _first_by(printers, lambda p: p.name)

    def built_from(self, sources: tuple[Sequence[Any], ...]) -> bool:
        return all(a is b for a, b in zip(self.sources, sources, strict=True))


class BranchLookups:
    """The lookups of `foundation.config.Branch`, mixed into it: by key, from a `BranchIndex` kept in
    the instance's __dict__ beside the fields (as a cached_property would), with the lists it came
    from, so a model_copy(update=...) that replaces one is looked up afresh."""

    units: list[Any]
    counters: list[Any]
    priority_classes: list[Any]
    displays: list[Any]
    printers: list[Any]

    def _index(self) -> BranchIndex:
        sources = (self.units, self.counters, self.priority_classes, self.displays, self.printers)
        found = self.__dict__.get("_navbat_index")
        if found is None or not found.built_from(sources):
            found = self.__dict__["_navbat_index"] = BranchIndex(sources)
        return found

    @property
    def services(self) -> list[Service]:
        return list(self._index().services)

    def service(self, code: str) -> Service | None:
        return get(self._index().service, code)

    def unit_of(self, code: str) -> Unit | None:
        return get(self._index().unit_of, code)

    def counter(self, number: int) -> Counter | None:
        return get(self._index().counter, number)

    def priority(self, code: str) -> PriorityClass | None:
        return get(self._index().priority, code)

    def display(self, name: str) -> Display | None:
        return get(self._index().display, name)

    def printer(self, name: str) -> Printer | None:
        return get(self._index().printer, name)


def get(table: dict[Any, Any], key: Any) -> Any:
    """table[key], or None; an unhashable key (a list from a JSON body) is simply not there."""
    try:
        return table.get(key)
    except TypeError:
        return None


def _first_by(items: Sequence[Any], key: Callable[[Any], Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for item in items:
        out.setdefault(key(item), item)
    return out
