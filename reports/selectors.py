"""Reads for the annual report and its exports, each in a constant number of queries.

Readings and metrics come through metrics.selectors, plans through pillars.selectors;
this module reads only the reports app's own models itself. The report uses approved
values only; a school year is a metrics.periods.Period (1 July to 30 June).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from metrics import selectors as metric_reads
from metrics.periods import Kind, Period
from metrics.translated_content import Missing
from pillars import selectors as plan_reads

from .models import ExportJob, ExportState, Highlight


def plans():
    """Plans a report can be made of: real ones first, the synthetic demo last."""
    return plan_reads.report_plans()


def report_plan(slug, school_year=None):
    """The plan with its pillars in order; 404 when the school year is not in the plan."""
    plan = plan_reads.plan_with_pillars(slug)
    if school_year is not None and school_year not in plan.school_years:
        raise Http404(f"{school_year} is not a school year of {plan}.")
    return plan


def plan_named(slug):
    """The plan of that slug, or None."""
    return plans().filter(slug=slug).first()


def default_plan():
    """The plan a command reports on when none is named: the current real plan."""
    return plan_reads.current_plan()


def report_metrics(plan, pillars):
    """Plan-wide metrics and the metrics of `pillars`, in report order."""
    return metric_reads.report_metrics(plan, pillars)


def readings_until(plan, pillars, year):
    """Approved county-wide, all-students readings of those metrics up to the end of
    `year` (a Period), oldest first: the figures of the year and the year before, and
    the history the statuses at the year's end are judged from. Never a later year's.
    Each carries its publication decision (`publication`, reports/publication.py)."""
    return metric_reads.approved_county_readings(plan, pillars, until=year.end)


def district_readings(pairs):
    """Approved readings of whole districts (all students) for (metric id, period) pairs."""
    return metric_reads.approved_district_readings(pairs)


def export_rows(plan, years, pillars=None):
    """Approved readings (every district and student group) behind the report: those
    of the plan-wide metrics and of `pillars` (all when None) within `years`."""
    return metric_reads.approved_export_rows(
        plan, since=years[0].start, until=years[-1].end, pillars=pillars
    )


def latest_reported_year(plan):
    """The school year of the plan's newest approved reading (or its last year)."""
    newest = metric_reads.newest_approved_period_end(plan)
    if newest is None:
        return plan.school_years[-1]
    year = Period.containing(newest, Kind.YEAR).text
    return year if year in plan.school_years else plan.school_years[-1]


# --- The reports app's own models ---------------------------------------------


def highlights(plan, school_year):
    """The highlights of a year keyed by pillar id (None: the introduction)."""
    return {
        h.pillar_id: h
        for h in Highlight.objects.filter(plan=plan, school_year=school_year)
        .select_related("updated_by")
    }


def highlights_without_spanish(plan):
    """[translated_content.Missing] for each highlight of `plan` with an English text and
    no Spanish version, year by year, the introduction first."""
    rows = []
    written = Highlight.objects.filter(plan=plan).select_related("pillar")
    for h in sorted(written, key=lambda h: (h.school_year, h.pillar.order if h.pillar else 0)):
        if (h.body_en or "").strip() and not (h.body_es or "").strip():
            where = f"Pillar {h.pillar.order}" if h.pillar else "Introduction"
            rows.append(Missing("Highlights", f"{h.school_year}, {where}", "body", h.body_en,
                                admin_url=reverse("admin:reports_highlight_change",
                                                  args=[h.pk])))
    return rows


def highlight_for(plan, pillar, school_year):
    return Highlight.objects.filter(plan=plan, pillar=pillar, school_year=school_year).first()


def jobs_of(user, limit=10):
    return list(
        ExportJob.objects.visible_to(user).filter(user=user)
        .select_related("plan").prefetch_related("pillars")[:limit]
    )


def job_for(user, pk):
    """An export job `user` may see, or 404."""
    # Pillars come in their plan order (Pillar.Meta.ordering).
    return get_object_or_404(
        ExportJob.objects.visible_to(user).select_related("plan", "user")
        .prefetch_related("pillars"),
        pk=pk,
    )


def expired_jobs(now):
    return ExportJob.objects.filter(expires_at__lte=now).exclude(state=ExportState.EXPIRED)
