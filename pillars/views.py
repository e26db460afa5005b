from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from metrics import selectors as metric_selectors

from . import selectors


def staff_required(view):
    """Signed in, with one of the staff roles; signed-in users without a role get 403."""
    return login_required(permission_required("pillars.view_pillar", raise_exception=True)(view))


@require_safe
def home(request):
    plan = selectors.current_plan()
    context = {"plan": plan}
    if plan is not None:
        headlines = metric_selectors.headline_metrics(plan)
        context["pillars"] = [
            (pillar, [m for m in headlines if m.pillar_id == pillar.pk])
            for pillar in plan.pillars.all()
        ]
    return render(request, "pillars/home.html", context)


@require_safe
@staff_required
def plan_detail(request, plan):
    plan = selectors.plan_by_slug(plan)
    return render(
        request,
        "pillars/plan_detail.html",
        {"plan": plan, "metrics": metric_selectors.plan_wide_metrics(plan)},
    )


@require_safe
@staff_required
def pillar_detail(request, plan, pillar):
    pillar = selectors.pillar_with_structure(plan, pillar)
    top, areas = selectors.pillar_outline(pillar, metric_selectors.pillar_metrics(pillar))
    return render(
        request,
        "pillars/pillar_detail.html",
        {"plan": pillar.plan, "pillar": pillar, "top_metrics": top, "areas": areas},
    )


@require_safe
@staff_required
def metric_detail(request, plan, code):
    metric = metric_selectors.metric_with_readings(plan, code)
    return render(request, "pillars/metric_detail.html", {"plan": metric.plan, "metric": metric})
