"""The one set-based writer of readings: COPY on PostgreSQL, executemany on SQLite.

Two callers, two shapes of the same write:
- the spreadsheet import (metrics/imports/rows.py) inserts new readings and updates
  changed ones, each with its history row (type "+" or "~", history_user = the
  importing user): `ReadingWriter(now=..., user=...)`, `.insert()`, `.update()`;
- the synthetic generator (metrics/synthetic) loads millions of approved readings
  without history, one metric and period over many (district, group) slices per call:
  `ReadingWriter(now=..., history=False).series()`, optionally inside
  `bulk_load_mode()` (the table's foreign keys off during a big load).

Why not the ORM: Reading.objects.bulk_create and simple_history's
bulk_create_with_history compile every value of every row through the ORM: measured
about 150 µs per reading and as much again for its history row (under 3,000 rows/s),
and bulk_update about 6 ms per row. Here the same columns, converted by the same
database adapters, go through COPY or executemany. Every field not given per row
takes what Reading() gives it (`reading_fields`), so a field added to the model later
is written too. Nothing here sends a signal or asks for a rebuild: the callers do.
"""

import time
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import FileField

from .models import Metric, Reading, ReadingState

CHUNK = 5_000  # rows per COPY or executemany of the import
SERIES_CHUNK = 50_000  # rows per executemany of a series on SQLite
HISTORY_STAMP = ("history_date", "history_change_reason", "history_type", "history_user_id")
# What a series fills per row, in this order; approved_value repeats value.
SERIES_FIELDS = ("metric_id", "period", "period_start", "period_end", "district_id",
                 "student_group_id", "value", "approved_value")
_FIELD = {"approved_by_id": "approved_by", "entered_by_id": "entered_by"}


def reading_fields(**values):
    """Every field of a new reading, by attname, as Reading(**values) sets it (defaults
    included); a file field as its stored name, as Reading.objects.values() gives it."""
    blank = Reading(**values)
    return {
        f.attname: f.get_prep_value(value) if isinstance(f, FileField) else value
        for f in Reading._meta.concrete_fields
        for value in [getattr(blank, f.attname)]
    }


class ReadingWriter:
    """Writes readings set-based in the caller's transaction; `history` rows optional."""

    def __init__(self, *, now, user=None, history=True):
        if connection.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(
                f"Readings are bulk-written to SQLite or PostgreSQL only, not to "
                f"{connection.vendor}."
            )
        self.now, self.user = now, user
        self.fields = list(Reading._meta.concrete_fields)
        self.adapters = {f.attname: _adapter(f) for f in self.fields}  # memos: one write long
        self.table = _quote(Reading._meta.db_table)
        self.history = history and getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        self.history_table = _quote(Reading.history.model._meta.db_table)
        date = self.adapters["updated_at"] or (lambda value: value)
        user_id = user.pk if user is not None else None
        self.stamp = {kind: (date(now), None, kind, user_id) for kind in ("+", "~")}

    # --- The import: new and changed readings, with history -----------------------------

    def insert(self, rows, fields):
        """New readings: each row a list of the values of `fields` (attnames), the first
        of them "id" (None, taken here from the table's sequence so that history rows can
        name them). Every other field as Reading() sets it, entered by the user, now."""
        if not rows:
            return
        assert fields[0] == "id", "ids are taken here"
        if connection.vendor == "postgresql":
            self._insert_selected(rows, fields)
            return
        with connection.cursor() as cursor:
            for row, pk in zip(rows, _next_ids(cursor, len(rows)), strict=True):
                row[0] = pk
            blank = reading_fields(entered_by=self.user, created_at=self.now,
                                   updated_at=self.now)
            constants = {name: value for name, value in blank.items() if name not in fields}
            ordered = [*(Reading._meta.get_field(name) for name in fields),
                       *(f for f in self.fields if f.attname not in fields)]
            self._load(cursor, self.table, rows, "+", ordered, constants)

    def _insert_selected(self, rows, fields):
        """PostgreSQL: the rows' own values (but the id) COPY'd into a temporary table,
        then one statement inserts the readings (ids from the table's default, every
        other field a constant parameter) and, from what it inserted, their history."""
        temp = _quote("bulk_reading_new")
        own = [Reading._meta.get_field(name) for name in fields[1:]]
        blank = reading_fields(entered_by=self.user, created_at=self.now, updated_at=self.now)
        rest = [f for f in self.fields if f.attname not in fields]
        selected = ", ".join([
            *(f"c.{_quote(f.column)}" for f in own),
            *(f"%s::{f.db_type(connection)}" for f in rest),
        ])
        params = [self._adapt(f.attname, blank[f.attname]) for f in rest]
        inserted = [*own, *rest]
        with connection.cursor() as cursor:
            cursor.execute(  # every name here comes from the model, none from a file
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {_columns(own)} "  # noqa: S608
                f"FROM {self.table} WHERE 1 = 0"
            )
            texts = [_COPY_TEXT.get(f.get_internal_type(), _copy_text) for f in own]
            _copy_lines(cursor, temp, own, [
                "\t".join([text(value) for text, value in zip(texts, row[1:], strict=True)])
                for row in rows
            ], "\n")
            insert = (f"INSERT INTO {self.table} ({_columns(inserted)}) "  # noqa: S608
                      f"SELECT {selected} FROM {temp} AS c")
            if self.history:
                history = _history_fields(self.fields)
                copied = ", ".join(f"i.{_quote(f.column)}" for f in self.fields)
                stamp = ", ".join(
                    f"%s::{f.db_type(connection)}" for f in history[len(self.fields):]
                )
                insert = (
                    f"WITH i AS ({insert} RETURNING {_columns(self.fields)}) "  # noqa: S608
                    f"INSERT INTO {self.history_table} ({_columns(history)}) "
                    f"SELECT {copied}, {stamp} FROM i"
                )
                params += list(self.stamp["+"])
            cursor.execute(insert, params)
            cursor.execute(f"DROP TABLE {temp}")

    def update(self, rows, fields):
        """Changed readings: each row the values of `fields` (attnames, the first "id"),
        loaded into a temporary table, then one UPDATE ... FROM it; each history row is
        the reading as updated, copied by the database (INSERT ... SELECT)."""
        if not rows:
            return
        assert fields[0] == "id", "rows are matched by id"
        temp = _quote("bulk_reading_changes")
        columns = [Reading._meta.get_field(_FIELD.get(name, name)) for name in fields]
        with connection.cursor() as cursor:
            cursor.execute(  # every name here comes from the model, none from a file
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {_columns(columns)} "  # noqa: S608
                f"FROM {self.table} WHERE 1 = 0"
            )
            self._load(cursor, temp, rows, None, columns, {})
            assignments = ", ".join(
                f"{_quote(f.column)} = c.{_quote(f.column)}" for f in columns[1:]
            )
            cursor.execute(
                f"UPDATE {self.table} AS r SET {assignments} FROM {temp} AS c "  # noqa: S608
                "WHERE r.id = c.id"
            )
            if self.history:
                history = _history_fields(self.fields)
                copied = ", ".join(f"r.{_quote(f.column)}" for f in self.fields)
                cursor.execute(
                    f"INSERT INTO {self.history_table} ({_columns(history)}) "  # noqa: S608
                    f"SELECT {copied}, %s, %s, %s, %s FROM {self.table} AS r "
                    f"JOIN {temp} AS c ON r.id = c.id",
                    list(self.stamp["~"]),
                )
            # Dropped on success; after an error the rollback takes it away as well.
            cursor.execute(f"DROP TABLE {temp}")

    def _load(self, cursor, table, rows, kind, fields, constants):
        """Rows of `fields` (in that order): each row's own values first, then the same
        `constants` for the last fields; and, when `kind` ("+") and history is kept, the
        history row of each (the same values, then its stamp)."""
        own = [f.attname for f in fields if f.attname not in constants]
        assert [f.attname for f in fields[:len(own)]] == own, "constants come last"
        values = [constants[f.attname] for f in fields if f.attname in constants]
        history = _history_fields(fields) if self.history and kind else None
        if connection.vendor == "postgresql":
            self._copy(cursor, table, rows, fields, values, history, kind)
            return
        adapters = [(i, self.adapters[n]) for i, n in enumerate(own) if self.adapters[n]]
        tail = tuple(self._adapt(f.attname, v) for f, v in zip(fields[len(own):], values,
                                                               strict=True))
        stamp = self.stamp[kind] if history else ()
        for start in range(0, len(rows), CHUNK):
            chunk = []
            for item in rows[start:start + CHUNK]:
                row = list(item)
                for index, adapt in adapters:
                    row[index] = adapt(row[index])
                chunk.append((*row, *tail))
            _load(cursor, table, fields, chunk)
            if history:
                _load(cursor, self.history_table, history, [(*row, *stamp) for row in chunk])

    def _copy(self, cursor, table, rows, fields, constants, history, kind):
        """PostgreSQL: each row made COPY text once (per column, the text of its kind of
        value), sent to the table and, with its stamp, to the history table."""
        count = len(fields) - len(constants)
        texts = [_COPY_TEXT.get(f.get_internal_type(), _copy_text) for f in fields[:count]]
        tail = "".join("\t" + _copy_text(v) for v in constants)
        lines = [
            "\t".join([text(value) for text, value in zip(texts, row, strict=True)]) + tail
            for row in rows
        ]
        _copy_lines(cursor, table, fields, lines, "\n")
        if history:
            stamp = "".join("\t" + _copy_text(v) for v in self.stamp[kind]) + "\n"
            _copy_lines(cursor, self.history_table, history, lines, stamp)

    def _adapt(self, attname, value):
        adapt = self.adapters[attname]
        return adapt(value) if adapt else value

    # --- The generator: published figures, many slices at a time ------------------------

    @contextmanager
    def series(self):
        """Approved readings by nobody (published figures), without history. Yields
        `write(metric_id, period, slices, values)`: one reading per (district id, group
        id) of `slices`, for one metric and Period, `values` as decimal text."""
        constants = {
            name: value for name, value in reading_fields(
                state=ReadingState.APPROVED, created_at=self.now, updated_at=self.now,
                approved_at=self.now,
            ).items() if name not in SERIES_FIELDS and name != "id"
        }
        names = [*SERIES_FIELDS, *constants]
        fields = [Reading._meta.get_field(name) for name in names]
        loader = _CopySeries if connection.vendor == "postgresql" else _ManySeries
        tail = [self._adapt(name, value) for name, value in constants.items()]
        with connection.cursor() as cursor, loader(cursor, self.table, fields, tail) as load:
            yield load.write


class _CopySeries:
    """One COPY ... FROM STDIN in text format for the whole load, one write per call."""

    def __init__(self, cursor, table, fields, tail):
        self.sql = f"COPY {table} ({_columns(fields)}) FROM STDIN"
        self.cursor = cursor
        self.tail = "".join("\t" + _copy_text(v) for v in tail) + "\n"
        self.middles = {}

    def __enter__(self):
        self.copy_cm = self.cursor.cursor.copy(self.sql)
        self.copy = self.copy_cm.__enter__()
        return self

    def __exit__(self, *exc):
        with connection.wrap_database_errors:
            return self.copy_cm.__exit__(*exc)

    def write(self, metric_id, period, slices, values):
        middles = self.middles.get(id(slices))
        if middles is None:
            middles = self.middles[id(slices)] = [f"{d}\t{g}\t" for d, g in slices]
        head = f"{metric_id}\t{period.text}\t{period.start}\t{period.end}\t"
        tail = self.tail
        self.copy.write("".join(
            [head + m + v + "\t" + v + tail for m, v in zip(middles, values, strict=True)]
        ))


class _ManySeries:
    """executemany in chunks: SQLite has no COPY, and one statement per row is slow."""

    def __init__(self, cursor, table, fields, tail):
        self.cursor, self.table, self.fields = cursor, table, fields
        self.tail = tuple(tail)
        self.rows = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self._flush()

    def write(self, metric_id, period, slices, values):
        start, end, text, tail = (period.start.isoformat(), period.end.isoformat(),
                                  period.text, self.tail)
        self.rows.extend(
            (metric_id, text, start, end, d, g, v, v, *tail)
            for (d, g), v in zip(slices, values, strict=True)
        )
        if len(self.rows) >= SERIES_CHUNK:
            self._flush()

    def _flush(self):
        if self.rows:
            _load(self.cursor, self.table, self.fields, self.rows)
            self.rows = []


def _copy_lines(cursor, table, fields, lines, end):
    """COPY `lines` (COPY text, each then `end`) into `table`, in chunks of CHUNK lines."""
    with connection.wrap_database_errors, cursor.cursor.copy(
        f"COPY {table} ({_columns(fields)}) FROM STDIN"
    ) as copy:
        for start in range(0, len(lines), CHUNK):
            copy.write(end.join(lines[start:start + CHUNK]) + end)


def _copy_number(value):
    return "\\N" if value is None else str(value)


def _copy_str(value):
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return _copy_text(value)
    return value


# COPY text of a value, by the field's kind; any other kind goes through _copy_text.
_COPY_TEXT = {
    **dict.fromkeys(("AutoField", "BigAutoField", "BigIntegerField", "ForeignKey",
                     "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                     "SmallIntegerField", "DecimalField"), _copy_number),
    **dict.fromkeys(("CharField", "TextField", "SlugField", "URLField"), _copy_str),
}


def _copy_text(value):
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(raw, escaped)
    return text


# From about this many rows, dropping the readings' foreign keys and adding them
# back after the COPY beats checking them row by row: Django makes them
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


# --- Building blocks ------------------------------------------------------------------


def _quote(name):
    return connection.ops.quote_name(name)


def _columns(fields):
    return ", ".join(_quote(f.column) for f in fields)


def _history_fields(fields):
    """The history table's fields in the order of `fields` (a history row repeats the
    reading's values), then its own: date, change reason, type, user."""
    model = Reading.history.model
    by_name = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    ordered = [by_name[f.attname] for f in fields] + [by_name[n] for n in HISTORY_STAMP]
    if len(ordered) != len(by_name):  # a history field the writer would leave out
        missing = set(by_name) - {f.attname for f in ordered}
        raise NotImplementedError(f"The bulk writer does not fill history fields {missing}.")
    return ordered


def _next_ids(cursor, count):
    """`count` new reading ids, taken from the table's sequence (PostgreSQL), or after the
    largest ever given (SQLite AUTOINCREMENT; the transaction holds the write lock)."""
    table = Reading._meta.db_table
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]
    cursor.execute(f"SELECT MAX(id) FROM {_quote(table)}")  # noqa: S608
    largest = cursor.fetchone()[0] or 0
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    first = max(largest, row[0] if row else 0) + 1
    return range(first, first + count)


def _load(cursor, table, fields, rows):
    """Insert `rows` into `table`: COPY on PostgreSQL, executemany on SQLite."""
    if connection.vendor == "postgresql":
        with connection.wrap_database_errors, cursor.cursor.copy(
            f"COPY {table} ({_columns(fields)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({_columns(fields)}) VALUES ({marks})", rows)  # noqa: S608


def _adapter(field):
    """How the ORM turns a Python value of `field` into a database value, when it is not
    the value itself; memoised per value for dates and times (few distinct ones)."""
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return _memoised(ops.adapt_datetimefield_value)
    if kind == "DateField":
        return _memoised(ops.adapt_datefield_value)
    if kind == "DecimalField":
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            return None  # passed as it is; the driver adapts Decimal
        return partial(ops.adapt_decimalfield_value, max_digits=field.max_digits,
                       decimal_places=field.decimal_places)
    if kind in _PLAIN_KINDS:
        return None
    return partial(_prep, field)


_PLAIN_KINDS = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "FileField",
    "ForeignKey", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "SlugField", "SmallIntegerField", "TextField", "URLField",
})


def _prep(field, value):
    return field.get_db_prep_save(value, connection)


def _memoised(adapt):
    seen = {}

    def adapted(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = adapt(value)
            return result

    return adapted
