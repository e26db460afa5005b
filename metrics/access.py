"""Who may do what with metrics and readings, decided here and nowhere else.

- Every staff role reads every dashboard, pillar and metric page.
- A data steward enters readings of the metrics they own.
- A pillar lead enters and approves readings, and sets targets, in the pillars they lead.
- An administrator does everything; leadership and communications read.
Views answer 404 for what does not exist and 403 for what the user may not do.
"""

from django.db.models import Q

from .models import Metric

READ = "pillars.view_pillar"
ENTER = "metrics.change_reading"
SET_TARGET = "metrics.set_target"


def is_administrator(user):
    return user.is_active and (user.is_superuser or user.has_perm("metrics.delete_metric"))


def can_read(user):
    return user.is_authenticated and user.has_perm(READ)


def editable_metrics(user, queryset=None):
    """The metrics whose readings `user` may add or correct."""
    queryset = Metric.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not user.has_perm(ENTER):
        return queryset.none()
    if is_administrator(user):
        return queryset
    return queryset.filter(Q(owners=user) | Q(pillar__leads=user)).distinct()


def approvable_metrics(user, queryset=None):
    """The metrics whose readings `user` may approve or return: a lead's pillars."""
    queryset = Metric.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if is_administrator(user):
        return queryset
    if not user.has_perm(SET_TARGET):
        return queryset.none()
    return queryset.filter(pillar__leads=user).distinct()


def may_approve_at_all(user):
    """An approver's role (pillar lead, administrator), whether or not anything waits."""
    return user.is_authenticated and (is_administrator(user) or user.has_perm(SET_TARGET))


def can_enter(user, metric):
    return editable_metrics(user, Metric.objects.filter(pk=metric.pk)).exists()


def can_approve(user, metric):
    return approvable_metrics(user, Metric.objects.filter(pk=metric.pk)).exists()


# Setting targets, baselines and thresholds is the approvers' right too.
can_set_target = can_approve
