"""Benchmark the dashboards on synthetic data at two scales (`make bench`).

Figures go to stdout, one per line as `name: value unit`; progress goes to stderr.
The bench works on its own database: a fresh PostgreSQL database `lacoe_kpi_bench`
when PostgreSQL answers on 127.0.0.1:5432 (dropped at the end unless --keep), else a
temporary SQLite file. It never opens db.sqlite3 and never loads LACOE's figures.

    .venv/bin/python bench/run.py                    # small (1,000) and 4.32 M readings
    .venv/bin/python bench/run.py --quick            # small and 72,000 readings
    .venv/bin/python bench/run.py --large-scale 50,40,10,36
"""

import argparse
import gzip
import inspect
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "lacoe_kpi_bench"
SERVER_URL = "postgresql://postgres@127.0.0.1:5432"
PAGES = ("overview_page", "pillar_page", "metric_page")
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


SMALL = Scale(10, 2, 2, 25)
LARGE = Scale(100, 80, 15, 36)
QUICK = Scale(20, 20, 5, 36)


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
        "--large-scale", metavar="M,D,G,T",
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
    args = parser.parse_args(argv)
    args.large = QUICK if args.quick else LARGE
    if args.large_scale:
        try:
            args.large = Scale(*(int(part) for part in args.large_scale.split(",")))
        except (TypeError, ValueError):
            parser.error("--large-scale takes four whole numbers: metrics,districts,groups,months")
    return args


# --- The bench's own database ---------------------------------------------------------


def prepare_database():
    """Point DATABASE_URL at a fresh bench database; return how to drop it."""
    try:
        import psycopg

        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True, connect_timeout=3) as c:
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


def bare_sql(connection, total_district, total_group):
    """The rows a rebuild derives, computed by the database alone: the latest value
    per metric x district x group and the county-wide monthly series."""
    from metrics.models import Reading

    fields = {f.name for f in Reading._meta.concrete_fields}
    # Dashboards show approved values once readings carry an approval state.
    value, where = ("approved_value", "WHERE approved_value IS NOT NULL") \
        if "approved_value" in fields else ("value", "")
    table = Reading._meta.db_table
    if connection.vendor == "postgresql":
        latest = (
            f"SELECT DISTINCT ON (metric_id, district_id, student_group_id) metric_id, "  # noqa: S608
            f"district_id, student_group_id, period, {value} FROM {table} {where} "
            f"ORDER BY metric_id, district_id, student_group_id, period_end DESC"
        )
    else:  # no DISTINCT ON in SQLite: the same rows through a window
        latest = (
            f"SELECT metric_id, district_id, student_group_id, period, v FROM ("  # noqa: S608
            f"SELECT metric_id, district_id, student_group_id, period, {value} AS v, "
            f"ROW_NUMBER() OVER (PARTITION BY metric_id, district_id, student_group_id "
            f"ORDER BY period_end DESC) AS rn FROM {table} {where}) WHERE rn = 1"
        )
    series = (
        f"SELECT metric_id, period, {value} FROM {table} "  # noqa: S608
        f"WHERE district_id = %s AND student_group_id = %s "
        f"{'AND approved_value IS NOT NULL' if where else ''} "
        f"ORDER BY metric_id, period_end"
    )

    def run():
        with connection.cursor() as cursor:
            cursor.execute(latest)
            rows = len(cursor.fetchall())
            cursor.execute(series, [total_district, total_group])
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
        results[(page, label)] = {"queries": len(queries.captured_queries), "ms": median}
        figure(f"queries_{page}_{label}", len(queries.captured_queries), "queries")
        figure(f"{page}_median_ms_{label}", median, "ms")
        figure(f"{page}_html_bytes_{label}", len(response.content), "bytes")
        if len(times) < args.requests:
            figure(f"{page}_requests_{label}", len(times), "requests")
        note(f"{page}: {len(times)} requests, median {median:.1f} ms")


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        url = attrs.get("href") if tag == "link" else attrs.get("src") if tag == "script" else None
        if url and url not in self.urls:
            self.urls.append(url)


def measure_gzip(client, url):
    """Bytes on the wire for a first visit: the HTML and every same-origin asset it names."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    response = client.get(url)
    if response.status_code != 200:
        figure("overview_gzip_status", response.status_code)
        return
    html = response.content
    parser = _Assets()
    parser.feed(html.decode("utf-8", "replace"))
    static = "/" + settings.STATIC_URL.strip("/") + "/"
    assets = 0
    for asset in parser.urls:
        path = asset.split("?")[0].split("#")[0]
        if not path.startswith(static):
            continue  # another origin, or not a static file
        body = fetch_static(client, path)
        if body is None:
            found = finders.find(path[len(static):])
            body = Path(found).read_bytes() if found else None
        if body is None:
            note(f"asset {path} not found")
            continue
        # Static files are precompressed at the highest level (whitenoise);
        # pages at Django's GZip level, 6.
        size = len(gzip.compress(body, compresslevel=9))
        note(f"asset {path}: {len(body):,} bytes, {size:,} gzipped")
        assets += size
    html_size = len(gzip.compress(html, compresslevel=6))
    figure("overview_gzip_bytes_html", html_size, "bytes")
    figure("overview_gzip_bytes_assets", assets, "bytes")
    figure("overview_gzip_bytes_total", html_size + assets, "bytes")


def fetch_static(client, path):
    response = client.get(path)
    if response.status_code != 200:
        return None
    if response.streaming:
        body = b"".join(response.streaming_content)
        response.close()
        return body
    return response.content


def run_scale(scale, slug, args, results):
    from django.db import connection
    from django.test import Client

    from metrics import aggregates, synthetic
    from metrics.models import District, StudentGroup

    label = scale.label
    note(f"scale {label}: {scale}")
    seconds, result = timed(
        synthetic.generate, slug=slug, metrics=scale.metrics, districts=scale.districts,
        groups=scale.groups, months=scale.months, seed=2024,
        log=lambda message: note(message.strip()),
    )
    figure(f"scale_{label}_readings", result.readings, "readings")
    figure(f"generate_seconds_{label}", seconds, "s")
    plan = result.plan
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    note("full rebuilds")
    rebuild = median_time(aggregates.rebuild, 3)
    figure(f"full_rebuild_seconds_{label}", rebuild, "s")

    note("bare SQL")
    query = bare_sql(connection, District.objects.total().pk, StudentGroup.objects.total().pk)
    rows = query()
    bare = median_time(query, 3)
    note(f"bare SQL: {rows[0]:,} latest rows, {rows[1]:,} county-wide series rows")
    figure(f"bare_sql_seconds_{label}", bare, "s")
    figure(f"full_rebuild_vs_bare_sql_ratio_{label}", rebuild / bare if bare else 0.0)

    page_metric, count_metric = choose_metrics(plan)
    note(f"incremental rebuild of {count_metric.code}")
    write = correct_one_reading(count_metric)
    figure(f"reading_record_ms_{label}", 1000 * write, "ms")  # includes its in-process rebuild
    incremental = median_time(lambda: aggregates.rebuild([count_metric.pk]), 5)
    figure(f"incremental_rebuild_ms_{label}", 1000 * incremental, "ms")

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


def compare(small, large, results):
    for page in PAGES:
        a, b = results.get((page, small.label)), results.get((page, large.label))
        if not a or not b:
            continue
        figure(f"{page}_time_ratio_large_vs_small", b["ms"] / a["ms"] if a["ms"] else 0.0)
        same = a["queries"] == b["queries"]
        figure(
            f"queries_{page}_equal_across_scales",
            "yes" if same else f"no ({a['queries']} vs {b['queries']})",
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
    kind, folder = prepare_database()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    try:
        from django.conf import settings
        from django.core.management import call_command

        name = str(settings.DATABASES["default"]["NAME"])
        if not (name == BENCH_DB or (folder and name.startswith(str(folder)))):
            raise SystemExit(f"refusing to run on database {name!r}")
        note("migrate")
        call_command("migrate", verbosity=0, interactive=False)
        results = {}
        run_scale(small, "synthetic-bench-small", args, results)
        client, urls = run_scale(large, "synthetic-bench-large", args, results)
        compare(small, large, results)
        note("gzip sizes of the overview page")
        measure_gzip(client, urls["overview_page"])
        figure("load_average_1min_end", os.getloadavg()[0])
        figure("bench_seconds", time.perf_counter() - STARTED, "s")
    finally:
        drop_database(kind, folder, args.keep)


if __name__ == "__main__":
    main()
