"""Big loads: the readings' foreign keys off during a COPY, and a plan's readings deleted
in one statement."""

import time
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction

from ..models import Metric, Reading
from .sql import (
    _quote,
)

# DEFERRABLE INITIALLY DEFERRED, so each row queues a check for the commit, and
# those queued checks were half the load time (measured: about 10 s per million
# rows); validating a re-added key is one join, well under a second here.
# Indexes stay: rebuilding them all took longer than maintaining them.
BULK_MODE_MIN_ROWS = 200_000


@contextmanager
def bulk_load_mode(rows, log):
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
    table = _quote(Reading._meta.db_table)
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
                [Reading._meta.db_table],
            )
            foreign_keys = cursor.fetchall()
            for name, _ in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")
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
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}")
    log(f"  foreign keys back and validated in {time.perf_counter() - clock:.1f} s")


def delete_readings_of_plan(plan_id):
    """Delete every reading of a plan in one statement, without history rows or signals
    (a cascade through the ORM writes one history row per reading)."""
    with connection.cursor() as cursor:
        cursor.execute(  # table names come from the models, the plan id is a parameter
            f"DELETE FROM {_quote(Reading._meta.db_table)} WHERE metric_id IN "  # noqa: S608
            f"(SELECT id FROM {_quote(Metric._meta.db_table)} WHERE plan_id = %s)",
            [plan_id],
        )


