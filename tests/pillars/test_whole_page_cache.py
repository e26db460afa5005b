"""Whole pages from the cache and conditional GETs (pillars/page_cache.py, issues 14 and
17): an unchanged reload costs a 304, a repeat a cache read; a new approved value, a
sign-out or a role change shows at once; no two users share a body or a CSRF token."""

import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from metrics import roles
from metrics.aggregates import rebuild
from metrics.services import reading_record
from pillars import page_cache
from reports.models import Highlight

from ..factories import UserFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def pages(plan_with_figures, monkeypatch):
    """The three cached pages of the plan, with the PAGE_CACHE_SECONDS window held still
    (a test never straddles two windows)."""
    monkeypatch.setattr(page_cache, "window", lambda: 0)
    plan, pillar, headline = plan_with_figures
    return {"overview": plan.get_absolute_url(), "pillar": pillar.get_absolute_url(),
            "metric": headline.get_absolute_url()}


def _reload(client, url, first):
    return client.get(url, headers={"if-none-match": first["ETag"]})


@pytest.mark.parametrize("page", ["overview", "pillar", "metric"])
def test_an_unchanged_reload_is_a_304_with_the_validators(client, users, pages, page):
    client.force_login(users["leadership"])
    first = client.get(pages[page])
    assert first.status_code == 200 and "more than 6,000" in first.content.decode()
    assert first["ETag"].startswith('W/"') and first["Last-Modified"]
    assert {"Cookie", "Accept-Language"} <= {v.strip() for v in first["Vary"].split(",")}
    assert {"private", "no-cache"} <= {v.strip() for v in first["Cache-Control"].split(",")}
    again = _reload(client, pages[page], first)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"] and "Cookie" in again["Vary"]
    # If-Modified-Since alone never answers 304 (some key parts have no time of change).
    assert client.get(pages[page], headers={
        "if-modified-since": first["Last-Modified"]}).status_code == 200


@pytest.mark.parametrize("page", ["overview", "pillar", "metric"])
def test_a_new_approved_value_is_a_200_with_the_value_at_once(client, users, pages,
                                                              plan_with_figures, page):
    _, _, headline = plan_with_figures
    client.force_login(users["leadership"])
    first = client.get(pages[page])
    reading_record(metric=headline, period="2024-25", value="7250", approve=True)
    pending = _reload(client, pages[page], first)  # before its rebuild: "update pending"
    assert pending.status_code == 200 and pending["ETag"] != first["ETag"]
    rebuild()
    after = _reload(client, pages[page], pending)
    assert after.status_code == 200 and "7,250" in after.content.decode()


@pytest.mark.parametrize(("shared", "queries"), [(False, 5), (True, 1)])
def test_a_repeat_is_served_from_the_cache_in_one_query_with_redis(client, users, pages, settings,
                                                                  django_assert_num_queries,
                                                                  shared, queries):
    # With Redis (REDIS_URL's settings; this process's cache stands for it) the session,
    # the user and their permissions come from the cache (metrics/sessions.py,
    # metrics/user_cache.py): one query, the page's key (the aggregates' version and the
    # plan's publication). The embedded default reads those four from the database.
    settings.USER_CACHE = shared
    settings.SESSION_ENGINE = ("metrics.sessions" if shared
                               else "django.contrib.sessions.backends.db")
    client.force_login(users["leadership"])
    first = client.get(pages["pillar"]).content.decode()
    client.get(pages["pillar"])
    with django_assert_num_queries(queries):
        again = client.get(pages["pillar"]).content.decode()
    assert TOKEN.sub("", again) == TOKEN.sub("", first)


def test_no_two_users_share_a_body_or_a_token(users, pages):
    twin = UserFactory(username="leadership-two", role=roles.LEADERSHIP)
    seen = {}
    for user in (users["leadership"], twin, users["lead"], users["steward"]):
        client = Client()
        client.force_login(user)
        client.get(pages["overview"])
        html = client.get(pages["overview"]).content.decode()  # from the cache
        assert f"Sign out <span class=\"visually-hidden\">{user.username}</span>" in html
        seen[user.username] = html
    approvals = f'href="{reverse("metrics:approvals")}"'
    assert approvals in seen["lead"] and approvals not in seen["leadership"]
    tokens = {TOKEN.search(html)[1] for html in seen.values()}
    assert len(tokens) == len(seen)
    assert page_cache.CSRF_PLACEHOLDER.decode() not in "".join(seen.values())


def test_the_cached_page_carries_a_working_token_of_its_own_request(users, pages,
                                                                    monkeypatch):
    stored, store = [], page_cache._cache_set

    def spy(key, value):  # what goes into the cache, whichever the cache is
        stored.append(value)
        store(key, value)

    monkeypatch.setattr(page_cache, "_cache_set", spy)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["leadership"])
    client.get(pages["overview"])
    html = client.get(pages["overview"]).content.decode()  # from the cache
    assert len(stored) == 1
    # Every form's token (sign-out, and the language switcher where there is one).
    assert set(TOKEN.findall(stored[0][1].decode())) == {page_cache.CSRF_PLACEHOLDER.decode()}
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": TOKEN.search(html)[1]})
    assert response.status_code == 302
    # Signed out at once: the cached page is not served, nor revalidated.
    gone = client.get(pages["overview"])
    assert gone.status_code == 302 and reverse("login") in gone["Location"]


def test_a_role_taken_away_is_refused_at_once(client, users, pages):
    user = users["leadership"]
    client.force_login(user)
    first = client.get(pages["metric"])
    assert first.status_code == 200
    user.groups.remove(Group.objects.get(name=roles.LEADERSHIP))
    assert _reload(client, pages["metric"], first).status_code == 403
    assert client.get(pages["metric"]).status_code == 403


def test_a_signed_out_visitor_never_gets_a_staff_page(client, users, pages):
    staff = Client()
    staff.force_login(users["administrator"])
    first = staff.get(pages["overview"])
    staff.get(pages["overview"])
    for headers in ({}, {"if-none-match": first["ETag"]}):
        response = client.get(pages["overview"], headers=headers)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_waiting_message_is_shown_on_a_page_built_for_it(client, users, pages):
    client.force_login(users["leadership"])
    first = client.get(pages["overview"])
    storage = CookieStorage(HttpRequest())
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Saved: x")])
    shown = _reload(client, pages["overview"], first)
    assert shown.status_code == 200 and "Saved: x" in shown.content.decode()
    # Shown once; the next visit is the cached page again, without it.
    after = _reload(client, pages["overview"], first)
    assert after.status_code == 304
    assert "Saved: x" not in client.get(pages["overview"]).content.decode()


def test_publication_edits_move_the_etag(client, users, pages, plan_with_figures):
    plan, pillar, headline = plan_with_figures
    client.force_login(users["comms"])
    etags = [client.get(pages["overview"])["ETag"]]

    def edit(change):
        change()
        etags.append(client.get(pages["overview"])["ETag"])
        assert etags[-1] != etags[-2], change

    plan.is_public = True
    edit(plan.save)
    headline.public_hidden = True
    edit(headline.save)
    highlight = Highlight(plan=plan, pillar=pillar, school_year="2023-24", body="Gains.")
    edit(highlight.save)
    highlight.body = "Bigger gains."
    edit(highlight.save)
    edit(highlight.delete)


def test_each_query_string_is_its_own_page_and_exports_are_not_cached(client, users, pages):
    client.force_login(users["leadership"])
    url = pages["pillar"]
    plain, sorted_ = client.get(url), client.get(url + "?sort=-status")
    assert plain["ETag"] != sorted_["ETag"]
    export = client.get(url + "?_export=csv")
    assert export["Content-Type"].startswith("text/csv") and "ETag" not in export
    assert client.get(url + "?_export=csv")["Content-Type"].startswith("text/csv")


def test_a_cache_that_is_down_still_serves_the_page_and_its_304(client, users, pages,
                                                                cache_down):
    client.force_login(users["leadership"])
    first = client.get(pages["overview"])
    assert first.status_code == 200 and "more than 6,000" in first.content.decode()
    assert _reload(client, pages["overview"], first).status_code == 304


def test_text_a_person_wrote_never_takes_a_token(client, users, pages, plan_with_figures):
    _, _, headline = plan_with_figures
    forged = (page_cache.CSRF_STORED % page_cache.CSRF_PLACEHOLDER).decode()
    headline.name = forged
    headline.save()
    client.force_login(users["leadership"])
    client.get(pages["metric"])
    html = client.get(pages["metric"]).content.decode()  # from the cache
    assert forged not in html and page_cache.CSRF_PLACEHOLDER.decode() in html  # escaped
    tokens = set(TOKEN.findall(html))  # the page's own forms': one fresh token
    assert len(tokens) == 1 and page_cache.CSRF_PLACEHOLDER.decode() not in tokens


CACHE_CALLS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "has_key",
               "touch", "incr")


@pytest.mark.parametrize("page", ["overview", "pillar"])
def test_a_cached_hit_costs_two_round_trips_to_the_cache(client, users, pages, settings,
                                                         monkeypatch, page):
    """With Redis (its settings; this process's cache stands for it, each call of the cache
    one round trip): the session with the user's entry in one read, then the page."""
    from django.core.cache import cache

    settings.USER_CACHE, settings.SESSION_ENGINE = True, "metrics.sessions"
    client.force_login(users["leadership"])
    for _ in range(2):
        first = client.get(pages[page])
    calls = []
    for name in CACHE_CALLS:
        monkeypatch.setattr(cache, name, _counted(calls, name, getattr(cache, name)))
    again = client.get(pages[page])
    assert [name for name, _ in calls] == ["get_many", "get"]
    assert calls[1][1][0].startswith(page_cache.PAGE_KEY_PREFIX)
    assert TOKEN.sub("", again.content.decode()) == TOKEN.sub("", first.content.decode())


def _counted(calls, name, method, inside=[]):  # noqa: B006 - shared on purpose
    """`method`, recording its calls but not those it makes itself (locmem's get_many
    calls get: one round trip for Redis's MGET)."""

    def call(*args, **kwargs):
        if not inside:
            calls.append((name, args))
        inside.append(name)
        try:
            return method(*args, **kwargs)
        finally:
            inside.pop()

    return call


@pytest.mark.redis
def test_a_cached_hit_costs_two_round_trips_to_real_redis(client, users, pages, settings,
                                                          monkeypatch):
    """The same, counted at the Redis client: the commands it sends."""
    import redis

    from ..test_live_services import _require_redis

    _require_redis()
    settings.CACHES = {"default": {"BACKEND": "metrics.redis_cache.RedisCache",
                                   "LOCATION": settings.REDIS_URL}}
    settings.USER_CACHE, settings.SESSION_ENGINE = True, "metrics.sessions"
    client.force_login(users["leadership"])
    for _ in range(2):
        first = client.get(pages["overview"])
    commands = []
    send = redis.Redis.execute_command

    def counted(self, *args, **kwargs):
        commands.append(args[0])
        return send(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    again = client.get(pages["overview"])
    assert commands == ["MGET", "GET"]
    assert TOKEN.sub("", again.content.decode()) == TOKEN.sub("", first.content.decode())
