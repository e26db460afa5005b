"""Staff data entry: one reading, conflicts, bulk grid, targets, approval, history, restore."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from metrics.aggregates import rebuild
from metrics.models import MetricSnapshot, Reading, ReadingState, Status

from ..factories import MetricFactory, PillarFactory, ReadingFactory


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _enter_url(metric):
    return reverse("metrics:enter", args=[metric.plan.slug, metric.code])


def _post(client, metric, **data):
    payload = {"period": "2023-24", "value": "45.5", "qualifier": "", "note": "", "version": 0,
               **data}
    return client.post(_enter_url(metric), payload)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("145", "A percent is a share from 0 to 100."),
        ("-3", "A percent is a share from 0 to 100."),
        ("forty", "is not a number"),
        ("<script>alert(1)</script>", "is not a number"),
        ("9" * 61, "Ensure this value has at most 60 characters"),
        ("9" * 30, "The number is too large"),
        ("1.23456", "Use at most 4 decimal places."),
    ],
)
def test_bad_value_gets_a_message_next_to_the_field_and_keeps_what_was_typed(
    client, users, owned, value, message
):
    client.force_login(users["steward"])
    response = _post(client, owned, value=value, note="typed note")
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors["value"])
    html = response.content.decode()
    assert "typed note" in html
    assert "<script>alert(1)</script>" not in html
    assert not Reading.objects.exists()


def test_bad_period_says_what_is_allowed(client, users, owned):
    client.force_login(users["steward"])
    response = _post(client, owned, period="2030-31")
    assert "outside the plan 2022-25" in str(response.context["form"].errors["period"])


def test_steward_value_waits_for_approval_then_lead_approves(
    client, users, owned, django_capture_on_commit_callbacks
):
    client.force_login(users["steward"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, owned, value="45.5")
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert (reading.state, reading.approved_value, reading.entered_by) == (
        ReadingState.SUBMITTED, None, users["steward"])
    snapshot = MetricSnapshot.objects.get(metric=owned, is_county_wide=True)
    assert snapshot.latest_value is None and snapshot.pending_value == Decimal("45.5")

    client.force_login(users["lead"])
    assert "Newsletter open rate" in client.get(reverse("metrics:approvals")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("metrics:review", args=[reading.pk]), {"action": "approve"})
    snapshot = MetricSnapshot.objects.get(metric=owned, is_county_wide=True)
    assert snapshot.latest_value == Decimal("45.5") and snapshot.pending_value is None
    page = client.get(owned.pillar.get_absolute_url()).content.decode()
    assert "45.5%" in page


def test_lead_returns_with_a_comment_and_the_steward_sees_it(client, users, owned):
    reading = ReadingFactory(metric=owned, state="submitted", approved_value=None, value=40,
                             entered_by=users["steward"])
    client.force_login(users["lead"])
    client.post(reverse("metrics:review", args=[reading.pk]), {"action": "return", "comment": ""})
    reading.refresh_from_db()
    assert reading.state == ReadingState.SUBMITTED  # a return needs a comment
    client.post(reverse("metrics:review", args=[reading.pk]),
                {"action": "return", "comment": "Source says 41.2"})
    reading.refresh_from_db()
    assert (reading.state, reading.review_comment) == (ReadingState.RETURNED, "Source says 41.2")
    client.force_login(users["steward"])
    assert "Source says 41.2" in client.get(reverse("metrics:my_updates")).content.decode()


def test_lead_entry_is_approved_at_once(client, users, owned):
    client.force_login(users["lead"])
    _post(client, owned, value="50")
    assert Reading.objects.get().approved_value == 50


def test_second_save_over_someone_elses_is_refused_and_keeps_what_was_typed(
    client, users, owned
):
    reading = ReadingFactory(metric=owned, value=40, state="submitted", approved_value=None)
    client.force_login(users["steward"])
    form_page = client.get(_enter_url(owned) + "?period=2023-24")
    shown_version = form_page.context["form"].initial["version"]
    client.force_login(users["lead"])
    assert _post(client, owned, value="42", version=shown_version).status_code == 302
    client.force_login(users["steward"])
    response = _post(client, owned, value="44.4", note="mine", version=shown_version)
    assert response.status_code == 200
    html = response.content.decode()
    assert "lead saved this reading" in html and "the value is now 42%" in html
    assert 'value="44.4"' in html and "mine" in html
    reading.refresh_from_db()
    assert reading.value == 42
    # Saving again on purpose, with the version now shown, replaces theirs.
    new_version = response.context["form"].data["version"]
    assert _post(client, owned, value="44.4", version=new_version).status_code == 302
    reading.refresh_from_db()
    assert reading.value == Decimal("44.4")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.exe", b"MZ...", "File extension “exe” is not allowed"),
        ("big.pdf", b"x" * (10 * 1024 * 1024 + 1), "at most 10 MB"),
        ("empty.pdf", b"", "The submitted file is empty."),
    ],
)
def test_evidence_files_have_type_and_size_limits(client, users, owned, name, content, message):
    client.force_login(users["steward"])
    response = client.post(_enter_url(owned), {
        "period": "2023-24", "value": "45", "version": 0,
        "evidence_file": SimpleUploadedFile(name, content),
    })
    assert message in str(response.context["form"].errors["evidence_file"])
    assert not Reading.objects.exists()


def test_evidence_link_and_file_are_kept(client, users, owned, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["steward"])
    client.post(_enter_url(owned), {
        "period": "2023-24", "value": "45", "version": 0,
        "evidence_url": "https://example.org/report.pdf",
        "evidence_file": SimpleUploadedFile("source.pdf", b"%PDF-1.4 test"),
    })
    reading = Reading.objects.get()
    assert reading.evidence_url == "https://example.org/report.pdf"
    assert reading.evidence_file.name.endswith(".pdf")


def test_bulk_grid_saves_valid_rows_and_keeps_invalid_ones_as_typed(client, users, owned):
    count = MetricFactory(pillar=owned.pillar, plan=owned.plan, code="count", name="Laptops",
                          unit="count")
    count.owners.add(users["steward"])
    untouched = MetricFactory(pillar=owned.pillar, plan=owned.plan, code="u", name="Untouched")
    untouched.owners.add(users["steward"])
    client.force_login(users["steward"])
    url = reverse("metrics:bulk_entry", args=[owned.plan.slug]) + "?period=2024-25"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {
        f"m{owned.pk}-value": "45.5", f"m{owned.pk}-version": 0,
        f"m{count.pk}-value": "12.5", f"m{count.pk}-note": "typed", f"m{count.pk}-version": 0,
        f"m{untouched.pk}-value": "", f"m{untouched.pk}-version": 0,
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert "A count is a whole number of 0 or more." in html
    assert 'value="12.5"' in html and 'value="typed"' in html
    assert list(Reading.objects.values_list("metric__code", "value")) == [("rate", Decimal("45.5"))]


def test_bulk_grid_query_count_is_constant_in_the_number_of_metrics(
    client, users, owned, django_assert_max_num_queries
):
    client.force_login(users["steward"])
    url = reverse("metrics:bulk_entry", args=[owned.plan.slug]) + "?period=2024-25"
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for i in range(25):
        metric = MetricFactory(pillar=owned.pillar, plan=owned.plan, code=f"m{i}")
        metric.owners.add(users["steward"])
        ReadingFactory(metric=metric, period="2024-25")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_lead_sets_a_target_and_the_status_follows(
    client, users, owned, django_capture_on_commit_callbacks
):
    ReadingFactory(metric=owned, period="2023-24", value=67)
    rebuild()
    assert MetricSnapshot.objects.get(metric=owned, is_county_wide=True).status == Status.BASELINE
    client.force_login(users["lead"])
    url = reverse("metrics:target", args=[owned.plan.slug, owned.code])
    bad = client.post(url, {"target_value": "180", "target_period": "2024-25",
                            "on_track_threshold": 95, "at_risk_threshold": 80})
    assert "from 0 to 100" in str(bad.context["form"].errors["target_value"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {
            "target_value": "80", "target_period": "2024-25", "baseline_value": "40",
            "baseline_period": "2021-22", "on_track_threshold": 95, "at_risk_threshold": 80,
        })
    assert response.status_code == 302, response.context["form"].errors
    assert MetricSnapshot.objects.get(metric=owned, is_county_wide=True).status == Status.ON_TRACK
    assert owned.history.count() >= 2  # the target change is in the metric's history


def test_history_shows_who_changed_what_and_admin_restores_through_the_service(
    client, users, owned
):
    client.force_login(users["steward"])
    _post(client, owned, value="40")
    version = Reading.objects.get().version
    _post(client, owned, value="41", version=version)
    client.force_login(users["administrator"])
    page = client.get(owned.get_absolute_url())
    html = page.content.decode()
    assert "steward" in html and "Value: 40% → 41%" in html
    first = Reading.history.order_by("history_date").first()
    reading = Reading.objects.get()
    client.post(reverse("metrics:restore", args=[reading.pk, first.history_id]))
    reading.refresh_from_db()
    # An administrator's restore is their own entry: approved at once (one approval rule).
    assert reading.value == 40 and reading.state == ReadingState.APPROVED
    assert reading.history.count() == 3


def test_my_updates_lists_overdue_first(client, users, owned, monkeypatch):
    # 1 December 2024, while the 2022-25 plan runs: after it ended nothing is overdue.
    moment = timezone.make_aware(datetime.datetime(2024, 12, 1, 12))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    recent = MetricFactory(pillar=owned.pillar, plan=owned.plan, code="recent", name="Recent one")
    recent.owners.add(users["steward"])
    ReadingFactory(metric=owned, period="2022-23", value=30)  # next due long ago
    ReadingFactory(metric=recent, period="2024-25", value=3)
    rebuild()
    client.force_login(users["steward"])
    html = client.get(reverse("metrics:my_updates")).content.decode()
    assert html.index("Newsletter open rate") < html.index("Recent one")
    assert "Overdue since" in html and "Enter 2023-24" in html


def test_signed_out_posts_change_nothing(client, owned):
    response = _post(client, owned, value="45")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not Reading.objects.exists()


def test_outsider_pillar_is_forbidden_for_the_steward(client, users, owned):
    other = MetricFactory(pillar=PillarFactory(plan=owned.plan), code="x")
    client.force_login(users["steward"])
    assert client.get(_enter_url(other)).status_code == 403


# --- Every input parses or is refused politely (issue 12) ----------------------


@pytest.mark.parametrize(
    "query",
    [{"district": "abc"}, {"district": "1.5"}, {"district": "99999999999999999999"},
     {"district": "٣"}, {"district": "-1"}, {"student_group": "abc"},
     {"student_group": "1.5"}, {"period": "x" * 30}, {"district": "\x00"}],
)
def test_an_entry_link_that_does_not_parse_is_a_400_that_says_why(client, users, owned, query):
    client.force_login(users["steward"])
    response = client.get(_enter_url(owned), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "The link&#x27;s" in html
    assert 'name="value"' in html  # the form is still there, as for no choice


@pytest.mark.parametrize(
    "data",
    [{"version": "abc"}, {"version": "-1"}, {"version": "99999999999999999999"},
     {"version": "٣"}, {"district": "abc"}, {"district": "99999999999999999999"},
     {"student_group": "1.5"}, {"qualifier": "<script>"}, {"period": "٢٠٢٣-٢٤"},
     {"period": ""}, {"value": "٣"}, {"note": "\x00"}, {"evidence_url": "javascript:x"}],
)
def test_a_form_value_that_does_not_parse_is_a_form_error(client, users, owned, data):
    client.force_login(users["steward"])
    response = _post(client, owned, **data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "<script>" not in response.content.decode()
    assert not Reading.objects.exists()


@pytest.fixture
def district(owned):
    """A district that reports for the plan of `owned`."""
    from metrics.models import District

    district = District.objects.create(code="d1", name="Inglewood Unified")
    district.plans.add(owned.plan)
    return district


def _form_from(client, metric, query):
    """The entry form as the page shows it: its hidden version and the slice it belongs to."""
    form = client.get(_enter_url(metric), query).context["form"]
    return {name: form[name].value() for name in ("version", "version_of")}


def test_switching_to_a_district_without_a_reading_creates_that_reading(
    client, users, owned, district
):
    county = ReadingFactory(metric=owned, value=40)
    client.force_login(users["lead"])
    shown = _form_from(client, owned, {"period": "2023-24"})
    assert shown["version"] == county.version
    response = _post(client, owned, value="31", district=district.pk, **shown)
    assert response.status_code == 302
    assert Reading.objects.get(district=district).value == 31
    county.refresh_from_db()
    assert county.value == 40  # the county-wide reading the form opened with is untouched


def test_switching_to_a_group_that_has_a_reading_shows_its_value_to_confirm_over(
    client, users, owned, district
):
    ReadingFactory(metric=owned, value=40)
    theirs = ReadingFactory(metric=owned, value=30, district=district)
    client.force_login(users["lead"])
    shown = _form_from(client, owned, {"period": "2023-24"})
    response = _post(client, owned, value="33", district=district.pk, **shown)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2023-24 for Inglewood Unified, All students already has a value: 30%" in html
    assert 'value="33"' in html  # what the user typed is kept
    theirs.refresh_from_db()
    assert theirs.value == 30
    form = response.context["form"]
    again = _post(client, owned, value="33", district=district.pk,
                  version=form.data["version"], version_of=form.data["version_of"])
    assert again.status_code == 302
    theirs.refresh_from_db()
    assert theirs.value == 33


def test_a_version_for_a_reading_that_is_gone_says_so(client, users, owned):
    client.force_login(users["lead"])
    response = _post(client, owned, value="33", version=3)
    assert response.status_code == 200
    assert "This reading was deleted since you opened the form" in response.content.decode()
    assert _post(client, owned, value="33",
                 version=response.context["form"].data["version"]).status_code == 302


# --- Concurrent first saves, simulated (PostgreSQL runs them for real:
# tests/metrics/test_postgres_concurrency.py) ----------------------------------


@pytest.fixture
def lost_race(monkeypatch, owned):
    """Another writer's first save lands between our read (which found no reading) and
    our insert: the first look-up misses the row that now exists."""
    from metrics.services import readings

    winner = ReadingFactory(metric=owned, value=41, state="submitted", approved_value=None)
    real = readings._current_reading
    calls = []

    def first_misses(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(readings, "_current_reading", first_misses)
    return winner


@pytest.mark.parametrize("check", ["full_clean sees it", "the unique constraint refuses"])
def test_the_service_turns_a_lost_first_save_into_a_conflict(
    users, owned, lost_race, monkeypatch, check
):
    from metrics.services import EditConflict, reading_record

    if check == "the unique constraint refuses":
        monkeypatch.setattr(Reading, "validate_constraints", lambda self, exclude=None: None)
        monkeypatch.setattr(Reading, "validate_unique", lambda self, exclude=None: None)
    with pytest.raises(EditConflict) as conflict:
        reading_record(metric=owned, period="2023-24", value="45", user=users["steward"],
                       expected_version=0)
    assert conflict.value.current == lost_race
    assert list(Reading.objects.values_list("value", flat=True)) == [41]


def test_the_form_shows_a_lost_first_save_as_a_conflict(client, users, owned, lost_race):
    client.force_login(users["steward"])
    response = _post(client, owned, value="45", version=0)
    assert response.status_code == 200
    assert "saved this reading" in response.content.decode()
    assert "the value is now 41%" in response.content.decode()
    assert list(Reading.objects.values_list("value", flat=True)) == [41]


def test_the_grid_shows_a_lost_first_save_as_a_conflict(client, users, owned, lost_race):
    client.force_login(users["steward"])
    url = reverse("metrics:bulk_entry", args=[owned.plan.slug]) + "?period=2023-24"
    response = client.post(url, {f"m{owned.pk}-value": "45", f"m{owned.pk}-version": 0})
    assert response.status_code == 200
    assert "the value is now 41%" in response.content.decode()
    assert list(Reading.objects.values_list("value", flat=True)) == [41]


# --- Entry keeps what it does not show (issue 11), on LACOE's plan -------------------


def _grid_url(metric, period):
    return reverse("metrics:bulk_entry", args=[metric.plan.slug]) + f"?period={period}"


def _grid_as_shown(page):
    """The grid's POST when the user changes nothing: what each row holds (as first
    shown, or as shown again after a problem)."""
    data = {}
    for _, _, form in page.context["rows"]:
        data.update({form.add_prefix(name): form.data.get(form.add_prefix(name), "")
                     if form.is_bound else form.initial.get(name, "")
                     for name in ("value", "qualifier", "note", "version")})
        data.update(dict(form.shown_inputs()))
    return data


def _grid_post_changing(client, user, metric, period, value):
    """Open the grid as `user`, change `metric`'s value only, save; the page after."""
    client.force_login(user)
    data = _grid_as_shown(client.get(_grid_url(metric, period)))
    data[f"m{metric.pk}-value"] = value
    return client.post(_grid_url(metric, period), data, follow=True).content.decode()


def test_the_form_keeps_the_source_quote_and_derived_flag_it_does_not_show(
    client, users, lacoe_reach
):
    client.force_login(users["steward"])
    response = _post(client, lacoe_reach, period="2022-23", value="50500",
                     qualifier="approximately", note="rounded again",
                     version=Reading.objects.get(metric=lacoe_reach, period="2022-23").version)
    assert response.status_code == 302
    reading = Reading.objects.get(metric=lacoe_reach, period="2022-23")
    assert (reading.value, reading.note, reading.state) == (
        Decimal(50500), "rounded again", ReadingState.SUBMITTED)
    assert reading.source_text == "Facebook reach increased by 28.9% to 65,000"
    assert reading.is_derived is True


def test_the_grid_keeps_evidence_source_quote_and_derived_flag_it_does_not_show(
    client, users, lacoe_reach
):
    reading = Reading.objects.get(metric=lacoe_reach, period="2022-23")
    Reading.objects.filter(pk=reading.pk).update(evidence_url="https://lacoe.edu/report.pdf")
    html = _grid_post_changing(client, users["steward"], lacoe_reach, "2022-23", "50500")
    assert "Saved 1 reading." in html
    reading.refresh_from_db()
    assert (reading.value, reading.qualifier, reading.state) == (
        Decimal(50500), "approximately", ReadingState.SUBMITTED)
    assert reading.evidence_url == "https://lacoe.edu/report.pdf"
    assert reading.source_text == "Facebook reach increased by 28.9% to 65,000"
    assert reading.is_derived is True


def test_the_grid_saves_only_rows_the_user_changed(client, users, lacoe_reach):
    """A lead re-saves a grid in which a steward's values wait: the untouched rows write
    no history, approve nothing and are not counted."""
    from metrics.models import Metric
    from metrics.services import reading_record

    others = list(Metric.objects.filter(pillar=lacoe_reach.pillar, unit="count")
                  .exclude(pk=lacoe_reach.pk).order_by("code")[:2])
    for metric in (lacoe_reach, *others):
        reading_record(metric=metric, period="2024-25", value="100", user=users["steward"])
    histories = {r.pk: r.history.count() for r in Reading.objects.filter(period="2024-25")}
    html = _grid_post_changing(client, users["lead"], lacoe_reach, "2024-25", "120")
    assert "Saved 1 reading." in html
    states = dict(Reading.objects.filter(period="2024-25").values_list("metric_id", "state"))
    assert states[lacoe_reach.pk] == ReadingState.APPROVED
    assert [states[m.pk] for m in others] == [ReadingState.SUBMITTED] * 2
    for reading in Reading.objects.filter(period="2024-25", metric__in=others):
        assert reading.history.count() == histories[reading.pk]


def test_a_grid_shown_again_after_a_problem_does_not_save_its_saved_rows_twice(
    client, users, lacoe_reach
):
    from metrics.models import Metric

    other = Metric.objects.filter(pillar=lacoe_reach.pillar, unit="count").exclude(
        pk=lacoe_reach.pk).order_by("code").first()
    client.force_login(users["steward"])
    url = _grid_url(lacoe_reach, "2024-25")
    data = _grid_as_shown(client.get(url))
    data.update({f"m{lacoe_reach.pk}-value": "60000", f"m{other.pk}-value": "-4"})
    again = client.post(url, data)
    html = again.content.decode()
    assert "Saved 1 reading." in html and "1 row could not be saved" in html
    saved = Reading.objects.get(metric=lacoe_reach, period="2024-25")
    history = saved.history.count()
    data = _grid_as_shown(again)
    data[f"m{other.pk}-value"] = "4"
    html = client.post(url, data, follow=True).content.decode()
    assert "Saved 1 reading." in html and "saved this reading" not in html
    assert saved.history.count() == history
    assert Reading.objects.get(metric=other, period="2024-25").value == 4
