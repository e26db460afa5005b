"""Issue 10's rules for statuses, on LACOE's own plan with the clock after the plan's end.

The clock stands at 1 December 2026 (`after_the_plan`): LACOE's 2022-25 plan ended on
30 June 2025, its grace time on 28 September 2025, and it has no 2024-25 values yet.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from metrics import selectors
from metrics.aggregates import rebuild
from metrics.forms import ReadingForm
from metrics.models import District, Metric, MetricSnapshot, Rollup, StudentGroup
from metrics.services import reading_record
from metrics.services.plans import plan_close
from metrics.status import (
    STATUS_DISPLAY,
    STATUS_ORDER,
    Status,
    display,
    is_overdue,
    judge_metric,
    next_due_on,
    plan_has_ended,
    plan_life,
    rollup_status,
)

from ..factories import MetricFactory, PillarFactory, PlanFactory

CONTEXT_FIGURES = 24
TRACKED = 130 - CONTEXT_FIGURES
TWO_PERIODS = {"p1-da-attendance", "p4-facebook-reach", "p4-instagram-reach"}


@pytest.fixture
def lacoe(lacoe_plan, after_the_plan, users):
    """LACOE's plan, rebuilt, every metric kept by the steward."""
    for metric in lacoe_plan.metrics.all():
        metric.owners.add(users["steward"])
    rebuild()
    return lacoe_plan


def _snapshot(plan, code):
    return MetricSnapshot.objects.get(metric__plan=plan, metric__code=code, is_county_wide=True)


def _metric(**kwargs):
    return MetricFactory.build(pillar=PillarFactory(), **kwargs)


# --- A plan has a life -------------------------------------------------------------


def test_lacoe_plan_has_ended_once_its_end_date_plus_the_longest_grace_passed(lacoe):
    assert not plan_has_ended(lacoe, datetime.date(2025, 9, 28))  # 30 June + 90 days
    assert plan_has_ended(lacoe, datetime.date(2025, 9, 29))
    assert plan_has_ended(lacoe)  # today, 1 December 2026
    life = plan_life(lacoe)
    assert (life.ended, life.closed) == (True, False)
    assert life.message.startswith("This plan ended on 30 June 2025.")


def test_nothing_counts_as_overdue_once_lacoe_plan_ended(lacoe, users):
    rows = selectors.my_update_rows(users["steward"])
    assert len(rows) == 130
    assert not any(row.is_overdue for row in rows)
    assert all(r.stale_count == 0 for r in Rollup.objects.filter(plan=lacoe))
    assert selectors.attention(lacoe)["stale"] == []
    # The same due day in a plan still running is overdue: the rule is the plan's end.
    running = PlanFactory(start_year=2025, end_year=2028)
    assert is_overdue(datetime.date(2026, 9, 28), running)
    assert not is_overdue(datetime.date(2026, 9, 28), lacoe)


def test_my_updates_proposes_only_periods_the_entry_form_accepts(lacoe, users):
    done = Metric.objects.get(plan=lacoe, code="p1-gain-job-placements")
    reading_record(metric=done, period="2024-25", value="700", approve=True)
    rebuild([done.pk])
    rows = {row.metric.code: row for row in selectors.my_update_rows(users["steward"])}
    assert rows["p1-gain-job-placements"].next_period is None  # nothing left in the plan
    proposed = {row.next_period for row in rows.values() if row.next_period}
    assert proposed == {"2024-25"}  # never 2025-26, which the plan refuses
    for row in rows.values():
        if row.next_period:
            row.metric.validate_period(row.next_period)
    assert list(rows)[-1] == "p1-gain-job-placements"  # nothing to enter: listed last


def test_stewards_may_still_enter_the_plans_own_periods_after_it_ended(lacoe, users):
    metric = Metric.objects.get(plan=lacoe, code="p1-da-attendance")
    reading = reading_record(metric=metric, period="2024-25", value="11000", user=users["steward"])
    assert reading.pk and reading.period == "2024-25"
    with pytest.raises(ValidationError, match="outside the plan 2022-25"):
        reading_record(metric=metric, period="2025-26", value="1", user=users["steward"])


def test_a_closed_plan_refuses_entry_and_its_statuses_read_final(lacoe, users):
    plan_close(plan=lacoe)
    metric = Metric.objects.get(plan=lacoe, code="p1-da-attendance")
    with pytest.raises(ValidationError) as refused:
        reading_record(metric=metric, period="2024-25", value="11000", user=users["steward"])
    assert "The plan 2022-25 is closed: its values are final" in str(refused.value)
    form = ReadingForm({"period": "2024-25", "value": "11000", "version": 0}, metric=metric)
    assert not form.is_valid() and "is closed" in form.errors["period"][0]
    rebuild()
    snapshot = _snapshot(lacoe, "p1-da-attendance")
    assert snapshot.status_reason.startswith("Final: the plan was closed on 1 December 2026.")
    assert display(snapshot.status, final=True).word == "Improved (final)"
    assert all(row.next_period is None for row in selectors.my_update_rows(users["steward"]))
    assert plan_life(lacoe).message.endswith("its figures and statuses are final.")


@pytest.mark.django_db
def test_next_due_on_asks_the_one_next_period_rule():
    metric = _metric(frequency="annual")
    assert next_due_on(metric, "2023-24") == datetime.date(2025, 6, 30) + datetime.timedelta(90)
    assert next_due_on(metric, "2024-25") is None  # the plan's last period: none follows
    metric.frequency = "quarterly"
    assert next_due_on(metric, "2024-25 Q3") == datetime.date(2025, 6, 30) + datetime.timedelta(45)
    assert next_due_on(metric, "2024-25 Q4") is None
    metric.is_context = True
    assert next_due_on(metric, "2024-25 Q3") is None


# --- Context figures are not KPIs --------------------------------------------------


def test_context_figures_are_never_due_overdue_or_judged(lacoe):
    served = _snapshot(lacoe, "plan-students-served")
    assert served.status == Status.CONTEXT and served.next_due_on is None
    assert display(served.status).word == "Context figure"
    assert Metric.objects.filter(plan=lacoe, is_context=True).count() == CONTEXT_FIGURES
    plan = Rollup.objects.get(plan=lacoe, level="plan")
    assert plan.counts[Status.CONTEXT] == CONTEXT_FIGURES
    assert f"of {TRACKED} tracked metrics" in plan.status_reason
    assert Status.CONTEXT not in STATUS_ORDER  # charts and status counts leave them out
    assert rollup_status({Status.CONTEXT: 9, Status.ON_TRACK: 3})[0] == Status.ON_TRACK


@pytest.mark.django_db
def test_a_context_figure_takes_no_target():
    metric = _metric(is_context=True, target_value=Decimal(5), target_period="2024-25")
    with pytest.raises(ValidationError, match="never judged"):
        metric.full_clean()


# --- A status that means something without a target --------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("unit", "direction", "earlier", "latest", "status"),
    [
        ("count", "higher", "1000", "1021", Status.IMPROVED),    # band 2% = 20
        ("count", "higher", "1000", "1020", Status.MAINTAINED),  # exactly on the band
        ("count", "higher", "1000", "979", Status.DECLINED),
        ("count", "lower", "1000", "979", Status.IMPROVED),      # down is better
        ("currency", "higher", "2500000", "2540000", Status.MAINTAINED),
        ("ratio", "higher", "10", "10.3", Status.IMPROVED),
        ("percent", "higher", "45.5", "46.5", Status.MAINTAINED),  # 1 point exactly
        ("percent", "higher", "45.5", "46.6", Status.IMPROVED),
        ("percent_change", "higher", "28.9", "27.8", Status.DECLINED),
        ("rank", "lower", "7", "6", Status.IMPROVED),           # any move counts
        ("rank", "lower", "7", "7", Status.MAINTAINED),
        ("count", "higher", "0", "1", Status.IMPROVED),         # from 0 any change counts
        ("percent", "higher", "0", "0.5", Status.IMPROVED),
    ],
)
def test_change_status_without_a_target(unit, direction, earlier, latest, status):
    metric = _metric(unit=unit, direction=direction, scale_max=105 if unit == "rank" else None)
    series = [["2022-23", earlier], ["2023-24", latest]]
    judgement = judge_metric(metric, Decimal(latest), "2023-24", series=series)
    assert judgement.status == status, judgement.reason


@pytest.mark.django_db
def test_change_band_can_be_set_per_metric():
    series = [["2022-23", "1000"], ["2023-24", "1040"]]
    assert judge_metric(_metric(), Decimal(1040), "2023-24", series=series).status == (
        Status.IMPROVED)
    wide = _metric(change_band=Decimal(5))  # 5% of the earlier value
    assert judge_metric(wide, Decimal(1040), "2023-24", series=series).status == (
        Status.MAINTAINED)


@pytest.mark.django_db
def test_quarters_and_months_compare_with_the_same_period_a_year_earlier():
    metric = _metric(frequency="quarterly")
    series = [["2022-23 Q2", "100"], ["2023-24 Q1", "500"], ["2023-24 Q2", "110"]]
    judgement = judge_metric(metric, Decimal(110), "2023-24 Q2", series=series)
    assert judgement.status == Status.IMPROVED and "against 100 in 2022-23 Q2" in judgement.reason
    # No same quarter a year earlier: the previous quarter. Years never compare with months.
    series = [["2022-23", "1"], ["2023-24 Q1", "500"], ["2023-24 Q2", "110"]]
    judgement = judge_metric(metric, Decimal(110), "2023-24 Q2", series=series)
    assert judgement.status == Status.DECLINED and "against 500 in 2023-24 Q1" in judgement.reason
    monthly = _metric(frequency="monthly")
    series = [["2023-03", "50"], ["2024-02", "10"], ["2024-03", "50"]]
    assert judge_metric(monthly, Decimal(50), "2024-03", series=series).status == (
        Status.MAINTAINED)


@pytest.mark.django_db
def test_one_period_reads_baseline_and_the_change_names_both_values():
    metric = _metric(unit="count")
    only = judge_metric(metric, Decimal(8318), "2023-24", series=[["2023-24", "8318"]])
    assert only.status == Status.BASELINE
    assert only.reason.startswith("Baseline (2023-24): 8,318")
    series = [["2022-23", "8318"], ["2023-24", "10603"]]
    change = judge_metric(metric, Decimal(10603), "2023-24", series=series).reason
    assert change.startswith("10,603 in 2023-24 against 8,318 in 2022-23: +2,285;")
    assert "more than 166.36 (2% of the earlier value)" in change and "so improved" in change


@pytest.mark.django_db
def test_a_target_status_comes_before_the_change_status():
    metric = _metric(unit="percent", target_value=Decimal(80), target_period="2024-25",
                     baseline_value=Decimal(40), baseline_period="2021-22")
    series = [["2022-23", "70"], ["2023-24", "55"]]
    assert judge_metric(metric, Decimal(55), "2023-24", series=series).status == (
        Status.OFF_TRACK)  # declined too, but the target decides


def test_lacoe_metrics_with_two_periods_are_judged_on_change_the_rest_read_baseline(lacoe):
    statuses = dict(
        MetricSnapshot.objects.filter(metric__plan=lacoe, is_county_wide=True)
        .values_list("metric__code", "status")
    )
    changed = {code for code, status in statuses.items() if status in (
        Status.IMPROVED, Status.MAINTAINED, Status.DECLINED)}
    assert changed == TWO_PERIODS
    assert _snapshot(lacoe, "p1-da-attendance").status == Status.IMPROVED
    baseline = [code for code, status in statuses.items() if status == Status.BASELINE]
    assert len(baseline) == TRACKED - len(TWO_PERIODS)
    assert not [c for c, s in statuses.items() if s in (Status.NO_TARGET, Status.ON_TRACK)]


def test_every_status_has_its_own_word_icon_and_legible_colour():
    assert set(STATUS_DISPLAY) == set(Status)
    shown = list(STATUS_DISPLAY.values())
    for attribute in ("word", "icon", "colour"):
        values = [getattr(d, attribute) for d in shown]
        assert len(set(values)) == len(values), attribute
    for d in shown:
        assert _contrast_on_white(d.colour) >= 4.5, d


def _contrast_on_white(colour):
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


# --- Coverage ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        ({Status.ON_TRACK: 3, Status.BASELINE: 3}, Status.ON_TRACK),          # 3 of 6: half
        ({Status.ON_TRACK: 3, Status.BASELINE: 4}, Status.NOT_ENOUGH_TARGETS),  # 3 of 7
        ({Status.ON_TRACK: 2, Status.BASELINE: 1}, Status.NOT_ENOUGH_TARGETS),  # < min(3, 3)
        ({Status.ON_TRACK: 2}, Status.ON_TRACK),                              # min(3, 2) = 2
        ({Status.ON_TRACK: 1, Status.CONTEXT: 30}, Status.ON_TRACK),           # 1 tracked
        ({Status.IMPROVED: 3, Status.BASELINE: 28}, Status.NOT_ENOUGH_TARGETS),
        ({Status.NO_DATA: 4, Status.CONTEXT: 2}, Status.NO_DATA),
        ({Status.CONTEXT: 2}, Status.CONTEXT),
    ],
)
def test_a_group_claims_a_target_status_only_with_enough_judged_metrics(counts, status):
    assert rollup_status(counts)[0] == status


def test_not_enough_targets_says_how_many_and_keeps_the_counts_by_change():
    counts = {Status.ON_TRACK: 3, Status.IMPROVED: 2, Status.DECLINED: 1, Status.BASELINE: 25}
    status, share, reason = rollup_status(counts)
    assert (status, share) == (Status.NOT_ENOUGH_TARGETS, None)
    assert reason == ("Not enough targets to judge (3 of 31 tracked metrics have a target). "
                      "By change: 2 improved, 0 maintained, 1 declined, 25 baseline.")
    assert display(status).word == "Not enough targets to judge"


def test_lacoe_plan_and_pillars_read_not_enough_targets(lacoe):
    plan = Rollup.objects.get(plan=lacoe, level="plan")
    assert plan.status == Status.NOT_ENOUGH_TARGETS
    assert re.match(rf"Not enough targets to judge \(0 of {TRACKED} tracked metrics have a "
                    r"target\)\. By change: 3 improved, 0 maintained, 0 declined",
                    plan.status_reason)
    pillars = Rollup.objects.filter(plan=lacoe, level="pillar")
    assert {r.status for r in pillars} == {Status.NOT_ENOUGH_TARGETS}


# --- Real and synthetic never mix --------------------------------------------------


def test_a_plans_forms_offer_only_its_own_districts_and_groups(lacoe):
    demo = PlanFactory(name="Demo plan (synthetic data)", is_synthetic=True)
    synthetic = District.objects.create(code="synthetic-district-001",
                                        name="Synthetic District 001")
    synthetic.plans.add(demo)
    group = StudentGroup.objects.create(code="synthetic-group-001", name="Synthetic group 001")
    group.plans.add(demo)
    inglewood = District.objects.get(cds_code="19646340000000")  # the one its report names
    assert list(District.objects.for_plan(lacoe)) == [District.objects.total(), inglewood]
    assert set(District.objects.for_plan(demo)) == {District.objects.total(), synthetic}
    form = ReadingForm(metric=Metric.objects.get(plan=lacoe, code="p1-da-attendance"))
    assert list(form.fields["district"].queryset) == [inglewood]
    assert list(form.fields["student_group"].queryset) == []
    demo_form = ReadingForm(metric=MetricFactory(plan=demo, pillar=None))
    assert list(demo_form.fields["district"].queryset) == [synthetic]
    assert "Synthetic District 001" not in str(form["district"])
