"""Every bad value entered in the admin gets a message next to its field; nothing is stored."""

import pytest
from django.urls import reverse

from metrics.models import District, Metric, Reading, StudentGroup

from ..factories import MetricFactory, PillarFactory, ReadingFactory


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["administrator"])
    return client


def _reading_form(metric, **overrides):
    data = {
        "metric": metric.pk, "period": "2023-24", "value": "10", "qualifier": "",
        "district": District.objects.total().pk, "student_group": StudentGroup.objects.total().pk,
        "note": "", "source_text": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("unit", "field", "value", "message"),
    [
        ("count", "value", "-4", "A count is a whole number of 0 or more."),
        ("count", "value", "12.5", "A count is a whole number of 0 or more."),
        ("percent", "value", "101", "A percent is a share from 0 to 100."),
        ("count", "value", "ten", "Enter a number."),
        ("count", "value", "9" * 30, "Ensure that there are no more than 20 digits in total."),
        ("count", "period", "FY24", "is not a period"),
        ("count", "period", "2019-20", "outside the plan 2022-25"),
        ("count", "value", "", "This field is required."),
    ],
)
def test_bad_reading_values_get_field_level_messages(admin_client, unit, field, value, message):
    metric = MetricFactory(unit=unit)
    response = admin_client.post(
        reverse("admin:metrics_reading_add"), _reading_form(metric, **{field: value})
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in e for e in errors[field]), errors
    assert not Reading.objects.exists()


def test_script_in_text_fields_is_stored_as_text_and_served_escaped(admin_client):
    metric = MetricFactory()
    script = "<script>alert('x')</script>"
    response = admin_client.post(
        reverse("admin:metrics_reading_add"),
        _reading_form(metric, note=script, source_text=script), follow=True,
    )
    assert response.status_code == 200
    reading = Reading.objects.get()
    assert reading.note == script
    page = admin_client.get(reverse("admin:metrics_reading_change", args=[reading.pk]))
    assert script not in page.content.decode()


def test_duplicate_reading_is_refused_with_a_message(admin_client):
    existing = ReadingFactory(value=7)
    url = reverse("admin:metrics_reading_add")
    response = admin_client.post(url, _reading_form(existing.metric))
    assert "already a reading of this metric" in str(response.context["adminform"].form.errors)
    assert Reading.objects.get().value == 7


def test_metric_page_has_no_readings_inline_but_links_to_its_readings(admin_client):
    metric = MetricFactory(unit="percent")
    for period in ("2022-23", "2023-24", "2024-25"):
        ReadingFactory(metric=metric, period=period)
    page = admin_client.get(reverse("admin:metrics_metric_change", args=[metric.pk]))
    html = page.content.decode()
    assert "readings-TOTAL_FORMS" not in html
    assert f"?metric__id__exact={metric.pk}" in html
    assert "3 readings of this metric" in html


def test_an_admin_edit_goes_through_the_service_and_keeps_the_slice(admin_client):
    metric = MetricFactory(unit="percent")
    reading = ReadingFactory(metric=metric, value=40)
    url = reverse("admin:metrics_reading_change", args=[reading.pk])
    data = _reading_form(metric, value="140")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "from 0 to 100" in str(response.context["adminform"].form.errors["value"])
    reading.refresh_from_db()
    assert reading.value == 40
    response = admin_client.post(url, _reading_form(metric, value="41", period="2024-25"))
    assert response.status_code == 302
    reading.refresh_from_db()
    # The period is read-only once the reading exists; the value is approved at once
    # because an administrator entered it (the service's one approval rule).
    assert (reading.period, reading.value, reading.state) == ("2023-24", 41, "approved")
    assert Reading.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target_value", "250", "from 0 to 100"),
        ("target_period", "next year", "is not a period"),
        ("code", "Not A Slug!", "Enter a valid “slug”"),
    ],
)
def test_bad_metric_values_get_field_level_messages(admin_client, field, value, message):
    pillar = PillarFactory()
    data = {
        "plan": pillar.plan.pk, "code": "new-metric", "name": "New", "definition": "",
        "pillar": pillar.pk, "unit": "percent", "direction": "higher",
        "accumulation": "per_period", "frequency": "annual", "target_value": "50",
        "target_period": "2024-25",
        field: value,
    }
    response = admin_client.post(reverse("admin:metrics_metric_add"), data)
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not Metric.objects.exists()


def test_admin_lists_open_for_the_administrator(admin_client, db):
    ReadingFactory()
    for name in ("metrics_metric", "metrics_reading", "pillars_pillar", "pillars_strategicplan",
                 "pillars_priorityarea", "pillars_goal", "pillars_program"):
        response = admin_client.get(reverse(f"admin:{name}_changelist") + "?q=x")
        assert response.status_code == 200, name


def test_admin_is_closed_to_other_roles(client, users):
    client.force_login(users["steward"])
    response = client.get(reverse("admin:metrics_reading_changelist"))
    assert response.status_code == 302  # sent to the admin sign-in: not staff
