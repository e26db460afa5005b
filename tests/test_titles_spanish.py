"""Every page's <title> in Spanish (issue 18), signed out and as each role, over every
URL tests/test_url_access.py lists, the plan private and then public: each HTML page is
the site's own ("… · LACOE KPI"; the admin keeps its "| LACOE KPI") with `lang="es"`,
and its title's words are Spanish. The test world's content (plan, pillar, metric, file
names) has no Spanish version and stays English, as it may; with those names taken out,
what is left of a title must differ from the English page's."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from metrics.models import ImportBatch, Metric
from pillars.models import Pillar, StrategicPlan

from .test_url_access import EXPECTED, ROLES, _url, world  # noqa: F401 (a fixture)

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
# Files, JSON and redirects-only: no page, no title.
NOT_PAGES = {"healthz", "ok", "favicon.ico", "logout", "metrics:public_csv",
             "metrics:import_template", "metrics:evidence", "reports:download",
             "reports:job_status", "api:schema"}


@pytest.fixture(autouse=True)
def english_afterwards():
    yield  # the last Spanish request leaves Spanish active in this thread
    translation.activate(settings.LANGUAGE_CODE)


def _page(url, language, user=None):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    response = client.get(url, follow=True)
    if "text/html" not in response.get("Content-Type", "") or not response.content:
        return None  # a file, JSON, or a 405's empty answer
    return response.content.decode()


def _title(page):
    found = TITLE.search(page)
    return " ".join(found.group(1).split()) if found else ""


def _words(title, names):
    """The title's own words: without the site's name and the content's names."""
    title = re.sub(r" [·|] LACOE KPI$", "", title)
    for name in sorted(names, key=len, reverse=True):
        title = title.replace(name, "")
    return " ".join(re.sub(r"[\d\-:().,]+", " ", title).split())


def _names():
    return {*StrategicPlan.objects.values_list("name", flat=True),
            *Pillar.objects.values_list("name", flat=True),
            *Metric.objects.values_list("name", flat=True),
            *ImportBatch.objects.values_list("filename", flat=True)}


def _untranslated(users, world, roles):  # noqa: F811
    """(url, role, English title, Spanish title) of each page whose title is not Spanish."""
    names, found, seen = _names(), [], set()
    for name in sorted(set(EXPECTED) - NOT_PAGES):
        if name.startswith("api:") and name != "api:docs":
            continue
        url = _url(name, world)
        for role in roles:
            user = None if role == "anonymous" else users[role]
            spanish = _page(url, "es", user)
            if spanish is None:
                continue
            title = _title(spanish)
            if (url, title) in seen:
                continue
            seen.add((url, title))
            english = _title(_page(url, "en", user))
            words = _words(title, names)
            wrong_site = not re.search(r" [·|] LACOE KPI$", title)
            if wrong_site or '<html lang="es"' not in spanish or (
                    words and words == _words(english, names)):
                found.append((url, role, english, title))
    return found


@pytest.mark.django_db
def test_every_title_is_spanish_signed_out_and_as_each_role(users, world):  # noqa: F811
    assert _untranslated(users, world, ROLES) == []


@pytest.mark.django_db
def test_every_public_title_is_spanish_signed_out(users, world):  # noqa: F811
    StrategicPlan.objects.update(is_public=True)
    assert _untranslated(users, world, ["anonymous"]) == []
