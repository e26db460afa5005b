import datetime

import pytest
from django.core.exceptions import ValidationError

from metrics.periods import Kind, Period


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2023-24", Kind.YEAR, datetime.date(2023, 7, 1), datetime.date(2024, 6, 30)),
        ("2023-24 Q1", Kind.QUARTER, datetime.date(2023, 7, 1), datetime.date(2023, 9, 30)),
        ("2023-24 Q3", Kind.QUARTER, datetime.date(2024, 1, 1), datetime.date(2024, 3, 31)),
        ("2023-24 Q4", Kind.QUARTER, datetime.date(2024, 4, 1), datetime.date(2024, 6, 30)),
        ("2024-03", Kind.MONTH, datetime.date(2024, 3, 1), datetime.date(2024, 3, 31)),
        ("2024-02", Kind.MONTH, datetime.date(2024, 2, 1), datetime.date(2024, 2, 29)),
        (" 2099-00 ", Kind.YEAR, datetime.date(2099, 7, 1), datetime.date(2100, 6, 30)),
    ],
)
def test_parse_the_three_spellings(text, kind, start, end):
    period = Period.parse(text)
    assert (period.kind, period.start, period.end, period.text) == (kind, start, end, text.strip())


@pytest.mark.parametrize(
    "text",
    ["", None, "2023", "2023-25", "2023/24", "2023-24 Q5", "2023-24 q1", "FY24", "2024-13",
     "<script>", "2023-24Q1", "1-2", "9" * 200],
)
def test_bad_periods_say_what_is_allowed(text):
    with pytest.raises(ValidationError) as exc:
        Period.parse(text)
    assert "2023-24 Q1" in exc.value.messages[0]


def test_next_period_wraps_school_years():
    assert str(Period.parse("2023-24").next()) == "2024-25"
    assert str(Period.parse("2023-24 Q4").next()) == "2024-25 Q1"
    assert str(Period.parse("2023-24 Q2").next()) == "2023-24 Q3"
    assert str(Period.parse("2024-12").next()) == "2025-01"
    assert str(Period.parse("2024-06").next()) == "2024-07"


def test_school_year_of_a_month():
    assert Period.parse("2024-03").school_year_start == 2023
    assert Period.parse("2024-07").school_year_start == 2024


@pytest.mark.django_db
def test_no_period_is_due_in_a_closed_plan_nor_after_the_plans_last():
    from django.utils import timezone

    from metrics.periods import next_period

    from ..factories import MetricFactory

    metric = MetricFactory()  # a 2022-25 plan
    today = datetime.date(2026, 12, 1)
    assert next_period(metric, "2023-24", today).text == "2024-25"
    assert next_period(metric, "2024-25", today) is None
    metric.plan.closed_at = timezone.now()
    assert next_period(metric, "2023-24", today) is None
