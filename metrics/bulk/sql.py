"""Building blocks of the bulk writer: COPY text, quoting, ids, adapters."""

from functools import partial

from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations

from ..models import Reading

CHUNK = 5_000  # rows per COPY or executemany of the import
SERIES_CHUNK = 50_000  # rows per executemany of a series on SQLite
HISTORY_STAMP = ("history_date", "history_change_reason", "history_type", "history_user_id")
# What a series fills per row, in this order; approved_value repeats value.
SERIES_FIELDS = ("metric_id", "period", "period_start", "period_end", "district_id",
                 "student_group_id", "value", "approved_value")
_FIELD = {"approved_by_id": "approved_by", "entered_by_id": "entered_by"}




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


# --- Building blocks ------------------------------------------------------------------


def _quote(name):
    return connection.ops.quote_name(name)


def _columns(fields):
    return ", ".join(_quote(f.column) for f in fields)


def _history_fields(fields):
    """The history table's fields in the order of `fields` (a history row repeats the
    reading's values), then its own: date, change reason, type, user. A field the
    history leaves out (HistoricalRecords' excluded_fields: Reading.publication) has
    no history field and is skipped: `_in_history(fields)` are the reading's fields
    that these repeat."""
    model = Reading.history.model
    by_name = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    ordered = [by_name[f.attname] for f in _in_history(fields)]
    ordered += [by_name[n] for n in HISTORY_STAMP]
    if len(ordered) != len(by_name):  # a history field the writer would leave out
        missing = set(by_name) - {f.attname for f in ordered}
        raise NotImplementedError(f"The bulk writer does not fill history fields {missing}.")
    return ordered


def _in_history(fields):
    """Those of the reading's `fields` that its history rows repeat, in order."""
    kept = {f.attname for f in Reading.history.model._meta.concrete_fields}
    return [f for f in fields if f.attname in kept]


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
