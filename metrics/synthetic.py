"""A clearly synthetic plan, for load tests and demos: never LACOE's figures.

The plan is flagged `is_synthetic`, its name says "(synthetic data)" and its
organisation is made up, so no page or export can pass it off as real. Values are
plausible and depend only on the seed; each metric is drawn to come out on track,
at risk, off track, without a target, or without any reading at all.

Readings go in set-based: COPY on PostgreSQL, executemany on SQLite. That skips
Reading.save(), so no history row and no signal per reading: millions of history
rows and one queued rebuild per reading would make a 4-million-row load take hours.
Pass `rebuild=True` to compute the aggregates once at the end.
"""

import math
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import OperationalError, connection, transaction
from django.db.models.signals import post_delete
from django.utils import timezone
from django.utils.text import slugify

from pillars.models import Goal, Pillar, PriorityArea, StrategicPlan

from .models import Direction, District, Frequency, Metric, Reading, Status, StudentGroup
from .periods import Period
from .units import Unit

DEFAULT_SLUG = "synthetic-bench"
ORGANISATION = "Synthetic County Office of Education"
NAME_MARK = "(synthetic data)"
DISTRICT_CODE = "synthetic-district-{:03d}"
GROUP_CODE = "synthetic-group-{:03d}"
MAX_SLICES = 999

PILLARS = (
    ("Whole child", "whole-child"),
    ("Equity and access", "equity-and-access"),
    ("Teaching and learning", "teaching-and-learning"),
    ("Family and community", "family-and-community"),
    ("Organisational excellence", "organisational-excellence"),
)
AREAS_PER_PILLAR = 2
GOALS_PER_AREA = 2


@dataclass(frozen=True)
class Kind:
    """A kind of metric: its unit, which way is better, a baseline range and the gain
    the target asks for. `additive` values split over districts and groups (counts,
    money); the others are rates that vary around the county-wide figure."""

    name: str
    unit: str
    direction: str
    baseline: tuple
    gain: tuple
    decimals: int
    additive: bool = False
    spread: float = 0.0
    low: float | None = 0.0
    high: float | None = None
    scale_min: int | None = None
    scale_max: int | None = None


KINDS = (
    Kind("Students meeting reading standards", Unit.PERCENT, Direction.HIGHER,
         (35, 55), (8, 15), 1, spread=8, high=100),
    Kind("Educators completing professional learning", Unit.COUNT, Direction.HIGHER,
         (800, 3000), (400, 1200), 0, additive=True),
    Kind("Chronic absenteeism rate", Unit.PERCENT, Direction.LOWER,
         (18, 30), (-8, -4), 1, spread=5, high=100),
    Kind("Grant funding secured", Unit.CURRENCY, Direction.HIGHER,
         (1_500_000, 5_000_000), (500_000, 2_000_000), 2, additive=True),
    Kind("Family satisfaction rating", Unit.RATING, Direction.HIGHER,
         (3.2, 3.8), (0.4, 0.7), 2, spread=0.3, low=1, high=5, scale_min=1, scale_max=5),
    Kind("Rank among county offices", Unit.RANK, Direction.LOWER,
         (28, 40), (-22, -16), 0, spread=4, low=1, high=58, scale_max=58),
    Kind("Students per counselor", Unit.RATIO, Direction.LOWER,
         (420, 520), (-120, -60), 1, spread=40),
    Kind("Change in graduation rate", Unit.PERCENT_CHANGE, Direction.HIGHER,
         (0, 1), (3, 6), 1, spread=1.5, low=None),
    Kind("Families reached by outreach", Unit.COUNT, Direction.HIGHER,
         (5000, 20000), (2000, 6000), 0, additive=True),
    Kind("Suspension rate", Unit.PERCENT, Direction.LOWER,
         (4, 9), (-3, -1.5), 1, spread=1.5, high=100),
)

# Share of the target's gain each design reaches by the last month; with the
# default thresholds (95 / 80) and the last month at the end of the target
# period, progress is the score, so the bands sit well clear of both thresholds.
DESIGNS = (
    Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.ON_TRACK, Status.NO_TARGET,
    Status.ON_TRACK, Status.AT_RISK,
)
REACH = {
    Status.ON_TRACK: (1.0, 1.12),
    Status.AT_RISK: (0.85, 0.9),
    Status.OFF_TRACK: (0.3, 0.65),
    Status.NO_TARGET: (0.4, 1.1),
}



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


def month_periods(months, end_year):
    """The last `months` months of a plan ending 30 June `end_year`, oldest first."""
    first = end_year * 12 + 6 - months  # index of the first month (0-based months)
    return [Period.month(i // 12, i % 12 + 1) for i in range(first, first + months)]


def plan_start_year(months, end_year):
    # Whole school years, at least one, so every month lies inside the plan.
    return end_year - max(1, math.ceil(months / 12))


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
    log=None,
):
    """Create the synthetic plan `slug` and its readings; return a Result.

    `districts` and `groups` count the slices of each metric *including* the
    county-wide "All districts" / "All students" rows, so 100 metrics x 80 x 15 x
    36 months is exactly 4.32 million readings. `empty_metrics` more metrics (by
    default one per 25, at least one) get no reading at all.
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
    name = name or f"Synthetic Strategic Plan {plan_start_year(months, end_year)}-" \
                   f"{end_year % 100:02d} {NAME_MARK}"
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
        log(f"loading readings: {metrics} metrics x {districts} districts x {groups} groups "
            f"x {months} months")
        count = _load_readings(made, periods, district_ids, group_ids, rng, log)
    if connection.vendor == "postgresql":
        # Planner statistics after millions of new rows: without them the first
        # pages and rebuilds plan for an empty table.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Reading._meta.db_table}")
    if rebuild:
        from . import aggregates

        log("rebuilding the aggregates")
        aggregates.rebuild()
    return Result(plan, len(made), count, time.perf_counter() - clock)


def _delete_plan(plan):
    metric_ids = list(plan.metrics.values_list("pk", flat=True))
    if metric_ids:
        # Set-based and history-free, like the load: a cascade through the ORM
        # would write one history row per reading.
        with connection.cursor() as cursor:
            cursor.execute(  # table names come from the models, the plan id is a parameter
                f"DELETE FROM {Reading._meta.db_table} WHERE metric_id IN "  # noqa: S608
                f"(SELECT id FROM {Metric._meta.db_table} WHERE plan_id = %s)",
                [plan.pk],
            )
    from . import signals

    # Each deleted metric would queue a full rebuild on commit (one per metric).
    post_delete.disconnect(signals.metric_deleted, sender=Metric)
    try:
        Metric.objects.filter(plan=plan).delete()
    finally:
        post_delete.connect(signals.metric_deleted, sender=Metric)
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
    target_period = str(Period.school_year(periods[-1].school_year_start))
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
        baseline = _round(raw_baseline, kind.decimals)
        target = _round(raw_baseline + rng.uniform(*kind.gain), kind.decimals)
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


def _round(value, decimals):
    return Decimal(f"{value:.{decimals}f}")


def _formatter(kind):
    if kind.decimals == 0:
        return lambda v: str(int(math.floor(v + 0.5)))
    spec = f"{{:.{kind.decimals}f}}"
    return spec.format


def _county_series(made, months, rng):
    """The county-wide values, oldest first: baseline to the designed reach, with wobble."""
    kind, metric = made.kind, made.metric
    baseline = float(metric.baseline_value)
    gain = float(metric.target_value) - baseline if metric.target_value is not None \
        else rng.uniform(*kind.gain)
    final = baseline + made.reach * gain
    series = []
    for t in range(months):
        share = 1.0 if months == 1 else t / (months - 1)
        value = baseline + (final - baseline) * share
        if 0 < t < months - 1:  # the ends are exact so the status is the designed one
            value += rng.uniform(-0.04, 0.04) * abs(gain)
        series.append(_clamp(kind, value))
    return series


def _clamp(kind, value):
    if kind.low is not None and value < kind.low:
        value = kind.low
    if kind.high is not None and value > kind.high:
        value = kind.high
    return value


def _load_readings(made, periods, district_ids, group_ids, rng, log):
    slices = [(d, g) for d in district_ids for g in group_ids]
    # Fixed per-slice shape (share of the total, or offset from the county rate)
    # plus a cheap per-month wobble: plausible, and fast enough for millions of rows.
    district_share = [1.0] + _shares(rng, len(district_ids) - 1)
    group_share = [1.0] + [rng.uniform(0.05, 0.6) for _ in group_ids[1:]]
    district_offset = [0.0] + [rng.uniform(-1, 1) for _ in district_ids[1:]]
    group_offset = [0.0] + [rng.uniform(-1, 1) for _ in group_ids[1:]]
    shares = [ds * gs for ds in district_share for gs in group_share]
    offsets = [do + go for do in district_offset for go in group_offset]
    total_slice = 0  # (All districts, All students) comes first in `slices`
    wobble = [0.0] + [rng.uniform(-1, 1) for _ in range(len(slices) + len(periods))]

    now = timezone.now()
    writer = _CopyWriter(now) if connection.vendor == "postgresql" else _SqliteWriter(now)
    expected = sum(item.design != Status.NO_DATA for item in made) * len(slices) * len(periods)
    count = 0
    with _bulk_load_mode(expected, log), writer:
        for n, item in enumerate(made, 1):
            if item.design == Status.NO_DATA:
                continue
            kind, metric = item.kind, item.metric
            fmt = _formatter(kind)
            county = _county_series(item, len(periods), rng)
            for t, period in enumerate(periods):
                total = county[t]
                if kind.additive:
                    values = [
                        fmt(total * share * (1 + 0.03 * wobble[k + t]))
                        for k, share in enumerate(shares)
                    ]
                else:
                    values = [
                        fmt(_clamp(kind, total + kind.spread * (offset + 0.1 * wobble[k + t])))
                        for k, offset in enumerate(offsets)
                    ]
                values[total_slice] = fmt(total)
                writer.write(metric.pk, period, slices, values)
                count += len(values)
            if n % 10 == 0:
                log(f"  {n} metrics, {count:,} readings")
    return count


# From about this many rows, dropping the readings' foreign keys and adding them
# back after the COPY beats checking them row by row: Django makes them
# DEFERRABLE INITIALLY DEFERRED, so each row queues a check for the commit, and
# those queued checks were half the load time (measured: about 10 s per million
# rows); validating a re-added key is one join, well under a second here.
# Indexes stay: rebuilding them all took longer than maintaining them.
BULK_MODE_MIN_ROWS = 200_000


@contextmanager
def _bulk_load_mode(rows, log):
    """On PostgreSQL and for a big load, take the readings' foreign keys off during
    the COPY and put them back (validated) after.

    Everything happens in the caller's transaction: on any error PostgreSQL rolls
    the DDL back with the rows. The table is locked (ACCESS EXCLUSIVE) until the
    commit; when another session holds a lock for more than a few seconds, the
    load falls back to the ordinary row-by-row checks instead of waiting.
    """
    if connection.vendor != "postgresql" or rows < BULK_MODE_MIN_ROWS:
        yield
        return
    table = Reading._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Deferred checks already queued (the metrics just created) forbid
            # ALTER TABLE on the tables they touch: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL lock_timeout = '5s'")
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            cursor.execute("SET LOCAL lock_timeout = 0")
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            foreign_keys = cursor.fetchall()
            for name, _ in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except OperationalError as exc:
        log(f"  readings table busy ({exc}); loading with row-by-row checks")
        yield
        return
    log(f"  bulk mode: {len(foreign_keys)} foreign keys off during the load")
    yield
    clock = time.perf_counter()
    with connection.cursor() as cursor:
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    log(f"  foreign keys back and validated in {time.perf_counter() - clock:.1f} s")


def _shares(rng, count):
    weights = [rng.uniform(0.3, 1.7) for _ in range(count)]
    total = sum(weights) or 1.0
    return [w / total for w in weights]


def _reading_layout(now):
    """The readings' columns in load order: per-row ones, then constants by column.

    Follows the model as it stands: a column added later takes its database
    default, NULL, or the field's own default (the empty string of a text field);
    one with none of these stops the load with its name rather than deep in COPY.
    """
    present = {f.column: f for f in Reading._meta.concrete_fields}
    per_row = [c for c in ROW_COLUMNS if c in present]
    constants = {c: v for c, v in _constants(now).items() if c in present}
    for column, field in present.items():
        if (column in per_row or column in constants or field.primary_key or field.null
                or field.has_db_default()):
            continue
        default = field.get_default()
        if default is None:
            raise SyntheticError(
                f"The readings column {column!r} has no default the synthetic loader can use."
            )
        constants[column] = default
    return per_row, constants


# Filled per row, in this order; `approved_value` repeats `value`.
ROW_COLUMNS = (
    "metric_id", "period", "period_start", "period_end", "district_id", "student_group_id",
    "value", "approved_value",
)


def _constants(now):
    # Synthetic readings stand for published figures: approved at load time, by
    # nobody, so dashboards (which show approved values only) see them at once.
    return {
        "qualifier": "", "is_derived": False, "note": "", "source_text": "",
        "entered_by_id": None, "created_at": now, "updated_at": now,
        "state": "approved", "approved_qualifier": "", "approved_by_id": None,
        "approved_at": now, "review_comment": "", "version": 1,
    }


def _copy_text(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class _CopyWriter:
    """COPY ... FROM STDIN in text format, one write per metric and month."""

    def __init__(self, now):
        self.per_row, constants = _reading_layout(now)
        self.columns = [*self.per_row, *constants]
        self.tail = "".join("\t" + _copy_text(v) for v in constants.values()) + "\n"
        self.twice = "approved_value" in self.per_row
        self.prefixes = {}

    def __enter__(self):
        connection.ensure_connection()
        self.cursor = connection.connection.cursor()
        sql = f"COPY {Reading._meta.db_table} ({', '.join(self.columns)}) FROM STDIN"
        self.copy_cm = self.cursor.copy(sql)
        self.copy = self.copy_cm.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            return self.copy_cm.__exit__(*exc)
        finally:
            self.cursor.close()

    def write(self, metric_id, period, slices, values):
        key = id(slices)
        middles = self.prefixes.get(key)
        if middles is None:
            middles = self.prefixes[key] = [f"{d}\t{g}\t" for d, g in slices]
        head = f"{metric_id}\t{period.text}\t{period.start}\t{period.end}\t"
        tail = self.tail
        if self.twice:
            rows = [head + m + v + "\t" + v + tail for m, v in zip(middles, values, strict=True)]
        else:
            rows = [head + m + v + tail for m, v in zip(middles, values, strict=True)]
        self.copy.write("".join(rows))


class _SqliteWriter:
    """executemany in chunks: SQLite has no COPY, and one statement per row is slow."""

    CHUNK = 50_000

    def __init__(self, now):
        self.per_row, constants = _reading_layout(now)
        self.columns = [*self.per_row, *constants]
        adapt = connection.ops.adapt_datetimefield_value
        self.constants = tuple(
            adapt(v) if hasattr(v, "isoformat") else int(v) if isinstance(v, bool) else v
            for v in constants.values()
        )
        self.twice = "approved_value" in self.per_row
        self.rows = []

    def __enter__(self):
        connection.ensure_connection()
        placeholders = ", ".join("?" * len(self.columns))
        self.sql = (
            f"INSERT INTO {Reading._meta.db_table} ({', '.join(self.columns)}) "  # noqa: S608
            f"VALUES ({placeholders})"
        )
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self._flush()

    def write(self, metric_id, period, slices, values):
        start, end, text = period.start.isoformat(), period.end.isoformat(), period.text
        constants = self.constants
        if self.twice:
            self.rows.extend(
                (metric_id, text, start, end, d, g, v, v, *constants)
                for (d, g), v in zip(slices, values, strict=True)
            )
        else:
            self.rows.extend(
                (metric_id, text, start, end, d, g, v, *constants)
                for (d, g), v in zip(slices, values, strict=True)
            )
        if len(self.rows) >= self.CHUNK:
            self._flush()

    def _flush(self):
        if self.rows:
            connection.connection.executemany(self.sql, self.rows)
            self.rows = []
