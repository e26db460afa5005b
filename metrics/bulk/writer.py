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

from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.models import FileField

from ..models import Publication, Reading, ReadingState
from .sql import (
    _FIELD,
    CHUNK,
    HISTORY_STAMP,
    SERIES_CHUNK,
    SERIES_FIELDS,
    _adapter,
    _columns,
    _copy_text,
    _history_fields,
    _in_history,
    _load,
    _next_ids,
    _quote,
)


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
            _load(cursor, temp, own, (row[1:] for row in rows))
            insert = (f"INSERT INTO {self.table} ({_columns(inserted)}) "  # noqa: S608
                      f"SELECT {selected} FROM {temp} AS c")
            if self.history:
                insert = self._with_history(insert, "+")
                params += list(self.stamp["+"])
            cursor.execute(insert, params)
            cursor.execute(f"DROP TABLE {temp}")

    def update(self, rows, fields):
        """Changed readings: each row the values of `fields` (attnames, the first "id",
        "version" among them: the version the row is saved at, one more than the one its
        values were decided from), loaded into a temporary table, then one UPDATE ...
        FROM it; each history row is the reading as updated, copied by the database.

        Returns how many readings were updated: a reading saved (or deleted) by someone
        else since it was read has another version and is not, so a count short of
        len(rows) is a lost race, for the caller to roll back (no row lock is taken:
        locking 100,000 rows writes each of them once more).

        An approved figure (approved_value, approved_qualifier) that changes puts the
        reading's publication decision back to undecided, as every change of one must
        (Reading.publication): the worker decides again."""
        if not rows:
            return 0
        assert fields[0] == "id", "rows are matched by id"
        assert "version" in fields, "the version guards against lost updates"
        temp = _quote("bulk_reading_changes")
        columns = [Reading._meta.get_field(_FIELD.get(name, name)) for name in fields]
        postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute(  # every name here comes from the model, none from a file
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {_columns(columns)} "  # noqa: S608
                f"FROM {self.table} WHERE 1 = 0"
            )
            self._load(cursor, temp, rows, None, columns, {})
            assignments = [f"{_quote(f.column)} = c.{_quote(f.column)}" for f in columns[1:]]
            if {"approved_value", "approved_qualifier"} & set(fields):
                distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
                changed = " OR ".join(
                    f"{self.table}.{_quote(name)} {distinct} c.{_quote(name)}"
                    for name in ("approved_value", "approved_qualifier") if name in fields
                )
                assignments.append(
                    f"{_quote('publication')} = CASE WHEN {changed} THEN %s "
                    f"ELSE {self.table}.{_quote('publication')} END"
                )
                params = [Publication.UNDECIDED]
            else:
                params = []
            version = _quote("version")
            update = (
                f"UPDATE {self.table} SET {', '.join(assignments)} "  # noqa: S608
                f"FROM {temp} AS c WHERE {self.table}.id = c.id "
                f"AND {self.table}.{version} = c.{version} - 1"
            )
            if self.history and postgres:  # the history from what was updated, no join
                update = self._with_history(update, "~")
                params += list(self.stamp["~"])
            cursor.execute(update, params)
            updated = cursor.rowcount
            if self.history and not postgres:
                history = _history_fields(self.fields)
                copied = ", ".join(f"r.{_quote(f.column)}" for f in _in_history(self.fields))
                cursor.execute(
                    f"INSERT INTO {self.history_table} ({_columns(history)}) "  # noqa: S608
                    f"SELECT {copied}, %s, %s, %s, %s FROM {self.table} AS r "
                    f"JOIN {temp} AS c ON r.id = c.id",
                    list(self.stamp["~"]),
                )
            # Dropped on success; after an error the rollback takes it away as well.
            cursor.execute(f"DROP TABLE {temp}")
        return updated

    def _with_history(self, statement, kind):
        """PostgreSQL: `statement` (an INSERT or UPDATE of readings) and, in the same
        statement, the history row of each reading it wrote, from what it returns; the
        stamp's four parameters (self.stamp[kind]) follow the statement's own."""
        history = _history_fields(self.fields)
        stamp = ", ".join(f"%s::{f.db_type(connection)}" for f in history[-len(HISTORY_STAMP):])
        returned = ", ".join(f"{self.table}.{_quote(f.column)}" for f in self.fields)
        return (  # qualified: an UPDATE ... FROM has the same names in its other table
            f"WITH written AS ({statement} RETURNING {returned}) "  # noqa: S608
            f"INSERT INTO {self.history_table} ({_columns(history)}) "
            f"SELECT {_columns(_in_history(self.fields))}, {stamp} FROM written"
        )

    def _load(self, cursor, table, rows, kind, fields, constants):
        """Rows of `fields` (in that order): each row's own values first, then the same
        `constants` for the last fields; and, when `kind` ("+") and history is kept, the
        history row of each (the same values, then its stamp)."""
        own = [f.attname for f in fields if f.attname not in constants]
        assert [f.attname for f in fields[:len(own)]] == own, "constants come last"
        values = [constants[f.attname] for f in fields if f.attname in constants]
        history = _history_fields(fields) if self.history and kind else None
        adapters = [(i, self.adapters[n]) for i, n in enumerate(own) if self.adapters[n]]
        tail = tuple(self._adapt(f.attname, v) for f, v in zip(fields[len(own):], values,
                                                               strict=True))
        stamp = self.stamp[kind] if history else ()
        kept = _kept_positions(fields)
        for start in range(0, len(rows), CHUNK):
            chunk = []
            for item in rows[start:start + CHUNK]:
                row = list(item)
                for index, adapt in adapters:
                    row[index] = adapt(row[index])
                chunk.append((*row, *tail))
            _load(cursor, table, fields, chunk)
            if history:
                _load(cursor, self.history_table, history,
                      [(*kept(row), *stamp) for row in chunk])

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


def _kept_positions(fields):
    """A function giving, of a row over `fields`, the values its history row repeats."""
    kept = set(_in_history(fields))
    positions = [i for i, f in enumerate(fields) if f in kept]
    return lambda row: [row[i] for i in positions]


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


