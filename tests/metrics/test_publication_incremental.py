"""After a reading's save the publication pass decides only the tables (metric, period) of
the saved readings (metrics.privacy.decide.changed_tables), whole: its decisions must equal
a full pass's, whatever the saves (property-based, on SQLite and PostgreSQL), a
complementary suppression that cascades from the saved cell's row and column to a cell in
neither is found, and every period saved before one pass is decided."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import aggregates
from metrics.models import (
    District,
    GroupCategory,
    MetricSnapshot,
    Publication,
    Reading,
    StudentGroup,
)
from metrics.privacy.decide import decide
from metrics.services import reading_record, reading_return

from ..conftest import fuzz_budget
from ..factories import DistrictFactory, MetricFactory, ReadingFactory

PERIODS = ("2022-23", "2023-24")
COMPLEMENTARY, PRIMARY = Publication.COMPLEMENTARY, Publication.PRIMARY


class Rollback(Exception):
    """Raised to undo one example's changes (the test's database is shared)."""


@pytest.fixture
def grid(db):
    """A percent metric, two years of a county x 2 districts by All students x 2 race
    groups table, every figure of 100 students (the county's 200, 400 in all)."""
    metric = MetricFactory(unit="percent", code="grid")
    districts = [District.objects.total(), DistrictFactory(code="d1"), DistrictFactory(code="d2")]
    for district in districts[1:]:
        district.plans.add(metric.plan)
    groups = [StudentGroup.objects.total()] + [
        StudentGroup.objects.create(code=code, name=code, category=GroupCategory.RACE_ETHNICITY)
        for code in ("r1", "r2")]
    for period in PERIODS:
        for d, district in enumerate(districts):
            for g, group in enumerate(groups):
                students = 100 * (2 if not d else 1) * (2 if not g else 1)
                ReadingFactory(metric=metric, period=period, district=district,
                               student_group=group, value=Decimal(50),
                               numerator=students // 2, denominator=students)
    aggregates.rebuild_all()
    assert set(publications(metric).values()) == {Publication.PUBLISHED}
    return metric, districts, groups


def publications(metric):
    return {(period, d, g): publication for period, d, g, publication in Reading.objects.filter(
        metric=metric).values_list("period", "district__code", "student_group__code",
                                   "publication")}


def snapshot_publications(metric):
    return sorted(MetricSnapshot.objects.filter(metric=metric).values_list(
        "district_id", "student_group_id", "latest_publication", "previous_publication"))


def save(metric, period, district, group, numerator, denominator, approve=True):
    """A steward's or a lead's save through the service (its rebuild request pending)."""
    return reading_record(metric=metric, period=period, district=district,
                          student_group=group, value=None, numerator=numerator,
                          denominator=denominator, approve=approve)


def test_a_cascade_beyond_the_saved_cells_row_and_column_is_decided(grid):
    """d1 x r1 falls to 5 students: r1's other figure in d1 hides (its row), d2's r1
    (its column), then d2's r2, which is in neither: it would give d2's r1 away. A pass
    over the saved slice's partitions only would leave d2 x r2 published."""
    metric, (_, d1, _), (_, r1, _) = grid
    save(metric, "2023-24", d1, r1, 2, 5)
    aggregates.rebuild_pending()  # what the queued task runs
    decided = publications(metric)
    assert decided[("2023-24", "d1", "r1")] == PRIMARY
    assert {key for key, p in decided.items() if p == COMPLEMENTARY} == {
        ("2023-24", "d1", "r2"), ("2023-24", "d2", "r1"), ("2023-24", "d2", "r2")}
    assert {p for (period, _, _), p in decided.items() if period == "2022-23"} == {
        Publication.PUBLISHED}
    snapshots = snapshot_publications(metric)
    assert decide([metric.pk]) == 0  # what a full pass decides: nothing changes
    assert publications(metric) == decided
    assert snapshot_publications(metric) == snapshots


def test_every_year_saved_before_one_pass_is_decided(grid):
    """Two saves of one slice in two years, one pass: both tables are decided."""
    metric, (_, d1, _), (_, r1, _) = grid
    with aggregates.coalesced():
        save(metric, "2022-23", d1, r1, 2, 5)
        save(metric, "2023-24", d1, r1, 3, 6)
    aggregates.rebuild_pending()
    decided = publications(metric)
    assert decided[("2022-23", "d1", "r1")] == decided[("2023-24", "d1", "r1")] == PRIMARY
    assert decided[("2022-23", "d2", "r2")] == decided[("2023-24", "d2", "r2")] == COMPLEMENTARY
    assert decide([metric.pk]) == 0


def test_a_correction_awaiting_approval_withdraws_the_decision_it_changes(grid):
    """A submitted correction's counts are its own, so the approved figure's students are
    not known any more: the figure is not public from the save on (fail closed), and the
    pass decides its table again."""
    metric, (_, d1, _), (_, r1, _) = grid
    save(metric, "2023-24", d1, r1, 9, 10, approve=False)
    assert publications(metric)[("2023-24", "d1", "r1")] == Publication.UNDECIDED
    assert not Reading.objects.published().filter(
        metric=metric, period="2023-24", district=d1, student_group=r1).exists()
    aggregates.rebuild_pending()
    assert publications(metric)[("2023-24", "d1", "r1")] == Publication.UNKNOWN_SIZE
    assert decide([metric.pk]) == 0


def test_a_return_changes_no_figure_and_decides_nothing(grid):
    metric, (_, d1, _), (_, r1, _) = grid
    reading = save(metric, "2023-24", d1, r1, 9, 10, approve=False)
    aggregates.rebuild_pending()
    before = publications(metric)
    reading_return(reading=reading, user=None, comment="check the counts")
    aggregates.rebuild_pending()
    assert publications(metric) == before


change = st.tuples(
    st.sampled_from(["approve", "submit", "return"]),
    st.integers(0, 2),  # district (0: the county)
    st.integers(0, 2),  # group (0: All students)
    st.sampled_from(PERIODS),
    st.sampled_from([0, 3, 9, 60]),  # numerator
    st.sampled_from([4, 10, 12, 100, 400]),  # denominator (below 11: too few students)
)


@settings(max_examples=fuzz_budget(100), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(change, min_size=1, max_size=6),
       drain_each=st.booleans())
def test_incremental_publication_equals_a_full_pass(grid, fuzz_case, changes, drain_each):
    """Saves through the services (approved at once, submitted, returned), the pass run
    after each or once after all: every reading's and every snapshot's decision equals
    what a full pass then decides (decide() changes nothing)."""
    fuzz_case()
    metric, districts, groups = grid
    try:
        with transaction.atomic():
            for kind, d, g, period, numerator, denominator in changes:
                district, group = districts[d], groups[g]
                if kind == "return":
                    reading = Reading.objects.get(metric=metric, period=period,
                                                  district=district, student_group=group)
                    if reading.state in ("submitted", "draft"):
                        reading_return(reading=reading, user=None, comment="check it")
                else:
                    save(metric, period, district, group, min(numerator, denominator),
                         denominator, approve=kind == "approve")
                if drain_each:
                    aggregates.rebuild_pending()
            aggregates.rebuild_pending()
            incremental = publications(metric), snapshot_publications(metric)
            assert decide() == 0, changes
            assert (publications(metric), snapshot_publications(metric)) == incremental
            raise Rollback
    except Rollback:
        pass


def test_the_pass_after_one_save_reads_its_table_only(grid, django_assert_max_num_queries):
    """One save's rebuild and pass: a bounded number of queries, and the readings the
    pass decides are the saved year's table (9 cells), not the metric's (18)."""
    metric, (_, d1, _), (_, r1, _) = grid
    save(metric, "2023-24", d1, r1, 2, 5)
    with django_assert_max_num_queries(QUERIES) as captured:
        aggregates.rebuild_pending()
    tables = [q["sql"] for q in captured.captured_queries
              if '"metrics_reading"' in q["sql"] and '"period" IN' in q["sql"]]
    # The table's approved readings, and its unapproved ones reset: that year only.
    assert len(tables) == 2 and all("'2023-24'" in sql and "'2022-23'" not in sql
                                    for sql in tables)


# The queries of one save's rebuild and publication pass (pinned: it must not grow with
# the metric's years or districts).
QUERIES = 27
