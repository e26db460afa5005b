"""Who may do what, decided here and nowhere else (the querysets' `editable_by` and
`approvable_by` in metrics/models/metric.py hold the row-level part of these rules).

- Every staff role reads every dashboard, pillar and metric page.
- A data steward enters readings of the metrics they own.
- A pillar lead enters and approves readings, and sets targets, in the pillars they lead.
- Communications, leadership and administrators read the annual report and export it;
  communications and administrators write its highlights.
- An administrator does everything; leadership and communications read.
Views answer 404 for what does not exist and 403 for what the user may not do.
"""

from django.contrib.auth.decorators import login_required, permission_required, user_passes_test
from django.core.exceptions import PermissionDenied

from .models import Metric
from .roles import (
    EXPORT_PERMISSION,
    HIGHLIGHT_PERMISSION,
    READ_PERMISSION,
    SET_TARGET_PERMISSION,
    has_staff_role,
    is_administrator,
)

__all__ = [
    "administrator_required", "approvable_metrics", "can_approve", "can_edit_highlights",
    "can_enter", "can_export", "can_read", "can_set_target", "editable_metrics",
    "export_required", "highlight_required",
    "is_administrator", "may_approve_at_all", "may_assign_leads", "may_use_worklists",
    "staff_required",
]


def needs(permission):
    """A view decorator: signed in (else sent to sign in) and holding `permission` (else 403)."""
    def decorator(view):
        return login_required(permission_required(permission, raise_exception=True)(view))
    return decorator


staff_required = needs(READ_PERMISSION)


def administrator_required(view):
    """A view decorator: signed in (else sent to sign in) and an administrator (else 403)."""
    def check(user):
        if is_administrator(user):
            return True
        raise PermissionDenied
    return login_required(user_passes_test(check)(view))

export_required = needs(EXPORT_PERMISSION)
highlight_required = needs(HIGHLIGHT_PERMISSION)
can_read = has_staff_role


def can_export(user):
    return user.is_authenticated and user.has_perm(EXPORT_PERMISSION)


def can_edit_highlights(user):
    return user.is_authenticated and user.has_perm(HIGHLIGHT_PERMISSION)


def editable_metrics(user, queryset=None):
    """The metrics whose readings `user` may add or correct."""
    return (Metric.objects.all() if queryset is None else queryset).editable_by(user)


def approvable_metrics(user, queryset=None):
    """The metrics whose readings `user` may approve or return: a lead's pillars."""
    return (Metric.objects.all() if queryset is None else queryset).approvable_by(user)


def may_approve_at_all(user):
    """An approver's role (pillar lead, administrator), whether or not anything waits."""
    return user.is_authenticated and (
        is_administrator(user) or user.has_perm(SET_TARGET_PERMISSION)
    )


def can_enter(user, metric):
    return editable_metrics(user, Metric.objects.filter(pk=metric.pk)).exists()


def can_approve(user, metric):
    return approvable_metrics(user, Metric.objects.filter(pk=metric.pk)).exists()


# Setting targets, baselines and thresholds is the approvers' right too.
can_set_target = can_approve

# The targets and owners worklists: pillar leads (their pillars' metrics) and
# administrators (every metric): the approvers.
may_use_worklists = may_approve_at_all


def may_assign_leads(user):
    """Naming the leads of a pillar: administrators only."""
    return user.is_authenticated and is_administrator(user)
