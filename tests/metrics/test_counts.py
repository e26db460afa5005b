"""A percent reading's counts (issue 16): the one rule (units.counts_value), the model,
the service's KEEP, history, the entry form, the grid and the readings table."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.models import District, Reading, StudentGroup
from metrics.services import reading_record
from metrics.units import counts_value

from ..conftest import fuzz_budget
from ..factories import MetricFactory, ReadingFactory


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


# --- The rule ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "numerator", "denominator", "expected"), [
    (None, 3, 8, (Decimal("37.5000"), 3, 8)),
    ("", "412", "1,030", (Decimal("40.0000"), 412, 1030)),
    ("37.5", 3, 8, (Decimal("37.5000"), 3, 8)),
    ("33.3", 1, 3, (Decimal("33.3333"), 1, 3)),      # agrees to the places written
    ("33", 1, 3, (Decimal("33.3333"), 1, 3)),
    (None, 2, 3, (Decimal("66.6667"), 2, 3)),         # rounded half up to 4 places
    (None, 0, 5, (Decimal("0.0000"), 0, 5)),
    (None, 7, 7, (Decimal("100.0000"), 7, 7)),
    ("45.5", None, "", (Decimal("45.5"), None, None)),  # neither: the value alone
])
def test_counts_give_the_value(value, numerator, denominator, expected):
    assert counts_value("percent", value, numerator, denominator) == expected


@pytest.mark.parametrize(("unit", "value", "numerator", "denominator", "field", "message"), [
    ("percent", None, 3, None, "denominator", "together"),
    ("percent", None, "", 8, "numerator", "together"),
    ("percent", None, 9, 8, "numerator", "at most as large"),
    ("percent", None, 0, 0, "denominator", "more than 0"),
    ("percent", None, -1, 8, "numerator", "whole number of 0 or more"),
    ("percent", None, "1.5", 8, "numerator", "whole number of 0 or more"),
    ("percent", None, "١٢", 20, "numerator", "is not a number"),
    ("percent", None, 1, "=1+1", "denominator", "is not a number"),
    ("percent", None, 1, "9" * 30, "denominator", "too large"),
    ("percent", None, 1, "nan", "denominator", "finite"),
    ("percent", "40", 3, 8, "value", "40 is not 3 of 8, which is 37.5"),
    ("percent", "33.34", 1, 3, "value", "is not 1 of 3"),
    ("percent", None, None, None, "value", "Enter a number"),
    ("count", None, 3, 8, "numerator", "Only a percent"),
    ("percent_change", "5", 3, 8, "numerator", "Only a percent"),
])
def test_counts_refused_with_a_message_on_the_field(unit, value, numerator, denominator,
                                                    field, message):
    with pytest.raises(ValidationError) as caught:
        counts_value(unit, value, numerator, denominator)
    assert message in " ".join(caught.value.message_dict[field])


def test_the_database_refuses_counts_out_of_order(db):
    reading = ReadingFactory(metric=MetricFactory(unit="percent"), value=50)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reading.objects.filter(pk=reading.pk).update(numerator=5, denominator=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reading.objects.filter(pk=reading.pk).update(numerator=5)


def test_model_clean_checks_value_against_counts(db):
    reading = ReadingFactory(metric=MetricFactory(unit="percent"), value=50)
    reading.numerator, reading.denominator = 1, 4
    with pytest.raises(ValidationError) as caught:
        reading.full_clean()
    assert "is not 1 of 4" in caught.value.message_dict["value"][0]


# --- The service: KEEP and history -----------------------------------------------------

def test_service_records_counts_keeps_them_and_history_has_them(db, users):
    metric = MetricFactory(unit="percent")
    lead = users["administrator"]
    reading = reading_record(metric=metric, period="2023-24", value=None, numerator=3,
                             denominator=8, user=lead)
    assert (reading.value, reading.numerator, reading.denominator) == (Decimal("37.5"), 3, 8)
    # A caller that does not give the counts keeps them; a value that agrees is fine.
    reading = reading_record(metric=metric, period="2023-24", value="37.5", note="n", user=lead)
    assert (reading.numerator, reading.denominator, reading.note) == (3, 8, "n")
    with pytest.raises(ValidationError) as caught:
        reading_record(metric=metric, period="2023-24", value="50", user=lead)
    assert "is not 3 of 8" in caught.value.message_dict["value"][0]
    # Given empty, they are cleared and the value stands alone.
    reading = reading_record(metric=metric, period="2023-24", value="50", numerator=None,
                             denominator=None, user=lead)
    assert (reading.value, reading.numerator, reading.denominator) == (50, None, None)
    history = list(reading.history.order_by("history_date").values_list(
        "value", "numerator", "denominator"))
    assert history == [(Decimal("37.5"), 3, 8), (Decimal("37.5"), 3, 8), (50, None, None)]


# --- The entry form ----------------------------------------------------------------------

def _enter(client, metric, **data):
    return client.post(reverse("metrics:enter", args=[metric.plan.slug, metric.code]),
                       {"period": "2023-24", "value": "", "qualifier": "", "note": "",
                        "version": 0, **data})


def test_entry_form_saves_the_pair_and_works_out_the_value(client, users, owned):
    client.force_login(users["lead"])
    page = client.get(reverse("metrics:enter", args=[owned.plan.slug, owned.code]))
    assert 'name="numerator"' in page.content.decode()
    response = _enter(client, owned, numerator="412", denominator="1030")
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert (reading.value, reading.numerator, reading.denominator) == (40, 412, 1030)
    detail = client.get(owned.get_absolute_url()).content.decode()
    assert "412 of 1,030" in detail


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"numerator": "5"}, "denominator", "together"),
    ({"numerator": "9", "denominator": "8"}, "numerator", "at most as large"),
    ({"numerator": "١٢", "denominator": "20"}, "numerator", "is not a number"),
    ({"numerator": "=A1", "denominator": "20"}, "numerator", "is not a number"),
    ({"numerator": "-1", "denominator": "20"}, "numerator", "whole number"),
    ({"numerator": "1", "denominator": "9" * 29}, "denominator", "too large"),
    ({"numerator": "1", "denominator": "9" * 31}, "denominator", "at most 30 characters"),
    ({"numerator": "1", "denominator": "0"}, "denominator", "more than 0"),
    ({"value": "40", "numerator": "3", "denominator": "8"}, "value", "is not 3 of 8"),
    ({}, "value", "This field is required."),
])
def test_entry_form_errors_are_next_to_the_fields(client, users, owned, data, field, message):
    client.force_login(users["steward"])
    response = _enter(client, owned, **data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Reading.objects.exists()


def test_entry_form_of_a_count_has_no_counts_and_ignores_posted_ones(client, users):
    metric = MetricFactory(unit="count")
    metric.owners.add(users["steward"])
    client.force_login(users["steward"])
    page = client.get(reverse("metrics:enter", args=[metric.plan.slug, metric.code]))
    assert 'name="numerator"' not in page.content.decode()
    assert _enter(client, metric, value="12", numerator="3", denominator="8").status_code == 302
    assert Reading.objects.values_list("value", "numerator").get() == (12, None)


# --- The grid ----------------------------------------------------------------------------

def test_grid_saves_counts_and_untouched_rows_write_nothing(client, users, owned):
    count = MetricFactory(pillar=owned.pillar, plan=owned.plan, code="c", name="Laptops")
    count.owners.add(users["steward"])
    kept = ReadingFactory(metric=count, period="2024-25", value=5)
    client.force_login(users["steward"])
    url = reverse("metrics:bulk_entry", args=[owned.plan.slug]) + "?period=2024-25"
    html = client.get(url).content.decode()
    assert f'name="m{owned.pk}-numerator"' in html and f'name="m{count.pk}-numerator"' not in html
    history = Reading.history.count()
    response = client.post(url, {
        f"m{owned.pk}-value": "", f"m{owned.pk}-numerator": "1", f"m{owned.pk}-denominator": "4",
        f"m{owned.pk}-version": 0,
        f"m{count.pk}-value": "5", f"initial-m{count.pk}-value": "5",
        f"m{count.pk}-version": kept.version,
    })
    assert response.status_code == 302
    saved = Reading.objects.get(metric=owned)
    assert (saved.value, saved.numerator, saved.denominator) == (25, 1, 4)
    assert Reading.history.count() == history + 1  # the untouched row wrote nothing
    # The grid shows what it saved; posted back unchanged, nothing is written again.
    html = client.get(url).content.decode()
    assert f'name="initial-m{owned.pk}-numerator" value="1"' in html
    response = client.post(url, {
        f"m{owned.pk}-value": "25", f"initial-m{owned.pk}-value": "25",
        f"m{owned.pk}-numerator": "1", f"initial-m{owned.pk}-numerator": "1",
        f"m{owned.pk}-denominator": "4", f"initial-m{owned.pk}-denominator": "4",
        f"m{owned.pk}-version": saved.version, f"m{count.pk}-version": kept.version,
    })
    assert response.status_code == 302
    assert Reading.history.count() == history + 1


def test_grid_keeps_a_refused_row_as_typed_with_the_message(client, users, owned):
    client.force_login(users["steward"])
    url = reverse("metrics:bulk_entry", args=[owned.plan.slug]) + "?period=2024-25"
    response = client.post(url, {f"m{owned.pk}-value": "", f"m{owned.pk}-numerator": "9",
                                 f"m{owned.pk}-denominator": "٣", f"m{owned.pk}-version": 0})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a number" in html and 'value="9"' in html
    assert not Reading.objects.exists()


def test_metric_history_shows_count_changes_and_restores_them(client, users, owned):
    lead = users["lead"]
    reading = reading_record(metric=owned, period="2023-24", value=None, numerator=1,
                             denominator=4, user=lead)
    reading = reading_record(metric=owned, period="2023-24", value=None, numerator=1,
                             denominator=2, user=lead)
    client.force_login(lead)
    html = client.get(owned.get_absolute_url()).content.decode()
    assert "Denominator: 4 → 2" in html and "1 of 2" in html
    first = reading.history.order_by("history_date").first()
    client.force_login(users["administrator"])  # restoring is an administrator's
    response = client.post(reverse("metrics:restore", args=[reading.pk, first.history_id]))
    assert response.status_code == 302
    reading.refresh_from_db()
    assert (reading.value, reading.numerator, reading.denominator) == (25, 1, 4)


@pytest.mark.parametrize(("unit", "data", "field", "message"), [
    ("percent", {"value": "40", "numerator": "3", "denominator": "8"}, "value", "is not 3 of 8"),
    ("percent", {"numerator": "3"}, "denominator", "together"),
    ("count", {"numerator": "3", "denominator": "8"}, "numerator", "Only a percent"),
])
def test_admin_refuses_bad_counts_next_to_the_field(admin_client, unit, data, field, message):
    metric = MetricFactory(unit=unit)
    response = admin_client.post(reverse("admin:metrics_reading_add"), {
        "metric": metric.pk, "period": "2023-24", "value": "10", "qualifier": "",
        "district": District.objects.total().pk,
        "student_group": StudentGroup.objects.total().pk, "note": "", "source_text": "", **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert not Reading.objects.exists()


def test_admin_saves_counts_through_the_service(admin_client):
    metric = MetricFactory(unit="percent")
    response = admin_client.post(reverse("admin:metrics_reading_add"), {
        "metric": metric.pk, "period": "2023-24", "value": "37.5", "numerator": "3",
        "denominator": "8", "qualifier": "", "district": District.objects.total().pk,
        "student_group": StudentGroup.objects.total().pk, "note": "", "source_text": ""})
    assert response.status_code == 302
    assert Reading.objects.values_list("value", "numerator", "denominator").get() == (
        Decimal("37.5"), 3, 8)


# --- Hostile input: only ValidationError, and a stored value always inside 0-100 -------

_TYPED = st.one_of(st.none(), st.text(max_size=30), st.integers(-10**20, 10**20).map(str),
                   st.sampled_from(["١٢", "1e3", "=1+1", " 7 ", "1,030", "0x10", "NaN", "-0"]))


@settings(max_examples=fuzz_budget(200))
@given(value=_TYPED, numerator=_TYPED, denominator=_TYPED)
def test_counts_rule_refuses_anything_odd_with_a_message(fuzz_case, value, numerator,
                                                         denominator):
    fuzz_case()
    try:
        stored, n, d = counts_value("percent", value, numerator, denominator)
    except ValidationError as exc:
        assert set(exc.message_dict) <= {"value", "numerator", "denominator"}
        return
    assert 0 <= stored <= 100 and stored.as_tuple().exponent >= -4
    if n is not None:
        assert 0 <= n <= d and d > 0
        assert abs(stored - Decimal(n) * 100 / Decimal(d)) <= Decimal("0.00005")


@settings(max_examples=fuzz_budget(100))
@given(value=_TYPED, numerator=_TYPED, denominator=_TYPED)
def test_entry_form_answers_hostile_counts_with_messages_never_a_server_error(
        client, users, owned, fuzz_case, value, numerator, denominator):
    fuzz_case()
    client.force_login(users["steward"])
    typed = {name: text for name, text in (("value", value), ("numerator", numerator),
                                           ("denominator", denominator)) if text is not None}
    response = _enter(client, owned, **typed)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors
    for reading in Reading.objects.all():
        reading.full_clean()
