"""The approvals page (issue 11): what a lead judges a waiting value by, the plausibility
warning and its "checked" box, deciding several at once, filters, pages and counts; on
LACOE's plan, after its end."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics import aggregates
from metrics.models import Metric, Reading, ReadingState
from metrics.services import reading_record

URL = reverse("metrics:approvals")


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _enter(metric, value, user, period="2024-25", **fields):
    return reading_record(metric=metric, period=period, value=value, user=user, **fields)


def _row_text(html, reading):
    """The table row of `reading` (from its select box to the end of the row)."""
    start = html.index(f'id="select-{reading.pk}"')
    return html[start:html.index("</tr>", start)]


def test_each_waiting_value_shows_previous_change_note_evidence_and_who(
    client, users, lacoe_reach
):
    reading = _enter(lacoe_reach, "60000", users["steward"], note="From the 2024-25 report",
                     evidence_url="https://lacoe.edu/annual-report-2024-25.pdf")
    client.force_login(users["lead"])
    html = client.get(URL).content.decode()
    row = _row_text(html, reading)
    assert "60,000" in row
    assert "65,000" in row and "(2023-24)" in row  # the previous approved value
    assert "−5,000 (-7.7%)" in row
    assert "From the 2024-25 report" in row
    assert 'href="https://lacoe.edu/annual-report-2024-25.pdf"' in row
    assert "steward, 1 Dec 2026" in row
    assert "Nothing unusual" in row and 'name="checked"' not in row


def test_an_evidence_file_links_to_the_evidence_download(client, users, lacoe_reach,
                                                        settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    reading = _enter(lacoe_reach, "60000", users["steward"], evidence_file=SimpleUploadedFile(
        "report.pdf", b"%PDF-1.4 report", content_type="application/pdf"))
    client.force_login(users["lead"])
    row = _row_text(client.get(URL).content.decode(), reading)
    assert f'href="{reverse("metrics:evidence", args=[reading.pk])}"' in row


@pytest.mark.parametrize(("value", "warning"), [
    ("140000", "More than double the previous value (65,000)."),
    ("30000", "Less than half the previous value (65,000)."),
    ("70000", "Outside the range of earlier values (50,427 to 65,000)."),
])
def test_an_unusual_value_is_approved_only_once_the_lead_ticks_checked(
    client, users, lacoe_reach, value, warning
):
    reading = _enter(lacoe_reach, value, users["steward"])
    client.force_login(users["lead"])
    assert warning in _row_text(client.get(URL).content.decode(), reading)

    refused = client.post(URL, {"readings": [reading.pk], "action": "approve"})
    assert refused.status_code == 200
    row = _row_text(refused.content.decode(), reading)
    assert f"Tick “checked” to approve it: {warning}" in row
    reading.refresh_from_db()
    assert reading.state == ReadingState.SUBMITTED

    approved = client.post(URL, {"readings": [reading.pk], "checked": [reading.pk],
                                 "action": "approve"}, follow=True)
    assert "Approved 1 value." in approved.content.decode()
    reading.refresh_from_db()
    assert (reading.state, reading.approved_value) == (ReadingState.APPROVED, Decimal(value))


def test_several_are_approved_or_returned_at_once_and_return_needs_one_comment(
    client, users, lacoe_reach
):
    others = list(Metric.objects.filter(pillar=lacoe_reach.pillar).exclude(pk=lacoe_reach.pk)
                  .order_by("code")[:2])
    waiting = [_enter(m, "10", users["steward"], period="2022-23") for m in others]
    plausible = _enter(lacoe_reach, "60000", users["steward"])
    client.force_login(users["lead"])

    no_comment = client.post(URL, {"readings": [r.pk for r in waiting], "action": "return"})
    assert "Say what needs changing, so the steward can fix it." in no_comment.content.decode()
    assert set(Reading.objects.filter(pk__in=[r.pk for r in waiting])
               .values_list("state", flat=True)) == {ReadingState.SUBMITTED}

    returned = client.post(URL, {"readings": [r.pk for r in waiting], "action": "return",
                                 "comment": "Use the audited figures."}, follow=True)
    assert "Returned 2 values to their stewards." in returned.content.decode()
    assert set(Reading.objects.filter(pk__in=[r.pk for r in waiting])
               .values_list("state", "review_comment")) == {
        (ReadingState.RETURNED, "Use the audited figures.")}

    client.post(URL, {"readings": [plausible.pk], "action": "approve"})
    plausible.refresh_from_db()
    assert plausible.state == ReadingState.APPROVED


def test_a_lead_cannot_decide_values_outside_their_pillars(client, users, lacoe_reach):
    elsewhere = Metric.objects.filter(plan=lacoe_reach.plan).exclude(
        pillar=lacoe_reach.pillar).exclude(pillar=None).order_by("code").first()
    foreign = _enter(elsewhere, "1", users["administrator"], period="2022-23", approve=False)
    client.force_login(users["lead"])
    response = client.post(URL, {"readings": [foreign.pk], "action": "approve"})
    assert "Select a valid choice" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.state == ReadingState.SUBMITTED


@pytest.mark.parametrize("who", ["outsider", "steward", "leadership", "comms"])
def test_only_approvers_see_the_queue_or_decide(client, users, lacoe_reach, who):
    reading = _enter(lacoe_reach, "60000", users["steward"])
    client.force_login(users[who])
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"readings": [reading.pk], "action": "approve"}).status_code == 403
    reading.refresh_from_db()
    assert reading.state == ReadingState.SUBMITTED


@pytest.fixture
def full_queue(lacoe_plan, after_the_plan, users):
    """Every reading of LACOE's plan waiting for `lead`, who leads every pillar."""
    for pillar in lacoe_plan.pillars.all():
        pillar.leads.add(users["lead"])
    Reading.objects.filter(metric__plan=lacoe_plan).update(state=ReadingState.SUBMITTED,
                                                           entered_by=users["steward"])
    aggregates.rebuild()
    return Reading.objects.filter(metric__plan=lacoe_plan, metric__pillar__isnull=False)


def test_the_queue_is_paginated_by_50_and_counted_by_sql(client, users, full_queue):
    client.force_login(users["lead"])
    total = full_queue.count()
    assert total > 100
    first = client.get(URL)
    table = first.context["table"]
    assert (table.paginator.count, len(table.page.object_list)) == (total, 50)
    assert f"{total} values wait." in first.content.decode()
    last = client.get(URL, {"page": table.paginator.num_pages})
    assert len(last.context["table"].page.object_list) == total - 50 * (
        table.paginator.num_pages - 1)


def test_the_queue_filters_by_plan_pillar_steward_and_period(client, users, full_queue):
    pillar = Metric.objects.get(code="p4-facebook-reach").pillar
    Reading.objects.filter(pk=full_queue.filter(metric__pillar=pillar, period="2023-24")
                           .first().pk).update(entered_by=users["lead"])
    client.force_login(users["lead"])
    cases = {
        "plan": full_queue.first().metric.plan_id,
        "pillar": pillar.pk,
        "steward": users["lead"].pk,
        "period": "2022-23",
    }
    expected = {
        "plan": full_queue,
        "pillar": full_queue.filter(metric__pillar=pillar),
        "steward": full_queue.filter(entered_by=users["lead"]),
        "period": full_queue.filter(period="2022-23"),
    }
    for name, value in cases.items():
        response = client.get(URL, {name: value})
        assert response.context["table"].paginator.count == expected[name].count(), name
        shown = {row.record.pk for row in response.context["table"].paginated_rows}
        assert shown <= set(expected[name].values_list("pk", flat=True)), name
    assert client.get(URL, {"pillar": pillar.pk, "period": "2023-24",
                            "steward": users["lead"].pk}).context["table"].paginator.count == 1


def test_approvals_query_count_is_constant_in_the_queue_size(
    client, users, lacoe_reach, django_assert_max_num_queries
):
    _enter(lacoe_reach, "140000", users["steward"])
    client.force_login(users["lead"])
    with django_assert_max_num_queries(16) as few:
        client.get(URL)
    for metric in Metric.objects.filter(pillar=lacoe_reach.pillar).exclude(pk=lacoe_reach.pk):
        for period in ("2022-23", "2023-24", "2024-25"):
            _enter(metric, "5", users["steward"], period=period)
    assert Reading.objects.filter(state=ReadingState.SUBMITTED).count() > 30
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_my_updates_shows_the_count_without_loading_the_queue(client, users, full_queue):
    client.force_login(users["lead"])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("metrics:my_updates")).content.decode()
    assert f"{full_queue.count()} values wait for your approval" in html
    loading = [q["sql"] for q in queries.captured_queries
               if "'submitted'" in q["sql"] and "COUNT(" not in q["sql"].upper()]
    assert loading == []
