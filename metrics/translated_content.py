"""The Spanish version of a plan's content (issue 18): loading it, what is missing, approval.

Content fields (the plan's mission, vision and values, pillars, priority areas, goals,
programs, metrics, the dimensions' names) keep a Spanish version beside the English one
(django-modeltranslation: pillars/translation.py, metrics/translation.py). The LACOE
fixtures carry one we wrote (`fixtures/lacoe/translation-es.yaml`); it is an unofficial
translation until an administrator approves it (`approve_spanish`), and a fixture that
changes an approved text withdraws the approval: the approval was of the texts the
administrator read. Every write here names its `_en`/`_es` field: which language a request
happens to be in never decides which version is written.
"""

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from pillars.models import Goal, Pillar, PriorityArea, Program
from pillars.translation import (
    AREA_FIELDS,
    GOAL_FIELDS,
    PILLAR_FIELDS,
    PLAN_FIELDS,
    PROGRAM_FIELDS,
)

from .models import District, Metric, StudentGroup
from .translation import DIMENSION_FIELDS, METRIC_FIELDS

SPANISH = "es"
SOURCE_LANGUAGE = "en"
TRANSLATION_FILE = "translation-es.yaml"


class TranslationError(Exception):
    """An entry of a translation file that cannot be loaded; the message says which."""


@dataclass(frozen=True)
class Missing:
    """One content field without its Spanish version."""

    kind: str  # "Pillar", "Metric"...
    label: str  # which one ("Pillar 1", the metric's code)
    field: str  # the field's name
    english: str  # the English text shown meanwhile
    admin_url: str = ""


def active_language():
    return (translation.get_language() or SOURCE_LANGUAGE).split("-")[0]


def shown_in_english(obj, field):
    """Whether the active language's version of `obj.field` is missing, so the page shows
    the English text: the one rule of "this is the fallback"."""
    language = active_language()
    if obj is None or language == SOURCE_LANGUAGE:
        return False
    own = getattr(obj, f"{field}_{language}", None)
    return not (own or "").strip() and bool((getattr(obj, f"{field}_en", "") or "").strip())


def in_page_language(obj, field):
    """`obj.field` in the active language, as HTML: the English fallback inside
    `<span lang="en">` so screen readers read it as English; templates ({% tr %}) and
    Python-built cells (tables, data tables under charts) both call this."""
    value = getattr(obj, field, "") if obj is not None else ""
    if shown_in_english(obj, field):
        return format_html('<span lang="{}">{}</span>', SOURCE_LANGUAGE, value)
    return format_html("{}", value)


def html_message(message, **values):
    """A translated `message` with %(name)s placeholders, as HTML: the message escaped,
    each value escaped unless it is HTML already (in_page_language's), so a caption can
    carry a metric's English name inside its lang="en"."""
    return mark_safe(escape(message) % {  # noqa: S308 - every part escaped just above
        key: conditional_escape(value) for key, value in values.items()})


def spanish(field):
    return f"{field}_{SPANISH}"


def _text(value, where):
    if isinstance(value, list):
        value = "\n".join(str(v).strip() for v in value)
    if not isinstance(value, str) or not value.strip():
        raise TranslationError(f"{where}: expected a text, not {value!r}.")
    return value.strip()


def _apply(obj, fields, spec, where):
    """Set the Spanish version of each of `fields` given in `spec`; save when one
    changed. Returns whether it did."""
    if not isinstance(spec, dict):
        raise TranslationError(f"{where}: expected a mapping of fields.")
    unknown = sorted(set(spec) - set(fields))
    if unknown:
        raise TranslationError(f"{where}: no translatable field {', '.join(unknown)}.")
    changed = []
    for field in fields:
        if field in spec:
            value = _text(spec[field], f"{where}, {field}")
            if getattr(obj, spanish(field)) != value:
                setattr(obj, spanish(field), value)
                changed.append(spanish(field))
    if changed:
        obj.save(update_fields=changed)
    return bool(changed)


def _each(table, entries, fields, where):
    """Apply `entries` ({key: {field: text}}) to the objects of `table` ({key: obj})."""
    if not isinstance(entries, dict):
        raise TranslationError(f"{where}: expected a mapping by code.")
    changed = 0
    for key, spec in entries.items():
        if key not in table:
            raise TranslationError(f"{where}: no {key!r} in this plan.")
        changed += _apply(table[key], fields, spec, f"{where} {key}")
    return changed


@transaction.atomic
def load_translation(data, plan, where=TRANSLATION_FILE):
    """Load a Spanish translation file into `plan`; return how many objects changed.
    All of it or nothing."""
    if data.get("plan") != plan.slug:
        raise TranslationError(f"{where}: written for plan {data.get('plan')!r}, "
                               f"not {plan.slug!r}.")
    if data.get("language") != SPANISH:
        raise TranslationError(f"{where}: language must be {SPANISH!r}.")
    changed = 0
    if "plan" in data.get("content", {}):
        changed += _apply(plan, PLAN_FIELDS, data["content"]["plan"], f"{where}: plan")
    content = data.get("content", {})
    pillars = {p.slug: p for p in Pillar.objects.filter(plan=plan)}
    areas = {a.code: a for a in PriorityArea.objects.filter(pillar__plan=plan)}
    goals = {g.code: g for g in Goal.objects.filter(priority_area__pillar__plan=plan)}
    programs = {p.slug: p for p in Program.objects.filter(plan=plan)}
    metrics = {m.code: m for m in Metric.objects.filter(plan=plan)}
    changed += _each(pillars, content.get("pillars", {}), PILLAR_FIELDS, f"{where}: pillar")
    changed += _each(areas, content.get("priority_areas", {}), AREA_FIELDS,
                     f"{where}: priority area")
    changed += _each(goals, content.get("goals", {}), GOAL_FIELDS, f"{where}: goal")
    changed += _each(programs, content.get("programs", {}), PROGRAM_FIELDS,
                     f"{where}: program")
    changed += _each(metrics, content.get("metrics", {}),
                     METRIC_FIELDS, f"{where}: metric")
    changed += _dimension_names(StudentGroup.objects.all(),
                                content.get("student_groups", {}), f"{where}: student group")
    changed += _dimension_names(District.objects.all(),
                                content.get("districts", {}), f"{where}: district")
    if changed and plan.spanish_approved_at is not None:
        withdraw_approval(plan)
    return changed


def _dimension_names(queryset, names, where):
    """{code: Spanish name}; the total row by the key "total"."""
    table = {("total" if d.is_total else d.code): d for d in queryset}
    return _each(table, {key: {"name": name} for key, name in names.items()}, DIMENSION_FIELDS,
                 where)


def approve_spanish(plan, user):
    """An administrator approves the Spanish version: pages stop calling it unofficial."""
    with transaction.atomic():
        plan.spanish_approved_at = timezone.now()
        plan.spanish_approved_by = user
        plan.save(update_fields=["spanish_approved_at", "spanish_approved_by"])
    return plan


def withdraw_approval(plan):
    plan.spanish_approved_at = None
    plan.spanish_approved_by = None
    plan.save(update_fields=["spanish_approved_at", "spanish_approved_by"])


def missing(plan):
    """[Missing] for every content field of `plan` whose English text has no Spanish
    version, in the plan's order: what an administrator's page lists."""
    rows = []

    def check(obj, fields, kind, label):
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change",
                      args=[obj.pk])
        for field in fields:
            english = getattr(obj, f"{field}_en") or ""
            if english.strip() and not (getattr(obj, spanish(field)) or "").strip():
                rows.append(Missing(kind, label, field, english, admin_url=url))

    check(plan, PLAN_FIELDS, "Plan", plan.slug)
    for pillar in Pillar.objects.filter(plan=plan).order_by("order"):
        check(pillar, PILLAR_FIELDS, "Pillar", f"Pillar {pillar.order}")
    for area in PriorityArea.objects.filter(pillar__plan=plan).order_by("pillar__order",
                                                                        "order"):
        check(area, AREA_FIELDS, "Priority area", area.code)
    for goal in Goal.objects.filter(priority_area__pillar__plan=plan).order_by(
            "priority_area__pillar__order", "priority_area__order", "order"):
        check(goal, GOAL_FIELDS, "Goal", goal.code)
    for program in Program.objects.filter(plan=plan).order_by("slug"):
        check(program, PROGRAM_FIELDS, "Program", program.slug)
    for metric in Metric.objects.filter(plan=plan).order_by("code"):
        check(metric, METRIC_FIELDS, "Metric", metric.code)
    for group in StudentGroup.objects.all():
        check(group, DIMENSION_FIELDS, "Student group", group.code)
    for district in District.objects.for_plan(plan):
        check(district, DIMENSION_FIELDS, "District", district.code)
    return rows
