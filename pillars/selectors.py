"""Reads of the plan structure that pages share, each in a constant number of queries."""

from typing import NamedTuple

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from .models import Goal, Pillar, PriorityArea, StrategicPlan


def current_plan():
    """The plan the public home page shows: the one an administrator marked current,
    else the newest plan of a real organisation (never the synthetic demo)."""
    return StrategicPlan.objects.real().order_by("-is_current", "-start_year", "name").first()


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


class Group(NamedTuple):
    """The metrics directly under one node of a pillar's outline (a goal, a priority area
    as a whole, or the pillar itself): their dashboard rows, none when the outline is
    collapsed, and how many there are of each status ({status: n})."""

    level: str  # "goal", "priority_area" or "pillar"
    pk: int | None
    rows: list
    counts: dict

    @property
    def total(self):
        return sum(self.counts.values())


def place(area_id, goal_id):
    """Where a metric sits in its pillar's outline: ("goal", id), ("priority_area", id)
    or ("pillar", None)."""
    if goal_id:
        return ("goal", goal_id)
    return ("priority_area", area_id) if area_id else ("pillar", None)


def pillar_outline(pillar, rows, rollups, counts):
    """Place each metric's dashboard row under its goal, priority area or the pillar.

    `rows` are county-wide snapshot rows (with .metric), or [] for a collapsed outline;
    `rollups` is keyed by (level, id); `counts` is [(area id, goal id, status, n)] for
    every metric of the pillar. Returns (pillar-level Group, [(area, its rollup,
    area-level Group, [(goal, its rollup, goal Group)])]).
    """
    placed, counted = {}, {}
    for row in rows:
        placed.setdefault(place(row.metric.priority_area_id, row.metric.goal_id), []).append(row)
    for area_id, goal_id, status, n in counts:
        node = counted.setdefault(place(area_id, goal_id), {})
        node[status] = node.get(status, 0) + n

    def group(level, pk):
        return Group(level, pk, placed.get((level, pk), []), counted.get((level, pk), {}))

    areas = [
        (
            area,
            rollups.get(("priority_area", area.pk)),
            group("priority_area", area.pk),
            [
                (goal, rollups.get(("goal", goal.pk)), group("goal", goal.pk))
                for goal in area.goals.all()
            ],
        )
        for area in pillar.priority_areas.all()
    ]
    return group("pillar", None), areas


# --- Reads for reports ---


def report_plans():
    """Plans a report can be made of: real ones first, the synthetic demo last."""
    return StrategicPlan.objects.order_by("is_synthetic", "-start_year", "name")


def plan_with_pillars(slug):
    """The plan with its pillars in order, or 404."""
    return get_object_or_404(
        StrategicPlan.objects.prefetch_related(
            Prefetch("pillars", queryset=Pillar.objects.order_by("order"))
        ),
        slug=slug,
    )
