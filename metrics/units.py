"""What each unit of measure allows, and how a value is written in that unit.

One `UnitSpec` per unit holds everything about it: which values it allows (and the
message when not), how a figure and a change are written the way the annual report
writes them, the help text next to a form field, and a chart axis. The model, the
forms, the imports, the exports and the charts all read it through `spec(unit)` or
the module-level functions below, so they give the same messages and print the same
figures.
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
            # Decimal() also reads other scripts' digits ("٣"): refused, like any
            # character a spreadsheet would not read as a number.
            if not text.isascii():
                raise InvalidOperation
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


def _is_whole(number):
    return number == number.to_integral_value()


class UnitSpec:
    """One unit of measure. Subclasses override only what differs from a plain number."""

    unit = None
    help = "A number."
    # Chart axis: d3 tick format, prefix and suffix; "tozero" or "normal".
    tick_format = ",~r"
    tick_prefix = ""
    tick_suffix = ""
    range_mode = "tozero"

    def problem(self, number, *, scale_min=None, scale_max=None):
        """Why `number` is not allowed in this unit, as (message, code), or None."""
        return None

    def format(self, number, *, scale_max=None):
        """A Decimal written as the report writes it, without a qualifier."""
        return _grouped(number)

    def format_change(self, size, sign, *, scale_max=None):
        """The size of a change (0 or more) with its sign, "+2,285"."""
        return f"{sign}{self.format(size)}"

    def help_text(self, *, scale_min=None, scale_max=None):
        """What a form says next to a value field of this unit."""
        return self.help

    def axis(self, *, scale_min=None, scale_max=None):
        """A plotly value axis for figures of this unit."""
        axis = {"title": {"text": self.unit.label if self.unit else "Value"},
                "automargin": True, "rangemode": self.range_mode, "tickformat": self.tick_format}
        if self.tick_prefix:
            axis["tickprefix"] = self.tick_prefix
        if self.tick_suffix:
            axis["ticksuffix"] = self.tick_suffix
        return axis

    def hover(self, placeholder="%{y:,}"):
        """A plotly hover label of a value of this unit."""
        return f"{self.tick_prefix}{placeholder}{self.tick_suffix}"


class CountSpec(UnitSpec):
    unit = Unit.COUNT
    help = "A whole number of 0 or more, e.g. 6000."

    def problem(self, number, **scale):
        if number < 0 or not _is_whole(number):
            return "A count is a whole number of 0 or more.", "count"
        return None


class PercentSpec(UnitSpec):
    unit = Unit.PERCENT
    help = "A share from 0 to 100, e.g. 45.5 (without the % sign)."
    tick_suffix = "%"

    def problem(self, number, **scale):
        if not 0 <= number <= 100:
            return "A percent is a share from 0 to 100.", "percent"
        return None

    def format(self, number, *, scale_max=None):
        return f"{_grouped(number)}%"

    def format_change(self, size, sign, *, scale_max=None):
        return f"{sign}{_grouped(size)} pts"


class PercentChangeSpec(PercentSpec):
    unit = Unit.PERCENT_CHANGE
    help = "A change in percent, may be negative or above 100, e.g. 28.9."
    range_mode = "normal"

    def problem(self, number, **scale):
        return None

    def format(self, number, *, scale_max=None):
        return f"{'+' if number > 0 else ''}{_grouped(number)}%"


class CurrencySpec(UnitSpec):
    unit = Unit.CURRENCY
    help = "US dollars, 0 or more, at most 2 decimals, e.g. 2500000."
    tick_format = "~s"
    tick_prefix = "$"

    def problem(self, number, **scale):
        if number < 0:
            return "An amount of money is 0 or more.", "currency"
        if number.as_tuple().exponent < -2:
            return "An amount of money has at most 2 decimal places (cents).", "currency"
        return None

    def format(self, number, *, scale_max=None):
        for size, word in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
            scaled = number / size
            # Only round sizes read as "$2.5 million"; $733,700 stays exact.
            if abs(number) >= size and scaled == scaled.quantize(Decimal("0.01")):
                return f"${_grouped(scaled)} {word}"
        return f"${_grouped(number)}"


class RatingSpec(UnitSpec):
    unit = Unit.RATING

    def problem(self, number, *, scale_min=None, scale_max=None):
        low = Decimal(0) if scale_min is None else scale_min
        if scale_max is None or not low <= number <= scale_max:
            return f"A rating on this scale is from {low:,} to {scale_max or '?'}.", "rating"
        return None

    def format(self, number, *, scale_max=None):
        return f"{_grouped(number)}/{_grouped(scale_max)}" if scale_max else _grouped(number)

    def format_change(self, size, sign, *, scale_max=None):
        return f"{sign}{_grouped(size)}"

    def help_text(self, *, scale_min=None, scale_max=None):
        low = scale_min if scale_min is not None else 0
        return f"A rating from {low:g} to {scale_max:g}." if scale_max is not None else (
            "A rating on the metric's scale.")

    def axis(self, *, scale_min=None, scale_max=None):
        axis = super().axis()
        if scale_max is not None:
            axis["range"] = [float(scale_min or 0), float(scale_max)]
        return axis


class RankSpec(UnitSpec):
    unit = Unit.RANK
    help = "A whole number from 1 (best)."
    tick_format = ",d"

    def problem(self, number, *, scale_min=None, scale_max=None):
        if number < 1 or not _is_whole(number):
            return "A rank is a whole number from 1 (best).", "rank"
        if scale_max is not None and number > scale_max:
            return f"A rank out of {scale_max:,} is at most {scale_max:,}.", "rank"
        return None

    def format(self, number, *, scale_max=None):
        text = _ordinal(int(number))
        return f"{text} of {_grouped(scale_max)}" if scale_max else text

    def format_change(self, size, sign, *, scale_max=None):
        places = int(size)
        return f"{sign}{places} place{'s' if places != 1 else ''}"


class RatioSpec(UnitSpec):
    unit = Unit.RATIO
    help = "A number of 0 or more."
    tick_suffix = ":1"

    def problem(self, number, **scale):
        if number < 0:
            return "A ratio is 0 or more.", "ratio"
        return None

    def format(self, number, *, scale_max=None):
        return f"{_grouped(number)}:1"


SPECS = {each.unit: each for each in (
    CountSpec(), PercentSpec(), PercentChangeSpec(), CurrencySpec(), RatingSpec(), RankSpec(),
    RatioSpec(),
)}


def spec(unit):
    """The UnitSpec of `unit` (a Unit or its value); a plain number's for an unknown one."""
    return SPECS.get(unit) or UnitSpec()


# The module's functions, which the model, imports, exports and templates call.


def validate_value(unit, value, *, scale_min=None, scale_max=None, field="value"):
    """Raise a ValidationError on `field` when `value` is not allowed for `unit`."""
    number = to_decimal(value, field)
    problem = spec(unit).problem(number, scale_min=scale_min, scale_max=scale_max)
    if problem:
        message, code = problem
        raise ValidationError({field: f"{message} You entered {number:,}."}, code=code)
    return number


def format_number(value, unit, *, scale_max=None):
    """The number as the report prints it, without a qualifier."""
    if value is None:
        return "—"
    return spec(unit).format(Decimal(value), scale_max=scale_max)


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
    return spec(unit).format_change(abs(number), sign, scale_max=scale_max)
