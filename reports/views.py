"""Pages of the annual report: choose, read, write highlights, export, download.

Access is decided in metrics/access.py: reading and exporting need the export
permission (communications, leadership, administrators), writing highlights the
highlight permission (communications, administrators). Anonymous users are
sent to sign in; signed-in users without the permission get 403; export jobs of
other users are 404 unless the user is an administrator.
"""

import functools

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from metrics import access, translated_content

from . import selectors, services
from .forms import ExportForm, HighlightForm, PillarFilterForm, ReportChoiceForm
from .markdown import render as render_markdown
from .models import ExportState
from .report import build_report
from .tables import ExportJobTable, MissingTranslationTable

require_get_or_post = require_http_methods(["GET", "HEAD", "POST"])
export_required = access.export_required
highlight_required = access.highlight_required


def _jobs_table(user):
    """The user's recent exports as a table, or None when there are none."""
    jobs = selectors.jobs_of(user)
    return ExportJobTable(jobs) if jobs else None


def _plan_and_year(view):
    """Load the plan (404 unknown) and check the school year is one of its years."""
    @functools.wraps(view)
    def wrapped(request, plan, year, *args, **kwargs):
        return view(request, selectors.report_plan(plan, year), year, *args, **kwargs)
    return wrapped


@require_safe
@export_required
def index(request):
    plans = selectors.plans()
    form = ReportChoiceForm(request.GET or None, plans=plans)
    if form.is_bound and form.is_valid():
        return redirect("reports:report", form.cleaned_data["plan"].slug,
                        form.cleaned_data["year"])
    if not form.is_bound:
        plan = plans.filter(is_synthetic=False).first() or plans.first()
        if plan is not None:
            form.initial = {"plan": plan.slug, "year": selectors.latest_reported_year(plan)}
    return render(request, "reports/index.html", {
        "form": form, "plans": list(plans), "jobs_table": _jobs_table(request.user),
    })


@require_safe
@export_required
@_plan_and_year
def annual_report(request, plan, year):
    form = PillarFilterForm(request.GET or None, plan=plan)
    chosen = list(form.cleaned_data["pillar"]) if form.is_valid() else []
    report = build_report(plan, year, chosen or None)
    return render(request, "reports/annual_report.html", {
        "plan": plan, "report": report, "form": form,
        "edit_links": access.can_edit_highlights(request.user),
        "export_query": "&".join(f"pillar={p.slug}" for p in report.pillars)
        if not report.all_pillars else "",
    })


@require_get_or_post
@export_required
@_plan_and_year
def export(request, plan, year):
    if request.method == "POST":
        form = ExportForm(request.POST, plan=plan)
        if form.is_valid():
            job = services.export_job_create(
                user=request.user, plan=plan, school_year=year,
                pillars=list(form.cleaned_data["pillars"]), fmt=form.cleaned_data["format"],
                language=form.cleaned_data["language"],
            )
            return redirect("reports:job", job.pk)
    else:
        shown = request.GET.getlist("pillar")
        pillars = [p for p in plan.pillars.all() if p.slug in shown] or list(plan.pillars.all())
        form = ExportForm(plan=plan, initial={"pillars": [p.slug for p in pillars],
                                              "language": services.export_language()})
    return render(request, "reports/export_form.html", {
        "plan": plan, "year": year, "form": form, "jobs_table": _jobs_table(request.user),
    })


@require_safe
@highlight_required
@_plan_and_year
def highlights(request, plan, year):
    written = selectors.highlights(plan, year)
    intro = written.get(None)
    return render(request, "reports/highlights.html", {
        "plan": plan, "year": year, "intro": intro,
        "intro_html": render_markdown(intro.body, heading_level=3) if intro else "",
        "pillars": [
            (pillar, written.get(pillar.pk),
             render_markdown(written[pillar.pk].body, heading_level=3)
             if pillar.pk in written else "")
            for pillar in plan.pillars.all()
        ],
    })


@require_get_or_post
@highlight_required
@_plan_and_year
def highlight_edit(request, plan, year, pillar=None):
    if pillar is not None:
        pillar = next((p for p in plan.pillars.all() if p.slug == pillar), None)
        if pillar is None:
            raise Http404("No such pillar in this plan.")
    current = selectors.highlight_for(plan, pillar, year)
    preview = preview_es = None
    if request.method == "POST":
        form = HighlightForm(request.POST)
        if form.is_valid():
            body, body_es = form.cleaned_data["body"], form.cleaned_data["body_es"]
            if request.POST.get("action") == "preview":
                preview = render_markdown(body, heading_level=3)
                preview_es = render_markdown(body_es, heading_level=3)
            else:
                services.highlight_save(plan=plan, pillar=pillar, school_year=year, body=body,
                                        body_es=body_es, user=request.user)
                where = f"Pillar {pillar.order}" if pillar else "The introduction"
                messages.success(request, f"{where}: highlights for {year} saved.")
                anchor = f"#pillar-{pillar.order}" if pillar else "#introduction"
                return redirect(reverse("reports:report", args=[plan.slug, year]) + anchor)
    else:
        form = HighlightForm(initial={"body": current.body_en if current else "",
                                      "body_es": (current.body_es or "") if current else ""})
    return render(request, "reports/highlight_form.html", {
        "plan": plan, "year": year, "pillar": pillar, "form": form, "preview": preview,
        "preview_es": preview_es, "current": current,
    })


@require_safe
@access.administrator_required
def translations(request, plan):
    """Administrators: what of a plan's content has no Spanish version yet."""
    plan = selectors.report_plan(plan)
    rows = translated_content.missing(plan) + selectors.highlights_without_spanish(plan)
    return render(request, "reports/translations.html", {
        "plan": plan, "table": MissingTranslationTable(rows), "count": len(rows),
    })


@require_safe
@export_required
def job(request, pk):
    job = selectors.job_for(request.user, pk)
    return render(request, "reports/export_job.html", {
        "job": job, "plan": job.plan, "pillars": list(job.pillars.all()),
        "all_pillars": job.pillars.count() == job.plan.pillars.count(),
        "message": progress_message(job),
    })


@require_safe
@export_required
def job_status(request, pk):
    job = selectors.job_for(request.user, pk)
    return JsonResponse({
        "state": job.state,
        "state_label": job.get_state_display(),
        "done": job.progress_done,
        "total": job.progress_total,
        "finished": job.is_finished,
        "message": progress_message(job),
    })


def progress_message(job):
    if job.state == ExportState.QUEUED:
        return "Waiting for a worker to start the export."
    if job.state == ExportState.RUNNING:
        pillars = max(job.progress_total - 1, 0)
        if job.progress_done < pillars:
            return f"{job.progress_done} of {pillars} pillars done."
        return f"All {pillars} pillars done; writing the file."
    return job.get_state_display() + "."


@require_safe
@export_required
def download(request, pk):
    # Access is checked again on every download: the owner or an administrator, each
    # still holding the export permission (visible_to), and the file not expired.
    job = selectors.job_for(request.user, pk)
    if job.state == ExportState.EXPIRED or job.expires_at <= timezone.now():
        return render(request, "reports/export_gone.html", {"job": job, "plan": job.plan},
                      status=410)
    if job.state != ExportState.DONE or not job.file:
        return redirect("reports:job", job.pk)
    response = FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.filename,
        content_type=services.CONTENT_TYPES[job.format],
    )
    response["Cache-Control"] = "private, no-store"
    return response
