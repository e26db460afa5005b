"""Remind stewards of the metrics whose next reading is due or overdue, once per period."""

from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .. import selectors
from ..models import ReminderLog
from ..periods import Period


def send_due_reminders(*, today=None, base_url=""):
    """Email each steward the metrics they own whose next period has ended.

    A metric's period is included at most once per steward (ReminderLog), so a
    daily run never repeats itself. Returns the number of emails sent.
    """
    today = today or timezone.localdate()
    owners = defaultdict(list)
    for row in selectors.owned_metric_rows():
        for user in row.metric.owners.all():
            owners[user].append(row)
    sent = 0
    for user, rows in owners.items():
        due = [r for r in _due_rows(user, rows, today)]
        if not due or not user.email:
            continue
        with transaction.atomic():
            ReminderLog.objects.bulk_create(
                [ReminderLog(user=user, metric=r.metric, period=r.next_period) for r in due],
                ignore_conflicts=True,
            )
            send_mail(
                subject=f"{len(due)} metric update{'s' * (len(due) != 1)} due",
                message=_body(user, due, base_url),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
        sent += 1
    return sent


def _due_rows(user, rows, today):
    already = set(
        ReminderLog.objects.filter(user=user, metric__in=[r.metric for r in rows])
        .values_list("metric_id", "period")
    )
    for row in rows:
        row.next_period = selectors.next_period(row, today)
        if Period.parse(row.next_period).end >= today:
            continue  # the period has not ended: nothing to report yet
        if (row.metric_id, row.next_period) in already:
            continue
        row.is_overdue = bool(row.next_due_on and row.next_due_on < today)
        yield row


def _body(user, rows, base_url):
    lines = [f"Hello {user.get_full_name() or user.get_username()},", "",
             "These metrics you keep are waiting for their next value:", ""]
    for row in sorted(rows, key=lambda r: not r.is_overdue):
        state = "OVERDUE" if row.is_overdue else "due"
        lines.append(f"- {row.metric.name}: {row.next_period} ({state})")
    lines += ["", f"Enter them at {base_url}{reverse('metrics:my_updates')}", "",
              "You get one reminder per metric and period."]
    return "\n".join(lines)
