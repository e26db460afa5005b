"""What each unit of measure allows, and how a value is written in that unit.

One `UnitSpec` per unit holds everything about it: which values it allows (and the
message when not), how a figure and a change are written the way the annual report
writes them, the help text next to a form field, and a chart axis. The model, the
forms, the imports, the exports and the charts all read it through `spec(unit)` or
the module-level functions below, so they give the same messages and print the same
figures.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.humanize.templatetags.humanize import ordinal
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# The widest value a reading stores (Reading.value is DECIMAL(20, 4)).
MAX_DIGITS = 20
DECIMAL_PLACES = 4
MAX_ABS_VALUE = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES) - 1


class Unit(models.TextChoices):
    COUNT = "count", gettext_lazy("Count")
    PERCENT = "percent", gettext_lazy("Percent (share, 0-100)")
    PERCENT_CHANGE = "percent_change", gettext_lazy("Percent change")
    CURRENCY = "currency", gettext_lazy("Currency (US dollars)")
    RATING = "rating", gettext_lazy("Rating on a scale")
    RANK = "rank", gettext_lazy("Rank (1 is best)")
    RATIO = "ratio", gettext_lazy("Ratio")


class Qualifier(models.TextChoices):
    # The labels are also the words a figure is written with ("over 9,018"); files use
    # their own fixed English words (metrics/rowformat.py), whatever the language.
    NONE = "", gettext_lazy("(none)")
    OVER = "over", gettext_lazy("over")
    NEARLY = "nearly", gettext_lazy("nearly")
    MORE_THAN = "more_than", gettext_lazy("more than")
    APPROXIMATELY = "approximately", gettext_lazy("approximately")
    PLUS = "plus", gettext_lazy("+ (or more)")


def to_decimal(raw, field="value"):
    """Turn user input into a Decimal, or say why it is not a number."""
    if isinstance(raw, Decimal):
        number = raw
    else:
        text = str(raw).strip().replace(",", "") if raw is not None else ""
        if text == "":
            raise ValidationError({field: _("Enter a number.")}, code="required")
        try:
            # Decimal() also reads other scripts' digits ("٣"): refused, like any
            # character a spreadsheet would not read as a number.
            if not text.isascii():
                raise InvalidOperation
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                {field: _("“%(text)s” is not a number. Write digits, e.g. 6000 or 45.5.") % {
                    "text": text[:40]}},
                code="invalid",
            ) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a finite number.")}, code="invalid")
    if abs(number) > MAX_ABS_VALUE:
        raise ValidationError(
            {field: _("The number is too large: at most %(max)s is stored.") % {
                "max": f"{MAX_ABS_VALUE:,}"}},
            code="max_value",
        )
    if number.as_tuple().exponent < -DECIMAL_PLACES:
        raise ValidationError(
            {field: _("Use at most %(places)d decimal places.") % {"places": DECIMAL_PLACES}},
            code="max_decimal_places",
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
    """ "7th", or "7º" in Spanish: Django's humanize, with its own catalogues."""
    return str(ordinal(n))


def _is_whole(number):
    return number == number.to_integral_value()


class UnitSpec:
    """One unit of measure. Subclasses override only what differs from a plain number."""

    unit = None
    help = gettext_lazy("A number.")
    # Chart axis: d3 tick format, prefix and suffix; "tozero" or "normal".
    tick_format = ",~r"
    tick_prefix = ""
    tick_suffix = ""
    range_mode = "tozero"
    # A reading may carry counts (numerator of denominator) only when this is set: the
    # value is then numerator / denominator x counts_scale (issue 16).
    counts_scale = None

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
        # str(): the figure is JSON, written in the language of the page.
        axis = {"title": {"text": str(self.unit.label if self.unit else _("Value"))},
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
    help = gettext_lazy("A whole number of 0 or more, e.g. 6000.")

    def problem(self, number, **scale):
        if number < 0 or not _is_whole(number):
            return _("A count is a whole number of 0 or more."), "count"
        return None


class PercentSpec(UnitSpec):
    unit = Unit.PERCENT
    # xgettext:no-python-format
    help = gettext_lazy("A share from 0 to 100, e.g. 45.5 (without the % sign).")
    tick_suffix = "%"
    counts_scale = 100

    def problem(self, number, **scale):
        if not 0 <= number <= 100:
            return _("A percent is a share from 0 to 100."), "percent"
        return None

    def format(self, number, *, scale_max=None):
        return f"{_grouped(number)}%"

    def format_change(self, size, sign, *, scale_max=None):
        # Percentage points: "−3.1 pts", "−3.1 puntos".
        return _("%(sign)s%(size)s pts") % {"sign": sign, "size": _grouped(size)}


class PercentChangeSpec(PercentSpec):
    unit = Unit.PERCENT_CHANGE
    help = gettext_lazy("A change in percent, may be negative or above 100, e.g. 28.9.")
    range_mode = "normal"
    counts_scale = None  # a change is not a share of a whole

    def problem(self, number, **scale):
        return None

    def format(self, number, *, scale_max=None):
        return f"{'+' if number > 0 else ''}{_grouped(number)}%"


class CurrencySpec(UnitSpec):
    unit = Unit.CURRENCY
    help = gettext_lazy("US dollars, 0 or more, at most 2 decimals, e.g. 2500000.")
    tick_format = "~s"
    tick_prefix = "$"

    def problem(self, number, **scale):
        if number < 0:
            return _("An amount of money is 0 or more."), "currency"
        if number.as_tuple().exponent < -2:
            return _("An amount of money has at most 2 decimal places (cents)."), "currency"
        return None

    def format(self, number, *, scale_max=None):
        # A U.S. billion is 10^9: "mil millones" in Spanish, where "un billón" is 10^12.
        for size, words in ((Decimal(10) ** 9, _billions), (Decimal(10) ** 6, _millions)):
            scaled = number / size
            # Only round sizes read as "$2.5 million"; $733,700 stays exact.
            if abs(number) >= size and scaled == scaled.quantize(Decimal("0.01")):
                # A plural form: Spanish writes "1 millón", "2.5 millones".
                return words(1 if scaled == 1 else 2) % {"amount": _grouped(scaled)}
        return f"${_grouped(number)}"


def _billions(n):
    return ngettext("$%(amount)s billion", "$%(amount)s billion", n)


def _millions(n):
    return ngettext("$%(amount)s million", "$%(amount)s million", n)


class RatingSpec(UnitSpec):
    unit = Unit.RATING

    def problem(self, number, *, scale_min=None, scale_max=None):
        low = Decimal(0) if scale_min is None else scale_min
        if scale_max is None or not low <= number <= scale_max:
            return _("A rating on this scale is from %(low)s to %(high)s.") % {
                "low": f"{low:,}", "high": scale_max or "?"}, "rating"
        return None

    def format(self, number, *, scale_max=None):
        return f"{_grouped(number)}/{_grouped(scale_max)}" if scale_max else _grouped(number)

    def format_change(self, size, sign, *, scale_max=None):
        return f"{sign}{_grouped(size)}"

    def help_text(self, *, scale_min=None, scale_max=None):
        low = scale_min if scale_min is not None else 0
        if scale_max is None:
            return _("A rating on the metric's scale.")
        return _("A rating from %(low)s to %(high)s.") % {"low": f"{low:g}",
                                                         "high": f"{scale_max:g}"}

    def axis(self, *, scale_min=None, scale_max=None):
        axis = super().axis()
        if scale_max is not None:
            axis["range"] = [float(scale_min or 0), float(scale_max)]
        return axis


class RankSpec(UnitSpec):
    unit = Unit.RANK
    help = gettext_lazy("A whole number from 1 (best).")
    tick_format = ",d"

    def problem(self, number, *, scale_min=None, scale_max=None):
        if number < 1 or not _is_whole(number):
            return _("A rank is a whole number from 1 (best)."), "rank"
        if scale_max is not None and number > scale_max:
            return _("A rank out of %(max)s is at most %(max)s.") % {
                "max": f"{scale_max:,}"}, "rank"
        return None

    def format(self, number, *, scale_max=None):
        text = _ordinal(int(number))
        if not scale_max:
            return text
        return _("%(rank)s of %(out_of)s") % {"rank": text, "out_of": _grouped(scale_max)}

    def format_change(self, size, sign, *, scale_max=None):
        places = int(size)
        return ngettext("%(sign)s%(places)d place", "%(sign)s%(places)d places", places) % {
            "sign": sign, "places": places}


class RatioSpec(UnitSpec):
    unit = Unit.RATIO
    help = gettext_lazy("A number of 0 or more.")
    tick_suffix = ":1"

    def problem(self, number, **scale):
        if number < 0:
            return _("A ratio is 0 or more."), "ratio"
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
        raise ValidationError({field: _("%(problem)s You entered %(number)s.") % {
            "problem": message, "number": f"{number:,}"}}, code=code)
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


# --- Counts: a percent reading's numerator and denominator (issue 16) ---------------

COUNT_FIELDS = ("numerator", "denominator")
COUNTS_HELP = {
    "numerator": gettext_lazy("Optional, with the denominator: how many of them, e.g. 412 "
                              "(of 1,030)."),
    "denominator": gettext_lazy("Optional, with the numerator: how many in all, e.g. 1030. "
                                "The value is then worked out from the two; leave it empty "
                                "or give the same share."),
}


def to_whole(raw, field):
    """A whole number of 0 or more from user input, None when empty; refused otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    number = to_decimal(raw, field)
    if number < 0 or not _is_whole(number):
        raise ValidationError(
            {field: _("Write a whole number of 0 or more, e.g. 412. You entered %(number)s.")
             % {"number": f"{number:,}"}},
            code="whole")
    return int(number)


def counts_value(unit, value, numerator, denominator, *, scale_min=None, scale_max=None):
    """The one rule of a reading's value and counts: (value, numerator, denominator).

    The counts come both or neither, as whole numbers with 0 <= numerator <= denominator
    and denominator > 0, and only in a unit with a counts scale (a percent); the value is
    then numerator / denominator x that scale, rounded half up to the places stored. A
    value given too must agree with it to the places it is written with (33.3 for 1 of
    3), else it is refused; the value stored is the one worked out. Raises a
    ValidationError naming the field."""
    numerator, denominator = to_whole(numerator, "numerator"), to_whole(denominator, "denominator")
    given = value is not None and not (isinstance(value, str) and not value.strip())
    if numerator is None and denominator is None:
        if not given:
            raise ValidationError({"value": _("Enter a number.")}, code="required")
        return validate_value(unit, value, scale_min=scale_min, scale_max=scale_max), None, None
    scale = spec(unit).counts_scale
    if scale is None:
        raise ValidationError({"numerator": _(
            "Only a percent is entered as a numerator and a denominator; this metric is a "
            "%(unit)s. Leave both empty and enter the value.") % {
            "unit": Unit(unit).label.lower() if unit in Unit.values else unit}},
            code="counts_unit")
    if numerator is None or denominator is None:
        missing = "numerator" if numerator is None else "denominator"
        raise ValidationError({missing: _("Give the numerator and the denominator together, "
                                          "or leave both empty.")}, code="counts_pair")
    if denominator == 0:
        raise ValidationError({"denominator": _("The denominator is the whole: more than 0.")},
                              code="counts_zero")
    if numerator > denominator:
        raise ValidationError({"numerator": _(
            "The numerator (%(numerator)s) is a part of the denominator (%(denominator)s): "
            "at most as large.") % {"numerator": f"{numerator:,}",
                                    "denominator": f"{denominator:,}"}}, code="counts_order")
    exact = Decimal(numerator) * scale / Decimal(denominator)
    computed = exact.quantize(Decimal(1).scaleb(-DECIMAL_PLACES), rounding=ROUND_HALF_UP)
    if given:
        number = to_decimal(value)
        places = Decimal(1).scaleb(min(0, number.as_tuple().exponent))
        if exact.quantize(places, rounding=ROUND_HALF_UP) != number.quantize(places):
            raise ValidationError({"value": _(
                "%(number)s is not %(numerator)s of %(denominator)s, which is %(computed)s. "
                "Correct one of them, or leave the value empty to have it worked out.") % {
                "number": f"{number:,}", "numerator": f"{numerator:,}",
                "denominator": f"{denominator:,}", "computed": plain_number(computed)}},
                code="counts_disagree")
    return validate_value(unit, computed, scale_min=scale_min, scale_max=scale_max), (
        numerator), denominator


def format_counts(numerator, denominator):
    """ "412 of 1,030", or "" when a reading has no counts."""
    if numerator is None or denominator is None:
        return ""
    return _("%(numerator)s of %(denominator)s") % {"numerator": f"{numerator:,}",
                                                     "denominator": f"{denominator:,}"}
