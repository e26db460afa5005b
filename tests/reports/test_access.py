"""Who may open what: every role x every URL x the allowed and a refused method."""

import pytest
from django.urls import reverse

from ..factories import PillarFactory
from .factories import ExportJobFactory

READERS = {"comms", "leadership", "administrator"}
WRITERS = {"comms", "administrator"}
ROLES = ["steward", "lead", "leadership", "comms", "administrator", "outsider"]


@pytest.fixture
def site(db, users):
    pillar = PillarFactory(slug="reading", order=1)
    plan = pillar.plan
    job = ExportJobFactory(user=users["comms"], plan=plan, state="done")
    return plan, pillar, job


def _urls(site):
    plan, pillar, job = site
    year = (plan.slug, "2023-24")
    return {
        "index": (reverse("reports:index"), READERS, "get"),
        "report": (reverse("reports:report", args=year), READERS, "get"),
        "export": (reverse("reports:export", args=year), READERS, "post"),
        "highlights": (reverse("reports:highlights", args=year), WRITERS, "get"),
        "intro": (reverse("reports:highlight_intro", args=year), WRITERS, "post"),
        "pillar": (reverse("reports:highlight_pillar", args=(*year, pillar.slug)), WRITERS,
                   "post"),
        "job": (reverse("reports:job", args=[job.pk]), READERS, "get"),
        "status": (reverse("reports:job_status", args=[job.pk]), READERS, "get"),
    }


NAMES = ["index", "report", "export", "highlights", "intro", "pillar", "job", "status"]


@pytest.mark.parametrize("name", NAMES)
def test_anonymous_users_are_sent_to_sign_in(client, site, name):
    url, _, _ = _urls(site)[name]
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", NAMES)
def test_each_role_gets_in_only_where_its_permission_allows(client, users, site, role, name):
    url, allowed, _ = _urls(site)[name]
    client.force_login(users[role])
    response = client.get(url)
    if role not in allowed:
        assert response.status_code == 403
        assert "You cannot open this page" in response.content.decode()
    elif name in ("job", "status") and role == "leadership":
        assert response.status_code == 404  # another user's export, not an administrator
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("name", NAMES)
def test_wrong_methods_are_refused(client, users, site, name):
    url, _, method = _urls(site)[name]
    client.force_login(users["administrator"])
    refused = ["post", "put", "delete"] if method == "get" else ["put", "delete", "patch"]
    for verb in refused:
        assert getattr(client, verb)(url).status_code == 405, verb


def test_the_download_checks_access_again(client, users, site):
    from django.core.files.base import ContentFile

    _, _, job = site
    job.filename = "data.csv"
    job.file.save("data.csv", ContentFile(b"plan\r\n"), save=True)
    url = reverse("reports:download", args=[job.pk])
    assert client.get(url).status_code == 302  # anonymous: sign in first
    for role, status in [("comms", 200), ("administrator", 200), ("leadership", 404),
                         ("steward", 403), ("outsider", 403)]:
        client.force_login(users[role])
        response = client.get(url)
        assert response.status_code == status, role
        if status == 200:
            assert b"".join(response.streaming_content) == b"plan\r\n"
            assert response["Content-Disposition"] == 'attachment; filename="data.csv"'
            assert "no-store" in response["Cache-Control"]
    # The owner who loses the role loses the download at once.
    users["comms"].groups.clear()
    client.force_login(users["comms"])
    assert client.get(url).status_code == 403
    client.force_login(users["administrator"])
    assert client.post(url).status_code == 405


def test_unknown_plan_year_and_pillar_are_404(client, users, site):
    plan, _, _ = site
    client.force_login(users["comms"])
    assert client.get(reverse("reports:report", args=["nope", "2023-24"])).status_code == 404
    assert client.get(reverse("reports:report", args=[plan.slug, "2030-31"])).status_code == 404
    assert client.get(
        reverse("reports:highlight_pillar", args=[plan.slug, "2023-24", "nope"])
    ).status_code == 404
    assert client.get(reverse("reports:job", args=[999999])).status_code == 404


@pytest.mark.parametrize(("role", "shown"), [("comms", True), ("leadership", True),
                                             ("administrator", True), ("steward", False),
                                             ("lead", False), ("outsider", False)])
def test_the_navigation_links_the_reports_for_those_who_may_open_them(client, users, role,
                                                                      shown):
    client.force_login(users[role])
    html = client.get(reverse("pillars:home")).content.decode()
    assert (f'<a href="{reverse("reports:index")}">Annual reports</a>' in html) is shown
