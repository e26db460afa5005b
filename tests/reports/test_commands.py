"""The management commands: export_annual_report (each format, what is wrong) and
expire_exports."""

import io

import pytest
from django.core.management import CommandError, call_command
from docx import Document

from pillars.models import StrategicPlan

from .conftest import need_weasyprint, pdf_text, squash


def test_the_command_writes_each_format(lacoe, tmp_path):
    out = io.StringIO()
    docx_path = tmp_path / "out" / "report.docx"
    call_command("export_annual_report", "--year", "2023-24", "--format", "docx",
                 "--output", str(docx_path), stdout=out)
    assert "Wrote" in out.getvalue() and "docx" in out.getvalue()
    texts = [p.text for p in Document(str(docx_path)).paragraphs]
    assert lacoe.pillars.get(order=3).commitment in texts
    csv_path = tmp_path / "data.csv"
    call_command("export_annual_report", "--year", "2023-24", "--format", "csv", "--output",
                 str(csv_path), "--plan", lacoe.slug, "--pillar", "communicate-effectively",
                 stdout=io.StringIO())
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "p4-facebook-reach" in text and "p1-educators" not in text
    assert "plan-students-served" in text


def test_the_command_writes_the_pdf(lacoe, tmp_path):
    need_weasyprint()
    path = tmp_path / "report.pdf"
    call_command("export_annual_report", "--year", "2023-24", "--format", "pdf",
                 "--output", str(path), "--pillar", "care-and-wellbeing",
                 stdout=io.StringIO())
    text = squash(pdf_text(path))
    assert "Pillar 2: Champion Individual and Collective Care and Wellbeing" in text
    assert "Pillar 1:" not in text
    assert "This edition covers Pillar 2 of the plan." in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2030-31"], "2030-31 is not a school year of LACOE 2022-25 Strategic Plan"),
        (["--year", "2023-24", "--plan", "nope"], "No plan 'nope'"),
        (["--year", "2023-24", "--pillar", "nope"], "Unknown pillar nope"),
    ],
)
def test_the_command_says_what_is_wrong(lacoe, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_annual_report", "--format", "csv", "--output",
                     str(tmp_path / "x.csv"), *args)
    assert not (tmp_path / "x.csv").exists()


def test_the_export_command_needs_a_plan(db, tmp_path):
    # No real plan, whatever another test of this module loaded (rolled back after).
    StrategicPlan.objects.update(is_synthetic=True)
    with pytest.raises(CommandError, match="No plan is loaded"):
        call_command("export_annual_report", "--year", "2023-24", "--format", "csv",
                     "--output", str(tmp_path / "x.csv"))
