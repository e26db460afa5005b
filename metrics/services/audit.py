"""Writes and reads of the audit log, the client address rule, and the password-reset
limiter (which counts the log's own rows)."""

import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from ..models import AuditEvent, AuditKind

log = logging.getLogger(__name__)


def client_ip(request):
    """The client's address: REMOTE_ADDR, or, with TRUST_X_FORWARDED_FOR, the address the
    nearest of TRUSTED_PROXY_COUNT proxies saw (each proxy appends to X-Forwarded-For,
    so entries to the left of that one are whatever the client wrote). axes calls this
    (AXES_CLIENT_IP_CALLABLE) as do the reset limiter and the audit log: one rule."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if settings.TRUST_X_FORWARDED_FOR:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if hops:
            candidate = hops[max(len(hops) - settings.TRUSTED_PROXY_COUNT, 0)]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                log.warning("Ignoring X-Forwarded-For entry %r: not an address", candidate)
    return remote


def audit_record(*, kind, user=None, username="", actor=None, request=None, detail=""):
    """Write one audit row. `user` is the account the event is about; `actor`, who made
    a change (defaults to the signed-in user of `request`)."""
    if actor is None and request is not None:
        current = getattr(request, "user", None)
        if current is not None and current.is_authenticated:
            actor = current
    if user is not None and not username:
        username = user.get_username()
    return AuditEvent.objects.create(
        kind=kind, user=user, username=(username or "")[:254], actor=actor,
        ip_address=client_ip(request), detail=detail[:500],
    )


def audit_prune(*, now=None):
    """Delete the rows older than AUDIT_RETENTION_DAYS; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def password_reset_wait(*, request, email, now=None):
    """None when a reset e-mail may be sent for `email` from this client now, otherwise
    the timedelta until one may: at most PASSWORD_RESET_LIMIT requests per address and
    per e-mail address in PASSWORD_RESET_WINDOW_MINUTES. Counted in the database (the
    rows `password_reset_note` writes), so it holds across processes and needs no Redis."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES)
    recent = AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET, created_at__gt=now - window)
    waits = []
    ip = client_ip(request)
    for rows in (recent.filter(ip_address=ip) if ip else None,
                 recent.filter(username=normalize_email(email))):
        if rows is None:
            continue
        counted = list(rows.order_by("-created_at").values_list(
            "created_at", flat=True)[: settings.PASSWORD_RESET_LIMIT])
        if len(counted) >= settings.PASSWORD_RESET_LIMIT:
            # Free again once the oldest of the last LIMIT requests leaves the window.
            waits.append(counted[-1] + window - now)
    return max(waits) if waits else None


def password_reset_note(*, request, email):
    """Count (and log) a password-reset request that was let through."""
    return audit_record(kind=AuditKind.PASSWORD_RESET, username=normalize_email(email),
                        request=request, actor=None, detail="Reset e-mail requested")


def normalize_email(email):
    return (email or "").strip().lower()


def lockout_until(request, credentials):
    """When a locked-out client may sign in again: the cool-off after the latest failure
    that counts against it (axes' own records), or None without a cool-off."""
    from axes.handlers.database import AxesDatabaseHandler
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    if not cool_off:
        return None
    latest = None
    for attempts in AxesDatabaseHandler().get_user_attempts(request, credentials):
        t = attempts.aggregate(last=Max("attempt_time"))["last"]
        if t and (latest is None or t > latest):
            latest = t
    return (latest or timezone.now()) + cool_off
