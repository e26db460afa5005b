import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from metrics.aggregates import rebuild
from metrics.models import ReminderLog

from ..factories import MetricFactory, ReadingFactory, UserFactory


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://kpi.example.org"


@pytest.fixture
def stewarded(db):
    steward = UserFactory(username="kim", email="kim@example.org", role="Data steward")
    late = MetricFactory(name="Late metric")
    fresh = MetricFactory(pillar=late.pillar, plan=late.plan, name="Fresh metric")
    for metric in (late, fresh):
        metric.owners.add(steward)
    ReadingFactory(metric=late, period="2022-23")
    ReadingFactory(metric=fresh, period="2024-25")
    rebuild()
    return steward


def test_each_steward_gets_the_due_metrics_once_per_period(stewarded):
    today = datetime.date(2024, 12, 1)  # 2023-24 ended: due; 2025-26 has not
    assert _send(today) == 1
    message = mail.outbox[0]
    assert message.to == ["kim@example.org"]
    assert "Late metric (" in message.body and ": 2023-24, due by " in message.body
    assert "(OVERDUE)" in message.body
    assert "Fresh metric" not in message.body
    assert "/my-updates/" in message.body
    assert _send(today) == 0  # the same period is never reminded twice
    assert ReminderLog.objects.count() == 1


def test_command_for_cron(stewarded, capsys, settings):
    settings.SITE_URL = "https://kpi.example.org"
    call_command("send_reminders")
    assert "Sent 1 reminder email." in capsys.readouterr().out
    assert "https://kpi.example.org/my-updates/" in mail.outbox[0].body


def test_the_beat_schedule_runs_reminders_and_rebuilds(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"metrics.tasks.send_reminders", "metrics.tasks.rebuild_all"} <= tasks


def _send(today):
    from metrics.services.reminders import send_due_reminders

    return send_due_reminders(today=today)


def test_after_the_plan_ended_reminders_never_say_overdue(stewarded, after_the_plan):
    # 1 December 2026: the plan (2022-25) ended; its 2023-24 may still be entered.
    assert _send(after_the_plan) == 1
    body = mail.outbox[0].body
    assert ": 2023-24, due by " in body and "(due)" in body and "OVERDUE" not in body


def test_context_figures_and_closed_plans_are_never_reminded(stewarded):
    from metrics.models import Metric
    from metrics.services.plans import plan_close

    late = Metric.objects.get(name="Late metric")
    late.is_context = True
    late.save()
    assert _send(datetime.date(2024, 12, 1)) == 0
    late.is_context = False
    late.save()
    plan_close(plan=late.plan)
    assert _send(datetime.date(2024, 12, 1)) == 0
