"""Worklists for pillar leads and administrators, without the admin: the metrics without
a target (set targets and baselines for many at once) and the metrics without an owner
(assign stewards; administrators also name each pillar's leads).

Each grid row is validated and saved on its own, like the entry grid: rows with a
problem stay as typed with the message next to the field; untouched rows write nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from pillars.models import Pillar, StrategicPlan

from .. import access, selectors
from ..roles import PILLAR_LEAD, STEWARD
from ..services import metric_set_target
from ..services.owners import metric_assign_owners, pillar_assign_leads
from ..worklist_forms import PeopleRowForm, TargetRowForm


def _plan_filter(request):
    slug = request.GET.get("plan")
    if slug and "\x00" in slug:  # PostgreSQL refuses a NUL in a query: a 500, not a 404
        raise Http404("No such plan.")
    return get_object_or_404(StrategicPlan, slug=slug) if slug else None


def _add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# What a grid (bulk entry, the worklists) says after a save: one place for the wording.
SAVED = {
    "reading": lambda n: ngettext("Saved %(count)d reading.", "Saved %(count)d readings.", n),
    "target": lambda n: ngettext("Saved %(count)d target.", "Saved %(count)d targets.", n),
    "row": lambda n: ngettext("Saved %(count)d row.", "Saved %(count)d rows.", n),
}


def report_grid(request, saved, failed, noun):
    if saved:
        messages.success(request, SAVED[noun](saved) % {"count": saved})
    if failed:
        messages.error(request, ngettext(
            "%(count)d row could not be saved: see the messages in the grid. Nothing you "
            "typed is lost.",
            "%(count)d rows could not be saved: see the messages in the grid. Nothing you "
            "typed is lost.", failed,
        ) % {"count": failed})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def targets(request):
    """The metrics of the user's pillars without a target, as a grid of target, target
    period, baseline and baseline period; statuses follow through the rebuild."""
    if not access.may_use_worklists(request.user):
        raise PermissionDenied
    plan = _plan_filter(request)
    metrics = list(selectors.metrics_without_target(request.user, plan))
    rows, saved = [], 0
    for metric in metrics:
        form = TargetRowForm(request.POST if request.method == "POST" else None,
                             metric=metric, prefix=f"m{metric.pk}")
        if form.is_bound and form.is_valid() and (changes := form.changes()):
            try:
                metric_set_target(metric=metric, **changes)
                saved += 1
            except ValidationError as exc:
                _add_errors(form, exc)
        rows.append((metric, form))
    if request.method == "POST":
        failed = sum(1 for _, form in rows if form.errors)
        report_grid(request, saved, failed, "target")
        if not failed:
            return redirect(request.get_full_path())
    return render(request, "metrics/worklists/targets.html", {
        "rows": rows, "plan": plan,
    })


def _choices(users):
    return [(str(u.pk), u.get_full_name() or u.get_username()) for u in users]


def _people_grid(request, grid, items, current, label, assign, choices):
    """Rows of a people grid (owners or leads); on its own POST, save each changed row."""
    posted = request.method == "POST" and request.POST.get("grid") == grid
    rows, saved = [], 0
    for item in items:
        form = PeopleRowForm(request.POST if posted else None, choices=choices,
                             label=label(item), current=current(item), prefix=f"{grid}{item.pk}")
        if posted and form.is_valid() and form.changed():
            try:
                assign(item, sorted(form.chosen()))
                saved += 1
            except ValidationError as exc:
                _add_errors(form, exc)
        rows.append((item, form))
    return rows, saved


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def owners(request):
    """Metrics of the user's pillars that no steward keeps, with a grid to assign stewards;
    for administrators, the leads of each pillar too."""
    if not access.may_use_worklists(request.user):
        raise PermissionDenied
    plan = _plan_filter(request)
    users = {}

    def people(pks):
        return [users[pk] for pk in pks]

    stewards = list(selectors.users_with_role(STEWARD))
    users.update({u.pk: u for u in stewards})
    metrics = list(selectors.metrics_without_owner(request.user, plan))
    owner_rows, saved = _people_grid(
        request, "owners", metrics, current=lambda m: [], choices=_choices(stewards),
        label=lambda m: gettext("%(metric)s: data stewards") % {"metric": m.name},
        assign=lambda m, pks: metric_assign_owners(metric=m, owners=people(pks)),
    )
    lead_rows = []
    if access.may_assign_leads(request.user):
        leads = list(selectors.users_with_role(PILLAR_LEAD))
        users.update({u.pk: u for u in leads})
        pillars = (Pillar.objects.filter(plan__closed_at__isnull=True)
                   .select_related("plan").prefetch_related("leads")
                   .order_by("plan__start_year", "plan__name", "order"))
        if plan is not None:
            pillars = pillars.filter(plan=plan)
        lead_rows, lead_saved = _people_grid(
            request, "leads", list(pillars), choices=_choices(leads),
            current=lambda p: [u.pk for u in p.leads.all()],
            label=lambda p: gettext("%(pillar)s: pillar leads") % {"pillar": p.name},
            assign=lambda p, pks: pillar_assign_leads(pillar=p, leads=people(pks)),
        )
        saved += lead_saved
    elif request.POST.get("grid") == "leads":
        raise PermissionDenied
    if request.method == "POST":
        failed = sum(1 for _, form in owner_rows + lead_rows if form.errors)
        report_grid(request, saved, failed, "row")
        if not failed:
            return redirect(request.get_full_path())
    return render(request, "metrics/worklists/owners.html", {
        "owner_rows": owner_rows, "lead_rows": lead_rows, "plan": plan,
        "has_stewards": bool(stewards),
    })
