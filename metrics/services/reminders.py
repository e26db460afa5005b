"""E-mails to staff: stewards reminded of due metrics (once per metric and period), a
steward told when a lead returns a value, pillar leads told (at most daily) that
values wait for their approval.

Every link is absolute, built from `SITE_URL` (`absolute_url`). With DEBUG off a
SITE_URL that is unset or a loopback address would send people links that lead
nowhere: sending is refused (`SiteUrlRefused`) with a message saying what to set.
Synthetic (demo) plans are never in an e-mail.

Every e-mail is written in its recipient's language (metrics.UserPreference: what they
last chose with the switcher, a `?lang=` link or their account page; else the site's,
`settings.LANGUAGE_CODE`), subject and body, through the catalogue: a message sent on a
pillar lead's action never takes the lead's page language to a steward.
"""

import ipaddress
import logging
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import selectors
from ..models import ApprovalDigestLog, ReminderLog, UserPreference
from ..status import due_on, is_overdue, written_day

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


class SiteUrlRefused(Exception):
    """SITE_URL cannot be used in e-mails (unset or loopback with DEBUG off)."""


def site_url():
    """SITE_URL, checked: with DEBUG off it must be set and not a loopback address."""
    url = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if settings.DEBUG:
        return url
    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in LOOPBACK_NAMES
    if not url or not host or loopback:
        raise SiteUrlRefused(
            f"SITE_URL is {url or 'not set'}: e-mails would link to a page nobody else can "
            "open. Set SITE_URL to the address people use (e.g. https://kpi.example.org) "
            "before sending e-mails."
        )  # for the administrator's log and console: not translated
    return url


def absolute_url(path):
    return f"{site_url()}{path}"


def _mail_language(language):
    """Write an e-mail in `language` (its recipient's): see the module's docstring."""
    return translation.override(language)


def _hello(user):
    return _("Hello %(name)s,") % {"name": user.get_full_name() or user.get_username()}


# --- Stewards: due and overdue metrics -------------------------------------------


def send_due_reminders(*, today=None):
    """Email each steward the metrics they own whose next period has ended.

    A metric's period is included at most once per steward (ReminderLog), so a
    daily run never repeats itself. Each metric is listed with its plan, the period
    due, its due date and a link to enter it. Returns the number of emails sent;
    raises SiteUrlRefused (nothing sent) when SITE_URL cannot be linked to.
    """
    base = site_url()
    today = today or timezone.localdate()
    owners = defaultdict(list)
    for row in selectors.owned_metric_rows():
        if row.metric.plan.is_synthetic:
            continue  # demo data: never in an e-mail
        for user in row.metric.owners.all():
            owners[user].append(row)
    sent = 0
    languages = UserPreference.objects.languages(list(owners))
    for user, rows in owners.items():
        due = list(_due_rows(user, rows, today))
        if not due or not user.email:
            continue
        with transaction.atomic(), _mail_language(languages[user.pk]):
            ReminderLog.objects.bulk_create(
                [ReminderLog(user=user, metric=r.metric, period=r.next_period) for r in due],
                ignore_conflicts=True,
            )
            send_mail(
                subject=ngettext("%(count)s metric update due", "%(count)s metric updates due",
                                 len(due)) % {"count": len(due)},
                message=_due_body(user, due, base),
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
        if row.metric.is_context:
            continue  # a context figure is never due
        following = selectors.entry_period(row, today)
        if following is None or following.end >= today:
            continue  # no period left (plan closed, metric retired) or it has not ended
        row.next_period = following.text
        if (row.metric_id, row.next_period) in already:
            continue
        row.due_on = due_on(row.metric, following)
        row.is_overdue = is_overdue(row.due_on, row.metric.plan, today)
        yield row


def _due_body(user, rows, base):
    lines = [_hello(user), "", _("These metrics you keep are waiting for their next value:"), ""]
    for row in sorted(rows, key=lambda r: (not r.is_overdue, r.due_on, r.metric.name)):
        metric = row.metric
        line = (_("- %(metric)s (%(plan)s): %(period)s, due by %(day)s (OVERDUE)")
                if row.is_overdue else
                _("- %(metric)s (%(plan)s): %(period)s, due by %(day)s (due)"))
        enter = reverse("metrics:enter", kwargs={"plan": metric.plan.slug, "code": metric.code})
        lines += [
            line % {"metric": metric.name, "plan": metric.plan.name, "period": row.next_period,
                    "day": written_day(row.due_on)},
            f"  {base}{enter}?period={row.next_period}",
        ]
    lines += ["", _("All your updates: %(link)s") % {
        "link": f"{base}{reverse('metrics:my_updates')}"}, "",
        _("You get one reminder per metric and period.")]
    return "\n".join(lines)


# --- Stewards: a value returned ----------------------------------------------------


def notify_returned(*, reading, user=None):
    """Tell the steward who entered `reading` that a lead returned it, with the comment.
    Called on commit by services.readings.reading_return; a refused SITE_URL or a mail
    error is logged, never raised (the return itself is saved)."""
    steward = reading.entered_by
    if steward is None or not steward.email or reading.metric.plan.is_synthetic:
        return False
    metric = reading.metric
    try:
        link = absolute_url(
            reverse("metrics:enter", kwargs={"plan": metric.plan.slug, "code": metric.code})
            + f"?period={reading.period}"
        )
        with _mail_language(UserPreference.objects.languages([steward])[steward.pk]):
            by = (user.get_full_name() or user.get_username()) if user else _("A pillar lead")
            words = {"by": by, "metric": metric.name, "plan": metric.plan.name,
                     "period": reading.period, "value": reading.display_value}
            send_mail(
                subject=_("Returned: %(metric)s, %(period)s") % words,
                message="\n".join([
                    _hello(steward), "",
                    _("%(by)s returned the value of %(metric)s (%(plan)s) for %(period)s, "
                      "%(value)s:") % words, "",
                    f"  {reading.review_comment}", "",
                    _("Correct and resubmit it at %(link)s") % {"link": link},
                ]),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[steward.email],
            )
    except SiteUrlRefused as exc:
        log.error("Return notice for reading %s not sent: %s", reading.pk, exc)
        return False
    except Exception:  # a mail server down never undoes the return
        log.exception("Return notice for reading %s not sent", reading.pk)
        return False
    return True


# --- Pillar leads: values waiting for approval ---------------------------------------


def send_approval_digests(*, today=None):
    """Email each pillar lead how many values wait for their approval, at most once a
    day (ApprovalDigestLog). Synthetic and closed plans are left out. Returns the number sent;
    raises SiteUrlRefused (nothing sent) when SITE_URL cannot be linked to."""
    base = site_url()
    today = today or timezone.localdate()
    leads = (
        get_user_model().objects.filter(is_active=True, led_pillars__isnull=False)
        .exclude(email="").distinct()
        .exclude(pk__in=ApprovalDigestLog.objects.filter(sent_on=today).values("user_id"))
    )
    sent = 0
    leads = list(leads)
    languages = UserPreference.objects.languages(leads)
    for lead in leads:
        queue = selectors.approval_queue(lead).filter(
            metric__plan__is_synthetic=False, metric__plan__closed_at__isnull=True)
        waiting = queue.count()
        if not waiting:
            continue
        first = list(queue[:20])
        with transaction.atomic(), _mail_language(languages[lead.pk]):
            _digest, created = ApprovalDigestLog.objects.get_or_create(
                user=lead, sent_on=today, defaults={"waiting": waiting})
            if not created:
                continue
            lines = [_hello(lead), "",
                     ngettext("%(count)s value waits for your approval:",
                              "%(count)s values wait for your approval:", waiting)
                     % {"count": waiting}, ""]
            lines += [f"- {r.metric.name} ({r.metric.plan.name}), {r.period}: "
                      f"{r.display_value}" for r in first]
            if waiting > len(first):
                more = waiting - len(first)
                lines.append(ngettext("- and %(count)s more", "- and %(count)s more", more)
                             % {"count": more})
            lines += ["", _("Review them at %(link)s") % {
                "link": f"{base}{reverse('metrics:approvals')}"}, "",
                _("You get at most one of these a day.")]
            send_mail(
                subject=ngettext("%(count)s value waiting for your approval",
                                 "%(count)s values waiting for your approval", waiting)
                % {"count": waiting},
                message="\n".join(lines), from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[lead.email],
            )
        sent += 1
    return sent
