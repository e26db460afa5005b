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

PERIOD_FORMATS_HELP = "Write a school year as 2023-24, a quarter as 2023-24 Q1 (Q1 = July-Sept.) or a month as 2024-03."  # noqa: E501

# Anchored and strict on purpose: one spelling per period keeps the unique
# constraint on (metric, period, district, group) meaningful.
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-(\d{2}) Q([1-4])$")
PERIOD_REGEX = r"^[0-9]{4}-[0-9]{2}( Q[1-4])?$"


class Kind:
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


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
            "“%(value)s” is not a period. " + PERIOD_FORMATS_HELP,
            code="invalid_period",
            params={"value": raw[:40]},
        )

    @classmethod
    def school_year(cls, start_year: int) -> Period:
        return cls.parse(f"{start_year}-{(start_year + 1) % 100:02d}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls.parse(f"{year}-{month:02d}")

    @property
    def school_year_start(self) -> int:
        """Calendar year in which this period's school year starts."""
        return self.start.year if self.start.month >= 7 else self.start.year - 1

    def next(self) -> Period:
        if self.kind == Kind.MONTH:
            following = _add_months(self.start, 1)
            return Period.month(following.year, following.month)
        if self.kind == Kind.QUARTER:
            quarter = int(self.text[-1])
            if quarter == 4:
                return Period.parse(f"{Period.school_year(self.school_year_start + 1)} Q1")
            return Period.parse(f"{self.text[:-1]}{quarter + 1}")
        return Period.school_year(self.school_year_start + 1)

    def within(self, first: datetime.date, last: datetime.date) -> bool:
        return first <= self.start and self.end <= last


def _school_year_start(match, raw) -> int:
    first, second = int(match.group(1)), int(match.group(2))
    if second != (first + 1) % 100:
        raise ValidationError(
            "“%(value)s” is not a school year: the second part must be the year after "
            "the first (2023-24). " + PERIOD_FORMATS_HELP,
            code="invalid_period",
            params={"value": raw[:40]},
        )
    return first


def _month_start(year: int, month: int) -> datetime.date:
    if not 1900 <= year <= 2999:
        raise ValidationError(
            "Year %(year)s is out of range (1900-2999).", code="invalid_period",
            params={"year": year},
        )
    return datetime.date(year, month, 1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)
