"""Row-level access of the entry pages: another pillar's metric, unknown objects, and
refused writes that change nothing (every URL x role x method: tests/test_url_access.py)."""

import pytest
from django.urls import reverse

from metrics.aggregates import rebuild

from ..factories import MetricFactory, PillarFactory, ReadingFactory

ROLES = ["anonymous", "outsider", "steward", "lead", "leadership", "comms", "administrator"]


@pytest.fixture
def world(users):
    """Pillar 1 led by `lead`, with a metric owned by `steward`; pillar 2 unrelated."""
    own = MetricFactory(code="owned", unit="count")
    own.owners.add(users["steward"])
    own.pillar.leads.add(users["lead"])
    other = MetricFactory(pillar=PillarFactory(plan=own.plan), code="other")
    reading = ReadingFactory(metric=own, state="submitted", approved_value=None, value=4)
    ReadingFactory(metric=other)
    rebuild()
    record = reading.history.first()
    return {"own": own, "other": other, "reading": reading, "record": record, "plan": own.plan}


def _url(name, w):
    plan = w["plan"].slug
    return {
        "enter_other": reverse("metrics:enter", args=[plan, "other"]),
        "target_other": reverse("metrics:target", args=[plan, "other"]),
    }[name]


# Every URL x role x method is in tests/test_url_access.py, on the metrics a user may
# change; these are the metrics of a pillar the user neither owns nor leads.
OK, FORBIDDEN, LOGIN = 200, 403, "login"
#               anonymous outsider   steward    lead       leadership comms      administrator
EXPECTED = {
    ("enter_other", "GET"): [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
    ("enter_other", "POST"): [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
    ("target_other", "GET"): [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
    ("target_other", "POST"): [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
}
CASES = [
    (name, method, role, expected[i])
    for (name, method), expected in EXPECTED.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("name", "method", "role", "expected"), CASES)
def test_access_to_another_pillars_metric(client, users, world, name, method, role, expected):
    if role != "anonymous":
        client.force_login(users[role])
    response = getattr(client, method.lower())(_url(name, world), {})
    if expected == LOGIN:
        assert response.status_code == 302 and "/accounts/login/" in response.url
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("name", ["enter", "target"])
def test_unknown_metric_is_404(client, users, world, name):
    client.force_login(users["administrator"])
    for args in ([world["plan"].slug, "nope"], ["nope", "owned"]):
        assert client.get(reverse(f"metrics:{name}", args=args)).status_code == 404


def test_unknown_reading_is_404(client, users, world):
    client.force_login(users["administrator"])
    response = client.post(reverse("metrics:review", args=[999999]), {"action": "approve"})
    assert response.status_code == 404


def test_refused_posts_change_nothing(client, users, world):
    reading = world["reading"]
    for role in ("outsider", "leadership", "comms", "steward"):
        client.force_login(users[role])
        client.post(reverse("metrics:review", args=[reading.pk]), {"action": "approve"})
        client.post(_url("enter_other", world), {"period": "2023-24", "value": "1", "version": 0})
    reading.refresh_from_db()
    assert reading.state == "submitted"
    assert world["other"].readings.get().value == 10
