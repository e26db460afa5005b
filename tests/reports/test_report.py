"""The report of a year is that year's: figures, changes, statuses and charts as of its end
(30 June), judged by metrics.status from readings of that year and earlier, never a later one.

The clock stands after the plan's end (December 2026), as it does for LACOE now.
"""

import csv
import datetime
import io
import shutil
import subprocess
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from metrics.aggregates import rebuild
from metrics.models import Metric
from metrics.privacy.decide import decide
from metrics.services import reading_record
from reports import services
from reports.render import pdf
from reports.report import build_report

from ..factories import MetricFactory, PillarFactory, PlanFactory
from .conftest import squash

YEAR, LATER = "2023-24", "2024-25"
AFTER_THE_PLAN = datetime.datetime(2026, 12, 15, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _after_the_plan():
    with mock.patch.object(timezone, "now", return_value=AFTER_THE_PLAN):
        yield


def _approve(metric, period, value):
    reading_record(metric=metric, period=period, value=str(value), approve=True)


def _rebuild():
    """What the worker does after approvals: the aggregates, then the publication rule's
    decisions (until then a new figure is not published: the report writes "*")."""
    rebuild()
    decide()


def _docx_texts(data):
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return texts


def _xlsx_rows(data):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return {name: list(book[name].values) for name in book.sheetnames}


def _pdf_text(data, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return squash(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                                 capture_output=True, check=True, text=True).stdout)


def _everything(client, plan, tmp_path, year=YEAR):
    """What a reader gets of the report of `year`: the page, the data behind its charts,
    and each exported file (the PDF as its HTML, and its text where poppler is here)."""
    report = build_report(plan, year)
    page = client.get(reverse("reports:report", args=[plan.slug, year])).content.decode()
    found = {
        "page": page[page.index('<article class="report"'):page.index("</article>")],
        "statuses": [section.status_counts for section in report.sections],
        "charts": [chart.svg for section in report.sections for chart in section.charts],
        "figures": [(f.label, f.text, f.prior_text, f.change_text)
                    for section in report.sections for f in section.headlines + section.others],
        "pdf_html": pdf.render_html(report),
        "docx": _docx_texts(services.produce(plan, year, "docx")),
        "csv": services.produce(plan, year, "csv"),
        "xlsx": _xlsx_rows(services.produce(plan, year, "xlsx")),
    }
    if pdf.unavailable_reason() is None and shutil.which("pdftotext"):
        found["pdf"] = _pdf_text(services.produce(plan, year, "pdf"), tmp_path)
    return found


def _csv_statuses(data):
    return {(row["metric_code"], row["period"]): row["status"]
            for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


@pytest.fixture
def tutoring(db):
    """A pillar with a metric that has a target: on track at the end of 2023-24
    (160 of the way from 100 to 200 by 2024-25, half the time gone), off track once its
    2024-25 value (110) is approved."""
    plan = PlanFactory(name="Tutoring plan", slug="tutoring")
    pillar = PillarFactory(plan=plan, order=1, slug="learning", name="Learning")
    metric = MetricFactory(
        pillar=pillar, code="tutored", name="Students tutored", is_headline=True,
        headline_label="Students Tutored", headline_order=1, baseline_value=Decimal(100),
        baseline_period="2022-23", target_value=Decimal(200), target_period=LATER,
    )
    _approve(metric, "2022-23", 100)
    _approve(metric, YEAR, 160)
    _rebuild()
    return plan, metric


def test_a_later_years_approved_value_never_changes_an_earlier_years_report(
    client, users, tutoring, tmp_path
):
    plan, metric = tutoring
    client.force_login(users["comms"])
    before = _everything(client, plan, tmp_path)
    assert before["statuses"] == [{"on_track": 1}]
    assert _csv_statuses(before["csv"])[("tutored", YEAR)] == "On track"
    assert "On track: 1" in before["pdf_html"] and "On track: 1" in before["page"]
    assert "Students Tutored" in before["page"] and "+60" in before["page"]

    _approve(metric, LATER, 110)  # the next year's value, approved, and the dashboards rebuilt
    _rebuild()
    assert metric.snapshots.get(is_county_wide=True).status == "off_track"

    after = _everything(client, plan, tmp_path)
    for part in before:
        assert after[part] == before[part], part
    # ...while the report of 2024-25 judges with its own value.
    later = _everything(client, plan, tmp_path, year=LATER)
    assert later["statuses"] == [{"off_track": 1}]
    assert _csv_statuses(later["csv"])[("tutored", LATER)] == "Off track"


def test_the_report_says_when_its_statuses_stand(client, users, tutoring):
    plan, _ = tutoring
    client.force_login(users["comms"])
    html = squash(client.get(reverse("reports:report", args=[plan.slug, YEAR])).content.decode())
    assert "Statuses are as of 30 June 2024, judged from approved values of 2023-24 and " \
           "earlier only." in html
    assert "Learning: metrics by status on 30 June 2024" in html
    texts = _docx_texts(services.produce(plan, YEAR, "docx"))
    assert any("Statuses are as of 30 June 2024" in text for text in texts)


def test_lacoes_2023_24_report_ignores_a_2024_25_value(client, users, lacoe, tmp_path):
    # LACOE's plan gives no targets; one set here so that the report has a status to judge.
    reach = Metric.objects.get(plan=lacoe, code="p4-facebook-reach")
    reach.baseline_value, reach.baseline_period = Decimal(50427), "2022-23"
    reach.target_value, reach.target_period = Decimal(100000), LATER
    reach.save()
    _rebuild()
    client.force_login(users["comms"])
    before = _everything(client, lacoe, tmp_path)
    pillar = [s for s in before["statuses"] if s.get("off_track")]
    assert len(pillar) == 1  # 65,000 in 2023-24: 29% of the way, half the time gone

    _approve(reach, LATER, 100000)  # the target met in 2024-25
    _rebuild()
    after = _everything(client, lacoe, tmp_path)
    for part in before:
        assert after[part] == before[part], part
    assert "on_track" not in str(after["statuses"])
    assert _csv_statuses(after["csv"])[("p4-facebook-reach", YEAR)] == "Off track"
