"""Who may do what, decided here and nowhere else (the querysets' `editable_by` and
`approvable_by` in metrics/models/metric.py hold the row-level part of these rules).

- Every staff role reads every dashboard, pillar and metric page.
- A data steward enters readings of the metrics they own.
- A pillar lead enters and approves readings, and sets targets, in the pillars they lead.
- Communications, leadership and administrators read the annual report and export it;
  communications and administrators write its highlights.
- An administrator does everything; leadership and communications read.
- A signed-out visitor reads the public view of a plan an administrator marked public
  (`StrategicPlan.is_public`): its overview, pillar and metric pages at the staff URLs,
  without the metrics held back (`Metric.public_hidden`), which answer 404. A plan that is
  not public sends the visitor to sign in, as every staff page does, so its existence
  shows no more than before. A signed-in user without a role is refused (403) as before:
  the public view is for visitors, not a fallback for accounts.
Views answer 404 for what does not exist and 403 for what the user may not do.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required, permission_required, user_passes_test
from django.core.exceptions import PermissionDenied

from pillars.models import StrategicPlan

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
    "opens_plan_pages", "public_metrics", "sees_public_view", "staff_or_public",
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


def sees_public_view(user, plan):
    """Whether `user` gets `plan`'s public view: signed out, and the plan is public."""
    return not user.is_authenticated and plan.is_public


def opens_plan_pages(user, plan):
    """Whether the plan's overview, pillar and metric pages answer `user` (staff, or the
    public view): what the home page links to."""
    return can_read(user) or sees_public_view(user, plan)


def public_metrics(queryset=None, *, preview=False):
    """The metrics the public view shows: of public plans, not held back. `preview`: of
    any plan, as they would be once it is public (what staff may look at first)."""
    metrics = (Metric.objects.all() if queryset is None else queryset).filter(
        public_hidden=False)
    return metrics if preview else metrics.filter(plan__is_public=True)


def staff_or_public(view):
    """A view decorator for the pages of one plan (the URL's `plan` slug): staff get the
    staff page; a signed-out visitor of a public plan the public view, with
    `request.public_view` True; everyone else what `staff_required` answers (sign in, or
    403). One query, for signed-out visitors only."""
    staff_view = staff_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.public_view = not request.user.is_authenticated and (
            StrategicPlan.objects.filter(slug=kwargs.get("plan"), is_public=True).exists())
        if request.public_view:
            return view(request, *args, **kwargs)
        return staff_view(request, *args, **kwargs)
    return wrapper


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
