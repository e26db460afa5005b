"""The publication rule decided by the worker (metrics.privacy.decide): after an
incremental and a full rebuild every approved figure has its decision, copied onto the
snapshots; a new approval is UNDECIDED (fail closed) until the pass has run; the command."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from metrics import aggregates, tasks
from metrics.models import MetricSnapshot, Publication, Reading, StudentGroup
from metrics.privacy.decide import decide
from metrics.services import reading_approve, reading_record

from ..factories import DistrictFactory, MetricFactory, ReadingFactory

YEAR = "2023-24"
P, PRIMARY, COMPLEMENTARY = (Publication.PUBLISHED, Publication.PRIMARY,
                             Publication.COMPLEMENTARY)


@pytest.fixture
def table(db):
    """A percent metric by district: 9 students in Tiny, 45 in Small, 300 and 500."""
    metric = MetricFactory(unit="percent", code="reading")
    ReadingFactory(metric=metric, value=Decimal("54.68"), numerator=467, denominator=854)
    districts = {}
    for name, numerator, denominator, value in (
            ("tiny", 7, 9, "77.78"), ("small", 30, 45, "66.67"),
            ("middle", 180, 300, "60.00"), ("large", 250, 500, "50.00")):
        districts[name] = DistrictFactory(code=name)
        ReadingFactory(metric=metric, district=districts[name], value=Decimal(value),
                       numerator=numerator, denominator=denominator)
    return metric, districts


def publications(metric):
    return dict(Reading.objects.filter(metric=metric).values_list("district__code",
                                                                  "publication"))


def test_the_full_rebuild_decides_every_figure_and_copies_it_onto_the_snapshots(table):
    metric, _ = table
    assert set(publications(metric).values()) == {Publication.UNDECIDED}
    aggregates.rebuild_all()
    assert publications(metric) == {"all": P, "tiny": PRIMARY, "small": COMPLEMENTARY,
                                    "middle": P, "large": P}
    snapshots = dict(MetricSnapshot.objects.filter(metric=metric).values_list(
        "district__code", "latest_publication"))
    assert snapshots == publications(metric)
    assert Reading.objects.published().filter(metric=metric).count() == 3
    assert decide([metric.pk]) == 0  # nothing changed: nothing written


def test_an_approval_is_undecided_until_the_incremental_rebuild_decides_it(table, users,
                                                                          django_capture_on_commit_callbacks):
    metric, districts = table
    aggregates.rebuild_all()
    metric.pillar.leads.add(users["lead"])
    tiny = Reading.objects.get(metric=metric, district=districts["tiny"])
    # The steward's correction: 90 of 100 students in Tiny.
    tiny = reading_record(metric=metric, period=YEAR, district=districts["tiny"],
                          value=None, numerator=90, denominator=100, approve=False)
    # The approved figure's counts are not known any more (the correction has its own):
    # what the rule was given changed, so its decision is withdrawn until the pass runs.
    assert publications(metric)["tiny"] == Publication.UNDECIDED
    with django_capture_on_commit_callbacks(execute=False):
        reading_approve(reading=tiny, user=users["lead"], checked=True)
    assert publications(metric)["tiny"] == Publication.UNDECIDED  # fail closed
    assert not Reading.objects.published().filter(pk=tiny.pk).exists()
    aggregates.rebuild_pending()  # what the queued task runs
    assert publications(metric) == {"all": P, "tiny": P, "small": P, "middle": P, "large": P}
    snap = MetricSnapshot.objects.get(metric=metric, district=districts["tiny"])
    assert (snap.latest_value, snap.latest_publication) == (Decimal("90"), P)


def test_the_queued_task_and_the_nightly_one_decide(table):
    """The tasks themselves (what a worker, or eager Celery on commit, runs)."""
    metric, districts = table
    with transaction.atomic():
        reading_record(metric=metric, period=YEAR, district=districts["large"], value=None,
                       numerator=251, denominator=500, approve=True)
    assert publications(metric)["large"] == Publication.UNDECIDED
    tasks.rebuild_pending()
    assert publications(metric)["large"] == P
    assert publications(metric)["tiny"] == PRIMARY
    Reading.objects.filter(metric=metric).update(publication=Publication.UNDECIDED)
    tasks.rebuild_all()
    assert publications(metric)["tiny"] == PRIMARY


def test_a_new_period_moves_the_snapshot_with_its_own_decision(table):
    metric, districts = table
    aggregates.rebuild_all()
    ReadingFactory(metric=metric, period="2024-25", district=districts["large"],
                   value=Decimal("50"), numerator=2, denominator=4)
    with transaction.atomic():
        aggregates.request_rebuild(slices=[(metric.pk, districts["large"].pk,
                                            StudentGroup.objects.total().pk)])
    aggregates.rebuild_pending()
    snap = MetricSnapshot.objects.get(metric=metric, district=districts["large"])
    assert (snap.latest_period, snap.latest_publication, snap.previous_publication) == (
        "2024-25", PRIMARY, P)


def test_a_decision_taken_on_an_older_version_is_not_written(table):
    metric, districts = table
    tiny = Reading.objects.get(metric=metric, district=districts["tiny"])
    Reading.objects.filter(pk=tiny.pk).update(version=tiny.version + 1)  # saved meanwhile
    from metrics.privacy import decide as module

    module._write(P, [(tiny.pk, tiny.version)])
    assert Reading.objects.get(pk=tiny.pk).publication == Publication.UNDECIDED
    module._write(P, [(tiny.pk, tiny.version + 1)])
    assert Reading.objects.get(pk=tiny.pk).publication == P


def test_the_lacoe_figures_are_all_published(lacoe_plan):
    readings = Reading.objects.filter(metric__plan=lacoe_plan, approved_value__isnull=False)
    decide(readings.values_list("metric_id", flat=True).distinct())
    assert set(readings.values_list("publication", flat=True)) == {P}
    assert not MetricSnapshot.objects.filter(metric__plan=lacoe_plan).exclude(
        latest_publication=P).exists()


def test_the_command(table, capsys):
    metric, _ = table
    call_command("decide_publication", "reading")
    assert "5 figures changed" in capsys.readouterr().out
    call_command("decide_publication", "--all")
    assert "0 figures changed" in capsys.readouterr().out
    for args in ((), ("--all", "reading"), ("nope",)):
        with pytest.raises(CommandError):
            call_command("decide_publication", *args)
