"""Reads of the plan structure that pages share, each in a constant number of queries."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from .models import Goal, Pillar, PriorityArea, StrategicPlan


def current_plan():
    """The plan the home page shows: the newest plan of a real organisation."""
    return StrategicPlan.objects.real().first()


def other_plans(plan):
    """Every plan but `plan`, the synthetic demo last."""
    plans = StrategicPlan.objects.all()
    return list(plans.exclude(pk=plan.pk) if plan else plans)


def plan_by_slug(slug):
    return get_object_or_404(StrategicPlan.objects.prefetch_related("pillars"), slug=slug)


def pillar_with_structure(plan_slug, pillar_slug):
    """A pillar with its priority areas and their goals, prefetched."""
    areas = PriorityArea.objects.order_by("order").prefetch_related(
        Prefetch("goals", queryset=Goal.objects.order_by("order"))
    )
    return get_object_or_404(
        Pillar.objects.select_related("plan").prefetch_related(
            Prefetch("priority_areas", queryset=areas)
        ),
        plan__slug=plan_slug,
        slug=pillar_slug,
    )


def pillar_outline(pillar, rows, rollups):
    """Place each metric's dashboard row under its goal, priority area or the pillar.

    `rows` are county-wide snapshot rows (with .metric); `rollups` is keyed by
    (level, id). Returns (pillar-level rows, [(area, its rollup, area-level rows,
    [(goal, its rollup, goal rows)])]).
    """
    by_goal, by_area, top = {}, {}, []
    for row in rows:
        metric = row.metric
        if metric.goal_id:
            by_goal.setdefault(metric.goal_id, []).append(row)
        elif metric.priority_area_id:
            by_area.setdefault(metric.priority_area_id, []).append(row)
        else:
            top.append(row)
    areas = [
        (
            area,
            rollups.get(("priority_area", area.pk)),
            by_area.get(area.pk, []),
            [
                (goal, rollups.get(("goal", goal.pk)), by_goal.get(goal.pk, []))
                for goal in area.goals.all()
            ],
        )
        for area in pillar.priority_areas.all()
    ]
    return top, areas
