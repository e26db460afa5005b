"""Every URL of the URL conf x every role x every method, against one expected table.

The patterns come from the URL conf itself, so a new URL without a row in EXPECTED fails
`test_every_url_has_an_expected_row` (and a row for a URL that is gone fails it too).
Each row gives, per method, what each role gets: a status code, `login` (sent to sign
in) or `redirect` (any other 302). Roles in ROLES order. The Django admin is one row
(its index): its own views gate the rest, and tests/metrics/test_admin.py and the
browser crawl cover them.
"""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from metrics.aggregates import rebuild
from metrics.models import ImportBatch

from .factories import MetricFactory, PillarFactory, ReadingFactory
from .reports.factories import ExportJobFactory

ROLES = ["anonymous", "outsider", "steward", "lead", "leadership", "comms", "administrator"]
METHODS = ["GET", "POST", "PUT", "DELETE"]
YEAR = "2023-24"


def url_patterns(resolver=None, namespace=None, prefix=""):
    """(name, route) of every pattern, namespaced ("metrics:enter"); the route when unnamed."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            spaced = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from url_patterns(pattern, spaced, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route


def _checked_names():
    return sorted({name for name, route in url_patterns()
                   if not route.startswith("admin/") or name == "admin:index"})


@pytest.fixture
def world(users, settings, tmp_path):
    """Pillar 1 led by `lead`, with a metric owned by `steward` and a reading waiting
    for approval; pillar 2 unrelated; comms's finished export; steward's import."""
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True
    own = MetricFactory(code="owned", unit="count")
    own.owners.add(users["steward"])
    own.pillar.leads.add(users["lead"])
    PillarFactory(plan=own.plan)
    reading = ReadingFactory(metric=own, state="submitted", approved_value=None, value=4)
    reading.evidence_file.save("source.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    rebuild()
    job = ExportJobFactory(user=users["comms"], plan=own.plan, state="done", filename="x.csv")
    job.file.save("x.csv", ContentFile(b"plan\r\n"), save=True)
    batch = ImportBatch.objects.create(owner=users["steward"], plan=own.plan, filename="x.csv",
                                       file=ContentFile(b"", name="x.csv"))
    return {"plan": own.plan.slug, "pillar": own.pillar.slug, "metric": own.code,
            "reading": reading.pk, "history": reading.history.first().history_id,
            "job": job.pk, "batch": batch.pk}


def _url(name, w):
    plan, year = w["plan"], YEAR
    args = {
        "pillars:plan": [plan],
        "pillars:pillar": [plan, w["pillar"]],
        "metrics:review": [w["reading"]],
        "metrics:restore": [w["reading"], w["history"]],
        "metrics:evidence": [w["reading"]],
        "metrics:metric": [plan, w["metric"]],
        "metrics:public_csv": [plan, w["metric"]],
        "metrics:bulk_entry": [plan],
        "metrics:enter": [plan, w["metric"]],
        "metrics:target": [plan, w["metric"]],
        "metrics:import_upload": [plan],
        "metrics:import_template": [plan, "csv"],
        "metrics:import_preview": [plan, w["batch"]],
        "reports:report": [plan, year],
        "reports:export": [plan, year],
        "reports:highlights": [plan, year],
        "reports:translations": [plan],
        "reports:highlight_intro": [plan, year],
        "reports:highlight_pillar": [plan, year, w["pillar"]],
        "reports:job": [w["job"]],
        "reports:job_status": [w["job"]],
        "reports:download": [w["job"]],
        "password_reset_confirm": ["MQ", "set-password"],
        "metrics:revoke_token": [w["reading"]],
        "api:plan-detail": [plan],
    }
    if name.startswith("api:") and name.endswith("-detail") and name not in args:
        args[name] = [w["reading"]]
    if name == "favicon.ico":
        return "/favicon.ico"
    return reverse(name, args=args.get(name, []))


def _row(*methods):
    """A row: four strings (GET, POST, PUT, DELETE) of seven outcomes each, in ROLES order;
    a string of one outcome stands for all seven."""
    row = {}
    for method, outcomes in zip(METHODS, methods, strict=True):
        words = outcomes.split()
        row[method] = words * 7 if len(words) == 1 else words
        assert len(row[method]) == 7, (method, outcomes)
    return row


#     roles:  anonymous outsider steward lead leadership comms administrator
EVERY_STAFF_ROLE = "login 403 200 200 200 200 200"
SIGNED_IN = "login 200 200 200 200 200 200"
READ_ONLY = ("405", "405", "405")
EXPECTED = {
    "pillars:home": _row("200", *READ_ONLY),
    # Single sign-on is off here (no OIDC_RP_CLIENT_ID): tests/test_oidc.py covers it on.
    "oidc_authentication_init": _row("404", "404", "404", "404"),
    "oidc_authentication_callback": _row("404", "404", "404", "404"),
    "pillars:plan": _row(EVERY_STAFF_ROLE, *READ_ONLY),
    "pillars:dashboard": _row("login 403 redirect redirect redirect redirect redirect",
                              *READ_ONLY),
    "pillars:pillar": _row(EVERY_STAFF_ROLE, *READ_ONLY),
    "metrics:metric": _row(EVERY_STAFF_ROLE, *READ_ONLY),
    # The plan is not public: signed out, sign in; staff get the file the public would.
    "metrics:public_csv": _row(EVERY_STAFF_ROLE, *READ_ONLY),
    "metrics:my_updates": _row(EVERY_STAFF_ROLE, *READ_ONLY),
    "metrics:approvals": _row("login 403 403 200 403 403 200",
                              "login 403 403 200 403 403 200", "405", "405"),
    "metrics:review": _row("405", "login 403 403 redirect 403 403 redirect", "405", "405"),
    "metrics:restore": _row("405", "login 403 403 403 403 403 redirect", "405", "405"),
    "metrics:targets_worklist": _row("login 403 403 200 403 403 200",
                                     "login 403 403 redirect 403 403 redirect", "405", "405"),
    "metrics:owners_worklist": _row("login 403 403 200 403 403 200",
                                    "login 403 403 redirect 403 403 redirect", "405", "405"),
    "metrics:audit_log": _row("login 403 403 403 403 403 200", *READ_ONLY),
    # An evidence file is served to whoever may read the metric's page.
    "metrics:evidence": _row(EVERY_STAFF_ROLE, *READ_ONLY),
    "metrics:bulk_entry": _row("login 403 200 200 403 403 200",
                               "login 403 200 200 403 403 200", "405", "405"),
    "metrics:enter": _row("login 403 200 200 403 403 200",
                          "login 403 200 200 403 403 200", "405", "405"),
    "metrics:target": _row("login 403 403 200 403 403 200",
                           "login 403 403 200 403 403 200", "405", "405"),
    "metrics:import_upload": _row("login 403 200 200 403 403 200",
                                  "login 403 200 200 403 403 200", "405", "405"),
    "metrics:import_template": _row("login 403 200 200 403 403 200", *READ_ONLY),
    # Another user's import is not found, even by an administrator.
    "metrics:import_preview": _row("login 403 200 404 403 403 404",
                                   "login 403 redirect 404 403 403 404", "405", "405"),
    "reports:index": _row("login 403 403 403 200 200 200", *READ_ONLY),
    "reports:report": _row("login 403 403 403 200 200 200", *READ_ONLY),
    "reports:export": _row("login 403 403 403 200 200 200", "login 403 403 403 200 200 200",
                           "405", "405"),
    "reports:highlights": _row("login 403 403 403 403 200 200", *READ_ONLY),
    # What of the plan's content has no Spanish version: administrators only.
    "reports:translations": _row("login 403 403 403 403 403 200", *READ_ONLY),
    "reports:highlight_intro": _row("login 403 403 403 403 200 200",
                                    "login 403 403 403 403 redirect redirect", "405", "405"),
    "reports:highlight_pillar": _row("login 403 403 403 403 200 200",
                                     "login 403 403 403 403 redirect redirect", "405", "405"),
    # Another user's export is not found, except by an administrator.
    "reports:job": _row("login 403 403 403 404 200 200", *READ_ONLY),
    "reports:job_status": _row("login 403 403 403 404 200 200", *READ_ONLY),
    "reports:download": _row("login 403 403 403 404 200 200", *READ_ONLY),
    # Django's own views: a form view takes PUT as POST (its form, unfilled, answers 200).
    "login": _row("200", "200", "200", "405"),
    "logout": _row("405", "redirect", "405", "405"),
    "password_change": _row(SIGNED_IN, SIGNED_IN, SIGNED_IN, "login 405 405 405 405 405 405"),
    "password_change_done": _row(SIGNED_IN, *(["login 405 405 405 405 405 405"] * 3)),
    "password_reset": _row("200", "200", "200", "405"),
    "password_reset_done": _row("200", *READ_ONLY),
    # An unknown user's link: the "link is not valid" page, whatever the method.
    "password_reset_confirm": _row("200", "200", "200", "200"),
    "password_reset_complete": _row("200", *READ_ONLY),
    "favicon.ico": _row("301", "301", "301", "301"),
    # Django's set_language: back to `next` (else the referrer, else home) whatever the
    # method; only a POST changes the language (tests/test_i18n.py).
    "set_language": _row("redirect", "redirect", "redirect", "redirect"),
    # For load balancers: no sign-in, GET and HEAD only (tests/test_health.py).
    "healthz": _row("200", *READ_ONLY),
    "ok": _row("200", *READ_ONLY),
    "metrics:account": _row(SIGNED_IN, SIGNED_IN, *(["login 405 405 405 405 405 405"] * 2)),
    # The language of one's e-mails: POST only; an empty form is refused, back to the page.
    "metrics:account_language": _row("login 405 405 405 405 405 405",
                                     "login redirect redirect redirect redirect redirect "
                                     "redirect", *(["login 405 405 405 405 405 405"] * 2)),
    # Someone else's (here: nobody's) token is not revoked: back to the account page.
    "metrics:revoke_token": _row("login 405 405 405 405 405 405",
                                 "login redirect redirect redirect redirect redirect redirect",
                                 *(["login 405 405 405 405 405 405"] * 2)),
    # The API reads tokens only, never the session: every role gets the public view,
    # in which this world's plan (not public) and its rows do not exist.
    "api:schema": _row("200", *READ_ONLY),
    "api:docs": _row("200", *READ_ONLY),
    **{f"api:{name}-list": _row("200", *READ_ONLY)
       for name in ("plan", "pillar", "priority_area", "goal", "metric", "reading",
                    "aggregate", "analytics")},
    **{f"api:{name}-detail": _row("404", *READ_ONLY)
       for name in ("plan", "pillar", "priority_area", "goal", "metric", "reading",
                    "aggregate")},
    "admin:index": _row("redirect redirect redirect redirect redirect redirect 200",
                        "redirect redirect redirect redirect redirect redirect 200",
                        "redirect redirect redirect redirect redirect redirect 200",
                        "redirect redirect redirect redirect redirect redirect 200"),
}


def test_every_url_has_an_expected_row():
    assert set(EXPECTED) == set(_checked_names()), (
        "every URL needs its row in EXPECTED: who may open it with which method")


def _outcome(response):
    if response.status_code == 302:
        return "login" if "/accounts/login/" in response.url else "redirect"
    return str(response.status_code)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_access(users, world, name, method):
    url = _url(name, world)
    got = []
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(users[role])
        response = getattr(client, method.lower())(url)
        got.append(_outcome(response))
    assert " ".join(got) == " ".join(EXPECTED[name][method]), f"{method} {url}"
