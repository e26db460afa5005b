import hashlib

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from metrics import access, equity
from metrics import selectors as metric_selectors
from metrics.filters import MetricSnapshotFilter
from metrics.public import footnotes as figure_footnotes
from metrics.public import public_headline_rows
from metrics.redis_cache import cache_get, cache_set
from metrics.status import change_summary, coverage, plan_life
from metrics.tables import PER_PAGE, MetricSnapshotTable, SyntheticMarkColumn

from . import charts, public, selectors
from .page_cache import cached_page

# A pillar page stays the same size however many metrics the pillar has: with more than
# OUTLINE_ROWS, its outline shows each goal's counts (and links to the goal's rows in the
# table) instead of every row; the table shows PER_PAGE rows a page; the progress chart
# the PROGRESS_ROWS metrics furthest behind.
OUTLINE_ROWS = 50
PROGRESS_ROWS = 25

# The data parts of the overview and of a pillar page are cached (issue 14: pages change
# only when the aggregates do). The key holds what the HTML follows: the aggregates'
# version (a new approved value moves it at once: metric_selectors.aggregates_version),
# the user's permissions (the role: what links and counts the part shows), the language
# and today (what is overdue). Edits that reach no aggregate (a pillar's name in the
# admin, a metric's owners) show within PAGE_CACHE_SECONDS.
PAGE_CACHE_SECONDS = 300
PAGE_CACHE_PREFIX = "pillars:"


# Signed in, with one of the staff roles; signed-in users without a role get 403.
staff_required = access.staff_required


def page_version(request, state):
    """What a cached part of a page follows (see PAGE_CACHE_SECONDS), as a digest; one
    query."""
    version = (metric_selectors.aggregates_version(state),
               sorted(request.user.get_all_permissions()),
               translation.get_language(), timezone.localdate().isoformat())
    return hashlib.sha256(repr(version).encode()).hexdigest()


def cached_part(name, pk, version, build):
    """What `build()` returns ({"html": ..., ...}) for the page part `name` of object
    `pk`, from the cache while `version` (page_version) holds. A cache that is down
    (Redis) costs speed, never the page."""
    key = f"{PAGE_CACHE_PREFIX}{name}:{pk}:{version}"
    part = cache_get(key)
    if part is None:
        part = build()
        cache_set(key, part, PAGE_CACHE_SECONDS)
    return part


def render_part(request, template, context, **extra):
    """A page part rendered to HTML (as safe text), with the values the rest of the page
    reads from it."""
    return {"html": mark_safe(render_to_string(template, context, request=request)), **extra}  # noqa: S308 - our own template's output


def _public_part(request, template, context, state):
    """A public page part: what pillars/public.py put in `context`, rendered."""
    return render_part(request, template, {**context, "state": state},
                       latest_period=context["latest_period"])


@require_safe
def ok(request):
    """Public: "ok" when this process serves requests, touching nothing (no database,
    no session): what a liveness probe asks and the throughput bench compares pages to."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def home(request):
    """Public: the plan as the published report shows it."""
    plan = selectors.current_plan()
    context = {"plan": plan, "other_plans": selectors.other_plans(plan)}
    if plan is not None:
        context["opens_plan"] = access.opens_plan_pages(request.user, plan)
        # The published report: through the publication rule, whoever reads it (issue 17).
        headlines = public_headline_rows(plan)
        context["footnotes"] = figure_footnotes(headlines)
        context["pillars"] = [
            (pillar, [row for row in headlines if row.metric.pillar_id == pillar.pk])
            for pillar in plan.pillars.all()
        ]
        context["latest_period"] = metric_selectors.latest_approved_period(plan)
        context["state"] = metric_selectors.aggregate_state()
    return render(request, "pillars/home.html", context)


@require_safe
@staff_required
def current_dashboard(request):
    """The main navigation's "Dashboard" on pages that show no plan: the current plan's
    overview (the home page when there is no plan)."""
    plan = selectors.current_plan()
    return redirect(plan.get_absolute_url() if plan else "pillars:home")


@require_safe
@cached_page
@access.staff_or_public
def plan_overview(request, plan):
    """The plan's overview: staff see theirs; a signed-out visitor of a public plan the
    public view (pillars/public.py)."""
    plan = selectors.plan_by_slug(plan)
    state = metric_selectors.aggregate_state()
    if request.public_view:
        part = cached_part("public-overview", plan.pk, page_version(request, state),
                           lambda: _public_part(request, "pillars/_overview_body.html",
                                                public.overview_context(plan), state))
    else:
        part = cached_part("overview", plan.pk, page_version(request, state),
                           lambda: _overview_part(request, plan, state))
    return render(request, "pillars/plan_overview.html", {
        "plan": plan, "body": part["html"], "latest_period": part["latest_period"],
        "state": state,
    })


def _overview_part(request, plan, state):
    rollups = metric_selectors.rollups(plan)
    headlines = metric_selectors.headline_rows(plan)
    last_approved = metric_selectors.pillars_last_approved(plan)
    cards = []
    for pillar in plan.pillars.all():
        rollup = rollups.get(("pillar", pillar.pk))
        cards.append({
            "pillar": pillar,
            "rollup": rollup,
            "headlines": [row for row in headlines if row.metric.pillar_id == pillar.pk],
            "last_approved": last_approved.get(pillar.pk),
            "chart": charts.status_distribution(
                rollup.counts if rollup else {}, f"status-pillar-{pillar.order}"
            ),
        })
    plan_rollup = rollups.get(("plan", plan.pk))
    counts = plan_rollup.counts if plan_rollup else {}
    tracked, judged = coverage(counts)
    latest_period = metric_selectors.latest_approved_period(plan)
    return render_part(request, "pillars/_overview_body.html", {
        "plan": plan,
        "life": plan_life(plan),
        "plan_rollup": plan_rollup,
        "coverage": {"tracked": tracked, "judged": judged},
        "by_change": change_summary(counts),
        "worklists": metric_selectors.plan_worklist_counts(plan),
        "may_use_worklists": access.may_use_worklists(request.user),
        "latest_period": latest_period,
        "plan_chart": charts.status_distribution(
            plan_rollup.counts if plan_rollup else {}, "status-plan", height=140
        ),
        "cards": cards,
        "attention": metric_selectors.attention(plan),
        "plan_wide": metric_selectors.plan_wide_rows(plan),
        "state": state,
    }, latest_period=latest_period)


@method_decorator(require_safe, name="dispatch")
@method_decorator(cached_page, name="dispatch")
@method_decorator(access.staff_or_public, name="dispatch")
class PillarDashboard(ExportMixin, SingleTableMixin, FilterView):
    """A pillar: priority areas, goals and metrics with status; a filterable table; charts.
    Staff see theirs; a signed-out visitor of a public plan the public view (no filters,
    no export: one page of the public metrics)."""

    table_class = MetricSnapshotTable
    filterset_class = MetricSnapshotFilter
    template_name = "pillars/pillar_dashboard.html"
    export_formats = ("csv",)
    table_pagination = {"per_page": PER_PAGE}

    def get_export_filename(self, export_format):
        mark = "-SYNTHETIC" if self.pillar.plan.is_synthetic else ""
        return f"{self.pillar.plan.slug}-{self.pillar.slug}-metrics{mark}.{export_format}"

    def all_columns(self):
        return self.request.GET.get("columns") == "all" or self.request.GET.get(
            self.export_trigger_param) is not None

    def get_table_kwargs(self):
        kwargs = {} if self.all_columns() else {"exclude": MetricSnapshotTable.OPTIONAL_COLUMNS}
        if self.pillar.plan.is_synthetic:
            kwargs["extra_columns"] = [("synthetic", SyntheticMarkColumn())]
        return kwargs

    def dispatch(self, request, *args, **kwargs):
        # staff_or_public has let only staff and public visitors of a public plan through.
        self.pillar = selectors.pillar_with_structure(kwargs["plan"], kwargs["pillar"])
        if request.public_view:
            return self.public_get(request)
        return super().dispatch(request, *args, **kwargs)

    def public_get(self, request):
        pillar = self.pillar
        state = metric_selectors.aggregate_state()
        page = request.GET.get("page", "")[:20]
        summary = cached_part(
            f"public-pillar:{hashlib.sha256(page.encode()).hexdigest()}", pillar.pk,
            page_version(request, state),
            lambda: _public_part(request, "pillars/_public_pillar_body.html",
                                 public.pillar_context(pillar, page, outline_rows=OUTLINE_ROWS,
                                                       progress_rows=PROGRESS_ROWS), state))
        return render(request, self.template_name, {
            "plan": pillar.plan, "pillar": pillar, "summary": summary["html"],
            "latest_period": summary["latest_period"], "table_part": "", "state": state,
            "public_view": True,
        })

    def get_queryset(self):
        # One district's or student group's rows when the filter asks (issue 16).
        district, group = (equity.chosen_id(self.request.GET.get(name))
                           for name in ("district", "student_group"))
        self.slice_ids = (district, group)
        rows = (equity.slice_rows(district_id=district, group_id=group) if district or group
                else metric_selectors.dashboard_rows())
        return rows.filter(metric__pillar=self.pillar)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        table._plans = {self.pillar.plan_id: self.pillar.plan}  # its end is read once
        table.slice_ids = self.slice_ids  # rows link to the metric page's same slice
        return table

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "pillar": self.pillar}

    def get(self, request, *args, **kwargs):
        """The page from two cached parts: the summary (status, charts, outline) and the
        table for this query string (filters, sort, page, columns). An export is never
        cached."""
        if request.GET.get(self.export_trigger_param) in self.export_formats:
            return super().get(request, *args, **kwargs)
        pillar = self.pillar
        state = metric_selectors.aggregate_state()
        version = page_version(request, state)
        summary = cached_part("pillar", pillar.pk, version, lambda: self.summary_part(state))
        query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()
        table = cached_part(f"pillar-table:{query}", pillar.pk, version,
                            lambda: self.table_part(request, *args, **kwargs))
        return render(request, self.template_name, {
            "plan": pillar.plan, "pillar": pillar, "summary": summary["html"],
            "latest_period": summary["latest_period"], "table_part": table["html"],
            "state": state,
        })

    def table_part(self, request, *args, **kwargs):
        """The filter form and the table, as FilterView and SingleTableMixin make them."""
        context = super().get(request, *args, **kwargs).context_data
        context["all_columns"] = self.all_columns()
        return render_part(request, "pillars/_pillar_table.html", context)

    def summary_part(self, state):
        """The pillar's status, charts and outline: everything but the table."""
        pillar = self.pillar
        rollups = metric_selectors.rollups(pillar.plan)
        # One row more than the outline lists tells whether it is collapsed.
        rows = metric_selectors.pillar_rows(pillar, limit=OUTLINE_ROWS + 1)
        collapsed = len(rows) > OUTLINE_ROWS
        top, areas = selectors.pillar_outline(
            pillar, [] if collapsed else rows, rollups,
            metric_selectors.pillar_status_counts(pillar),
        )
        progress_rows = metric_selectors.furthest_behind(pillar, PROGRESS_ROWS)
        rollup = rollups.get(("pillar", pillar.pk))
        latest_period = metric_selectors.latest_approved_period(pillar.plan, pillar)
        return render_part(self.request, "pillars/_pillar_summary.html", {
            "plan": pillar.plan, "pillar": pillar, "life": plan_life(pillar.plan),
            "top": top, "areas": areas, "collapsed": collapsed,
            "rollup": rollup, "progress_rows": progress_rows,
            "progress_limited": len(progress_rows) == PROGRESS_ROWS,
            "status_chart": charts.status_distribution(
                rollup.counts if rollup else {}, "status-pillar", height=140
            ),
            "progress_chart": charts.progress(progress_rows, "progress-pillar")
            if progress_rows else None,
            "state": state,
        }, latest_period=latest_period)
