"""Issue 11's staff workflows on LACOE's plan: returned values, closed plans, retired
metrics, reminder and digest e-mails."""

import datetime
import logging
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from metrics import selectors
from metrics.aggregates import rebuild
from metrics.models import ApprovalDigestLog, Metric, MetricSnapshot, Reading, ReadingState, Rollup
from metrics.services import metric_set_target, reading_approve, reading_record, reading_return
from metrics.services.plans import plan_close
from metrics.services.reminders import (
    SiteUrlRefused,
    send_approval_digests,
    send_due_reminders,
)
from metrics.status import Status, coverage, display
from metrics.tasks import send_reminders

from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory

CODE = "p1-da-attendance"  # annual, approved for 2022-23 and 2023-24


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://kpi.lacoe.example"


@pytest.fixture
def lacoe(lacoe_plan, after_the_plan, users):
    """LACOE's plan rebuilt; the steward keeps CODE, the lead leads its pillar."""
    metric = lacoe_plan.metrics.get(code=CODE)
    metric.owners.add(users["steward"])
    metric.pillar.leads.add(users["lead"])
    rebuild()
    return lacoe_plan


def _metric(plan, code=CODE):
    return Metric.objects.select_related("plan").get(plan=plan, code=code)


def _snapshot(metric):
    return MetricSnapshot.objects.get(metric=metric, is_county_wide=True)


def _submitted(plan, users, period="2024-25", value=1234):
    metric = _metric(plan)
    reading = reading_record(metric=metric, period=period, value=value, user=users["steward"])
    assert reading.state == ReadingState.SUBMITTED
    rebuild()
    return metric, reading


# --- Returned values -----------------------------------------------------------------


def test_a_returned_value_reads_returned_with_the_comment_never_pending(
    lacoe, users, django_capture_on_commit_callbacks
):
    metric, reading = _submitted(lacoe, users)
    assert _snapshot(metric).pending_period == "2024-25"
    with django_capture_on_commit_callbacks(execute=True):
        reading = reading_return(reading=reading, user=users["lead"], comment="Source says 1,243")
    rebuild()
    reading.refresh_from_db()
    assert reading.state == ReadingState.RETURNED
    assert reading.state_label == "Returned: Source says 1,243"
    assert not reading.awaits_approval
    snap = _snapshot(metric)
    assert (snap.pending_period, snap.pending_value) == ("", None)  # not pending
    assert snap.returned_period == "2024-25"
    assert snap.returned_label == "Returned: Source says 1,243"
    assert selectors.returned_readings(users["steward"]) == [reading]
    # The comment is kept in the history.
    assert reading.history.first().review_comment == "Source says 1,243"
    assert reading.history.first().state == ReadingState.RETURNED


def test_a_returned_period_stays_the_one_due_until_resubmitted(lacoe, users):
    metric, reading = _submitted(lacoe, users)
    row = next(r for r in selectors.my_update_rows(users["steward"]) if r.metric == metric)
    assert row.next_period is None  # 2024-25 entered: nothing left in the plan
    reading_return(reading=reading, user=users["lead"], comment="Check the total")
    rebuild()
    row = next(r for r in selectors.my_update_rows(users["steward"]) if r.metric == metric)
    assert row.next_period == "2024-25"
    reading_record(metric=metric, period="2024-25", value=1243, user=users["steward"])
    rebuild()
    row = next(r for r in selectors.my_update_rows(users["steward"]) if r.metric == metric)
    assert row.next_period is None
    assert Reading.objects.get(pk=reading.pk).state == ReadingState.SUBMITTED
    assert _snapshot(metric).returned_period == ""


def test_the_steward_gets_an_email_when_a_value_is_returned(
    lacoe, users, django_capture_on_commit_callbacks
):
    _, reading = _submitted(lacoe, users)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reading_return(reading=reading, user=users["lead"], comment="Use the June count")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [users["steward"].email]
    assert message.subject.startswith("Returned:")
    assert "Use the June count" in message.body
    assert f"https://kpi.lacoe.example/plans/{lacoe.slug}/metrics/{CODE}/enter/" in message.body


def test_existing_drafts_with_a_comment_become_returned(lacoe, users):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("metrics.migrations.0009_returned_retired_digests")
    _, reading = _submitted(lacoe, users)
    Reading.objects.filter(pk=reading.pk).update(state=ReadingState.DRAFT, review_comment="Fix")
    migration.draft_with_comment_to_returned(apps, None)
    assert Reading.objects.get(pk=reading.pk).state == ReadingState.RETURNED


def test_pillar_leads_get_at_most_one_digest_a_day_when_values_wait(lacoe, users):
    _submitted(lacoe, users)
    day = datetime.date(2026, 12, 1)
    mail.outbox.clear()
    assert send_approval_digests(today=day) == 1
    message = mail.outbox[0]
    assert message.to == [users["lead"].email]
    assert "1 value waits for your approval" in message.body
    assert "https://kpi.lacoe.example/approvals/" in message.body
    assert send_approval_digests(today=day) == 0  # at most daily
    assert ApprovalDigestLog.objects.count() == 1
    assert send_approval_digests(today=day + datetime.timedelta(days=1)) == 1
    call_command("send_approval_digests")  # the command beside send_reminders


def test_the_beat_schedules_the_approval_digest(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "metrics.tasks.send_approval_digests" in tasks


# --- Closed plans ----------------------------------------------------------------------


def test_approving_returning_and_setting_a_target_are_refused_in_a_closed_plan(lacoe, users):
    metric, reading = _submitted(lacoe, users)
    plan_close(plan=lacoe)
    metric = _metric(lacoe)
    reading = Reading.objects.select_related("metric__plan").get(pk=reading.pk)
    for refused in (
        lambda: reading_approve(reading=reading, user=users["lead"]),
        lambda: reading_return(reading=reading, user=users["lead"], comment="No"),
        lambda: metric_set_target(metric=metric, target_value=Decimal(2000),
                                  target_period="2024-25"),
    ):
        with pytest.raises(ValidationError) as exc:
            refused()
        assert "is closed" in exc.value.messages[0]
        assert "An administrator can reopen it" in exc.value.messages[0]
    reading.refresh_from_db()
    metric.refresh_from_db()
    assert reading.state == ReadingState.SUBMITTED and metric.target_value is None


# --- Retired metrics -------------------------------------------------------------------


def test_a_retired_metric_is_no_longer_due_or_judged_but_keeps_its_values(lacoe, users):
    metric = _metric(lacoe)
    before = Reading.objects.filter(metric=metric).count()
    metric.retired_on = datetime.date(2024, 7, 1)
    metric.retired_reason = "The program stopped reporting attendance."
    metric.full_clean()
    metric.save()
    rebuild()
    snap = _snapshot(metric)
    assert snap.status == Status.RETIRED
    assert snap.status_reason.startswith("Retired on 1 July 2024: The program stopped")
    assert snap.next_due_on is None
    assert snap.latest_period == "2023-24"  # its values stay
    assert display(Status.RETIRED).word == "Retired" and display(Status.RETIRED).icon
    row = next(r for r in selectors.my_update_rows(users["steward"]) if r.metric == metric)
    assert row.next_period is None
    pillar = Rollup.objects.get(level="pillar", pillar=metric.pillar)
    tracked, _ = coverage(pillar.counts)
    assert pillar.counts[Status.RETIRED] == 1
    untracked = pillar.counts[Status.RETIRED] + pillar.counts.get(Status.CONTEXT, 0)
    assert tracked == sum(pillar.counts.values()) - untracked
    exported = selectors.approved_export_rows(
        lacoe, since=lacoe.starts_on, until=lacoe.ends_on).filter(metric=metric)
    assert exported.count() == before
    assert send_due_reminders(today=datetime.date(2026, 12, 1)) == 0


def test_a_retired_metric_needs_a_reason(lacoe):
    metric = _metric(lacoe)
    metric.retired_on = datetime.date(2024, 7, 1)
    with pytest.raises(ValidationError) as exc:
        metric.full_clean()
    assert "retired_reason" in exc.value.message_dict


# --- Reminder e-mails --------------------------------------------------------------------


def test_reminders_link_to_site_url_with_plan_period_and_due_date(lacoe, users):
    day = datetime.date(2025, 8, 1)  # 2024-25 ended on 30 June, due by 28 September
    synthetic = PlanFactory(is_synthetic=True, name="Demo plan (synthetic data)")
    demo = MetricFactory(pillar=PillarFactory(plan=synthetic), name="Demo metric")
    demo.owners.add(users["steward"])
    ReadingFactory(metric=demo, period="2023-24")
    rebuild()
    assert send_due_reminders(today=day) == 1
    body = mail.outbox[0].body
    assert f"{_metric(lacoe).name} ({lacoe.name}): 2024-25, due by 28 September 2025 (due)" in body
    assert (f"https://kpi.lacoe.example/plans/{lacoe.slug}/metrics/{CODE}/enter/"
            "?period=2024-25") in body
    assert "https://kpi.lacoe.example/my-updates/" in body
    assert "Demo metric" not in body and "synthetic" not in body


@pytest.mark.parametrize("url", ["", "http://127.0.0.1:8000", "http://localhost:8000",
                                 "http://[::1]/"])
def test_sending_is_refused_without_a_public_site_url(lacoe, settings, caplog, url):
    settings.DEBUG = False
    settings.SITE_URL = url
    with pytest.raises(SiteUrlRefused, match="Set SITE_URL"):
        send_due_reminders()
    with pytest.raises(CommandError, match="SITE_URL"):
        call_command("send_reminders")
    with caplog.at_level(logging.ERROR):
        assert send_reminders() == 0
    assert "Reminders not sent: SITE_URL" in caplog.text
    assert mail.outbox == []


# --- Targets and owners worklists -----------------------------------------------------


@pytest.fixture
def worklist(lacoe_plan, users):
    """LACOE's plan: the lead leads the metric's pillar only."""
    metric = _metric(lacoe_plan)
    metric.pillar.leads.add(users["lead"])
    rebuild()
    return metric


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["metrics:targets_worklist", "metrics:owners_worklist"])
def test_worklists_per_role(client, worklist, users, name):
    from django.urls import reverse

    url = reverse(name)
    assert client.get(url).status_code == 302  # anonymous: sent to sign in
    for role in ("steward", "leadership", "comms", "outsider"):
        assert _login(client, users[role]).get(url).status_code == 403
    lead_page = _login(client, users["lead"]).get(url)
    assert lead_page.status_code == 200
    shown = {m.pk for m, _ in (lead_page.context["rows"] if "rows" in lead_page.context
                               else lead_page.context["owner_rows"])}
    assert worklist.pk in shown
    assert {m.pillar_id for m in Metric.objects.filter(pk__in=shown)} == {worklist.pillar_id}
    admin_page = _login(client, users["administrator"]).get(url)
    rows = admin_page.context["rows"] if "rows" in admin_page.context else admin_page.context[
        "owner_rows"]
    assert len({m.pillar_id for m, _ in rows}) > 1  # every pillar
    assert _login(client, users["lead"]).put(url).status_code == 405


def test_targets_worklist_sets_many_targets_validated_per_row(client, worklist, users,
                                                              django_assert_max_num_queries):
    from django.urls import reverse

    url = reverse("metrics:targets_worklist")
    _login(client, users["lead"])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    metrics = [m for m, _ in page.context["rows"]]
    context = worklist.plan.metrics.filter(is_context=True, pillar=worklist.pillar).first()
    assert context is None or context not in metrics
    other = next(m for m in metrics if m.pk != worklist.pk and m.unit == "count")
    untouched = next(m for m in metrics if m.pk not in (worklist.pk, other.pk))
    data = {}
    for m in metrics:
        for key, value in TargetRowFormCurrent(m).items():
            data[f"m{m.pk}-{key}"] = value
    data.update({f"m{worklist.pk}-target_value": "2000", f"m{worklist.pk}-target_period": "2024-25",
                 f"m{worklist.pk}-baseline_value": "900",
                 f"m{worklist.pk}-baseline_period": "2021-22",
                 f"m{other.pk}-target_value": "12", f"m{other.pk}-target_period": "2031-32"})
    before = untouched.history.count()
    response = client.post(url, data)
    assert response.status_code == 200  # one row failed: the grid comes back
    worklist.refresh_from_db()
    assert (worklist.target_value, worklist.target_period) == (Decimal(2000), "2024-25")
    assert (worklist.baseline_value, worklist.baseline_period) == (Decimal(900), "2021-22")
    assert worklist.history.first().target_value == Decimal(2000)  # history recorded
    other.refresh_from_db()
    assert other.target_value is None
    row = dict((m.pk, f) for m, f in response.context["rows"])[other.pk]
    assert "outside the plan" in " ".join(row.errors["target_period"])
    assert row["target_value"].value() == "12"  # kept as typed
    assert f'id="id_m{other.pk}-target_period_error"' in response.content.decode()
    assert untouched.history.count() == before  # untouched row: nothing written
    assert [str(m) for m in response.context["messages"]] == [
        "Saved 1 target.", "1 row could not be saved: see the messages in the grid. "
        "Nothing you typed is lost."]
    rebuild()
    assert _snapshot(worklist).status in (Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK)
    assert worklist not in [m for m, _ in client.get(url).context["rows"]]


def TargetRowFormCurrent(metric):  # noqa: N802 - what the grid shows for a row
    from metrics.worklist_forms import TargetRowForm

    return TargetRowForm.current(metric)


def test_owners_worklist_assigns_stewards_and_admins_name_leads(
    client, worklist, users, django_assert_max_num_queries
):
    from django.urls import reverse

    url = reverse("metrics:owners_worklist")
    _login(client, users["lead"])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.context["lead_rows"] == []  # leads are named by administrators
    html = page.content.decode()
    assert f'value="{users["steward"].pk}"' in html
    assert f'name="owners{worklist.pk}-shown"' in html
    response = client.post(url, {"grid": "owners", f"owners{worklist.pk}-shown": "True",
                                 f"owners{worklist.pk}-people": [str(users["steward"].pk)]})
    assert response.status_code == 302
    assert list(worklist.owners.all()) == [users["steward"]]
    # A user without the steward role is refused, next to the field.
    other = next(m for m, _ in client.get(url).context["owner_rows"])
    response = client.post(url, {"grid": "owners", f"owners{other.pk}-shown": "True",
                                 f"owners{other.pk}-people": [str(users["comms"].pk)]})
    assert "Select a valid choice" in response.content.decode()
    assert response.status_code == 200 and not other.owners.exists()
    assert client.post(url, {"grid": "leads"}).status_code == 403
    _login(client, users["administrator"])
    with django_assert_max_num_queries(14):
        page = client.get(url)
    pillars = [p for p, _ in page.context["lead_rows"]]
    assert worklist.pillar in pillars
    other_pillar = next(p for p in pillars if p != worklist.pillar)
    other_pillar.leads.add(users["lead"])
    response = client.post(url, {"grid": "leads", f"leads{worklist.pillar.pk}-shown": "True"})
    assert response.status_code == 302
    assert not worklist.pillar.leads.exists()  # none chosen: cleared
    assert list(other_pillar.leads.all()) == [users["lead"]]  # not posted: left alone


# --- History in people's words -----------------------------------------------------------


def test_history_reads_in_people_words_and_restore_offers_each_earlier_value_once(
    lacoe, users
):
    metric = _metric(lacoe)
    steward, lead = users["steward"], users["lead"]
    reading = reading_record(metric=metric, period="2024-25", value=1000, user=steward)
    reading = reading_record(metric=metric, period="2024-25", value=11, user=steward)
    reading_return(reading=reading, user=lead, comment="Eleven looks wrong")
    reading = reading_record(metric=metric, period="2024-25", value=1000, user=steward)
    reading = reading_record(metric=metric, period="2024-25", value=1200, user=steward)
    entries = [e for e in selectors.metric_history(metric)
               if e["kind"] == "reading" and e["record"].id == reading.pk]
    texts = [[c.text for c in e["changes"]] for e in entries]  # newest first
    assert "Value: 1,000 → 1,200" in texts[0]
    assert "State: Returned: Eleven looks wrong → Submitted for approval" in texts[1]
    assert "State: Submitted for approval → Returned: Eleven looks wrong" in texts[2]
    assert "Value: 1,000 → 11" in texts[3]
    assert texts[4][:2] == ["Period: — → 2024-25", "Value: — → 1,000"]
    # The existing template unpacks (label, old, new).
    label, old, new = entries[0]["changes"][0]
    assert (label, old, new) == ("Value", "1,000", "1,200")
    offered = [(e["record"].value, e["restorable"]) for e in entries]
    restorable = [value for value, flag in offered if flag]
    assert sorted(restorable) == [Decimal(11), Decimal(1000)]  # each earlier value once
    assert Decimal(1200) not in restorable  # never the current one
