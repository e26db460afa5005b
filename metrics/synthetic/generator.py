"""Build a synthetic plan and load its readings.

Readings go in through metrics.bulk (COPY on PostgreSQL, executemany on SQLite), as
approved figures without history: Reading.save() would write a history row and ask
for a rebuild per reading, and millions of those would make a 4-million-row load take
hours. Pass `rebuild=True` to compute the aggregates once at the end.
"""

import random
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from pillars.models import Goal, Pillar, PriorityArea, StrategicPlan

from .. import aggregates, bulk
from ..models import District, Frequency, Metric, Reading, Status, StudentGroup
from . import equity
from .design import (
    AREAS_PER_PILLAR,
    DEFAULT_SLUG,
    DESIGNS,
    DISTRICT_CODE,
    GOALS_PER_AREA,
    GROUP_CODE,
    KINDS,
    MAX_SLICES,
    NAME_MARK,
    ORGANISATION,
    PILLARS,
    REACH,
    Kind,
    clamp,
    county_series,
    formatter,
    month_periods,
    plan_name,
    plan_start_year,
    round_to,
    shares,
)


class SyntheticError(Exception):
    """The synthetic plan cannot be generated as asked; the message says why."""


@dataclass
class Result:
    plan: StrategicPlan
    metrics: int
    readings: int
    seconds: float

    def summary(self):
        return (
            f"Synthetic plan {self.plan.slug}: {self.metrics} metrics, "
            f"{self.readings:,} readings in {self.seconds:.1f} s."
        )


def generate(
    *,
    slug=DEFAULT_SLUG,
    name=None,
    metrics=20,
    empty_metrics=None,
    districts=5,
    groups=3,
    months=36,
    end_year=2025,
    seed=1,
    replace=False,
    rebuild=False,
    equity_demo=False,
    log=None,
):
    """Create the synthetic plan `slug` and its readings; return a Result.

    `districts` and `groups` count the slices of each metric *including* the
    county-wide "All districts" / "All students" rows, so 100 metrics x 80 x 15 x
    36 months is exactly 4.32 million readings. `empty_metrics` more metrics (by
    default one per 25, at least one) get no reading at all. `equity_demo` adds the
    demo's equity metric with its small groups (synthetic/equity.py), besides.
    """
    log = log or (lambda message: None)
    for label, number, low in (
        ("metrics", metrics, 0), ("districts", districts, 1), ("groups", groups, 1),
        ("months", months, 1),
    ):
        if number < low:
            raise SyntheticError(f"--{label} must be at least {low}; got {number}.")
    if districts > MAX_SLICES or groups > MAX_SLICES:
        raise SyntheticError(f"At most {MAX_SLICES} districts and student groups.")
    if empty_metrics is None:
        empty_metrics = max(1, metrics // 25)
    name = name or plan_name(months, end_year)
    if NAME_MARK not in name:
        name = f"{name} {NAME_MARK}"

    clock = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        existing = StrategicPlan.objects.filter(slug=slug).first()
        if existing is not None:
            if not existing.is_synthetic:
                raise SyntheticError(
                    f"The plan {slug!r} holds real data: choose another --slug."
                )
            if not replace:
                raise SyntheticError(
                    f"The synthetic plan {slug!r} exists already: pass --replace to regenerate it."
                )
            log(f"deleting the synthetic plan {slug}")
            _delete_plan(existing)
        plan = StrategicPlan.objects.create(
            organisation=ORGANISATION,
            name=name,
            slug=slug,
            start_year=plan_start_year(months, end_year),
            end_year=end_year,
            mission="Synthetic data for load tests and demos: not a real organisation's plan.",
            vision="Every figure on this plan is made up by a generator.",
            values="Synthetic\nDeterministic\nClearly labelled",
            introduction=f"Generated with seed {seed}: every figure here is synthetic data.",
            is_synthetic=True,
        )
        periods = month_periods(months, end_year)
        nodes = _create_structure(plan)
        made = _create_metrics(plan, nodes, metrics, empty_metrics, periods, seed, rng)
        district_ids = [District.objects.total().pk] + _ensure_slices(
            District, DISTRICT_CODE, "Synthetic District {:03d}", districts - 1
        )
        group_ids = [StudentGroup.objects.total().pk] + _ensure_slices(
            StudentGroup, GROUP_CODE, "Synthetic student group {:03d}", groups - 1
        )
        plan.districts.add(*district_ids[1:])  # its own rows: real and synthetic never mix
        plan.student_groups.add(*group_ids[1:])
        log(f"loading readings: {metrics} metrics x {districts} districts x {groups} groups "
            f"x {months} months")
        count = _load_readings(made, periods, district_ids, group_ids, rng, log)
        if equity_demo:
            equity.add(plan, nodes["pillars"][1])  # "Equity and access"
            count += len(equity.SLICES) * 2
    if connection.vendor == "postgresql":
        # Planner statistics after millions of new rows: without them the first
        # pages and rebuilds plan for an empty table.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Reading._meta.db_table)}")
    if rebuild:
        log("rebuilding the aggregates")
        aggregates.rebuild_all()
    return Result(plan, len(made), count, time.perf_counter() - clock)


def _delete_plan(plan):
    # The readings set-based and history-free, like the load (a cascade through the
    # ORM would write one history row per reading); then the metrics, whose deletion
    # asks for one full rebuild of the aggregates on commit.
    bulk.delete_readings_of_plan(plan.pk)
    Metric.objects.filter(plan=plan).delete()
    plan.delete()


def _create_structure(plan):
    pillars = Pillar.objects.bulk_create([
        Pillar(
            plan=plan, order=i + 1, name=f"{title} (synthetic)", slug=slug,
            commitment=f"Synthetic commitment {i + 1}: we will move the {title.lower()} "
                       f"figures toward their targets.",
        )
        for i, (title, slug) in enumerate(PILLARS)
    ])
    areas = PriorityArea.objects.bulk_create([
        PriorityArea(
            pillar=pillar, order=a + 1, code=f"area-{pillar.order}-{a + 1}",
            name=f"Priority area {pillar.order}.{a + 1} (synthetic)",
        )
        for pillar in pillars
        for a in range(AREAS_PER_PILLAR)
    ])
    goals = Goal.objects.bulk_create([
        Goal(
            priority_area=area, order=g + 1, code=f"goal-{area.code[5:]}-{g + 1}",
            statement=f"Synthetic goal {area.code[5:].replace('-', '.')}.{g + 1}: improve "
                      f"the figures of this priority area.",
        )
        for area in areas
        for g in range(GOALS_PER_AREA)
    ])
    return {
        "pillars": pillars,
        "areas": {p.pk: [a for a in areas if a.pillar_id == p.pk] for p in pillars},
        "goals": {a.pk: [g for g in goals if g.priority_area_id == a.pk] for a in areas},
    }


@dataclass
class _Made:
    metric: Metric
    kind: Kind
    design: str
    reach: float


def _create_metrics(plan, nodes, with_data, empty, periods, seed, rng):
    baseline_period = periods[0].text
    target_period = periods[-1].year.text
    made = []
    for i in range(with_data + empty):
        kind = KINDS[i % len(KINDS)]
        design = Status.NO_DATA if i >= with_data else DESIGNS[i % len(DESIGNS)]
        pillar = nodes["pillars"][i % len(PILLARS)]
        rank_in_pillar = i // len(PILLARS)
        area = goal = None
        if rank_in_pillar % 3 >= 1:
            areas = nodes["areas"][pillar.pk]
            area = areas[(rank_in_pillar // 3) % len(areas)]
        if rank_in_pillar % 3 == 2:
            goals = nodes["goals"][area.pk]
            goal = goals[(rank_in_pillar // 6) % len(goals)]
        raw_baseline = rng.uniform(*kind.baseline)
        baseline = round_to(raw_baseline, kind.decimals)
        target = round_to(raw_baseline + rng.uniform(*kind.gain), kind.decimals)
        reach = rng.uniform(*REACH.get(design, (0.5, 1.0)))
        metric = Metric(
            plan=plan, pillar=pillar, priority_area=area, goal=goal,
            code=f"syn-{i + 1:03d}-{slugify(kind.name)}"[:100],
            name=f"{kind.name} #{i + 1}",
            definition="Synthetic metric for load tests and demos; its values are made up.",
            unit=kind.unit, direction=kind.direction, frequency=Frequency.MONTHLY,
            scale_min=kind.scale_min, scale_max=kind.scale_max,
            baseline_value=baseline, baseline_period=baseline_period,
            target_value=None if design == Status.NO_TARGET else target,
            target_period="" if design == Status.NO_TARGET else target_period,
            data_source=f"Synthetic generator, seed {seed}",
            is_headline=rank_in_pillar == 0,
            headline_label=f"{kind.name} (synthetic)" if rank_in_pillar == 0 else "",
            headline_order=1 if rank_in_pillar == 0 else None,
        )
        made.append(_Made(metric, kind, design, reach))
    # bulk_create: no post_save, so no placeholder snapshot and no rebuild queued
    # per metric; `rebuild=True` does one full rebuild at the end instead.
    Metric.objects.bulk_create([m.metric for m in made])
    return made


def _ensure_slices(model, code_pattern, name_pattern, count):
    codes = [code_pattern.format(i + 1) for i in range(count)]
    model.objects.bulk_create(
        [model(code=code, name=name_pattern.format(i + 1)) for i, code in enumerate(codes)],
        ignore_conflicts=True,
    )
    ids = dict(model.objects.filter(code__in=codes).values_list("code", "pk"))
    return [ids[code] for code in codes]


def _load_readings(made, periods, district_ids, group_ids, rng, log):
    slices = [(d, g) for d in district_ids for g in group_ids]
    # Fixed per-slice shape (share of the total, or offset from the county rate)
    # plus a cheap per-month wobble: plausible, and fast enough for millions of rows.
    district_share = [1.0] + shares(rng, len(district_ids) - 1)
    group_share = [1.0] + [rng.uniform(0.05, 0.6) for _ in group_ids[1:]]
    district_offset = [0.0] + [rng.uniform(-1, 1) for _ in district_ids[1:]]
    group_offset = [0.0] + [rng.uniform(-1, 1) for _ in group_ids[1:]]
    slice_shares = [ds * gs for ds in district_share for gs in group_share]
    offsets = [do + go for do in district_offset for go in group_offset]
    total_slice = 0  # (All districts, All students) comes first in `slices`
    wobble = [0.0] + [rng.uniform(-1, 1) for _ in range(len(slices) + len(periods))]

    writer = bulk.ReadingWriter(now=timezone.now(), history=False)
    expected = sum(item.design != Status.NO_DATA for item in made) * len(slices) * len(periods)
    count = 0
    with bulk.bulk_load_mode(expected, log), writer.series() as write:
        for n, item in enumerate(made, 1):
            if item.design == Status.NO_DATA:
                continue
            kind, metric = item.kind, item.metric
            fmt = formatter(kind)
            county = county_series(kind, metric.baseline_value, metric.target_value,
                                   item.reach, len(periods), rng)
            for t, period in enumerate(periods):
                total = county[t]
                if kind.additive:
                    values = [
                        fmt(total * share * (1 + 0.03 * wobble[k + t]))
                        for k, share in enumerate(slice_shares)
                    ]
                else:
                    values = [
                        fmt(clamp(kind, total + kind.spread * (offset + 0.1 * wobble[k + t])))
                        for k, offset in enumerate(offsets)
                    ]
                values[total_slice] = fmt(total)
                write(metric.pk, period, slices, values)
                count += len(values)
            if n % 10 == 0:
                log(f"  {n} metrics, {count:,} readings")
    return count
