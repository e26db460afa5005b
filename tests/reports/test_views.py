"""The report's pages as a reader and a writer meet them: the report from approved
figures only, highlights written and previewed, exports asked for and followed."""

import re

import pytest
from django.urls import reverse

from metrics.aggregates import rebuild
from metrics.models import Metric, Reading
from metrics.privacy.decide import decide
from metrics.services import reading_record
from reports import tasks
from reports.models import HIGHLIGHT_MAX_LENGTH, ExportJob, Highlight

from ..factories import GoalFactory, MetricFactory, PillarFactory, ReadingFactory, UserFactory
from .conftest import squash
from .factories import ExportJobFactory


def _report_url(plan, year="2023-24"):
    return reverse("reports:report", args=[plan.slug, year])


def test_the_lacoe_report_shows_the_plan_as_published(client, users, lacoe):
    client.force_login(users["comms"])
    html = squash(client.get(_report_url(lacoe)).content.decode())
    assert "Annual Report 2023-24" in html
    assert lacoe.mission in html and lacoe.vision in html
    # At a glance: the plan-wide figures.
    assert "nearly 2,000,000" in html and "Students served" in html
    assert "4,084" in html and "$627 million" in html
    for pillar in lacoe.pillars.all():
        assert f"Pillar {pillar.order}: {pillar.name}" in html
        assert pillar.commitment.replace("’", "&#x27;") in html or pillar.commitment in html
    assert "more than 6,000" in html and "Educators Trained in Structured Literacy" in html
    assert "$2.5 million" in html and "Grant to Support Multilingual Learners" in html
    # A year-over-year change where a prior approved value exists.
    assert "+2,285" in html and "8,318" in html
    assert "+14,573 from approximately 50,427 in 2022-23" in html
    assert "<svg" in html and 'role="img"' in html  # a chart, with its data table
    assert "Data table" in html


def test_only_approved_values_are_reported(client, users, db):
    goal = GoalFactory()
    pillar = goal.priority_area.pillar
    metric = MetricFactory(pillar=pillar, name="Students tutored", is_headline=True,
                           headline_label="Students Tutored", headline_order=1)
    reading_record(metric=metric, period="2023-24", value="500", approve=True)
    reading_record(metric=metric, period="2023-24", value="999999")  # waits for approval
    draft = MetricFactory(pillar=pillar, name="Draft only metric")
    ReadingFactory(metric=draft, value=77777, state="submitted")
    rebuild()
    decide()  # the worker's pass after the rebuild: until then the figure is "*"
    client.force_login(users["leadership"])
    html = client.get(_report_url(pillar.plan)).content.decode()
    assert "500" in html and "Students Tutored" in html
    assert "999,999" not in html and "77,777" not in html
    assert "Draft only metric" not in html


def test_a_headline_without_an_approved_figure_says_so(client, users, db):
    metric = MetricFactory(is_headline=True, headline_label="Libraries Opened",
                           headline_order=1)
    client.force_login(users["comms"])
    html = client.get(_report_url(metric.plan)).content.decode()
    assert "No approved figure" in html and "Libraries Opened" in html


def test_pillars_can_be_chosen(client, users, lacoe):
    client.force_login(users["comms"])
    response = client.get(_report_url(lacoe), {"pillar": ["communicate-effectively"]})
    html = squash(response.content.decode())
    assert '<h2 id="pillar-4">Pillar 4: Communicate Effectively</h2>' in html
    assert 'id="pillar-1"' not in html
    assert "This edition covers Pillar 4 of the plan." in html
    assert "nearly 2,000,000" in html  # at a glance stays
    assert "?pillar=communicate-effectively" in html  # the export keeps the choice
    assert 'checked' in html


def test_highlights_appear_rendered_and_safe(client, users, lacoe):
    pillar = lacoe.pillars.get(order=2)
    # The loaded 2023-24 narrative, rewritten by communications.
    Highlight.objects.filter(plan=lacoe, pillar=pillar, school_year="2023-24").update(
        body="EASE grew **fast**.\n\n<script>alert(1)</script>")
    Highlight.objects.filter(plan=lacoe, pillar=None, school_year="2023-24").update(
        body="A year of *growth*.")
    client.force_login(users["leadership"])
    html = client.get(_report_url(lacoe)).content.decode()
    assert "EASE grew <strong>fast</strong>." in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "A year of <em>growth</em>." in html
    assert "Edit the highlights" not in html  # leadership reads, does not write


def test_communications_get_links_to_write_highlights(client, users, lacoe):
    client.force_login(users["comms"])
    html = client.get(_report_url(lacoe)).content.decode()
    assert reverse("reports:highlight_pillar", args=[lacoe.slug, "2023-24",
                                                     "improve-student-outcomes"]) in html
    assert "Edit the introduction" in html  # the loaded 2023-24 narrative
    html = client.get(_report_url(lacoe, "2024-25")).content.decode()
    assert "Write the introduction" in html


def test_the_report_page_query_count_is_constant(client, users, lacoe,
                                                 django_assert_max_num_queries):
    client.force_login(users["comms"])
    url = _report_url(lacoe)
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert "more than 6,000" in response.content.decode()
    # Ten more metrics with readings cost no extra query (the highlights are loaded).
    pillar = lacoe.pillars.get(order=1)
    for n in range(10):
        metric = Metric.objects.create(plan=lacoe, pillar=pillar, code=f"extra-{n}",
                                       name=f"Extra {n}")
        ReadingFactory(metric=metric, value=n + 1)
        ReadingFactory(metric=metric, value=n, period="2022-23")
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert "Extra 9" in response.content.decode()


def test_index_opens_the_chosen_report_or_says_what_is_wrong(client, users, lacoe):
    client.force_login(users["comms"])
    page = client.get(reverse("reports:index")).content.decode()
    assert 'value="2023-24" selected' in page  # the newest year with approved figures
    for year in lacoe.school_years:  # and a link to each year's report
        assert f'href="{_report_url(lacoe, year)}"' in page
    response = client.get(reverse("reports:index"), {"plan": lacoe.slug, "year": "2023-24"})
    assert response.status_code == 302 and response.url == _report_url(lacoe)
    page = client.get(reverse("reports:index"), {"plan": lacoe.slug, "year": "2030-31"})
    html = page.content.decode()
    assert page.status_code == 200 and "errorlist" in html
    assert "Select a valid choice" in html or "runs from" in html


def test_the_readings_of_other_years_stay_out(client, users, db):
    metric = MetricFactory(name="Books read")
    ReadingFactory(metric=metric, period="2024-25", value=123456)
    client.force_login(users["comms"])
    html = client.get(_report_url(metric.plan)).content.decode()
    assert "123,456" not in html
    assert Reading.objects.filter(metric=metric).count() == 1


@pytest.mark.parametrize("role", ["comms", "administrator"])
def test_a_user_with_several_roles_still_gets_one_page(client, role, users, lacoe):
    user = UserFactory(username=f"multi-{role}")
    user.groups.set(users[role].groups.all() | users["steward"].groups.all())
    client.force_login(user)
    assert client.get(_report_url(lacoe)).status_code == 200


@pytest.fixture
def pillar(db):
    return PillarFactory(slug="literacy", order=1, name="Literacy")


def _edit_url(pillar):
    return reverse("reports:highlight_pillar", args=[pillar.plan.slug, "2023-24", pillar.slug])


def test_preview_shows_the_text_rendered_and_saves_nothing(client, users, pillar):
    client.force_login(users["comms"])
    text = "We trained **6,000** educators.\n\n- in reading\n- in maths"
    html = client.post(_edit_url(pillar), {"body": text, "action": "preview"}).content.decode()
    assert "Preview (not saved yet)" in html
    assert "We trained <strong>6,000</strong> educators." in html and "<li>in maths</li>" in html
    assert "We trained **6,000** educators." in html  # still in the text box
    assert not Highlight.objects.filter(plan=pillar.plan).exists()


def test_save_stores_the_text_and_returns_to_the_report(client, users, pillar):
    client.force_login(users["comms"])
    response = client.post(_edit_url(pillar), {"body": "  A *great* year.  ", "action": "save"})
    assert response.status_code == 302
    assert response.url == reverse("reports:report",
                                   args=[pillar.plan.slug, "2023-24"]) + "#pillar-1"
    highlight = Highlight.objects.get(plan=pillar.plan)
    assert (highlight.pillar, highlight.school_year, highlight.body) == (
        pillar, "2023-24", "A *great* year.")
    assert highlight.updated_by == users["comms"]
    # Editing again changes the same row and keeps the history.
    client.post(_edit_url(pillar), {"body": "Even better.", "action": "save"})
    assert Highlight.objects.get(plan=pillar.plan).body == "Even better."
    assert Highlight.history.filter(plan=pillar.plan).count() == 2
    page = client.get(reverse("reports:report", args=[pillar.plan.slug, "2023-24"]))
    assert "Pillar 1: highlights for 2023-24 saved." in page.content.decode()
    form = client.get(_edit_url(pillar)).content.decode()
    assert "Even better." in form


def test_the_introduction_is_written_the_same_way(client, users, pillar):
    client.force_login(users["administrator"])
    url = reverse("reports:highlight_intro", args=[pillar.plan.slug, "2023-24"])
    response = client.post(url, {"body": "Welcome.", "action": "save"})
    assert response.url.endswith("#introduction")
    intro = Highlight.objects.get(plan=pillar.plan)
    assert intro.pillar is None and intro.plan == pillar.plan
    html = client.get(reverse("reports:highlights", args=[pillar.plan.slug, "2023-24"]))
    assert "Welcome." in html.content.decode() and "Edit the introduction" in html.content.decode()


def test_too_long_text_is_refused_and_nothing_typed_is_lost(client, users, pillar):
    client.force_login(users["comms"])
    text = "word " * (HIGHLIGHT_MAX_LENGTH // 5 + 10)
    html = client.post(_edit_url(pillar), {"body": text, "action": "save"}).content.decode()
    assert "There is a problem" in html
    assert "Ensure this value has at most 20000 characters" in html
    assert 'id="id_body_error"' in html and 'aria-invalid="true"' in html
    assert text.strip()[:200] in html
    assert not Highlight.objects.filter(plan=pillar.plan).exists()


def test_leadership_reads_but_cannot_write(client, users, pillar):
    client.force_login(users["leadership"])
    assert client.post(_edit_url(pillar), {"body": "x", "action": "save"}).status_code == 403
    assert not Highlight.objects.filter(plan=pillar.plan).exists()


def _post_export(client, plan, django_capture_on_commit_callbacks, **data):
    url = reverse("reports:export", args=[plan.slug, "2023-24"])
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, data)


def test_an_export_runs_and_its_file_downloads(client, users, small_plan,
                                               django_capture_on_commit_callbacks):
    client.force_login(users["comms"])
    response = _post_export(client, small_plan, django_capture_on_commit_callbacks,
                            format="csv", pillars=["p1", "p3"])
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:job", args=[job.pk])
    assert job.state == "done" and job.progress_done == job.progress_total == 3
    assert job.user == users["comms"]
    assert job.filename == "small-internal-data-2023-24-pillars-1-3.csv"
    page = client.get(response.url).content.decode()
    assert "Ready to download" in page and reverse("reports:download", args=[job.pk]) in page
    assert "Available until" in page
    download = client.get(reverse("reports:download", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "Callout" not in body and "Pillar name 1" in body and "Pillar name 3" in body
    assert "Pillar name 2" not in body
    assert download["Content-Type"] == "text/csv; charset=utf-8"


def test_a_running_job_shows_real_progress_with_and_without_javascript(client, users,
                                                                       small_plan):
    job = ExportJobFactory(user=users["comms"], plan=small_plan, state="running",
                           progress_done=2, progress_total=4)
    client.force_login(users["comms"])
    html = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert '<progress id="export-progress" max="4" value="2">50%</progress>' in html
    assert "2 of 3 pillars done." in html
    assert "Check again now" in html  # without JavaScript: one click
    assert "export-job.js" in html and 'http-equiv="refresh"' not in html
    status = client.get(reverse("reports:job_status", args=[job.pk])).json()
    assert status == {"state": "running", "state_label": "Being produced", "done": 2,
                      "total": 4, "finished": False, "message": "2 of 3 pillars done."}


def test_without_the_pdf_libraries_the_app_says_so(client, users, small_plan, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    reason = "PDF export is unavailable on this server: the PDF library is not installed."
    monkeypatch.setattr("reports.render.pdf.unavailable_reason", lambda: reason)
    client.force_login(users["comms"])
    url = reverse("reports:export", args=[small_plan.slug, "2023-24"])
    assert reason in client.get(url).content.decode()
    response = _post_export(client, small_plan, django_capture_on_commit_callbacks,
                            format="pdf", pillars=["p1"])
    html = response.content.decode()
    assert response.status_code == 200 and reason in html and "There is a problem" in html
    assert not ExportJob.objects.exists()
    # A job asked for otherwise (an old form, the admin) fails with the same plain words.
    job = ExportJobFactory(user=users["comms"], plan=small_plan, format="pdf")
    tasks.run_export(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.error == reason


def test_form_errors_keep_what_was_chosen(client, users, small_plan,
                                          django_capture_on_commit_callbacks):
    client.force_login(users["comms"])
    response = _post_export(client, small_plan, django_capture_on_commit_callbacks,
                            format="xlsx")
    html = response.content.decode()
    assert response.status_code == 200 and "Choose at least one pillar." in html
    assert re.search(r'<input type="radio" name="format" value="xlsx" id="id_format_\d+" '
                     r'required checked>', html)
    # Every format is offered, the board deck and the LCAP tables among them.
    for label in ("PowerPoint board deck", "LCAP results table (Word)",
                  "LCAP results table (Excel)"):
        assert label in html
    assert 'id="id_pillars_error"' in html
    assert 'aria-describedby="id_pillars_helptext id_pillars_error"' in html
    assert not ExportJob.objects.exists()
