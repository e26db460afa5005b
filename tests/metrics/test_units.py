from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from metrics.units import Unit, format_figure, validate_value


@pytest.mark.parametrize(
    ("unit", "value", "kwargs"),
    [
        (Unit.COUNT, "0", {}),
        (Unit.COUNT, "6,000", {}),
        (Unit.PERCENT, "45.5", {}),
        (Unit.PERCENT, "100", {}),
        (Unit.PERCENT_CHANGE, "-12.5", {}),
        (Unit.PERCENT_CHANGE, "117.2", {}),
        (Unit.CURRENCY, "733700.25", {}),
        (Unit.RATING, "4.7", {"scale_max": Decimal(5)}),
        (Unit.RANK, "7", {"scale_max": Decimal(105)}),
        (Unit.RATIO, "2.5", {}),
    ],
)
def test_allowed_values(unit, value, kwargs):
    assert validate_value(unit, value, **kwargs) == Decimal(value.replace(",", ""))


@pytest.mark.parametrize(
    ("unit", "value", "kwargs", "says"),
    [
        (Unit.COUNT, "-1", {}, "whole number of 0 or more"),
        (Unit.COUNT, "3.5", {}, "whole number of 0 or more"),
        (Unit.PERCENT, "100.1", {}, "from 0 to 100"),
        (Unit.PERCENT, "-3", {}, "from 0 to 100"),
        (Unit.CURRENCY, "-5", {}, "0 or more"),
        (Unit.CURRENCY, "1.005", {}, "2 decimal places"),
        (Unit.RATING, "5.5", {"scale_max": Decimal(5)}, "from 0 to 5"),
        (Unit.RANK, "0", {}, "from 1"),
        (Unit.RANK, "106", {"scale_max": Decimal(105)}, "at most 105"),
        (Unit.COUNT, "abc", {}, "not a number"),
        (Unit.COUNT, "<script>alert(1)</script>", {}, "not a number"),
        (Unit.COUNT, "", {}, "Enter a number"),
        (Unit.COUNT, "1e400", {}, "too large"),
        (Unit.COUNT, "NaN", {}, "finite"),
        (Unit.COUNT, "9" * 40, {}, "too large"),
        (Unit.PERCENT, "1.23456", {}, "decimal places"),
    ],
)
def test_refused_values_name_the_field_and_say_what_is_allowed(unit, value, kwargs, says):
    with pytest.raises(ValidationError) as exc:
        validate_value(unit, value, **kwargs)
    assert says in exc.value.message_dict["value"][0]


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "scale_max", "text"),
    [
        ("9018", Unit.COUNT, "over", None, "over 9,018"),
        ("6000", Unit.COUNT, "more_than", None, "more than 6,000"),
        ("50", Unit.COUNT, "plus", None, "50+"),
        ("416000", Unit.COUNT, "approximately", None, "approximately 416,000"),
        ("45.5", Unit.PERCENT, "", None, "45.5%"),
        ("28.9", Unit.PERCENT_CHANGE, "", None, "+28.9%"),
        ("2500000", Unit.CURRENCY, "", None, "$2.5 million"),
        ("24000000000", Unit.CURRENCY, "", None, "$24 billion"),
        ("733700", Unit.CURRENCY, "", None, "$733,700"),
        ("4.7", Unit.RATING, "", Decimal(5), "4.7/5"),
        ("7", Unit.RANK, "", Decimal(105), "7th of 105"),
        ("1250000.0000", Unit.COUNT, "", None, "1,250,000"),
    ],
)
def test_figures_read_as_the_report_writes_them(value, unit, qualifier, scale_max, text):
    assert format_figure(Decimal(value), unit, qualifier=qualifier, scale_max=scale_max) == text


def test_every_unit_has_its_one_spec():
    from metrics.units import SPECS, spec

    assert set(SPECS) == set(Unit)
    assert all(spec(unit).unit == unit for unit in Unit)


@pytest.mark.parametrize(
    ("change", "unit", "text"),
    [
        ("2285", Unit.COUNT, "+2,285"),
        ("-3.1", Unit.PERCENT, "−3.1 pts"),
        ("0", Unit.PERCENT_CHANGE, "±0 pts"),
        ("1200000", Unit.CURRENCY, "+$1.2 million"),
        ("-2", Unit.RANK, "−2 places"),
        ("1", Unit.RANK, "+1 place"),
        ("0.3", Unit.RATING, "+0.3"),
        ("0.5", Unit.RATIO, "+0.5:1"),
        (None, Unit.COUNT, "—"),
    ],
)
def test_changes_read_as_the_report_writes_them(change, unit, text):
    from metrics.units import format_change

    assert format_change(None if change is None else Decimal(change), unit) == text


def test_help_text_and_chart_axis_come_from_the_unit():
    from metrics.units import spec

    assert spec(Unit.PERCENT).help_text().startswith("A share from 0 to 100, e.g. 45.5")
    rating = spec(Unit.RATING)
    assert rating.help_text(scale_min=Decimal(1), scale_max=Decimal(5)) == "A rating from 1 to 5."
    assert rating.axis(scale_min=Decimal(1), scale_max=Decimal(5))["range"] == [1.0, 5.0]
    assert spec(Unit.PERCENT).axis()["ticksuffix"] == "%"
    assert spec(Unit.CURRENCY).axis()["tickprefix"] == "$"
    assert spec(Unit.PERCENT_CHANGE).axis()["rangemode"] == "normal"
    assert spec(Unit.COUNT).axis()["title"]["text"] == "Count"
    assert spec(Unit.PERCENT).hover() == "%{y:,}%"


@pytest.mark.parametrize("value", ["٣", "١٢٣", "４５", "1\u00a0000"])
def test_digits_of_other_scripts_are_refused_politely(value):
    with pytest.raises(ValidationError) as exc:
        validate_value(Unit.COUNT, value)
    assert "is not a number" in exc.value.message_dict["value"][0]
