# ruff: noqa: F811 (the fixtures shared from test_import are parameters here)
"""Spreadsheet import, checking and writing rows (metrics/imports/rows.py): every check
by line, all or nothing, the same readings and history as services.reading_record,
the one approval rule, and a query count that does not grow with the rows."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.imports import CONFLICT_MESSAGE, import_rows, read_upload, rows
from metrics.models import Publication, Reading, ReadingState, StudentGroup
from metrics.services import reading_record

from ..factories import MetricFactory, ReadingFactory
from .test_import import (  # noqa: F401 (fixtures)
    HEADER,
    _in_process,
    csv_file,
    run,
    setup,
    snapshot,
    xlsx_file,
)

# --- Happy paths -----------------------------------------------------------------------


def test_csv_import_adds_submitted_readings_with_history(setup, users):
    steward = users["steward"]
    report = run(setup, steward, f"{HEADER}\n"
                 "trained,2023-24,6000,more than,,,From the survey,Annual report,\n"
                 "trained,2023-24,310,,North District,English learners,,,\n")
    assert report.written and report.ok
    assert (report.new, report.changed, report.unchanged, report.rejected) == (2, 0, 0, 0)
    county = Reading.objects.get(district__is_total=True)
    assert (county.value, county.qualifier, county.note, county.source_text) == (
        Decimal("6000"), "more_than", "From the survey", "Annual report"
    )
    assert (county.state, county.approved_value, county.entered_by, county.version) == (
        ReadingState.SUBMITTED, None, steward, 1
    )
    assert (county.period_start, county.period_end) == (
        datetime.date(2023, 7, 1), datetime.date(2024, 6, 30)
    )
    sliced = Reading.objects.get(district=setup["north"])
    assert sliced.student_group == setup["ell"] and sliced.value == 310
    history = list(Reading.history.order_by("history_id"))
    assert [(h.history_type, h.history_user, h.value, h.id) for h in history] == [
        ("+", steward, Decimal("6000"), county.pk), ("+", steward, Decimal("310"), sliced.pk),
    ]
    # The ids were taken from the table's own sequence: the next reading gets a new one.
    assert ReadingFactory(metric=setup["rate"]).pk > max(county.pk, sliced.pk)


def test_xlsx_import_with_numbers_and_a_month_typed_as_a_date(setup, users):
    report = import_rows(
        plan=setup["plan"], user=users["lead"], approve=True,
        rows=read_upload(xlsx_file([
            ["Metric code", "Period", "Value", "Qualifier"],
            ["trained", "2023-24", 6000, ""],
            ["rate", datetime.datetime(2024, 3, 1), 45.5, None],
            [None, None, None, None],
            ["rate", "2023-24 Q1", Decimal("12.25"), "nearly"],
        ])),
    )
    assert report.written and (report.new, report.approved) == (3, 3)
    values = dict(Reading.objects.values_list("period", "value"))
    assert values == {"2023-24": 6000, "2024-03": Decimal("45.5"), "2023-24 Q1": Decimal("12.25")}
    assert set(Reading.objects.values_list("state", "approved_by__username")) == {
        ("approved", "lead")
    }
    assert [r["line"] for r in report.to_json()["rows"]] == [2, 3, 5]  # line 4 is blank


def test_changed_rows_keep_the_approved_value_and_unchanged_rows_are_not_written(setup, users):
    kept = ReadingFactory(metric=setup["trained"], period="2022-23", value=100)
    moved = ReadingFactory(metric=setup["trained"], period="2023-24", value=200)
    history_before = Reading.history.count()
    report = run(setup, users["steward"], f"{HEADER}\n"
                 "trained,2022-23,100,,,,,,approved\n"
                 "trained,2023-24,250,,,,,,\n")
    assert (report.new, report.changed, report.unchanged) == (0, 1, 1)
    kept.refresh_from_db()
    moved.refresh_from_db()
    assert (kept.version, kept.state) == (1, ReadingState.APPROVED)
    assert (moved.value, moved.approved_value, moved.state, moved.version) == (
        250, 200, ReadingState.SUBMITTED, 2
    )
    assert Reading.history.count() == history_before + 1
    latest = moved.history.latest()
    assert (latest.history_type, latest.history_user, latest.value) == ("~", users["steward"], 250)


SCENARIOS = [
    # (stored reading or None, row: value, qualifier, note, approve)
    (None, ("10", "", "", False)),
    (None, ("10", "over", "n", True)),
    ({"value": 10, "state": "approved"}, ("10", "", "", False)),
    ({"value": 10, "state": "approved"}, ("11", "", "", False)),
    ({"value": 10, "state": "approved"}, ("11", "nearly", "x", True)),
    ({"value": 10, "state": "submitted"}, ("10", "", "", True)),
    ({"value": 10, "state": "submitted"}, ("10", "", "", False)),
    ({"value": 10, "state": "draft", "review_comment": "Check"}, ("12", "", "", False)),
    ({"value": 10, "state": "approved", "note": "old"}, ("10", "", "new note", False)),
]
COMPARED = ("value", "qualifier", "note", "source_text", "state", "approved_value",
            "approved_qualifier", "approved_by_id", "entered_by_id", "version", "review_comment")


@pytest.mark.parametrize(("stored", "row"), SCENARIOS)
def test_bulk_path_gives_what_reading_record_gives_row_by_row(setup, users, stored, row):
    lead = users["lead"]
    by_service = MetricFactory(plan=setup["plan"], pillar=setup["trained"].pillar, code="a")
    by_import = MetricFactory(plan=setup["plan"], pillar=setup["trained"].pillar, code="b")
    for metric in (by_service, by_import):
        if stored:
            ReadingFactory(metric=metric, period="2023-24", **stored)
    value, qualifier, note, approve = row
    reading_record(metric=by_service, period="2023-24", value=value, qualifier=qualifier,
                   note=note, user=lead, approve=approve)
    run(setup, lead, f"{HEADER}\nb,2023-24,{value},{qualifier},,,{note},,\n", approve=approve)
    service, imported = (Reading.objects.get(metric=m) for m in (by_service, by_import))
    assert [getattr(imported, f) for f in COMPARED] == [getattr(service, f) for f in COMPARED]
    assert service.history.count() == imported.history.count()
    assert (imported.approved_at is None) == (service.approved_at is None)
    if stored is None or service.version > 1:  # written: its history row holds the new state
        record, expected = imported.history.latest(), service.history.latest()
        assert [getattr(record, f) for f in COMPARED] == [getattr(expected, f) for f in COMPARED]
        assert (record.history_type, record.history_user) == (expected.history_type, lead)
        assert (record.period_start, record.period_end, record.created_at) == (
            imported.period_start, imported.period_end, imported.created_at
        )


# --- All or nothing ----------------------------------------------------------------------


def test_one_bad_row_and_nothing_is_written_with_every_problem_by_line(setup, users):
    ReadingFactory(metric=setup["trained"], period="2022-23", value=5)
    before = snapshot()
    report = run(setup, users["steward"], f"{HEADER}\n"
                 "trained,2023-24,6000,,,,,,\n"         # 2: fine
                 "nope,2023-24,1,,,,,,\n"               # 3: unknown metric
                 "trained,2030-31,1,,,,,,\n"            # 4: outside the plan
                 "trained,last year,1,,,,,,\n"          # 5: not a period
                 "trained,2022-23,-3,,,,,,\n"           # 6: negative count
                 "trained,2022-23,1,roughly,South,,,,\n"  # 7: qualifier and district
                 "trained,2023-24,7000,,,,,,\n"         # 8: duplicate of line 2
                 "rate,2023-24,50,,,,,,\n"              # 9: not the steward's metric
                 f"trained,2022-23,{'9' * 30},,,,,,\n"  # 10: too large
                 "trained,2022-23,12,,,,,,sent\n"       # 11: unknown approval state
                 ",2022-23,12,,,,,,\n")                 # 12: no metric code
    assert not report.written and snapshot() == before
    assert report.rejected == 10
    reasons = {r["line"]: " ".join(r["reasons"]) for r in report.to_json()["rows"]
               if r["action"] == "rejected"}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "this plan has no metric “nope”" in reasons[3]
    assert "2030-31 is outside the plan 2022-25" in reasons[4]
    assert "“last year” is not a period" in reasons[5]
    assert "A count is a whole number of 0 or more. You entered -3." in reasons[6]
    assert "Qualifier: “roughly” is not one we know" in reasons[7]
    assert "has no district with the code or name “South”" in reasons[7]
    assert "line 2 already has this metric, period, district and student group" in reasons[8]
    assert "you may not enter readings of “rate”" in reasons[9]
    assert "The number is too large" in reasons[10]
    assert "Approval state: “sent”" in reasons[11]
    assert "enter the code of a metric" in reasons[12]


def test_a_reading_saved_meanwhile_makes_the_import_fail_cleanly(setup, users, monkeypatch):
    ReadingFactory(metric=setup["trained"], period="2023-24", value=1)
    before = snapshot()
    monkeypatch.setattr(rows, "_existing", lambda checked: {})  # as if not seen yet
    report = run(setup, users["steward"], f"{HEADER}\ntrained,2023-24,6000,,,,,,\n")
    assert not report.written and report.errors == [CONFLICT_MESSAGE]
    assert snapshot() == before


def test_a_reading_changed_after_it_was_read_makes_the_import_fail_cleanly(
        setup, users, monkeypatch):
    # No row is locked: the writer updates a reading only at the version the import read.
    stored = ReadingFactory(metric=setup["trained"], period="2023-24", value=1)
    read = rows._existing

    def read_then_someone_saves(checked):
        found = read(checked)
        reading_record(metric=setup["trained"], period="2023-24", value=Decimal(2),
                       user=users["lead"])
        return found

    monkeypatch.setattr(rows, "_existing", read_then_someone_saves)
    report = run(setup, users["steward"], f"{HEADER}\ntrained,2023-24,6000,,,,,,\n")
    assert not report.written and report.errors == [CONFLICT_MESSAGE]
    stored.refresh_from_db()  # (here the other save shares, and so shares the rollback)
    assert stored.value == 1 and not Reading.history.filter(value=6000).exists()


def test_numbers_with_signs_are_not_taken_for_formulas(setup, users):
    parsed = read_upload(csv_file(
        "metric_code,period,value,note,qualifier\n"
        "trained,2023-24,-3,-2.5,\nrate,2023-24,+5,,+\n"
    ))
    assert [(r["value"], r["note"], r["qualifier"]) for r in parsed] == [
        ("-3", "-2.5", ""), ("+5", "", "+")
    ]
    report = import_rows(plan=setup["plan"], rows=parsed, user=users["lead"])
    assert report.rejected == 1  # the negative count, as a row problem with its line
    assert "A count is a whole number" in report.rows[0].reasons[0]


def test_huge_and_odd_values_are_row_problems(setup, users):
    report = run(setup, users["lead"], "metric_code,period,value\n"
                 f"rate,2023-24,{'1' * 5000}\nrate,2022-23,1e999999\nrate,2024-25,NaN\n"
                 "trained,2023-24,1.5\n")
    reasons = [" ".join(r.reasons) for r in report.rows]
    assert "The number is too large" in reasons[0] and "The number is too large" in reasons[1]
    assert "Enter a finite number." in reasons[2]
    assert "A count is a whole number" in reasons[3]
    assert not Reading.objects.exists()


# --- Approval and access ------------------------------------------------------------------


def test_steward_rows_are_submitted_even_when_the_file_says_approved(setup, users):
    report = run(setup, users["steward"], f"{HEADER}\ntrained,2023-24,5,,,,,,approved\n")
    assert report.written and report.approved == 0
    assert Reading.objects.get().state == ReadingState.SUBMITTED


# "Approve at once" (approve=True) is the user's intent for every row: the one rule
# (services.readings.approved_metric_ids) grants it whole or refuses it, naming the
# metrics, and nothing is written, not even in a dry run.
@pytest.mark.parametrize(("role", "refused"), [
    ("steward", ["trained"]),
    ("lead", ["other"]),
])
@pytest.mark.parametrize("dry_run", [True, False])
def test_approve_at_once_is_refused_per_role_when_a_metric_is_not_the_users_to_approve(
    setup, users, role, refused, dry_run
):
    before = snapshot()
    text = f"{HEADER}\ntrained,2023-24,5,,,,,,\nother,2023-24,7,,,,,,\n"
    if role == "steward":
        text = f"{HEADER}\ntrained,2023-24,5,,,,,,\n"
    with pytest.raises(PermissionDenied) as caught:
        run(setup, users[role], text, approve=True, dry_run=dry_run)
    message = str(caught.value)
    assert all(f"“{code}”" in message for code in refused)
    assert "“rate”" not in message and "Nothing was imported" in message
    assert snapshot() == before


@pytest.mark.parametrize("role", ["lead", "administrator"])
def test_approve_at_once_approves_every_row_for_who_may(setup, users, role):
    codes = ["trained", "rate"] + (["other"] if role == "administrator" else [])
    report = run(setup, users[role], HEADER + "".join(
        f"\n{code},2023-24,5,,,,,," for code in codes) + "\n", approve=True)
    assert report.written and report.approved == len(codes)
    assert set(Reading.objects.values_list("metric__code", "state", "approved_by__username")) \
        == {(code, "approved", role) for code in codes}


def test_approve_at_once_names_at_most_five_metrics(setup, users):
    for i in range(7):
        MetricFactory(plan=setup["plan"], pillar=setup["other"].pillar, code=f"x{i}") \
            .owners.add(users["lead"])
    with pytest.raises(PermissionDenied, match="7 metrics in the file: .*and 2 more"):
        run(setup, users["lead"], HEADER + "".join(
            f"\nx{i},2023-24,5,,,,,," for i in range(7)) + "\n", approve=True)


def test_an_approved_state_in_the_file_approves_when_the_user_may(setup, users):
    run(setup, users["lead"], f"{HEADER}\nrate,2023-24,50,,,,,,Approved\nrate,2022-23,40,,,,,,\n")
    assert dict(Reading.objects.values_list("period", "state")) == {
        "2023-24": "approved", "2022-23": "submitted"
    }


@pytest.mark.parametrize(("typed", "publication"), [
    ("75", Publication.UNDECIDED),  # the approved figure changed: decided again
    ("50", Publication.PUBLISHED),  # approved as it was (a note changed): kept
])
def test_an_approved_figure_changed_by_an_import_is_undecided_again(
        setup, users, typed, publication):
    reading = ReadingFactory(metric=setup["rate"], period="2023-24", value=50,
                             approved_value=50, state=ReadingState.APPROVED)
    Reading.objects.filter(pk=reading.pk).update(publication=Publication.PUBLISHED)
    report = run(setup, users["lead"], "metric_code,period,value,note\n"
                 f"rate,2023-24,{typed},checked again\n", approve=True)
    assert report.written and report.changed == 1
    reading.refresh_from_db()
    assert (reading.approved_value, reading.note, reading.publication) == (
        Decimal(typed), "checked again", publication)


def test_a_submitted_correction_leaves_the_published_figure_decided(setup, users):
    reading = ReadingFactory(metric=setup["trained"], period="2023-24", value=50,
                             approved_value=50, state=ReadingState.APPROVED)
    Reading.objects.filter(pk=reading.pk).update(publication=Publication.PUBLISHED)
    run(setup, users["steward"], f"{HEADER}\ntrained,2023-24,75,,,,,,\n")
    reading.refresh_from_db()
    assert (reading.value, reading.approved_value, reading.state, reading.publication) == (
        Decimal(75), Decimal(50), ReadingState.SUBMITTED, Publication.PUBLISHED)


# --- Cost --------------------------------------------------------------------------------


def _queries(setup, user, groups, bump=0, **kwargs):
    text = "metric_code,period,value,student_group\n" + "".join(
        f"{code},2023-24,{(i + bump) % 100},{g.code}\n" for code in ("trained", "rate")
        for i, g in enumerate(groups)
    )
    parsed = read_upload(csv_file(text))
    with CaptureQueriesContext(connection) as queries:
        report = import_rows(plan=setup["plan"], rows=parsed, user=user, **kwargs)
    assert report.ok
    return len(queries)


@pytest.mark.parametrize("dry_run", [True, False])
def test_queries_do_not_grow_with_rows(setup, users, dry_run):
    groups = [StudentGroup.objects.create(code=f"g{i}", name=f"Group {i}") for i in range(300)]
    setup["plan"].student_groups.add(*groups)
    few = _queries(setup, users["lead"], groups[:5], dry_run=dry_run)
    many = _queries(setup, users["lead"], groups[5:], dry_run=dry_run)
    assert many <= few <= 20  # (the first import also loads the user's permissions)
    if not dry_run:
        assert Reading.objects.count() == Reading.history.count() == 600
        # and again, every value changed: the update path costs the same
        changed = _queries(setup, users["lead"], groups[5:], bump=1, approve=True)
        assert changed <= 20
        assert Reading.objects.filter(state="approved", version=2).count() == 590
        assert Reading.history.filter(history_type="~").count() == 590


# --- Real and synthetic never mix (issue 10) -------------------------------------------


def test_an_import_row_naming_another_plans_district_or_group_is_refused_by_line(
    lacoe_plan, users
):
    """LACOE's plan has no districts or groups of its own; the demo plan's synthetic ones
    are refused in LACOE's import (with the line) and accepted in the demo plan's."""
    from metrics.imports import template
    from metrics.models import District, Metric

    from ..factories import PlanFactory

    demo = PlanFactory(slug="demo", name="Demo plan (synthetic data)", is_synthetic=True)
    district = District.objects.create(code="synthetic-district-001",
                                       name="Synthetic District 001")
    group = StudentGroup.objects.create(code="synthetic-group-001", name="Synthetic group 001")
    district.plans.add(demo)
    group.plans.add(demo)
    real = Metric.objects.filter(plan=lacoe_plan, is_context=False).order_by("code").first()
    fake = MetricFactory(plan=demo, pillar=None, code="demo-metric", unit="count")
    admin = users["administrator"]
    before = snapshot()
    report = import_rows(plan=lacoe_plan, user=admin, rows=read_upload(csv_file(
        f"{HEADER}\n"
        f"{real.code},2023-24,5,,,,,,\n"                              # 2: fine
        f"{real.code},2023-24,5,,Synthetic District 001,,,,\n"        # 3: the demo's district
        f"{real.code},2023-24,5,,,synthetic-group-001,,,\n"           # 4: the demo's group
    )))
    assert not report.written and snapshot() == before
    reasons = {r["line"]: " ".join(r["reasons"]) for r in report.to_json()["rows"]
               if r["action"] == "rejected"}
    assert sorted(reasons) == [3, 4]
    assert (f"District: {lacoe_plan.name} has no district with the code or name "
            "“Synthetic District 001”") in reasons[3]
    assert (f"Student group: {lacoe_plan.name} has no student group with the code or name "
            "“synthetic-group-001”") in reasons[4]
    demo_report = import_rows(plan=demo, user=admin, rows=read_upload(csv_file(
        f"{HEADER}\ndemo-metric,2023-24,5,,Synthetic District 001,synthetic-group-001,,,\n"
    )))
    assert demo_report.written and demo_report.new == 1
    assert Reading.objects.get(metric=fake).district == district
    # The template offers the same: the total rows and the plan's own, nothing else.
    offered = {code for _, code, _ in template.plan_dimensions(lacoe_plan)}
    totals = {District.objects.total().code, StudentGroup.objects.total().code}
    assert offered == totals | {"inglewood-unified"}  # the one district LACOE's report names
    assert {code for _, code, _ in template.plan_dimensions(demo)} == totals | {
        district.code, group.code}
