"""A plan's life, written by administrators: mark it current, close it, start the next one.

When a plan has *ended* (its end date plus the grace time) is not a write: it is
decided in metrics.status (`plan_has_ended`).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pillars.models import Goal, Pillar, PriorityArea, Program, StrategicPlan

from ..aggregates import request_rebuild
from ..models import Metric
from ..periods import span_label
from ..selectors import county_wide_readings
from ..units import plain_number

# What a continued metric keeps of the one it continues; its place in the plan is
# mapped to the new plan's copies, its baseline is its last approved value, its target
# (set for the old plan's periods) is left for the new plan's leads to set.
METRIC_COPIED = (
    "code", "name", "definition", "unit", "scale_min", "scale_max", "direction",
    "accumulation", "frequency", "on_track_threshold", "at_risk_threshold", "change_band",
    "is_context", "data_source", "is_headline", "headline_label", "headline_order",
)
# The privacy threshold too: the next plan publishes no more than this one did.
PLAN_COPIED = ("organisation", "mission", "vision", "values", "introduction", "is_synthetic",
               "suppression_threshold")


def refuse_if_closed(plan, doing):
    """The one closed-plan refusal for writes other than entry
    (services.readings, services.targets, services.owners) (approve, return, set a
    target): ValidationError naming what was refused. Entry is refused by
    Metric.validate_period with the same words."""
    if plan.closed_at:
        raise ValidationError(
            _("The plan %(plan)s is closed: its values are final, so %(doing)s is not "
              "possible any more. An administrator can reopen it.")
            % {"plan": plan.span_label, "doing": doing},
            code="plan_closed",
        )


def plan_mark_current(*, plan):
    """Make `plan` the one the public home page shows (the others stop being current)."""
    with transaction.atomic():
        StrategicPlan.objects.filter(is_current=True).exclude(pk=plan.pk).update(is_current=False)
        plan.is_current = True
        plan.full_clean()
        plan.save()
    return plan


def plan_close(*, plan):
    """Close `plan`: no value can be entered or changed any more and its statuses read
    final. Its dashboards are rebuilt so that every status reason says so."""
    if plan.closed_at:
        return plan
    with transaction.atomic():
        plan.closed_at = timezone.now()
        plan.full_clean()
        plan.save()
        request_rebuild(*plan.metrics.values_list("pk", flat=True))
    return plan


def plan_reopen(*, plan):
    """Undo `plan_close`: its own periods may be entered again."""
    with transaction.atomic():
        plan.closed_at = None
        plan.full_clean()
        plan.save()
        request_rebuild(*plan.metrics.values_list("pk", flat=True))
    return plan


def next_plan_defaults(plan):
    """Name, slug and years of the plan that follows `plan`: as long as it, starting the
    year it ends, its span replaced in the name and slug ("2022-25" -> "2025-28")."""
    length = plan.end_year - plan.start_year
    start, end = plan.end_year, plan.end_year + length
    old, new = plan.span_label, span_label(start, end)
    name = plan.name.replace(old, new) if old in plan.name else f"{plan.name} {new}"
    slug = plan.slug.replace(old, new) if old in plan.slug else f"{plan.slug}-{new}"
    return {"name": name, "slug": slug, "start_year": start, "end_year": end}


def plan_start_next(*, plan, name=None, slug=None, start_year=None, end_year=None):
    """Start the plan that follows `plan`, from it: a new plan with its years, a copy of
    its pillars (with their leads), priority areas, goals, programs and metrics.

    Each metric keeps its code, owners and definition and links to the one it
    continues (`Metric.continues`); its baseline is the last approved county-wide
    value and period of that metric (its old baseline when it has none); targets are
    not copied. Districts and student groups the plan uses are linked to the new one.
    Readings are never copied. Until an administrator marks a plan current, `plan`
    is marked current, so the new empty plan never replaces its figures on the home
    page. Raises ValidationError (nothing written) when the new plan is not valid.
    """
    values = {**next_plan_defaults(plan), **{k: v for k, v in {
        "name": name, "slug": slug, "start_year": start_year, "end_year": end_year,
    }.items() if v not in (None, "")}}
    with transaction.atomic():
        new = StrategicPlan(**values, **{f: getattr(plan, f) for f in PLAN_COPIED})
        _save(new)
        if not plan.is_synthetic and not StrategicPlan.objects.filter(is_current=True).exists():
            plan_mark_current(plan=plan)
        places = _copy_structure(plan, new)
        metrics = _copy_metrics(plan, new, places)
        new.districts.set(plan.districts.all())
        new.student_groups.set(plan.student_groups.all())
        request_rebuild(*(m.pk for m in metrics))
    return new


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def _copy_structure(plan, new):
    """Copies of the plan's pillars, priority areas, goals and programs, keyed by
    (model, old id) -> new object."""
    places = {}
    for pillar in plan.pillars.prefetch_related("leads"):
        copy = _save(Pillar(plan=new, order=pillar.order, name=pillar.name, slug=pillar.slug,
                            commitment=pillar.commitment))
        copy.leads.set(pillar.leads.all())
        places[Pillar, pillar.pk] = copy
    for area in PriorityArea.objects.filter(pillar__plan=plan):
        places[PriorityArea, area.pk] = _save(PriorityArea(
            pillar=places[Pillar, area.pillar_id], order=area.order, code=area.code,
            name=area.name, description=area.description,
        ))
    for goal in Goal.objects.filter(priority_area__pillar__plan=plan):
        places[Goal, goal.pk] = _save(Goal(
            priority_area=places[PriorityArea, goal.priority_area_id], order=goal.order,
            code=goal.code, statement=goal.statement,
        ))
    for program in plan.programs.all():
        places[Program, program.pk] = _save(Program(
            plan=new, pillar=places.get((Pillar, program.pillar_id)), slug=program.slug,
            name=program.name, description=program.description,
        ))
    return places


def _copy_metrics(plan, new, places):
    last_approved = _last_approved(plan)
    made = []
    for metric in plan.metrics.prefetch_related("owners").order_by("pk"):
        copy = Metric(plan=new, continues=metric, **{f: getattr(metric, f) for f in METRIC_COPIED})
        copy.pillar = places.get((Pillar, metric.pillar_id))
        copy.priority_area = places.get((PriorityArea, metric.priority_area_id))
        copy.goal = places.get((Goal, metric.goal_id))
        copy.program = places.get((Program, metric.program_id))
        copy.baseline_period, value = last_approved.get(
            metric.pk, (metric.baseline_period, metric.baseline_value)
        )
        # As entered (84000000, not the stored 84000000.0000, which a unit's rule refuses).
        copy.baseline_value = None if value is None else Decimal(plain_number(value))
        try:
            _save(copy)
        except ValidationError as exc:
            raise ValidationError(f"Metric {metric.code}: {exc.messages}") from exc
        copy.owners.set(metric.owners.all())
        made.append(copy)
    return made


def _last_approved(plan):
    """{metric id: (period, value)} of each metric's newest approved county-wide value."""
    last = {}
    for metric_id, period, value in (
        county_wide_readings().filter(metric__plan=plan, approved_value__isnull=False)
        .order_by("metric_id", "period_end", "period_start")
        .values_list("metric_id", "period", "approved_value")
    ):
        last[metric_id] = (period, value)  # the last one is the newest
    return last
