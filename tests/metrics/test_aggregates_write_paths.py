"""Every write path reaches the aggregates (the table in metrics/aggregates/__init__.py):
after each, the dashboard shows the change, nothing is left pending, and the rows are
those a full rebuild gives."""

from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.admin import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from metrics import aggregates, imports
from metrics.aggregates import queue
from metrics.loading import load_directory
from metrics.models import (
    District,
    Metric,
    MetricSnapshot,
    PendingRebuild,
    Reading,
    Rollup,
    Status,
    StudentGroup,
)
from metrics.services import reading_record

from ..conftest import LACOE_FIXTURES, aggregate_rows
from ..factories import MetricFactory


@pytest.fixture(autouse=True)
def _in_process(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rate(plan_data, users):
    """A percent metric (50 then 67 approved; target 80 by 2024-25) that the steward
    owns and the lead approves."""
    metric = plan_data["rate"]
    metric.owners.add(users["steward"])
    metric.pillar.leads.add(users["lead"])
    return metric


@pytest.fixture
def follows(django_capture_on_commit_callbacks):
    """`with follows(metric): <a write>`: the write's commit rebuilt `metric` (some
    metric when None), left
    nothing pending, and the aggregates equal a full rebuild's."""

    @contextmanager
    def check(metric, *, full=False):
        # Both tasks rebuild through queue (rebuild_pending, rebuild_all).
        with (
            mock.patch.object(queue, "rebuild", wraps=queue.rebuild) as spy,
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield
        calls = [
            None if not call.args and call.kwargs.get("slices") is None
            else [*(call.args[0] if call.args else ()),
                  *(m for m, _, _ in call.kwargs.get("slices") or ())]
            for call in spy.call_args_list
        ]
        rebuilt = {pk for ids in calls if ids for pk in ids}
        assert (None in calls) if full else (metric.pk in rebuilt if metric else rebuilt), calls
        assert not PendingRebuild.objects.exists()
        rows = aggregate_rows()
        aggregates.rebuild()
        assert aggregate_rows() == rows

    return check


def _county(metric):
    return MetricSnapshot.objects.get(metric=metric, is_county_wide=True)


def test_entry_form(client, users, rate, follows):
    client.force_login(users["lead"])
    with follows(rate):
        response = client.post(reverse("metrics:enter", args=[rate.plan.slug, rate.code]),
                               {"period": "2024-25", "value": "72", "version": 0})
    assert response.status_code == 302
    assert _county(rate).latest_value == 72
    assert "72%" in client.get(rate.pillar.get_absolute_url()).content.decode()


def test_bulk_grid(client, users, rate, plan_data, follows):
    client.force_login(users["lead"])
    url = reverse("metrics:bulk_entry", args=[rate.plan.slug]) + "?period=2024-25"
    untouched = plan_data["count"]
    with follows(rate):
        response = client.post(url, {f"m{rate.pk}-value": "73", f"m{rate.pk}-version": 0,
                                     f"m{untouched.pk}-value": "", f"m{untouched.pk}-version": 0})
    assert response.status_code == 302, [f.errors for _, _, f in response.context["rows"]]
    assert _county(rate).latest_value == 73


def test_import(users, rate, follows):
    upload = SimpleUploadedFile("readings.csv", (
        "metric_code,period,value,qualifier,district,student_group,note,source,approval_state\n"
        f"{rate.code},2024-25,74,,,,,,\n"
    ).encode(), content_type="text/csv")
    with follows(rate):
        report = imports.import_rows(plan=rate.plan, rows=imports.read_upload(upload),
                                     user=users["lead"], approve=True)
    assert report.written
    assert _county(rate).latest_value == 74


def test_approve(client, users, rate, follows, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reading = reading_record(metric=rate, period="2024-25", value="75", user=users["steward"])
    assert (_county(rate).latest_value, _county(rate).pending_value) == (67, 75)
    client.force_login(users["lead"])
    with follows(rate):
        # 75 is above the earlier values (50, 67): the lead ticks "checked".
        client.post(reverse("metrics:review", args=[reading.pk]),
                    {"action": "approve", "checked": "on"})
    assert (_county(rate).latest_value, _county(rate).pending_value) == (75, None)


def test_return(client, users, rate, follows, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reading = reading_record(metric=rate, period="2024-25", value="76", user=users["steward"])
    client.force_login(users["lead"])
    with follows(rate):
        client.post(reverse("metrics:review", args=[reading.pk]),
                    {"action": "return", "comment": "Source says 67."})
    reading.refresh_from_db()
    assert reading.review_comment == "Source says 67."
    assert _county(rate).latest_value == 67  # the approved value stays


def test_restore(client, users, rate, follows, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reading_record(metric=rate, period="2024-25", value="60", user=users["administrator"])
        reading = reading_record(metric=rate, period="2024-25", value="61",
                                 user=users["administrator"])
    first = Reading.history.filter(id=reading.pk).order_by("history_date").first()
    client.force_login(users["administrator"])
    with follows(rate):
        client.post(reverse("metrics:restore", args=[reading.pk, first.history_id]))
    assert _county(rate).latest_value == 60


def test_targets(client, users, rate, follows):
    assert _county(rate).status == Status.ON_TRACK
    client.force_login(users["lead"])
    with follows(rate):
        response = client.post(reverse("metrics:target", args=[rate.plan.slug, rate.code]), {
            "target_value": "100", "target_period": "2024-25", "baseline_value": "40",
            "baseline_period": "2021-22", "on_track_threshold": 95, "at_risk_threshold": 80,
        })
    assert response.status_code == 302
    assert _county(rate).status == Status.OFF_TRACK  # 67 is far short of the way to 100


def test_admin_reading(client, users, rate, follows):
    client.force_login(users["administrator"])
    with follows(rate):
        response = client.post(reverse("admin:metrics_reading_add"), {
            "metric": rate.pk, "period": "2024-25", "value": "77", "qualifier": "",
            "district": District.objects.total().pk,
            "student_group": StudentGroup.objects.total().pk,
            "note": "", "source_text": "",
        })
    assert response.status_code == 302
    assert _county(rate).latest_value == 77


def _admin_form_data(user, metric, **changes):
    """What the admin's change page of `metric` posts when only `changes` are edited."""
    request = RequestFactory().get("/")
    request.user = user
    form = site._registry[Metric].get_form(request, metric)(instance=metric)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in value] if isinstance(
            value, (list, tuple)) else str(value)
    return {**data, **changes}


def test_admin_metric(client, users, rate, follows):
    client.force_login(users["administrator"])
    data = _admin_form_data(users["administrator"], rate, target_value="100")
    with follows(rate):
        response = client.post(reverse("admin:metrics_metric_change", args=[rate.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _county(rate).status == Status.OFF_TRACK


def test_load_plan(db, follows):
    with follows(None):  # the loaded metrics are not known yet
        plan, counts = load_directory(LACOE_FIXTURES)
    assert counts["readings"] > 0
    with_values = MetricSnapshot.objects.filter(
        metric__plan=plan, is_county_wide=True, latest_value__isnull=False)
    assert with_values.count() == Reading.objects.values("metric").distinct().count()
    assert Rollup.objects.get(level="plan", plan=plan).metric_count == plan.metrics.count()


def test_delete_a_reading(client, users, rate, follows):
    latest = Reading.objects.get(metric=rate, period="2023-24", district__is_total=True,
                                 student_group__is_total=True)
    client.force_login(users["administrator"])
    with follows(rate):
        response = client.post(reverse("admin:metrics_reading_delete", args=[latest.pk]),
                               {"post": "yes"})
    assert response.status_code == 302
    assert _county(rate).latest_value == 50


def test_delete_a_metric(client, users, plan_data, follows):
    goal = plan_data["goal"]
    extra = MetricFactory(pillar=goal.priority_area.pillar, priority_area=goal.priority_area,
                          goal=goal)
    aggregates.rebuild()
    assert Rollup.objects.get(level="goal", goal=goal).metric_count == 2
    client.force_login(users["administrator"])
    with follows(extra, full=True):
        response = client.post(reverse("admin:metrics_metric_delete", args=[extra.pk]),
                               {"post": "yes"})
    assert response.status_code == 302
    assert Rollup.objects.get(level="goal", goal=goal).metric_count == 1
    assert _county(plan_data["rate"]).latest_value == 67
