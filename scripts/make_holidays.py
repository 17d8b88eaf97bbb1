"""Writes config/holidays.yaml: the official holidays of Solar Hijri years, for working days (F3).

    pip install holidays jdatetime   # not a dependency of the hub: only this script needs it
    python scripts/make_holidays.py 1405 1406 > config/holidays.yaml

Solar holidays are fixed in the Jalali calendar and written here. The lunar (Hijri) holidays
come from python-holidays' calendar for Iran (holidays.Iran): it carries the dates the Iran
Calendar Center published (time.ir) for the Gregorian years it has confirmed and, past them,
estimates one day after the Umm al-Qura calendar, as Iran's observed months usually fall;
those are marked `estimated: true`. Check the file against the official calendar when it is
published and correct a date by hand: an observed month can start a day apart from any estimate.
"""

from __future__ import annotations

import sys

import holidays
import jdatetime

SOLAR = [  # (month, day, fa, en): the official calendar's fixed solar holidays
    (1, 1, "عید نوروز", "Nowruz"), (1, 2, "عید نوروز", "Nowruz"), (1, 3, "عید نوروز", "Nowruz"),
    (1, 4, "عید نوروز", "Nowruz"), (1, 12, "روز جمهوری اسلامی", "Islamic Republic Day"),
    (1, 13, "روز طبیعت", "Nature Day"), (3, 14, "رحلت امام خمینی", "Death of Imam Khomeini"),
    (3, 15, "قیام ۱۵ خرداد", "15 Khordad uprising"), (11, 22, "پیروزی انقلاب اسلامی", "Islamic Revolution Day"),
    (12, 29, "ملی شدن صنعت نفت", "Oil nationalisation day"),
]
SOLAR_EN = {"Nowruz", "Nowruz Holiday", "Islamic Republic Day", "Nature's Day", "Death of Imam Khomeini",
            "15 Khordad Uprising", "Islamic Revolution Day", "Iranian Oil Industry Nationalization Day"}


def _solar_fa(fa: holidays.HolidayBase, en: holidays.HolidayBase) -> set[str]:
    """The library's Persian names of the solar holidays (its two lists need not share an order)."""
    return {fa[day] for day in en if en.get_list(day)[0] in SOLAR_EN and len(en.get_list(day)) == 1}


def lunar(year: int) -> list[tuple[jdatetime.date, str, str, bool]]:
    """The lunar holidays that fall in Solar Hijri `year`: (date, fa, en, estimated)."""
    first, last = jdatetime.date(year, 1, 1).togregorian(), jdatetime.date(year + 1, 1, 1).togregorian()
    years = [first.year, last.year]
    fa = holidays.Iran(years=years, language="fa_IR")
    en = holidays.Iran(years=years, language="en_US")
    solar_fa = _solar_fa(holidays.Iran(years=range(2020, 2031), language="fa_IR"),
                         holidays.Iran(years=range(2020, 2031), language="en_US"))
    out = []
    for day in sorted(en):
        if not first <= day < last:
            continue
        # solar: written above; one-off decrees ("Public Holiday"): not the calendar
        names_en = [n for n in en.get_list(day) if n.removesuffix(" (estimated)") not in SOLAR_EN | {"Public Holiday"}]
        names_fa = [n for n in fa.get_list(day) if n not in solar_fa and not n.startswith("تعطیلی عمومی")]
        for name_en, name_fa in zip(names_en, names_fa, strict=True):
            out.append((jdatetime.date.fromgregorian(date=day), name_fa.removesuffix(" (تخمینی)"),
                        name_en.removesuffix(" (estimated)"), name_en.endswith("(estimated)")))
    return out


def main(years: list[int]) -> None:
    print(f"# The official holidays of Solar Hijri {', '.join(map(str, years))}: answer deadlines count "
          "working days (F3).")
    print("# Solar holidays: fixed in the official calendar (Iran Calendar Center, University of Tehran's")
    print("# Institute of Geophysics). Lunar holidays: derived with python-holidays"
          f" {holidays.__version__} (holidays.Iran),")
    print("# which carries the Iran Calendar Center's published dates where it has them; `estimated: true`")
    print("# marks a date estimated as one day after the Umm al-Qura calendar. An observed lunar month can")
    print("# start a day apart: check this file against the published calendar of each year and correct it.")
    print("# A branch may keep its own copy (branch.holidays_file in its branch file); `branch.holidays`")
    print("# adds one-off closures. Regenerate: python scripts/make_holidays.py 1405 1406")
    print("holidays:")
    for year in years:
        rows = [(jdatetime.date(year, m, d), fa, en, False) for m, d, fa, en in SOLAR] + lunar(year)
        print(f"  # {year}")
        for day, fa, en, estimated in sorted(rows, key=lambda r: r[0]):
            extra = ", estimated: true" if estimated else ""
            print(f'  - {{date: "{day.year}-{day.month:02d}-{day.day:02d}", fa: "{fa}", en: "{en}"{extra}}}')


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1405, 1406])
