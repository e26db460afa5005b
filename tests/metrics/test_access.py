"""Every entry URL x role x method, in one table: the access rules of metrics/access.py."""

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
        "my_updates": reverse("metrics:my_updates"),
        "approvals": reverse("metrics:approvals"),
        "enter_own": reverse("metrics:enter", args=[plan, "owned"]),
        "enter_other": reverse("metrics:enter", args=[plan, "other"]),
        "target_own": reverse("metrics:target", args=[plan, "owned"]),
        "target_other": reverse("metrics:target", args=[plan, "other"]),
        "bulk": reverse("metrics:bulk_entry", args=[plan]),
        "review": reverse("metrics:review", args=[w["reading"].pk]),
        "restore": reverse("metrics:restore", args=[w["reading"].pk, w["record"].history_id]),
        "overview": w["plan"].get_absolute_url(),
        "pillar": w["own"].pillar.get_absolute_url(),
        "metric": w["own"].get_absolute_url(),
    }[name]


OK, FORBIDDEN, LOGIN, NOT_ALLOWED, REDIRECT = 200, 403, "login", 405, 302
#               anonymous outsider   steward    lead       leadership comms      administrator
EXPECTED = {
    ("my_updates", "GET"): [LOGIN, FORBIDDEN, OK, OK, OK, OK, OK],
    ("my_updates", "POST"): [NOT_ALLOWED] * 7,
    ("approvals", "GET"): [LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK],
    ("approvals", "POST"): [NOT_ALLOWED] * 7,
    ("enter_own", "GET"): [LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, OK],
    ("enter_own", "POST"): [LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, OK],
    ("enter_own", "PUT"): [NOT_ALLOWED] * 7,
    ("enter_other", "GET"): [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
    ("target_own", "GET"): [LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK],
    ("target_own", "POST"): [LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK],
    ("target_other", "GET"): [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK],
    ("bulk", "GET"): [LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, OK],
    ("bulk", "DELETE"): [NOT_ALLOWED] * 7,
    ("review", "POST"): [LOGIN, FORBIDDEN, FORBIDDEN, REDIRECT, FORBIDDEN, FORBIDDEN, REDIRECT],
    ("review", "GET"): [NOT_ALLOWED] * 7,
    ("restore", "POST"): [LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, REDIRECT],
    ("restore", "GET"): [NOT_ALLOWED] * 7,
    ("overview", "GET"): [LOGIN, FORBIDDEN, OK, OK, OK, OK, OK],
    ("pillar", "GET"): [LOGIN, FORBIDDEN, OK, OK, OK, OK, OK],
    ("metric", "GET"): [LOGIN, FORBIDDEN, OK, OK, OK, OK, OK],
    ("metric", "POST"): [NOT_ALLOWED] * 7,
}
CASES = [
    (name, method, role, expected[i])
    for (name, method), expected in EXPECTED.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("name", "method", "role", "expected"), CASES)
def test_access(client, users, world, name, method, role, expected):
    if role != "anonymous":
        client.force_login(users[role])
    data = {"action": "approve", "comment": ""} if name == "review" else {}
    response = getattr(client, method.lower())(_url(name, world), data)
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
