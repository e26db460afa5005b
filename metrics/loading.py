"""Load a plan and its figures from the YAML files in fixtures/.

Objects are matched on their stable codes (plan slug, pillar slug, metric code,
reading period/district/group), so loading the same files twice changes nothing
and loading a corrected file updates in place. All of it runs in one transaction:
one bad entry and nothing is written.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone, translation

from pillars.models import Goal, Pillar, PriorityArea, Program, StrategicPlan

from .aggregates import request_rebuild
from .imports.report import UploadError
from .models import DashboardScale, Metric
from .periods import Period
from .services import reading_record
from .services.dimensions import check_district_lines, district_line, districts_load
from .translated_content import TRANSLATION_FILE, TranslationError, load_translation

PLAN_FILE = "plan.yaml"
DASHBOARD_FOLDER = "fixtures/dashboard"
FIGURES_GLOB = "figures-*.yaml"
# Sent (plan, path) inside the loading transaction: reports loads its highlights on it.
directory_loaded = Signal()

METRIC_FIELDS = (
    "name", "definition", "unit", "scale_min", "scale_max", "direction", "accumulation",
    "frequency", "data_source", "baseline_value", "baseline_period", "target_value",
    "target_period", "change_band",
)

SCALE_FIELDS = (
    "indicator", "applies_to", "direction", "decimals", "value_min", "value_max",
    "value_suffix", "change_unit", "status_levels", "change_levels", "colours", "min_n",
    "small_n", "source", "source_url", "verification",
    # The Spanish versions of the free texts (metrics/translation.py SCALE_TEXT_FIELDS).
    "source_es", "verification_es",
)


class LoadError(Exception):
    """A fixture entry that cannot be loaded; the message says which and why."""


def load_directory(path):
    """Load plan.yaml, every figures-*.yaml and the Spanish translation (when there is
    one) of `path`; return (plan, counts).

    The files' texts are English: they are written as the English versions whatever
    language is active (a content field's plain name writes the active language's
    version: pillars/translation.py); the translation file writes the Spanish ones."""
    path = Path(path)
    with transaction.atomic(), translation.override("en"):
        plan = load_plan(_read(path / PLAN_FILE))
        readings = 0
        metrics = 0
        for figures in sorted(path.glob(FIGURES_GLOB)):
            m, r = load_figures(_read(figures), where=figures.name)
            metrics += m
            readings += r
        translated = path / TRANSLATION_FILE
        if translated.exists():
            try:
                load_translation(_read(translated), plan, where=translated.name)
            except TranslationError as exc:
                raise LoadError(str(exc)) from exc
        directory_loaded.send(sender=load_directory, plan=plan, path=path)
    return plan, {"metrics": metrics, "readings": readings}


def _read(path):
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LoadError(f"{path}: {exc}") from exc


def _save(obj, where):
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise LoadError(f"{where}: {exc.message_dict}") from exc
    obj.save()
    return obj


def _upsert(model, where, lookup, values):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup)
    elif all(_same(getattr(obj, name), value) for name, value in values.items()):
        return obj  # unchanged: re-loading writes nothing and records no history
    for name, value in values.items():
        setattr(obj, name, value)
    return _save(obj, where)


def _same(current, new):
    if isinstance(current, Decimal) and new is not None:
        try:
            return current == Decimal(str(new))
        except ArithmeticError:
            return False
    return current == new


def load_plan(data):
    spec = data["plan"]
    # Whether the public may read the plan is the fixture's word when the plan is first
    # loaded only: an administrator's later choice survives every reload.
    first = {} if StrategicPlan.objects.filter(slug=spec["slug"]).exists() else {
        "is_public": spec.get("is_public", False)}
    plan = _upsert(
        StrategicPlan, "plan", {"slug": spec["slug"]},
        {
            **first,
            "organisation": spec["organisation"],
            "name": spec["name"],
            "start_year": spec["start_year"],
            "end_year": spec["end_year"],
            "mission": spec.get("mission", ""),
            "vision": spec.get("vision", ""),
            "values": "\n".join(spec.get("values", [])),
            "introduction": spec.get("introduction", ""),
            "is_synthetic": spec.get("is_synthetic", False),
        },
    )
    for p in data.get("pillars", []):
        where = f"pillar {p['slug']}"
        pillar = _upsert(
            Pillar, where, {"plan": plan, "slug": p["slug"]},
            {"order": p["order"], "name": p["name"], "commitment": p["commitment"]},
        )
        for pa_order, pa in enumerate(p.get("priority_areas", []), start=1):
            area = _upsert(
                PriorityArea, f"{where} / priority area {pa['code']}",
                {"pillar": pillar, "code": pa["code"]},
                {"order": pa_order, "name": pa["name"], "description": pa.get("description", "")},
            )
            for goal_order, g in enumerate(pa.get("goals", []), start=1):
                _upsert(
                    Goal, f"{where} / goal {g['code']}",
                    {"priority_area": area, "code": g["code"]},
                    {"order": goal_order, "statement": g["statement"]},
                )
    pillars = {pillar.slug: pillar for pillar in plan.pillars.all()}
    for prog in data.get("programs", []):
        _upsert(
            Program, f"program {prog['slug']}", {"plan": plan, "slug": prog["slug"]},
            {
                "name": prog["name"],
                "description": prog.get("description", ""),
                "pillar": _lookup(pillars, prog.get("pillar"), f"program {prog['slug']}"),
            },
        )
    _load_districts(plan, data.get("districts", []))
    return plan


def _load_districts(plan, entries):
    """The plan's own districts, through the districts file's rules (services/dimensions)."""
    if not entries:
        return
    try:
        lines = check_district_lines([
            district_line(line=number, cds_code=d.get("cds_code", ""), name=d.get("name", ""),
                          kind=d.get("kind", ""), code=d.get("code", ""))
            for number, d in enumerate(entries, start=1)
        ])
        districts_load(lines=lines, plan=plan)
    except UploadError as exc:
        raise LoadError("districts: " + " ".join(exc.messages).replace("Line ", "entry ")) from exc


def _lookup(table, key, where):
    if key in (None, ""):
        return None
    try:
        return table[key]
    except KeyError:
        raise LoadError(f"{where}: unknown reference {key!r}") from None


def publication_time(data, period, where):
    """When a published figure was approved: the day its report was published.

    The rule: a figures file states it (`published_on: 2024-11-18`, its source cited in
    the file's header); a file that does not is dated by each reading's period end,
    the earliest day its figure could be known. Noon, Los Angeles time (settings'
    TIME_ZONE): the sources give no hour, and noon keeps the day in any US time zone.
    A load is never the approval: freshness (`selectors.pillars_last_approved`) would
    read the day the files were loaded otherwise.
    """
    day = data.get("published_on")
    if day is None:
        day = Period.parse(str(period)).end
    elif not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        raise LoadError(f"{where}: published_on must be a date written 2024-11-18, not {day!r}")
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)),
                               timezone.get_default_timezone())


def load_figures(data, where="figures"):
    plan = StrategicPlan.objects.get(slug=data["plan"])
    pillars = {p.slug: p for p in plan.pillars.all()}
    areas = {
        (a.pillar.slug, a.code): a
        for a in PriorityArea.objects.filter(pillar__plan=plan).select_related("pillar")
    }
    goals = {
        (g.priority_area_id, g.code): g
        for g in Goal.objects.filter(priority_area__pillar__plan=plan)
    }
    programs = {p.slug: p for p in plan.programs.all()}
    readings = 0
    for m in data.get("metrics", []):
        here = f"{where}: metric {m.get('code')}"
        pillar = _lookup(pillars, m.get("pillar"), here)
        area = _lookup(areas, (m.get("pillar"), m["priority_area"]), here) if m.get(
            "priority_area") else None
        goal = _lookup(goals, (area.pk if area else None, m["goal"]), here) if m.get(
            "goal") else None
        values = {field: m[field] for field in METRIC_FIELDS if m.get(field) is not None}
        values.update(
            pillar=pillar, priority_area=area, goal=goal,
            program=_lookup(programs, m.get("program"), here),
            is_context=bool(m.get("is_context")),  # the rule: top of figures-2023-24.yaml
            is_headline=bool(m.get("headline_label")),
            headline_label=m.get("headline_label") or "",
            headline_order=m.get("headline_order"),
        )
        metric = _upsert(Metric, here, {"plan": plan, "code": m["code"]}, values)
        request_rebuild(metric.pk)  # on commit; readings below ask again, coalesced
        for r in m.get("readings", []):
            try:
                reading_record(
                    metric=metric,
                    period=str(r["period"]),
                    value=str(r["value"]),
                    qualifier=r.get("qualifier") or "",
                    note=r.get("note") or "",
                    source_text=r.get("source") or "",
                    is_derived=bool(r.get("derived")),
                    approve=True,  # published figures: loaded as approved,
                    approved_at=publication_time(data, r["period"], where),
                )
            except ValidationError as exc:
                raise LoadError(f"{here} {r.get('period')}: {exc.message_dict}") from exc
            readings += 1
    return len(data.get("metrics", [])), readings


def load_dashboard_scales(path=DASHBOARD_FOLDER):
    """Load (or update in place) the Dashboard scales of every *.yaml in `path`, matched on
    their codes, in one transaction; return how many the files hold."""
    count = 0
    # "source" names the English version whatever language the caller is in.
    with transaction.atomic(), translation.override("en"):
        for file in sorted(Path(path).glob("*.yaml")):
            for spec in (_read(file) or {}).get("scales") or []:
                if not isinstance(spec, dict) or not spec.get("code"):
                    raise LoadError(f"{file.name}: every scale needs a code.")
                where = f"{file.name}: {spec['code']}"
                values = {name: spec[name] for name in SCALE_FIELDS if name in spec}
                _upsert(DashboardScale, where, {"code": spec["code"]}, values)
                count += 1
    return count
