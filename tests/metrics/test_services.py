"""The one approval rule (metrics/services/readings.py), per role.

Callers state an intent: approve=None (as the role allows), True (publish at once) or
False (submit for approval). The service refuses an approval the user may not make.
"""

import pytest
from django.core.exceptions import PermissionDenied

from metrics.models import Reading, ReadingState
from metrics.services import (
    approved_metric_ids,
    reading_approve,
    reading_record,
    reading_return,
)

from ..factories import MetricFactory


@pytest.fixture
def metric(users):
    metric = MetricFactory()
    metric.owners.add(users["steward"])
    metric.pillar.leads.add(users["lead"])
    return metric


# role -> (state with approve=None, may publish at once with approve=True)
EXPECTED = {
    "steward": (ReadingState.SUBMITTED, False),
    "lead": (ReadingState.APPROVED, True),
    "administrator": (ReadingState.APPROVED, True),
    "leadership": (ReadingState.SUBMITTED, False),
    "comms": (ReadingState.SUBMITTED, False),
    "outsider": (ReadingState.SUBMITTED, False),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_default_intent_approves_only_an_approvers_own_entry(users, metric, role):
    reading = reading_record(metric=metric, period="2023-24", value=5, user=users[role])
    assert reading.state == EXPECTED[role][0]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_publishing_at_once_is_refused_to_whoever_may_not_approve(users, metric, role):
    if EXPECTED[role][1]:
        reading = reading_record(metric=metric, period="2023-24", value=5, user=users[role],
                                 approve=True)
        assert reading.state == ReadingState.APPROVED and reading.approved_value == 5
    else:
        with pytest.raises(PermissionDenied):
            reading_record(metric=metric, period="2023-24", value=5, user=users[role],
                           approve=True)
        assert not Reading.objects.exists()


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_approve_false_submits_whoever_enters(users, metric, role):
    reading = reading_record(metric=metric, period="2023-24", value=5, user=users[role],
                             approve=False)
    assert reading.state == ReadingState.SUBMITTED and reading.approved_value is None


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_approve_and_return_are_refused_to_non_approvers(users, metric, role):
    reading = reading_record(metric=metric, period="2023-24", value=5, user=users["steward"])
    if EXPECTED[role][1]:
        reading_return(reading=reading, user=users[role], comment="Check the source")
        reading_approve(reading=reading, user=users[role])
        reading.refresh_from_db()
        assert reading.state == ReadingState.APPROVED
    else:
        with pytest.raises(PermissionDenied):
            reading_approve(reading=reading, user=users[role])
        with pytest.raises(PermissionDenied):
            reading_return(reading=reading, user=users[role], comment="No")
        reading.refresh_from_db()
        assert reading.state == ReadingState.SUBMITTED


def test_the_system_loads_published_figures_as_approved_only_when_it_says_so(metric):
    assert approved_metric_ids(None, [metric.pk], True) == {metric.pk}
    assert approved_metric_ids(None, [metric.pk]) == set()
    assert approved_metric_ids(None, [metric.pk], False) == set()


def test_a_lead_of_another_pillar_may_not_publish_here(users):
    elsewhere = MetricFactory()
    with pytest.raises(PermissionDenied):
        approved_metric_ids(users["lead"], [elsewhere.pk], True)
    assert approved_metric_ids(users["lead"], [elsewhere.pk]) == set()
