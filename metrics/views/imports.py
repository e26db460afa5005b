"""Spreadsheet import of readings: the template, the upload, the preview and its confirmation."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import FileExtensionValidator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from pillars.models import StrategicPlan

from .. import access
from ..imports import files, report, template
from ..models import District, ImportBatch, Metric, StudentGroup
from ..services.imports import batch_confirm, batch_start

PREVIEW_PAGE_SIZE = 100
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALREADY_IMPORTED = gettext_lazy("This file is imported already: nothing was done this time.")
SHOW_LABELS = {
    "all": gettext_lazy("All rows"), "rejected": pgettext_lazy("import outcome", "Rejected"),
    "new": pgettext_lazy("import outcome", "New"),
    "changed": pgettext_lazy("import outcome", "Changed"),
    "unchanged": pgettext_lazy("import outcome", "Unchanged"),
    "skipped": pgettext_lazy("import outcome", "Skipped"),
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet file (.csv or .xlsx)"),
        help_text=files.LIMITS_HELP,
        validators=[FileExtensionValidator(["csv", "xlsx"])],
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    # Shown to approvers only (the page's `offer_approve`), but always read:
    # whoever asks, the service decides, and refuses an approval the user may not make.
    approve = forms.BooleanField(
        label=gettext_lazy("Approve at once every value in the file"),
        required=False,
        help_text=gettext_lazy(
            "Only when you may approve every metric in the file (those of the pillars you "
            "lead); otherwise nothing is imported. Unticked, a row whose approval state says "
            "approved is approved when you may approve its metric, and the other values are "
            "submitted for approval."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > files.MAX_UPLOAD_BYTES:
            raise ValidationError(gettext(
                "The file is %(size)s MB; at most %(limit)s MB is accepted. Split it into "
                "smaller files."
            ) % {"size": f"{upload.size / 1024 / 1024:.1f}",
                 "limit": files.MAX_UPLOAD_BYTES // 1024 // 1024})
        return upload


def _entry_plan(request, slug):
    """The plan, when the user may enter readings of at least one of its metrics (else 403)."""
    plan = get_object_or_404(StrategicPlan, slug=slug)
    if not access.editable_metrics(request.user, Metric.objects.filter(plan=plan)).exists():
        raise PermissionDenied
    return plan


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_upload(request, plan):
    plan = _entry_plan(request, plan)
    # Who sees the approve box: an approver of some metric of the plan. Whether an
    # approval is allowed is the service's decision, not this page's.
    is_approver = access.approvable_metrics(request.user, Metric.objects.filter(plan=plan)).exists()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            batch = batch_start(
                plan=plan, user=request.user, uploaded_file=form.cleaned_data["file"],
                approve=form.cleaned_data["approve"],
            )
            refused = batch.report.get("refused")
            if batch.state != ImportBatch.State.FAILED or not refused:
                return redirect("metrics:import_preview", plan=plan.slug, batch=batch.pk)
            # Refused at once (the job ran in-process): said next to the field, and
            # nothing is kept. A worker's refusal is shown on the batch's page instead.
            field = "file" if refused == "file" else "approve" if is_approver else None
            for message in batch.report.get("errors", []):
                form.add_error(field, message)
            batch.delete()
    else:
        form = ImportForm()
    return render(request, "metrics/import_upload.html", {
        "plan": plan,
        "form": form,
        "offer_approve": is_approver,
        "recent": ImportBatch.objects.filter(owner=request.user, plan=plan)[:5],
        "districts": District.objects.own(plan),
        "groups": StudentGroup.objects.own(plan),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_preview(request, plan, batch):
    plan = _entry_plan(request, plan)
    batch = get_object_or_404(ImportBatch, pk=batch, plan=plan, owner=request.user)
    if request.GET.get("progress"):  # what the page's script polls while the file is read
        # The fields reports/static/reports/export-job.js reads (it reloads once finished).
        # While the file is read its row count is unknown: the bar waits at 0.
        total = batch.progress_total
        return JsonResponse({
            "state": batch.state, "state_label": batch.get_state_display(),
            "finished": batch.state != ImportBatch.State.PARSING,
            "done": batch.progress_done if total else 0, "total": total,
            "message": _progress_message(batch),
        }, headers={"Cache-Control": "no-store"})
    if batch.state == ImportBatch.State.PARSING:
        if request.method == "POST":
            messages.info(request, gettext("The file is still being read: nothing was "
                                           "imported yet."))
            return redirect("metrics:import_preview", plan=plan.slug, batch=batch.pk)
        return render(request, "metrics/import_parsing.html", {
            "plan": plan, "batch": batch, "message": _progress_message(batch),
        })
    if request.method == "POST":
        _confirm(request, batch)
        return redirect("metrics:import_preview", plan=plan.slug, batch=batch.pk)
    stored = batch.report
    show = request.GET.get("show", "all")
    if show not in SHOW_LABELS:
        show = "all"
    rows = stored.get("rows", [])
    if show != "all":
        rows = [row for row in rows if row["action"] == show]
    counts = stored.get("counts", {})
    return render(request, "metrics/import_preview.html", {
        "plan": plan,
        "batch": batch,
        "counts": counts,
        "errors": stored.get("errors", []),
        "rejected_rows": [r for r in stored.get("rows", []) if r["action"] == "rejected"][:50],
        "page": Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page")),
        "show": show,
        "filters": [
            (key, label, counts.get("total") if key == "all" else counts.get(key, 0))
            for key, label in SHOW_LABELS.items()
        ],
        "capped": any(
            counts.get(action, 0) > stored.get("shown", {}).get(action, 0)
            for action in report.ACTIONS
        ),
        "cap": stored.get("cap", report.PREVIEW_CAP),
    })


def _progress_message(batch):
    done, total = batch.progress_done, batch.progress_total
    if total:
        return gettext("Checking the rows: %(done)s of %(total)s.") % {
            "done": f"{done:,}", "total": f"{total:,}"}
    if done:
        return gettext("Reading the file: %(done)s rows so far.") % {"done": f"{done:,}"}
    return gettext("Waiting for the file to be read.")


def _confirm(request, batch):
    if batch.state == ImportBatch.State.IMPORTED:
        messages.info(request, ALREADY_IMPORTED)
        return
    if not batch.can_confirm:
        messages.error(request, gettext("This file cannot be imported: nothing was imported. "
                                        "Correct the file and upload it again."))
        return
    outcome = batch_confirm(batch=batch, user=request.user)
    if outcome is None:
        messages.info(request, ALREADY_IMPORTED)
    elif outcome.written:
        messages.success(request, gettext(
            "Imported %(file)s: %(new)s new and %(changed)s changed readings (%(approved)s "
            "approved at once, the others submitted for approval); %(unchanged)s rows were "
            "unchanged.",
        ) % {"file": batch.filename, "new": outcome.new, "changed": outcome.changed,
             "approved": outcome.approved, "unchanged": outcome.unchanged})
    else:
        messages.error(request, gettext(
            "Nothing was imported: the values changed since the preview. The problems are "
            "listed below; correct the file and upload it again."))


@require_safe
@login_required
def import_template(request, plan, fmt):
    plan = _entry_plan(request, plan)
    if fmt not in TEMPLATE_TYPES:
        raise Http404("The template comes as .csv or .xlsx.")
    rows = template.template_rows(plan, request.user)
    content = (template.template_csv(rows) if fmt == "csv"
               else template.template_xlsx(rows, template.plan_dimensions(plan)))
    response = HttpResponse(content, content_type=TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}-readings.{fmt}"'
    return response
