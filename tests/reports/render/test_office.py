"""A real office suite opens every file: LibreOffice (headless) converts the Word,
PowerPoint and Excel exports of LACOE's 2023-24 report, each conversion with its own
temporary user profile (-env:UserInstallation), so that runs never share or lock one."""

import shutil
import subprocess

import pytest

from metrics.rowformat import plain_number
from reports import services
from reports.render import deck
from reports.report import build_report

from ...conftest import require_service
from ..conftest import pdf_text, squash
from .conftest import YEAR, expected_callouts


def need_soffice():
    require_service(shutil.which("soffice") is not None,
                    "LibreOffice is not installed: apt-get install --no-install-recommends "
                    "libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui")


def convert(tmp_path, name, data, to):
    """`data` saved as `name` and converted by LibreOffice to `to` (pdf, csv); the path."""
    need_soffice()
    source = tmp_path / name
    source.write_bytes(data)
    profile = tmp_path / f"profile-{name}"
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", to, "--outdir", str(tmp_path / "out"), str(source)],
        capture_output=True, text=True, timeout=240,
    )
    out = tmp_path / "out" / (source.stem + "." + to.split(":")[0])
    assert result.returncode == 0 and out.exists(), (result.stdout, result.stderr)
    return out


def _pages(path):
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def _holds_pillars_and_callouts(lacoe, text):
    text = squash(text)
    for pillar in lacoe.pillars.all():
        assert pillar.name in text, pillar
    for _pillar, figure, label in expected_callouts(lacoe):
        assert figure in text and squash(label) in text, (figure, label)


@pytest.mark.parametrize("fmt", ["docx", "pptx"])
def test_libreoffice_opens_the_report_and_the_deck(lacoe, tmp_path, fmt):
    data = services.produce(lacoe, YEAR, fmt)
    pdf = convert(tmp_path, f"report.{fmt}", data, "pdf")
    pages = _pages(pdf)
    if fmt == "pptx":
        assert pages == len(deck.slide_titles(build_report(lacoe, YEAR)))
    else:  # the cover and introduction, then each pillar from a new page
        assert pages >= 1 + lacoe.pillars.count()
    _holds_pillars_and_callouts(lacoe, pdf_text(pdf))


def test_libreoffice_opens_the_workbooks(lacoe, tmp_path):
    csv = convert(tmp_path, "data.xlsx", services.produce(lacoe, YEAR, "xlsx"), "csv")
    text = csv.read_text(encoding="utf-8", errors="replace")
    for pillar in lacoe.pillars.all():
        assert pillar.slug in text or pillar.name in text, pillar
    for metric in lacoe.metrics.filter(is_headline=True).prefetch_related("readings"):
        reading = next(r for r in metric.readings.all() if r.period == YEAR
                       and r.approved_value is not None)
        assert plain_number(reading.approved_value) in text, metric.code
    lcap = convert(tmp_path, "lcap.xlsx", services.produce(lacoe, YEAR, "lcap-xlsx"), "csv")
    head = "Metric #,Metric,Baseline,Year 1 Outcome,Year 2 Outcome,Target for Year 3 Outcome,"
    assert head in lcap.read_text(encoding="utf-8", errors="replace")
