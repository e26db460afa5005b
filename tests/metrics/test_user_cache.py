"""The signed-in user, their permissions and their session from the shared cache
(metrics/user_cache.py, metrics/sessions.py; issue 14): a repeat request reads none of
them from the database, and a role taken away, a deactivation, a new password or a
sign-out shows at once all the same; a cache that is down costs speed, never the page."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics import roles, user_cache

APPROVALS = reverse("metrics:approvals")  # pillar leads' page: a permission decides it
# The reads of the session, the user (by its id) and its permissions (the page itself
# lists the users whose values wait, with other queries on auth_user).
AUTH_READS = ('FROM "django_session"', 'FROM "auth_permission"', 'WHERE "auth_user"."id" =')


@pytest.fixture
def shared(settings):
    """The settings REDIS_URL gives (the cache here is this process's, which is shared
    by every request of the test)."""
    settings.USER_CACHE = True
    settings.SESSION_ENGINE = "metrics.sessions"


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def _get(client, url=APPROVALS):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    read = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in AUTH_READS)]
    return response, read


def test_a_repeat_request_reads_no_user_permission_or_session(shared, users):
    client = _signed_in(users["lead"])
    first, read = _get(client)
    assert first.status_code == 200 and read  # the first one reads them
    again, read = _get(client)
    assert again.status_code == 200 and read == []
    assert again.content.count(b"Sign out") == first.content.count(b"Sign out") == 1


def test_without_a_shared_cache_each_request_reads_them(settings, users):
    settings.USER_CACHE = False  # the embedded default's settings
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = _signed_in(users["lead"])
    _get(client)
    assert len(_get(client)[1]) == 4  # session, user, its two permission reads


def test_a_role_taken_away_shows_at_once(shared, users):
    lead = users["lead"]
    client = _signed_in(lead)
    assert _get(client)[0].status_code == 200
    assert _get(client)[0].status_code == 200  # from the cache
    lead.groups.remove(Group.objects.get(name=roles.PILLAR_LEAD))
    assert _get(client)[0].status_code == 403


def test_a_permission_taken_from_a_role_shows_at_once(shared, users):
    client = _signed_in(users["lead"])
    assert _get(client)[0].status_code == 200
    group = Group.objects.get(name=roles.PILLAR_LEAD)
    needed = [p for p in group.permissions.all() if users["lead"].has_perm(
        f"{p.content_type.app_label}.{p.codename}")]
    group.permissions.remove(*needed)
    assert _get(client)[0].status_code == 403


def test_a_deactivated_user_or_a_new_password_signs_out_at_once(shared, users):
    lead, steward = users["lead"], users["steward"]
    clients = {"lead": _signed_in(lead), "steward": _signed_in(steward)}
    for client in clients.values():
        client.get(APPROVALS)
    lead.is_active = False
    lead.save()
    steward.set_password("a new password for the steward")
    steward.save()
    for client in clients.values():
        response = client.get(APPROVALS)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_sign_out_holds_at_once(shared, users):
    client = _signed_in(users["lead"])
    assert _get(client)[0].status_code == 200
    client.post(reverse("logout"))
    response = client.get(APPROVALS)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_entry_of_another_generation_is_never_used(shared, users):
    lead, outsider = users["lead"], users["outsider"]
    client = _signed_in(outsider)
    assert _get(client)[0].status_code == 403
    # What a process could have stored before a change committed: not read again.
    cache.set(user_cache.ENTRY_KEY % client.session.session_key,
              ("old", outsider.pk, lead, lead.get_all_permissions()))
    assert _get(client)[0].status_code == 403


def test_a_cache_that_is_down_costs_speed_not_the_page(shared, users, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    for name in ("get", "get_many", "set", "add", "delete"):
        monkeypatch.setattr(cache, name, down)
    client = _signed_in(users["lead"])
    assert _get(client)[0].status_code == 200
    users["lead"].groups.clear()  # a change while it is down: logged
    assert _get(client)[0].status_code == 403
    client.post(reverse("logout"))
    assert _get(client)[0].status_code == 302


def test_the_user_read_with_the_session_is_not_used_after_a_change_in_this_process(
        shared, users):
    from django.contrib.auth import get_user
    from django.http import HttpRequest

    from metrics.sessions import SessionStore

    client = _signed_in(users["lead"])
    assert _get(client)[0].status_code == 200  # the entry stored under this session
    request = HttpRequest()
    request.session = SessionStore(client.session.session_key)
    assert request.session.keys()  # read with the generation and the entry, in one trip
    assert user_cache.ENTRY_KEY % client.session.session_key in request.session.user_cache_read[2]
    users["lead"].groups.clear()  # a change after that read, before the user is read
    with user_cache.session_at_hand(request.session), CaptureQueriesContext(connection) as q:
        user = get_user(request)
    assert user == users["lead"] and not user.has_perm("metrics.change_reading")
    assert any('FROM "auth_user"' in query["sql"] for query in q.captured_queries)


def test_an_entry_of_another_user_under_the_session_is_never_used(shared, users):
    lead, outsider = users["lead"], users["outsider"]
    client = _signed_in(outsider)
    assert _get(client)[0].status_code == 403
    generation = cache.get(user_cache.GENERATION_KEY)
    cache.set(user_cache.ENTRY_KEY % client.session.session_key,
              (generation, lead.pk, lead, lead.get_all_permissions()))
    assert _get(client)[0].status_code == 403
