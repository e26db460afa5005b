"""The cell attributes of our tables (metrics/_table.html through figures.td_attrs): worked
out once per column where no attribute depends on the row, per row where one does."""

import django_tables2 as tables
from django.template.loader import render_to_string
from django.test import RequestFactory

from metrics.tables import BaseTable


class Lines(BaseTable):
    name = tables.Column()
    value = tables.Column(attrs={"td": {"class": "num"}})
    kind = tables.Column(attrs={"td": {"data-kind": lambda record: record["kind"]}})


ROWS = [{"name": "a", "value": 1, "kind": "odd"}, {"name": "b", "value": 2, "kind": "even"}]


def _html(table):
    return render_to_string("metrics/_table.html", {"table": table},
                            request=RequestFactory().get("/"))


def test_a_static_cell_attribute_is_written_on_every_row():
    html = _html(Lines(ROWS))
    assert html.count('<td class="num">') == 2


def test_an_attribute_of_the_row_is_worked_out_for_each_row():
    html = _html(Lines(ROWS))
    assert 'data-kind="odd"' in html and 'data-kind="even"' in html


def test_the_attributes_are_worked_out_once_per_column_where_none_depends_on_the_row(
        monkeypatch):
    calls = []
    original = tables.columns.BoundColumn.attrs

    def counted(self):
        calls.append(self.name)
        return original.fget(self)

    monkeypatch.setattr(tables.columns.BoundColumn, "attrs", property(counted))
    _html(Lines(ROWS * 10))
    cells = [name for name in calls if name == "value"]
    # One for its header, one for its first cell; the kind column's for every row.
    assert len(cells) <= 2
    assert calls.count("kind") >= 20
