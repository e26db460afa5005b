"""The API's pages: numbered pages for the short lists, keyset (cursor) pages for readings.

Readings run to millions of rows (metric x period x district x student group), and
numbered pages cost what the metric's rows cost: a COUNT(*) over all of them and an
ORDER BY that sorts them all to return 30 (the bench's `api_readings` large/small
ratio). A keyset page instead continues after the last row it returned, on the order of
an index (the partial index `reading_keyset` on (metric, period_start, district,
student_group, id), approved rows only): one index range scan of page_size + 1 rows,
whatever the metric's size, no count. The cursor in `next` / `previous` is opaque (DRF's
base64 encoding of that row's key); a row inserted or deleted meanwhile neither repeats
nor skips another, as an offset would.

Why not DRF's own CursorPagination as it is: it keys on the first ordering field only
and steps over its duplicates with an offset (capped at 1,000), which the millions of
readings sharing a metric would exhaust. Its link, cursor encoding, page size and schema
parts are kept; only the position is the whole key, compared as a row value.
"""

import datetime

from django.db.models import F

# Django's row-value lookups (what composite primary keys use): a native
# (a, b, ...) > (x, y, ...) on PostgreSQL, which walks the index from the key; the
# equivalent OR/AND expansion on SQLite.
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from rest_framework import pagination
from rest_framework.exceptions import NotFound

MAX_PAGE_SIZE = 1000
# A reading's place in its pages: unique (id last), and each part the index's.
READING_KEY = ("metric_id", "period_start", "district_id", "student_group_id", "id")
_BIGINT = 2**63


class Pages(pagination.PageNumberPagination):
    """Numbered pages, for the plan's structure (hundreds of rows, not millions)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


def _key_text(row):
    return "|".join(str(getattr(row, name)) for name in READING_KEY)


def _key_from_text(text):
    """The key a cursor names, or NotFound for anything that is not one."""
    parts = (text or "").split("|")
    if len(parts) != len(READING_KEY):
        raise ValueError("not a key")
    metric, start, district, group, pk = parts
    numbers = [int(part) for part in (metric, district, group, pk)]
    if any(not 0 <= n < _BIGINT for n in numbers):  # beyond bigint: PostgreSQL refuses it
        raise ValueError("out of range")
    return (numbers[0], datetime.date.fromisoformat(start), numbers[1], numbers[2], numbers[3])


class KeysetPages(pagination.CursorPagination):
    """Readings in key order (READING_KEY), `page_size` at a time (the default 100, at
    most MAX_PAGE_SIZE); `next` and `previous` are links with an opaque `cursor`."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = READING_KEY
    cursor_query_description = ("Where a page starts: take it from a page's `next` or "
                                "`previous` link, do not write it.")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        cursor = self.decode_cursor(request)
        key = None
        if cursor is not None:
            try:
                key = _key_from_text(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        backwards = bool(cursor and cursor.reverse)
        rows = queryset.order_by(*(f"-{name}" if backwards else name for name in READING_KEY))
        if key is not None:
            after = TupleLessThan if backwards else TupleGreaterThan
            rows = rows.filter(after(Tuple(*(F(name) for name in READING_KEY)), key))
        page = list(rows[:self.page_size + 1])
        more = len(page) > self.page_size
        page = page[:self.page_size]
        if backwards:
            page.reverse()
        # Whence we came there is a page; the extra row says whether there is one beyond.
        # An empty page (its rows deleted meanwhile) has no links: it has no row to
        # continue from.
        came = key is not None and bool(page)
        self.has_next = came if backwards else more
        self.has_previous = more if backwards else came
        self.page = page
        return page

    def get_next_link(self):
        if not self.has_next:
            return None
        return self.encode_cursor(pagination.Cursor(0, False, _key_text(self.page[-1])))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        return self.encode_cursor(pagination.Cursor(0, True, _key_text(self.page[0])))
