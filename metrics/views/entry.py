"""Staff data entry: my updates, one reading, bulk entry, targets, review, restore."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_tables2 import RequestConfig

from pillars.models import StrategicPlan

from .. import access, aggregates, plausibility, selectors
from ..filters import ApprovalFilter
from ..forms import (
    ApprovalBatchForm,
    BulkRowForm,
    PeriodForm,
    ReadingForm,
    ReadingLinkForm,
    ReviewForm,
    TargetForm,
    counts_given,
    slice_key,
)
from ..models import Metric, Reading
from ..services import (
    EditConflict,
    metric_set_target,
    reading_approve,
    reading_record,
    reading_restore,
    reading_return,
)
from ..tables import PER_PAGE, ApprovalTable
from ..units import plain_number
from .worklists import report_grid


def _metric(plan, code):
    return get_object_or_404(
        Metric.objects.select_related("plan", "pillar__plan"), plan__slug=plan, code=code
    )


def _require(allowed):
    if not allowed:
        raise PermissionDenied


@require_safe
@login_required
def my_updates(request):
    _require(access.editable_metrics(request.user).exists() or access.can_read(request.user))
    return render(request, "metrics/my_updates.html", {
        "rows": selectors.my_update_rows(request.user),
        "returned": selectors.returned_readings(request.user),
        "queue_size": selectors.approval_queue(request.user).count(),
        "plans": StrategicPlan.objects.filter(
            metrics__in=access.editable_metrics(request.user)
        ).distinct(),
    })


@require_http_methods(["GET", "POST"])
@login_required
def reading_enter(request, plan, code):
    """Add or correct one reading; refuses a save over someone else's newer one."""
    metric = _metric(plan, code)
    _require(access.can_enter(request.user, metric))
    status, link_errors = 200, []
    if request.method == "POST":
        form = ReadingForm(request.POST, request.FILES, metric=metric)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reading = reading_record(
                    metric=metric, period=data["period"], value=data["value"],
                    qualifier=data["qualifier"], note=data["note"],
                    district=data["district"], student_group=data["student_group"],
                    evidence_url=data["evidence_url"], evidence_file=data["evidence_file"],
                    user=request.user, expected_version=form.expected_version(),
                    **counts_given(form),
                )
            except EditConflict as conflict:
                form.add_error(None, _conflict_message(metric, conflict.current,
                                                       switched=form.slice_changed()))
                form.show_current(conflict.current)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _saved_message(metric, reading))
                return redirect(metric.get_absolute_url())
    else:
        link = ReadingLinkForm(request.GET, metric=metric)
        form = ReadingForm(metric=metric, initial=_initial_reading(metric, link))
        if request.GET and not link.is_valid():
            # A link that does not parse: the form opens as for no choice, says what was
            # wrong with the link, and answers 400.
            status = 400
            link_errors = [gettext("The link's %(field)s: %(problem)s") % {
                "field": str(link[field].label).lower(), "problem": " ".join(errors)}
                for field, errors in link.errors.items()]
    return render(request, "metrics/reading_form.html", {
        "plan": metric.plan, "metric": metric, "form": form, "link_errors": link_errors,
    }, status=status)


def _initial_reading(metric, link):
    """The entry form's first values: the reading the link points at, if it exists
    (what of the link does not parse is left out)."""
    district, group = link.chosen()
    period = link.cleaned_data.get("period", "")
    existing = (
        selectors.metric_readings(metric, district=district, student_group=group)
        .filter(period=period).first() if period else None
    )
    initial = {"period": period, "district": district, "student_group": group, "version": 0,
               "version_of": slice_key(period, district, group)}
    if existing is not None:
        initial.update(
            value=plain_number(existing.value), qualifier=existing.qualifier,
            note=existing.note, evidence_url=existing.evidence_url, version=existing.version,
            numerator=existing.numerator, denominator=existing.denominator,
        )
    return initial


def _conflict_message(metric, current, *, switched=False):
    if current is None:
        return gettext("This reading was deleted since you opened the form. Check the "
                       "values and save again.")
    who = current.entered_by.get_username() if current.entered_by else gettext("someone")
    value = metric.format(current.value, current.qualifier)
    # Local time, as every page shows it (USE_TZ stores UTC).
    updated = timezone.localtime(current.updated_at)
    if switched:
        return gettext(
            "%(period)s for %(district)s, %(group)s already has a value: %(value)s, saved by "
            "%(who)s on %(day)s at %(time)s. Your values are kept below; save again to "
            "replace it."
        ) % {"period": current.period, "district": current.district,
             "group": current.student_group, "value": value, "who": who,
             "day": formats.date_format(updated, "SHORT_DATE_FORMAT"),
             "time": formats.time_format(updated, "H:i")}
    return gettext(
        "%(who)s saved this reading at %(time)s since you opened the form: the value is now "
        "%(value)s. Your values are kept below; save again to replace theirs."
    ) % {"who": who, "time": formats.time_format(updated, "H:i"), "value": value}


def _saved_message(metric, reading):
    shown = {"value": metric.format(reading.value, reading.qualifier), "period": reading.period}
    if reading.awaits_approval:
        return gettext("Saved %(value)s for %(period)s: it waits for a pillar lead's "
                       "approval.") % shown
    return gettext("Saved %(value)s for %(period)s and approved.") % shown


@require_http_methods(["GET", "POST"])
@login_required
@aggregates.coalesced()  # each row its own transaction, one rebuild for all of them
def bulk_entry(request, plan):
    """All of the user's metrics of a plan for one period, each row saved on its own."""
    plan = get_object_or_404(StrategicPlan, slug=plan)
    metrics = list(access.editable_metrics(request.user, plan.metrics.select_related("plan"))
                   .order_by("pillar__order", "name"))
    _require(metrics)
    period_form = PeriodForm(request.GET or None, plan=plan)
    period = period_form.cleaned_data["period"] if period_form.is_valid() else None
    rows, saved = [], 0
    if period:
        existing = selectors.readings_for_period(metrics, period)
        for metric in metrics:
            reading = existing.get(metric.pk)
            prefix = f"m{metric.pk}"
            if request.method == "POST":
                form = BulkRowForm(request.POST, metric=metric, prefix=prefix)
                saved += _save_bulk_row(request, form, metric, period)
            else:
                form = BulkRowForm(metric=metric, reading=reading, prefix=prefix)
            rows.append((metric, reading, form))
        if request.method == "POST":
            failed = sum(1 for _, _, form in rows if form.errors)
            report_grid(request, saved, failed, "reading")
            if not failed:
                return redirect(f"{request.path}?period={period}")
    return render(request, "metrics/bulk_entry.html", {
        "plan": plan, "period_form": period_form, "period": period, "rows": rows,
        "counts_shown": any(metric.takes_counts for metric in metrics),
    })


def _save_bulk_row(request, form, metric, period):
    """Save one grid row the user changed; 1 when it wrote a new version. Only the
    fields the grid shows are given: evidence, source quote and derived flag are kept."""
    if not form.is_valid() or form.cleaned_data["value"] in (None, "") or not form.changed():
        return 0
    data = form.cleaned_data
    try:
        reading = reading_record(
            metric=metric, period=period, value=data["value"], qualifier=data["qualifier"],
            note=data["note"], user=request.user, expected_version=data["version"],
            **counts_given(form),
        )
    except EditConflict as conflict:
        form.add_error("value", _conflict_message(metric, conflict.current))
        return 0
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return 0
    form.mark_saved(reading)
    # The version shown matched (or EditConflict above), so a new version means a save.
    return int(reading.version != data["version"])


@require_http_methods(["GET", "POST"])
@login_required
def target_edit(request, plan, code):
    metric = _metric(plan, code)
    _require(access.can_set_target(request.user, metric))
    form = TargetForm(request.POST or None, instance=metric)
    if request.method == "POST" and form.is_valid():
        try:
            metric_set_target(metric=metric, **{f: form.cleaned_data[f] for f in form.fields})
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, gettext("Target, baseline and thresholds saved; the "
                                              "status follows on the dashboards."))
            return redirect(metric.get_absolute_url())
    return render(request, "metrics/target_form.html", {
        "plan": metric.plan, "metric": metric, "form": form,
    })


@require_http_methods(["GET", "POST"])
@login_required
def approvals(request):
    """The queue of values waiting for the user's approval, filtered and paginated (50 a
    page); its one form approves or returns the rows selected."""
    _require(access.may_approve_at_all(request.user))
    queue = selectors.approval_queue(request.user)
    form, row_errors = None, {}
    if request.method == "POST":
        form = ApprovalBatchForm(request.POST, queue=queue)
        if form.is_valid():
            row_errors = _decide(request, form.cleaned_data)
            if not row_errors:
                return redirect(request.get_full_path())
    filterset = ApprovalFilter(request.GET or None, queryset=queue, user=request.user)
    data = form.data if form is not None else {}
    table = ApprovalTable(
        plausibility.judged(filterset.qs), row_errors=row_errors,
        selected=_posted_ids(data, "readings"), checked=_posted_ids(data, "checked"),
    )
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return render(request, "metrics/approvals.html", {
        "table": table, "filter": filterset, "form": form or ApprovalBatchForm(queue=queue),
    })


def _posted_ids(data, name):
    return {int(pk) for pk in (data.getlist(name) if data else []) if str(pk).isdigit()}


@aggregates.coalesced()  # each decision its own transaction, one rebuild for all
def _decide(request, data):
    """Approve or return each reading selected; {pk: why} for the ones refused."""
    refused, done = {}, 0
    for reading in data["readings"]:
        try:
            if data["action"] == "approve":
                reading_approve(reading=reading, user=request.user,
                                checked=reading in data["checked"])
            else:
                reading_return(reading=reading, user=request.user, comment=data["comment"])
        except ValidationError as exc:
            refused[reading.pk] = " ".join(exc.messages)
        else:
            done += 1
    if done:
        if data["action"] == "approve":
            text = ngettext("Approved %(count)d value.", "Approved %(count)d values.", done)
        else:
            text = ngettext("Returned %(count)d value to their stewards.",
                            "Returned %(count)d values to their stewards.", done)
        messages.success(request, text % {"count": done})
    if refused:
        messages.error(request, ngettext(
            "%(count)d value could not be decided: see the message next to each.",
            "%(count)d values could not be decided: see the message next to each.",
            len(refused),
        ) % {"count": len(refused)})
    return refused


@require_POST
@login_required
def review(request, pk):
    reading = get_object_or_404(Reading.objects.select_related("metric"), pk=pk)
    _require(access.can_approve(request.user, reading.metric))
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["action"] == "approve":
                reading_approve(reading=reading, user=request.user,
                                comment=form.cleaned_data["comment"],
                                checked=form.cleaned_data["checked"])
                messages.success(request, gettext("Approved %(metric)s, %(period)s.") % {
                    "metric": reading.metric.name, "period": reading.period})
            else:
                reading_return(reading=reading, user=request.user,
                               comment=form.cleaned_data["comment"])
                messages.success(request, gettext(
                    "Returned %(metric)s, %(period)s, to its steward.",
                ) % {"metric": reading.metric.name, "period": reading.period})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, gettext("Choose approve or return."))
    return redirect(reverse("metrics:approvals"))


@require_POST
@login_required
def restore(request, pk, history_id):
    reading = get_object_or_404(Reading.objects.select_related("metric", "district",
                                                               "student_group"), pk=pk)
    _require(access.is_administrator(request.user))
    record = get_object_or_404(Reading.history.model, history_id=history_id, id=reading.pk)
    try:
        reading_restore(reading=reading, record=record, user=request.user)
    except (ValidationError, EditConflict) as exc:
        messages.error(request, gettext("Could not restore that value: %(why)s") % {
            "why": exc})
    else:
        messages.success(request, gettext(
            "Restored %(value)s for %(period)s; it waits for approval like any edit.",
        ) % {"value": reading.metric.format(record.value), "period": reading.period})
    return redirect(reading.metric.get_absolute_url())
