"""Reporting periods as staff write them.

A school year runs 1 July to 30 June and is written ``2023-24``; a quarter of it
``2023-24 Q1`` (Q1 = July-September); a calendar month ``2024-03``. Forms, files
and commands all use this same text, parsed and printed here only.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Lazy: written in the language of the page that shows it. Periods themselves are written
# the same in every language ("2023-24 Q1"): files and links carry them.
PERIOD_FORMATS_HELP = gettext_lazy(
    "Write a school year as 2023-24, a quarter as 2023-24 Q1 (Q1 = July-Sept.) or a month "
    "as 2024-03.")

# Anchored and strict on purpose: one spelling per period keeps the unique
# constraint on (metric, period, district, group) meaningful.
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-(\d{2}) Q([1-4])$")
PERIOD_REGEX = r"^[0-9]{4}-[0-9]{2}( Q[1-4])?$"


class Kind:
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


# The school year starts on 1 July (California Education Code 37200).
SCHOOL_YEAR_FIRST_MONTH = 7
FREQUENCY_KINDS = {"annual": Kind.YEAR, "quarterly": Kind.QUARTER, "monthly": Kind.MONTH}


@dataclass(frozen=True, order=True)
class Period:
    start: datetime.date
    end: datetime.date
    kind: str
    text: str

    def __str__(self):
        return self.text

    @classmethod
    def parse(cls, text) -> Period:
        """Parse period text; raise ValidationError that says what is allowed."""
        raw = "" if text is None else str(text).strip()
        # A year the calendar has no room for (0000, or 9999 whose end is in 10000) is no
        # period either, rather than a ValueError from datetime (a server error).
        known = _QUARTER.match(raw) or _YEAR.match(raw)
        if known and not 1 <= int(known.group(1)) <= 9998:
            raw, shown = "", raw
        else:
            shown = raw
        if match := _QUARTER.match(raw):
            year = _school_year_start(match, raw)
            quarter = int(match.group(3))
            month = 7 + 3 * (quarter - 1)
            start = _month_start(year + (month - 1) // 12, (month - 1) % 12 + 1)
            end = _add_months(start, 3) - datetime.timedelta(days=1)
            return cls(start, end, Kind.QUARTER, raw)
        if match := _YEAR.match(raw):
            first, second = int(match.group(1)), int(match.group(2))
            if 1 <= second <= 12 and second != (first + 1) % 100:
                start = _month_start(first, second)
                end = _add_months(start, 1) - datetime.timedelta(days=1)
                return cls(start, end, Kind.MONTH, raw)
            year = _school_year_start(match, raw)
            return cls(
                datetime.date(year, 7, 1), datetime.date(year + 1, 6, 30), Kind.YEAR, raw
            )
        raise ValidationError(
            _("“%(value)s” is not a period.") + " " + PERIOD_FORMATS_HELP,
            code="invalid_period",
            params={"value": shown[:40]},
        )

    @classmethod
    def school_year(cls, start_year: int) -> Period:
        return cls.parse(school_year_label(start_year))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls.parse(f"{year}-{month:02d}")

    @classmethod
    def containing(cls, day: datetime.date, kind: str) -> Period:
        """The period of `kind` (year, quarter or month) that `day` falls in."""
        if kind == Kind.MONTH:
            return cls.month(day.year, day.month)
        year = cls.school_year(school_year_start_of(day))
        if kind == Kind.QUARTER:
            return cls.parse(f"{year} Q{(day.month - 7) % 12 // 3 + 1}")
        return year

    @property
    def school_year_start(self) -> int:
        """Calendar year in which this period's school year starts."""
        return school_year_start_of(self.start)

    @property
    def year(self) -> Period:
        """The school year this period belongs to."""
        return Period.school_year(self.school_year_start)

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods of the same kind later (earlier when negative)."""
        months = {Kind.MONTH: 1, Kind.QUARTER: 3, Kind.YEAR: 12}[self.kind] * steps
        return Period.containing(_add_months(self.start, months), self.kind)

    def next(self) -> Period:
        return self.shifted(1)

    def previous(self) -> Period:
        return self.shifted(-1)

    def year_earlier(self) -> Period:
        """The same period a year before (2023-24 Q2 -> 2022-23 Q2, 2024-03 -> 2023-03)."""
        return Period.containing(_add_months(self.start, -12), self.kind)

    def within(self, first: datetime.date, last: datetime.date) -> bool:
        return first <= self.start and self.end <= last

    def clamp(self, first: datetime.date, last: datetime.date) -> Period:
        """This period, or the period of the same kind at the nearer edge of first..last."""
        if self.start > last:
            return Period.containing(last, self.kind)
        if self.end < first:
            return Period.containing(first, self.kind)
        return self


def school_year_start_of(day: datetime.date) -> int:
    """Calendar year in which the school year holding `day` starts (July to June)."""
    return day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1


def school_year_label(start_year: int) -> str:
    """2023 -> "2023-24": how a school year is written everywhere."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def span_label(start_year: int, end_year: int) -> str:
    """A plan's span as LACOE writes it: 2022, 2025 -> "2022-25"."""
    return f"{start_year}-{end_year % 100:02d}"


def school_years(start_year: int, end_year: int) -> list[str]:
    """The school years from the one starting in `start_year` to the one ending in `end_year`."""
    return [school_year_label(y) for y in range(start_year, end_year)]


def school_year_bounds(start_year: int, end_year: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of the school years start_year..end_year (1 July to 30 June)."""
    return (datetime.date(start_year, SCHOOL_YEAR_FIRST_MONTH, 1),
            datetime.date(end_year, SCHOOL_YEAR_FIRST_MONTH, 1) - datetime.timedelta(days=1))


def kind_of_frequency(frequency: str) -> str:
    """The period kind a metric of this update frequency is reported for."""
    return FREQUENCY_KINDS.get(frequency, Kind.YEAR)


def metric_is_retired(metric, today=None) -> bool:
    """The one retirement rule: a metric retired mid-plan (Metric.retired_on) is, from
    that day, never due (`next_period`) or judged (metrics.status)."""
    retired_on = getattr(metric, "retired_on", None)
    return bool(retired_on) and retired_on <= (today or timezone.localdate())


def next_period(metric, latest, today: datetime.date) -> Period | None:
    """The one rule for the period whose reading `metric` is due next.

    `latest` is the newest period already entered (approved or waiting), or None.
    After it comes the following period of the same kind; with nothing entered yet,
    the period of the metric's frequency holding `today`, moved inside the plan when
    today lies outside it. A period after the plan's last one is never due: then
    None (nothing more to enter). My updates, reminders, overdue counts and the
    import template all ask this function, so they propose only periods the entry
    form accepts (Metric.validate_period). A closed plan takes no more values: None.
    """
    plan = metric.plan
    if getattr(plan, "closed_at", None) or metric_is_retired(metric, today):
        return None
    if latest:
        candidate = (latest if isinstance(latest, Period) else Period.parse(latest)).next()
    else:
        kind = kind_of_frequency(metric.frequency)
        candidate = Period.containing(today, kind).clamp(plan.starts_on, plan.ends_on)
    if not candidate.within(plan.starts_on, plan.ends_on):
        return None
    return candidate


def _school_year_start(match, raw) -> int:
    first, second = int(match.group(1)), int(match.group(2))
    if second != (first + 1) % 100:
        raise ValidationError(
            _("“%(value)s” is not a school year: the second part must be the year after "
              "the first (2023-24).") + " " + PERIOD_FORMATS_HELP,
            code="invalid_period",
            params={"value": raw[:40]},
        )
    return first


def _month_start(year: int, month: int) -> datetime.date:
    if not 1900 <= year <= 2999:
        raise ValidationError(
            _("Year %(year)s is out of range (1900-2999)."), code="invalid_period",
            params={"year": year},
        )
    return datetime.date(year, month, 1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)
