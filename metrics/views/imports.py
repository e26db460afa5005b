"""Spreadsheet import of readings: the template, the upload, the preview and its confirmation."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import FileExtensionValidator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from pillars.models import StrategicPlan

from .. import access, imports
from ..models import ImportBatch, Metric

PREVIEW_PAGE_SIZE = 100
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHOW_LABELS = {
    "all": "All rows", "rejected": "Rejected", "new": "New", "changed": "Changed",
    "unchanged": "Unchanged", "skipped": "Skipped",
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet file (.csv or .xlsx)",
        help_text=imports.LIMITS_HELP,
        validators=[FileExtensionValidator(["csv", "xlsx"])],
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    approve = forms.BooleanField(
        label="Approve at once the values I may approve",
        required=False,
        help_text="Values of metrics in the pillars you lead are approved as they are imported; "
                  "the others are submitted for approval.",
    )

    def __init__(self, *args, can_approve=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_approve:
            del self.fields["approve"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; at most "
                f"{imports.MAX_UPLOAD_BYTES // 1024 // 1024} MB is accepted. Split it into "
                "smaller files."
            )
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
    can_approve = access.approvable_metrics(request.user, Metric.objects.filter(plan=plan)).exists()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, can_approve=can_approve)
        if form.is_valid():
            try:
                batch = imports.batch_start(
                    plan=plan, user=request.user, uploaded_file=form.cleaned_data["file"],
                    approve=form.cleaned_data.get("approve", False),
                )
            except imports.UploadError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                return redirect("metrics:import_preview", plan=plan.slug, batch=batch.pk)
    else:
        form = ImportForm(can_approve=can_approve)
    return render(request, "metrics/import_upload.html", {
        "plan": plan,
        "form": form,
        "recent": ImportBatch.objects.filter(owner=request.user, plan=plan)[:5],
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_preview(request, plan, batch):
    plan = _entry_plan(request, plan)
    batch = get_object_or_404(ImportBatch, pk=batch, plan=plan, owner=request.user)
    if request.method == "POST":
        _confirm(request, batch)
        return redirect("metrics:import_preview", plan=plan.slug, batch=batch.pk)
    report = batch.report
    show = request.GET.get("show", "all")
    if show not in SHOW_LABELS:
        show = "all"
    rows = report.get("rows", [])
    if show != "all":
        rows = [row for row in rows if row["action"] == show]
    counts = report.get("counts", {})
    return render(request, "metrics/import_preview.html", {
        "plan": plan,
        "batch": batch,
        "counts": counts,
        "errors": report.get("errors", []),
        "rejected_rows": [r for r in report.get("rows", []) if r["action"] == "rejected"][:50],
        "page": Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page")),
        "show": show,
        "filters": [
            (key, label, counts.get("total") if key == "all" else counts.get(key, 0))
            for key, label in SHOW_LABELS.items()
        ],
        "capped": any(
            counts.get(action, 0) > report.get("shown", {}).get(action, 0)
            for action in imports.ACTIONS
        ),
        "cap": report.get("cap", imports.PREVIEW_CAP),
    })


def _confirm(request, batch):
    if batch.state == ImportBatch.State.IMPORTED:
        messages.info(request, "This file is imported already: nothing was done this time.")
        return
    if not batch.can_confirm:
        messages.error(request, "This file cannot be imported: nothing was imported. Correct the "
                                "file and upload it again.")
        return
    report = imports.batch_confirm(batch=batch, user=request.user)
    if report is None:
        messages.info(request, "This file is imported already: nothing was done this time.")
    elif report.written:
        messages.success(
            request,
            f"Imported {batch.filename}: {report.new} new and {report.changed} changed readings "
            f"({report.approved} approved at once, the others submitted for approval); "
            f"{report.unchanged} rows were unchanged.",
        )
    else:
        messages.error(
            request, "Nothing was imported: the values changed since the preview. The problems "
                     "are listed below; correct the file and upload it again.",
        )


@require_safe
@login_required
def import_template(request, plan, fmt):
    plan = _entry_plan(request, plan)
    if fmt not in TEMPLATE_TYPES:
        raise Http404("The template comes as .csv or .xlsx.")
    rows = imports.template_rows(plan, request.user)
    content = imports.template_csv(rows) if fmt == "csv" else imports.template_xlsx(rows)
    response = HttpResponse(content, content_type=TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}-readings.{fmt}"'
    return response
