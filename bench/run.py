"""Benchmark the dashboards on synthetic data at two scales (`make bench`).

Figures go to stdout, one per line as `name: value unit`; progress goes to stderr.
The bench works on its own database: a fresh PostgreSQL database (`lacoe_kpi_bench`,
or $BENCH_DATABASE / --database) when PostgreSQL answers on 127.0.0.1:5432 (dropped at
the end unless --keep), else a temporary SQLite file. With --reuse it keeps that
database and regenerates a scale only when its plan is missing: the 4.32 M readings take
minutes to generate, a reused run seconds. It never opens db.sqlite3 and never loads
LACOE's figures.

Both scales have the same plan shape (100 metrics; the districts and student groups of
the large scale are on the small plan too, without readings), so each page's ratio
large/small compares the same page; the requests of the two scales alternate, so that
other work on the machine slows both alike. Pages cache their data parts until the
aggregates move: each figure is given warm (what visitors get) and cold (the cache
emptied first: the first visit after a rebuild). Then a pillar of 300 metrics against
one of 30 (issue 12), and, under gunicorn as the image runs it, the overview's
first-load transfer and each page's throughput under wrk (bench/throughput.py).

    .venv/bin/python bench/run.py                    # 3,600 and 4.32 M readings
    .venv/bin/python bench/run.py --quick            # 3,600 and 86,400 readings
    .venv/bin/python bench/run.py --scale 100,40,10,36 --reuse
    .venv/bin/python bench/run.py --quick --only public   # the public page and the API
    make bench BENCH_ARGS="--quick"
"""

import argparse
import inspect
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DATABASE") or "lacoe_kpi_bench"
BARE_SQL = Path(__file__).resolve().parent / "bare_sql.sql"
BARE_SQL_SQLITE = Path(__file__).resolve().parent / "bare_sql_sqlite.sql"
SERVER_URL = "postgresql://postgres@127.0.0.1:5432"
PAGES = ("overview_page", "pillar_page", "metric_page")
# Cold requests a page and scale: the first after a cache clear runs several times slower
# (templates compiled, URLs resolved), so the median needs enough runs to stand clear of it.
COLD_RUNS = 9
STARTED = time.perf_counter()


@dataclass(frozen=True)
class Scale:
    metrics: int
    districts: int  # counting "All districts"
    groups: int  # counting "All students"
    months: int

    @property
    def readings(self):
        return self.metrics * self.districts * self.groups * self.months

    @property
    def label(self):
        n = self.readings
        if n >= 1_000_000:
            return f"{n / 1_000_000:.1f}M"
        if n >= 1_000:
            return f"{n / 1_000:.0f}k"
        return str(n)

    def __str__(self):
        return (
            f"{self.metrics} metrics x {self.districts} districts x {self.groups} groups x "
            f"{self.months} months = {self.readings:,} readings"
        )


SMALL = Scale(100, 1, 1, 36)  # county-wide only; the large scale's districts and groups
LARGE = Scale(100, 80, 15, 36)
QUICK = Scale(100, 8, 3, 36)
# Issue 12: a pillar of 300 metrics against one of 30 (synthetic plans spread their
# metrics over 5 pillars: 1,500 and 150 metrics, county-wide, 36 months).
PILLAR_SIZES = {30: Scale(150, 1, 1, 36), 300: Scale(1500, 1, 1, 36)}
AIMS = {  # what issues 14 and 12 ask: printed beside each figure as `<name>_aim`
    "time_ratio_large_vs_small": 1.1,
    "pillar_300_vs_30_time_ratio": 1.2,
    "full_rebuild_vs_bare_sql_ratio": 1.5,
    "incremental_rebuild_ms": 20.0,
}


def note(message):
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def figure(name, value, unit=""):
    if isinstance(value, float):
        value = f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}" if abs(value) < 100 \
            else f"{value:.1f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--large-scale", "--scale", metavar="M,D,G,T",
        help="metrics, districts, groups, months of the large scale (default 100,80,15,36)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a smaller large scale ({QUICK.readings:,} readings)"
    )
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--page-budget", type=float, default=60.0,
        help="seconds of timed requests per page and scale before stopping early (at least 5 "
             "requests are made)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--only", choices=["public", "pages"],
        help="public: only the public metric page and the API's readings (issue 17), no "
             "rebuilds, staff pages, pillar sizes or load; pages: every page of both scales "
             "(staff, equity views, public, API), no rebuilds, pillar sizes or load",
    )
    parser.add_argument(
        "--no-load", action="store_true",
        help="skip gunicorn: no throughput and no first-load transfer figures",
    )
    parser.add_argument(
        "--reuse", action="store_true",
        help="keep the bench database and reuse the scales already generated in it",
    )
    parser.add_argument(
        "--database", help="name of the PostgreSQL bench database (default $BENCH_DATABASE, "
                           "else lacoe_kpi_bench)"
    )
    args = parser.parse_args(argv)
    global BENCH_DB  # noqa: PLW0603 - one name for the whole run
    BENCH_DB = args.database or BENCH_DB
    args.keep = args.keep or args.reuse
    args.large = QUICK if args.quick else LARGE
    if args.large_scale:
        try:
            args.large = Scale(*(int(part) for part in args.large_scale.split(",")))
        except (TypeError, ValueError):
            parser.error("--large-scale takes four whole numbers: metrics,districts,groups,months")
    return args


# --- The bench's own database ---------------------------------------------------------


def prepare_database(reuse=False):
    """Point DATABASE_URL at a fresh (or, reusing, the kept) bench database; return how
    to drop it."""
    try:
        import psycopg

        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True, connect_timeout=3) as c:
            exists = c.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
            ).fetchone()
            if not (reuse and exists):
                c.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
                c.execute(f'CREATE DATABASE "{BENCH_DB}"')
            version = c.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL to use
        folder = Path(tempfile.mkdtemp(prefix="lacoe-kpi-bench-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
        note(f"PostgreSQL not usable ({str(exc).strip().splitlines()[0]})")
        figure("database", "sqlite (PostgreSQL absent)")
        return ("sqlite", folder)
    os.environ["DATABASE_URL"] = f"{SERVER_URL}/{BENCH_DB}"
    figure("database", f"postgresql {version} ({BENCH_DB})")
    return ("postgresql", None)


def drop_database(kind, folder, keep):
    from django.db import connections

    connections.close_all()
    if keep:
        note(f"kept the bench database: {os.environ['DATABASE_URL']}")
        return
    if kind == "sqlite":
        shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True, connect_timeout=3) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    note(f"dropped {BENCH_DB}")


def configure_environment():
    os.environ["DEBUG"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "lacoe_kpi.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # keep 4xx/5xx request logs, drop chatter
    # Without Redis every rebuild runs in-process, so what is timed is the rebuild.
    for name in ("REDIS_URL", "REDIS_URL_FILE", "DATABASE_URL_FILE"):
        os.environ.pop(name, None)


# --- Measurements ---------------------------------------------------------------------


def timed(function, *args, **kwargs):
    clock = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - clock, result


def median_time(function, runs):
    return statistics.median(timed(function)[0] for _ in range(runs))


def bare_sql_statements(vendor):
    """The two statements of bench/bare_sql.sql (or its SQLite twin), comments dropped."""
    text = (BARE_SQL if vendor == "postgresql" else BARE_SQL_SQLITE).read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def bare_sql(connection, total_district, total_group):
    """The rows a rebuild derives, computed by the database alone: the latest, previous
    and first approved value per metric x district x group (all-districts figures no
    one reported computed from the districts') and the county-wide series."""
    latest, series = bare_sql_statements(connection.vendor)

    def run():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET jit = off")  # as the rebuild does
            cursor.execute(latest, [total_district, total_district])
            rows = len(cursor.fetchall())
            cursor.execute(series, [total_district, total_district, total_district,
                                    total_group])
            return rows, len(cursor.fetchall())

    return run


def choose_metrics(plan):
    """The first metric with readings (for its page) and a count metric (to correct)."""
    from metrics.models import Metric

    with_data = list(
        Metric.objects.filter(plan=plan, readings__isnull=False).distinct().order_by("code")
    )
    page_metric = with_data[0]
    count_metric = next((m for m in with_data if m.unit == "count"), page_metric)
    return page_metric, count_metric


def correct_one_reading(metric):
    """Change the newest county-wide reading through the service, as a steward would."""
    from metrics import services
    from metrics.models import District, Reading, StudentGroup

    reading = (
        Reading.objects.filter(
            metric=metric, district=District.objects.total(),
            student_group=StudentGroup.objects.total(),
        ).order_by("-period_end").first()
    )
    new_value = reading.value + (1 if metric.unit == "count" else Decimal("0.1"))
    kwargs = {"metric": metric, "period": reading.period, "value": new_value}
    # Approved at once when the service knows approvals: otherwise the change waits
    # for a pillar lead and the dashboards (approved values only) would not move.
    if "approve" in inspect.signature(services.reading_record).parameters:
        kwargs["approve"] = True
    seconds, _ = timed(services.reading_record, **kwargs)
    return seconds


def bench_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from metrics import roles

    user, _ = get_user_model().objects.get_or_create(username="bench-leadership")
    user.groups.add(Group.objects.get(name=roles.LEADERSHIP))
    return user


def measure_pages(client, urls, label, args, results):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for page, url in urls.items():
        response = client.get(url)
        if response.status_code != 200:
            figure(f"{page}_status_{label}", response.status_code)
            note(f"{page} {url} answered {response.status_code}; not timed")
            continue
        client.get(url)  # second warm-up: caches, template loading, query plans
        # DEBUG keeps at most 9,000 queries: once the log is full its length stops
        # changing and a capture would count nothing.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        times = []
        budget = time.perf_counter() + args.page_budget
        while len(times) < args.requests and (len(times) < 5 or time.perf_counter() < budget):
            clock = time.perf_counter()
            client.get(url)
            times.append(1000 * (time.perf_counter() - clock))
        median = statistics.median(times)
        cold = median_cold(client, url)
        results[(page, "large" if label != SMALL.label else "small")] = {
            "queries": len(queries.captured_queries)}
        figure(f"queries_{page}_{label}", len(queries.captured_queries), "queries")
        figure(f"{page}_median_ms_{label}", median, "ms")
        figure(f"{page}_cold_median_ms_{label}", cold, "ms")
        figure(f"{page}_html_bytes_{label}", len(response.content), "bytes")
        if len(times) < args.requests:
            figure(f"{page}_requests_{label}", len(times), "requests")
        note(f"{page}: {len(times)} requests, median {median:.1f} ms")


def median_cold(client, url, runs=COLD_RUNS):
    """Median time of `url` with an empty cache (the first visit after a rebuild): the
    pages cache their data parts until the aggregates move (pillars.views.cached_part)."""
    from django.core.cache import cache

    times = []
    for _ in range(runs):
        cache.clear()
        clock = time.perf_counter()
        client.get(url)
        times.append(1000 * (time.perf_counter() - clock))
    return statistics.median(times)


def slug_of(scale):
    return f"synthetic-bench-{scale.metrics}-{scale.districts}-{scale.groups}-{scale.months}"


def generate_scale(scale, args):
    """The synthetic plan of `scale`: generated, or the one a --reuse run finds."""
    from metrics import synthetic
    from metrics.models import Reading
    from pillars.models import StrategicPlan

    label, slug = scale.label, slug_of(scale)
    plan = StrategicPlan.objects.filter(slug=slug, is_synthetic=True).first()
    if plan is not None and args.reuse:
        count = Reading.objects.filter(metric__plan=plan).count()
        if count == scale.readings:
            note(f"scale {label}: reusing {slug} ({count:,} readings)")
            figure(f"scale_{label}_readings", count, "readings")
            return plan
    note(f"scale {label}: {scale}")
    seconds, result = timed(
        synthetic.generate, slug=slug, metrics=scale.metrics, districts=scale.districts,
        groups=scale.groups, months=scale.months, seed=2024, replace=True,
        log=lambda message: note(message.strip()),
    )
    figure(f"scale_{label}_readings", result.readings, "readings")
    figure(f"generate_seconds_{label}", seconds, "s")
    return result.plan


def give_slices(plan, other):
    """The small plan shows the large plan's districts and groups (without readings)."""
    plan.districts.add(*other.districts.all())
    plan.student_groups.add(*other.student_groups.all())


def aim(name, value):
    figure(f"{name}_aim", value)


def run_scale(scale, plan, args, results, timings=True):
    from django.db import connection
    from django.test import Client

    from metrics import aggregates
    from metrics.models import District, StudentGroup

    label = scale.label
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total_district, total_group = District.objects.total().pk, StudentGroup.objects.total().pk

    if timings:
        note("full rebuilds")
        aggregates.rebuild()  # the first one writes what changed since the generation
        rebuild = median_time(aggregates.rebuild, 3)
        figure(f"full_rebuild_seconds_{label}", rebuild, "s")

        note("bare SQL")
        query = bare_sql(connection, total_district, total_group)
        rows = query()
        bare = median_time(query, 3)
        note(f"bare SQL: {rows[0]:,} latest rows, {rows[1]:,} county-wide series rows")
        figure(f"bare_sql_seconds_{label}", bare, "s")
        figure(f"full_rebuild_vs_bare_sql_ratio_{label}", rebuild / bare if bare else 0.0)
        aim("full_rebuild_vs_bare_sql_ratio", AIMS["full_rebuild_vs_bare_sql_ratio"])

    page_metric, count_metric = choose_metrics(plan)
    if timings:
        measure_incremental(count_metric, label, total_district, total_group)

    client = Client(raise_request_exception=False)
    client.force_login(bench_user())
    pillar = plan.pillars.order_by("order").first()
    urls = {
        "overview_page": f"/plans/{plan.slug}/",
        "pillar_page": f"/plans/{plan.slug}/pillars/{pillar.slug}/",
        "metric_page": f"/plans/{plan.slug}/metrics/{page_metric.code}/",
    }
    note("pages")
    measure_pages(client, urls, label, args, results)
    return client, urls


def measure_incremental(metric, label, total_district, total_group):
    """One reading changed through the service, then the in-process rebuild of its slice
    (median of 20): the county-wide slice (judged, roll-ups when its status moves), a
    district slice, and the whole metric (what a target change needs)."""
    from metrics import aggregates
    from metrics.models import Reading

    note(f"incremental rebuild of {metric.code}")
    write = correct_one_reading(metric)
    figure(f"reading_record_ms_{label}", 1000 * write, "ms")  # includes its in-process rebuild
    county = (metric.pk, total_district, total_group)
    incremental = median_time(lambda: aggregates.rebuild([], slices=[county]), 20)
    figure(f"incremental_rebuild_ms_{label}", 1000 * incremental, "ms")
    figure("incremental_rebuild_ms", 1000 * incremental, "ms")
    aim("incremental_rebuild_ms", AIMS["incremental_rebuild_ms"])
    other = (
        Reading.objects.filter(metric=metric).exclude(district_id=total_district)
        .values_list("metric_id", "district_id", "student_group_id").first()
    )
    if other:
        district = median_time(lambda: aggregates.rebuild([], slices=[other]), 20)
        figure(f"incremental_rebuild_district_slice_ms_{label}", 1000 * district, "ms")
    whole = median_time(lambda: aggregates.rebuild([metric.pk]), 5)
    figure(f"incremental_rebuild_whole_metric_ms_{label}", 1000 * whole, "ms")


def compare(client, small_urls, large_urls, results, args, pages=PAGES):
    """Each page's time at the large scale against the small, requests of the two
    alternating so that other work on the machine slows both alike: warm (the cached
    parts served) and cold (the cache emptied before each request)."""
    from django.core.cache import cache

    for page in pages:
        a, b = results.get((page, "small")), results.get((page, "large"))
        if not a or not b:
            continue
        for kind, clear in (("", False), ("cold_", True)):
            times = {"small": [], "large": []}
            for _ in range(args.requests if not clear else COLD_RUNS):
                for scale, urls in (("small", small_urls), ("large", large_urls)):
                    if clear:
                        cache.clear()
                    times[scale].append(timed(client.get, urls[page])[0])
            small, large = (statistics.median(times[k]) for k in ("small", "large"))
            figure(f"{page}_{kind}time_ratio_large_vs_small", large / small if small else 0.0)
        aim(f"{page}_time_ratio_large_vs_small", AIMS["time_ratio_large_vs_small"])
        same = a["queries"] == b["queries"]
        figure(
            f"queries_{page}_equal_across_scales",
            "yes" if same else f"no ({a['queries']} vs {b['queries']})",
        )


def measure_by_district(client, plans, args, results):
    """Issue 16: the metric page's equity views at both scales: "By district" (its
    sortable table and the heat map district x group of the table's page) and "By student
    group" within one district (`?view=groups&district=`: its 15 groups). The small plan's
    metric has no district figure, the large one's 80 districts x 15 groups. Printed as
    `metric_by_district_*` and `metric_by_group_district_*` (and their `queries_*`), with
    the ratio large/small, requests alternating (compare)."""
    from metrics.models import District

    pages = ("metric_by_district", "metric_by_group_district")
    urls = {}
    for scale, plan in plans.items():
        page_metric, _ = choose_metrics(plan)
        # The same district at both scales (the small plan shows the large one's).
        district = District.objects.own(plan).filter(is_total=False).order_by("name").first()
        base = f"/plans/{plan.slug}/metrics/{page_metric.code}/"
        urls[scale] = {"metric_by_district": f"{base}?view=districts",
                       "metric_by_group_district": f"{base}?view=groups&district={district.pk}"}
        measure_pages(client, urls[scale], scale.label, args, results)
    small, large = plans
    compare(client, urls[small], urls[large], results, args, pages=pages)


def reload_status(client, url, label):
    """What a browser's reload of an unchanged page gets: 304 when it sends the ETag it
    was given (pillars/page_cache.py), with the aim."""
    first = client.get(url)
    etag = first.get("ETag")
    again = client.get(url, HTTP_IF_NONE_MATCH=etag) if etag else first
    figure(f"public_metric_page_reload_status_{label}", again.status_code, "(aim: 304)")


def measure_public_metric_page(plans, args, results):
    """Issue 17: the metric page as a signed-out visitor of a public plan gets it (the
    public view: published county-wide figures, its trend and Dashboard placement), at
    the small and the large scale: queries and time ratio, as the staff pages. The
    publication worker (issue 16) decides each figure; here the page metric's figures
    are marked published as it would, so the page shows them. Each plan is made public
    for the measurement only."""
    from django.test import Client

    from metrics.models import MetricSnapshot, Publication, Reading

    client = Client(raise_request_exception=False)
    urls = {}
    try:
        for scale, plan in plans.items():
            plan.is_public = True
            plan.save(update_fields=["is_public"])
            metric, _ = choose_metrics(plan)
            Reading.objects.filter(metric=metric).update(publication=Publication.PUBLISHED)
            MetricSnapshot.objects.filter(metric=metric).update(
                latest_publication=Publication.PUBLISHED,
                previous_publication=Publication.PUBLISHED)
            # The API's readings endpoint without a token (the public plan's published
            # figures) beside the page (issue 17): its first page and the page its `next`
            # cursor links to, full pages of the same size at both scales (the small
            # metric has 36 rows: the next page is of 18, so that it is full too).
            readings = f"/api/v1/readings/?plan={plan.slug}&metric={metric.code}&page_size="
            urls[scale] = {
                "public_metric_page": f"/plans/{plan.slug}/metrics/{metric.code}/",
                "api_readings": readings + "30",
                "api_readings_next": client.get(readings + "18").json()["next"],
            }
            note(f"public metric page and API readings, {scale.label}")
            measure_pages(client, urls[scale], scale.label, args, results)
            reload_status(client, urls[scale]["public_metric_page"], scale.label)
        small, large = urls
        compare(client, urls[small], urls[large], results, args,
                pages=("public_metric_page", "api_readings", "api_readings_next"))
    finally:
        for plan in plans.values():
            plan.is_public = False
            plan.save(update_fields=["is_public"])


def measure_pillar_sizes(args, client):
    """Issue 12: the page of a 300-metric pillar against a 30-metric one, requests
    alternating; warm and cold."""
    from django.core.cache import cache

    from metrics import aggregates

    urls = {}
    for size, scale in PILLAR_SIZES.items():
        plan = generate_scale(scale, args)
        aggregates.rebuild([m.pk for m in plan.metrics.all()])
        pillar = plan.pillars.order_by("order").first()
        note(f"pillar {pillar.slug} of {plan.slug}: {pillar.metrics.count()} metrics")
        urls[size] = f"/plans/{plan.slug}/pillars/{pillar.slug}/"
        for _ in range(2):
            client.get(urls[size])
    for kind, clear, runs in (("", False, args.requests), ("cold_", True, COLD_RUNS)):
        times = {size: [] for size in urls}
        for _ in range(runs):
            for size, url in urls.items():
                if clear:
                    cache.clear()
                times[size].append(1000 * timed(client.get, url)[0])
        for size in urls:
            figure(f"pillar_{size}_metrics_{kind}median_ms", statistics.median(times[size]), "ms")
        figure(f"pillar_300_vs_30_{kind}time_ratio",
               statistics.median(times[300]) / statistics.median(times[30]))
    aim("pillar_300_vs_30_time_ratio", AIMS["pillar_300_vs_30_time_ratio"])


def measure_served(client, urls):
    """Throughput under gunicorn, and the overview's first-load transfer (throughput.py)."""
    import throughput
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    env = throughput.production_environment(settings.SECRET_KEY)
    figure("throughput_cache", "redis" if env.get("REDIS_URL") else "per worker (locmem)")
    with throughput.Server(env, note) as server:
        note("first-load transfer of the overview page")
        throughput.first_load(server, urls["overview_page"], cookie, figure, note)
        throughput.throughput(
            server, {k: urls[k] for k in ("overview_page", "pillar_page")}, cookie, figure, note
        )


def main(argv=None):
    args = parse_args(argv)
    small, large = SMALL, args.large
    if small.label == large.label:
        parser_error = f"the large scale ({large}) must differ from the small one ({small})"
        raise SystemExit(parser_error)
    configure_environment()
    # Other work on the machine slows every figure: say how busy it was.
    figure("cpu_count", os.cpu_count(), "cpus")
    figure("load_average_1min_start", os.getloadavg()[0])
    kind, folder = prepare_database(args.reuse)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    try:
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        name = str(settings.DATABASES["default"]["NAME"])
        if not (name == BENCH_DB or (folder and name.startswith(str(folder)))):
            raise SystemExit(f"refusing to run on database {name!r}")
        note("migrate")
        call_command("migrate", verbosity=0, interactive=False)
        results = {}
        # The large scale first: it makes the districts and groups the small plan shows.
        large_plan = generate_scale(large, args)
        small_plan = generate_scale(small, args)
        give_slices(small_plan, large_plan)
        if args.only == "public":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            measure_public_metric_page({small: small_plan, large: large_plan}, args, results)
            figure("load_average_1min_end", os.getloadavg()[0])
            return
        if args.only == "pages":  # no timed rebuilds: one, so the aggregates are whole
            from metrics import aggregates

            aggregates.rebuild()
        _, small_urls = run_scale(small, small_plan, args, results, timings=False)
        client, urls = run_scale(large, large_plan, args, results,
                                 timings=args.only != "pages")
        compare(client, small_urls, urls, results, args)
        note("the metric page by district and by group")
        measure_by_district(client, {small: small_plan, large: large_plan}, args, results)
        measure_public_metric_page({small: small_plan, large: large_plan}, args, results)
        if args.only == "pages":
            figure("load_average_1min_end", os.getloadavg()[0])
            return
        note("pillar pages of 30 and 300 metrics")
        measure_pillar_sizes(args, client)
        if not args.no_load:
            measure_served(client, urls)
        figure("load_average_1min_end", os.getloadavg()[0])
        figure("bench_seconds", time.perf_counter() - STARTED, "s")
    finally:
        drop_database(kind, folder, args.keep)


if __name__ == "__main__":
    main()
