"""What each unit of measure allows, and how a value is written in that unit.

Kept in one place so that the model, the forms, the imports and the exports all
give the same messages and print figures the way the annual report does.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models

# The widest value a reading stores (Reading.value is DECIMAL(20, 4)).
MAX_DIGITS = 20
DECIMAL_PLACES = 4
MAX_ABS_VALUE = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES) - 1


class Unit(models.TextChoices):
    COUNT = "count", "Count"
    PERCENT = "percent", "Percent (share, 0-100)"
    PERCENT_CHANGE = "percent_change", "Percent change"
    CURRENCY = "currency", "Currency (US dollars)"
    RATING = "rating", "Rating on a scale"
    RANK = "rank", "Rank (1 is best)"
    RATIO = "ratio", "Ratio"


class Qualifier(models.TextChoices):
    NONE = "", "(none)"
    OVER = "over", "over"
    NEARLY = "nearly", "nearly"
    MORE_THAN = "more_than", "more than"
    APPROXIMATELY = "approximately", "approximately"
    PLUS = "plus", "+ (or more)"


def to_decimal(raw, field="value"):
    """Turn user input into a Decimal, or say why it is not a number."""
    if isinstance(raw, Decimal):
        number = raw
    else:
        text = str(raw).strip().replace(",", "") if raw is not None else ""
        if text == "":
            raise ValidationError({field: "Enter a number."}, code="required")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                {field: f"“{text[:40]}” is not a number. Write digits, e.g. 6000 or 45.5."},
                code="invalid",
            ) from None
    if not number.is_finite():
        raise ValidationError({field: "Enter a finite number."}, code="invalid")
    if abs(number) > MAX_ABS_VALUE:
        raise ValidationError(
            {field: f"The number is too large: at most {MAX_ABS_VALUE:,} is stored."},
            code="max_value",
        )
    if number.as_tuple().exponent < -DECIMAL_PLACES:
        raise ValidationError(
            {field: f"Use at most {DECIMAL_PLACES} decimal places."}, code="max_decimal_places"
        )
    return number


def validate_value(unit, value, *, scale_min=None, scale_max=None, field="value"):
    """Raise a ValidationError on `field` when `value` is not allowed for `unit`."""
    number = to_decimal(value, field)

    def fail(message, code):
        raise ValidationError({field: f"{message} You entered {number:,}."}, code=code)

    whole = number == number.to_integral_value()
    if unit == Unit.COUNT and (number < 0 or not whole):
        fail("A count is a whole number of 0 or more.", "count")
    if unit == Unit.PERCENT and not 0 <= number <= 100:
        fail("A percent is a share from 0 to 100.", "percent")
    if unit == Unit.CURRENCY:
        if number < 0:
            fail("An amount of money is 0 or more.", "currency")
        if number.as_tuple().exponent < -2:
            fail("An amount of money has at most 2 decimal places (cents).", "currency")
    if unit == Unit.RANK:
        if number < 1 or not whole:
            fail("A rank is a whole number from 1 (best).", "rank")
        if scale_max is not None and number > scale_max:
            fail(f"A rank out of {scale_max:,} is at most {scale_max:,}.", "rank")
    if unit == Unit.RATING:
        low = Decimal(0) if scale_min is None else scale_min
        if scale_max is None or not low <= number <= scale_max:
            fail(f"A rating on this scale is from {low:,} to {scale_max or '?'}.", "rating")
    if unit == Unit.RATIO and number < 0:
        fail("A ratio is 0 or more.", "ratio")
    return number


def plain_number(number):
    """A Decimal without trailing zeros or exponent: 45.50 -> 45.5, 6000.0000 -> 6000.
    Empty for None: what exports and chart data carry."""
    if number is None:
        return ""
    text = f"{Decimal(number):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _grouped(number):
    plain = plain_number(number)
    whole, _, fraction = plain.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return sign + grouped + (f".{fraction}" if fraction else "")


def _ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_number(value, unit, *, scale_max=None):
    """The number as the report prints it, without a qualifier."""
    if value is None:
        return "—"
    number = Decimal(value)
    if unit == Unit.PERCENT:
        return f"{_grouped(number)}%"
    if unit == Unit.PERCENT_CHANGE:
        return f"{'+' if number > 0 else ''}{_grouped(number)}%"
    if unit == Unit.CURRENCY:
        for size, word in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
            scaled = number / size
            # Only round sizes read as "$2.5 million"; $733,700 stays exact.
            if abs(number) >= size and scaled == scaled.quantize(Decimal("0.01")):
                return f"${_grouped(scaled)} {word}"
        return f"${_grouped(number)}"
    if unit == Unit.RATING:
        return f"{_grouped(number)}/{_grouped(scale_max)}" if scale_max else _grouped(number)
    if unit == Unit.RANK:
        text = _ordinal(int(number))
        return f"{text} of {_grouped(scale_max)}" if scale_max else text
    if unit == Unit.RATIO:
        return f"{_grouped(number)}:1"
    return _grouped(number)


def format_figure(value, unit, *, qualifier="", scale_max=None):
    """The figure as the report writes it: "over 9,018", "$2.5 million", "50+"."""
    text = format_number(value, unit, scale_max=scale_max)
    if value is None or not qualifier:
        return text
    if qualifier == Qualifier.PLUS:
        return f"{text}+"
    return f"{Qualifier(qualifier).label} {text}"


def format_change(change, unit, *, scale_max=None):
    """A change between two readings: "+2,285", "−3.1 pts", "+$1.2 million"."""
    if change is None:
        return "—"
    number = Decimal(change)
    sign = "+" if number > 0 else "−" if number < 0 else "±"
    size = abs(number)
    if unit in (Unit.PERCENT, Unit.PERCENT_CHANGE):
        return f"{sign}{_grouped(size)} pts"
    if unit == Unit.RANK:
        places = int(size)
        return f"{sign}{places} place{'s' if places != 1 else ''}"
    if unit == Unit.RATING:
        return f"{sign}{_grouped(size)}"
    return f"{sign}{format_number(size, unit)}"
