"""Spreadsheet import throughput: a 100,000-row CSV through metrics.imports.

    .venv/bin/python bench/import_bench.py [--rows 100000]

Each database gets its own run in a child process (Django is set up once per
process): a temporary SQLite file, then PostgreSQL when reachable (it creates and
drops its own database, lacoe_kpi_import_bench, on BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/). A synthetic plan (flagged is_synthetic) with
20 metrics, 50 districts and 10 student groups gets one reading per metric, district,
group and month; a data steward who owns every metric imports the file.

Timed: `import_rows` (checking every row and writing all of them in one transaction,
with history rows), without the aggregate rebuild, which is timed on its own.
`read_upload` (parsing the CSV) is timed on its own too. Then the same file again
with every value changed (the bulk_update path). One figure per line, `name: value unit`.
Query logging is off (as in production) while timing.
"""

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "lacoe_kpi_import_bench"
METRICS, DISTRICTS, GROUPS = 20, 50, 10
UNITS = ("count", "percent", "currency", "rating", "ratio")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.rows)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DEBUG"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        env["DATABASE_URL"] = f"sqlite:///{tmp}/import-bench.sqlite3"
        status = _run("sqlite", args.rows, env)
    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/")
    admin = _pg_admin(server)
    if admin is None:
        print(f"PostgreSQL not reachable at {server}: skipped", file=sys.stderr)
        return status
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        admin.execute(f"CREATE DATABASE {PG_DATABASE}")
        env["DATABASE_URL"] = server.rstrip("/") + "/" + PG_DATABASE
        status = _run("postgres", args.rows, env) or status
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.close()
    return status


def _run(db, rows, env):
    return subprocess.run(  # noqa: S603 (this very script, again)
        [sys.executable, __file__, "--child", db, "--rows", str(rows)], env=env, cwd=ROOT,
        check=False,
    ).returncode


def _pg_admin(server):
    try:
        import psycopg

        return psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True, connect_timeout=3)
    except Exception:  # not installed, not running, refused: the figure is skipped
        return None


def child(db, rows):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacoe_kpi.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # no query log while timing, as in production
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "readings.csv"
        return _measure(db, rows, path)


def _measure(db, rows, path):
    user, plan = _setup(rows)
    _write_csv(path, rows, plan)

    from metrics import aggregates, imports
    from metrics.models import Reading

    flushed = []
    aggregates._flush = lambda: flushed.append(1)  # the rebuild is timed on its own

    def timed_import(label):
        clock = time.perf_counter()
        with open(path, "rb") as stream:
            parsed = imports.read_upload(stream)
        read = time.perf_counter() - clock
        clock, cpu = time.perf_counter(), time.process_time()
        report = imports.import_rows(plan=plan, rows=parsed, user=user)
        seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
        assert report.written and report.rejected == 0, report.to_json(cap=3)
        clock = time.perf_counter()
        aggregates.rebuild(sorted(report.metric_ids))
        rebuild = time.perf_counter() - clock
        print(f"import{label}_rows_per_second_{db}: {len(parsed) / seconds:.0f} rows/s")
        print(f"import{label}_seconds_{db}: {seconds:.2f} s")
        # This process's CPU time: all of it on SQLite (in-process); the client's share
        # on PostgreSQL. On a busy machine it shows the cost the wall clock hides.
        print(f"import{label}_cpu_seconds_{db}: {cpu:.2f} s")
        print(f"import{label}_read_seconds_{db}: {read:.2f} s")
        print(f"import{label}_rebuild_seconds_{db}: {rebuild:.2f} s")
        return report

    report = timed_import("")
    assert report.new == rows == Reading.objects.count(), report.counts
    _write_csv(path, rows, plan, bump=1)
    report = timed_import("_update")
    assert report.changed == rows, report.counts
    print(f"import_history_rows_{db}: {Reading.history.count()} rows")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import_peak_memory_{db}: {peak:.0f} MB")
    return 0


def _setup(rows):
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from metrics import roles
    from metrics.models import District, Metric, StudentGroup
    from pillars.models import Pillar, StrategicPlan

    plan = StrategicPlan.objects.create(
        organisation="Synthetic County Office of Education", slug="import-bench",
        name="Import benchmark (synthetic data)", start_year=2022, end_year=2025,
        is_synthetic=True,
    )
    pillar = Pillar.objects.create(plan=plan, order=1, name="Whole child", slug="whole-child",
                                   commitment="Synthetic.")
    user = get_user_model().objects.create_user("bench-steward")
    user.groups.add(Group.objects.get(name=roles.STEWARD))
    for i in range(METRICS):
        unit = UNITS[i % len(UNITS)]
        metric = Metric.objects.create(
            plan=plan, pillar=pillar, code=f"bench-metric-{i:02d}", name=f"Bench metric {i}",
            unit=unit, frequency="monthly",
            scale_min=Decimal(1) if unit == "rating" else None,
            scale_max=Decimal(5) if unit == "rating" else None,
        )
        metric.owners.add(user)
    District.objects.bulk_create(
        District(code=f"bench-district-{i:02d}", name=f"Bench district {i}")
        for i in range(1, DISTRICTS)
    )
    StudentGroup.objects.bulk_create(
        StudentGroup(code=f"bench-group-{i:02d}", name=f"Bench group {i}")
        for i in range(1, GROUPS)
    )
    return user, plan


def _write_csv(path, rows, plan, bump=0):
    from metrics.models import District, Metric, StudentGroup
    from metrics.periods import Period

    metrics = list(Metric.objects.filter(plan=plan).order_by("code"))
    districts = list(District.objects.order_by("-is_total", "code").values_list("code", flat=True))
    groups = list(StudentGroup.objects.order_by("-is_total", "code").values_list("code", flat=True))
    per_month = len(metrics) * len(districts) * len(groups)
    months = -(-rows // per_month)
    periods = [Period.month(2023 + (6 + m) // 12, (6 + m) % 12 + 1).text for m in range(months)]
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["metric_code", "period", "value", "qualifier", "district",
                         "student_group", "note", "source", "approval_state"])
        written = 0
        for period in periods:
            for m, metric in enumerate(metrics):
                for d, district in enumerate(districts):
                    for g, group in enumerate(groups):
                        if written == rows:
                            return
                        writer.writerow([
                            metric.code, period, _value(metric.unit, m + d + g + bump), "",
                            "" if d == 0 else district, "" if g == 0 else group,
                            "", "", "",
                        ])
                        written += 1


def _value(unit, n):
    if unit == "percent":
        return f"{n % 100}.5"
    if unit == "rating":
        return f"{1 + n % 4}.25"
    if unit == "currency":
        return f"{1000 + n * 37}.10"
    if unit == "ratio":
        return f"{n % 50}.125"
    return str(100 + n)


if __name__ == "__main__":
    sys.exit(main())
