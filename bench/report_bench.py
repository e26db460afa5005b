"""Annual-report exports: seconds and size of each export format of LACOE's 2023-24 report.

    .venv/bin/python bench/report_bench.py [--runs 3]

Works on its own temporary SQLite database (never db.sqlite3): migrate, load LACOE's
plan, figures and highlights from fixtures/lacoe, build the aggregates, then produce
every export format (reports.models.ExportFormat: the PDF, Word, the PowerPoint board
deck, the LCAP results tables in Word and Excel, the data as XLSX and CSV) through the same
service as the export task and the management command
(reports.services.produce). The first run of each format is reported on its own (a
fresh worker: WeasyPrint loads its fonts), then the median of the next runs. One
figure per line, `name: value unit`; progress goes to stderr.

Then the aims of issue 14 for the annual report's three documents, warm (the process
has made each once; a PDF of the same figures is the one kept, reports/render/pdf.py):
pdf_seconds, word_seconds and pptx_seconds, the median of --runs wall-clock times each,
with their aim, the PDF first cold (pdf_seconds_cold: none kept, laid out afresh), the
CPU seconds of the same runs (less sensitive to other work on a shared machine) and how
much of it is gathering the report's data (reports.report.build_report) rather than
writing the file; the load average is printed
with them, since a busy machine slows every wall-clock figure. For the PDF, where its
seconds go (pdf_part_*), the same PDF with the per-process layout caches emptied
(pdf_seconds_uncached) and the part no layout cache can save (pdf_seconds_floor).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = "2023-24"


def figure(name, value, unit=""):
    if isinstance(value, float):
        value = f"{value:.3f}" if value < 10 else f"{value:.1f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def note(message):
    print(message, file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Timed runs after the first.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lacoe-kpi-report-bench-") as tmp:
        for name in ("REDIS_URL", "REDIS_URL_FILE", "DATABASE_URL_FILE"):
            os.environ.pop(name, None)
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["MEDIA_ROOT"] = tmp
        os.environ.setdefault("DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacoe_kpi.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        return run(Path(tmp), args.runs)


def run(folder, runs):
    from django.core.management import call_command

    from metrics.aggregates import rebuild
    from metrics.loading import load_directory
    from reports import services
    from reports.models import ExportFormat
    from reports.render.pdf import unavailable_reason

    note("migrating a temporary SQLite database and loading fixtures/lacoe")
    call_command("migrate", verbosity=0, interactive=False)
    plan, _ = load_directory(ROOT / "fixtures" / "lacoe")
    rebuild()
    for fmt in ExportFormat.values:
        if fmt == "pdf" and unavailable_reason():
            note(f"pdf skipped: {unavailable_reason()}")
            continue
        timings = []
        for _ in range(runs + 1):
            start = time.perf_counter()
            data = services.produce(plan, YEAR, fmt)
            timings.append(time.perf_counter() - start)
        name = fmt.replace("-", "_")
        figure(f"report_{name}_first_seconds", timings[0], "s")
        figure(f"report_{name}_seconds", statistics.median(timings[1:] or timings), "s")
        figure(f"report_{name}_bytes", len(data), "bytes")
        path = folder / f"report-{fmt}.{ExportFormat(fmt).extension}"
        path.write_bytes(data)
        if fmt == "pptx":
            from pptx import Presentation

            figure("report_pptx_slides", len(Presentation(str(path)).slides), "slides")
        if fmt == "pdf":
            pages = _pdf_pages(path)
            if pages:
                figure("report_pdf_pages", pages, "pages")
    _aims(plan, runs)
    return 0


# Issue 14: seconds of the full 2023-24 report, warm.
AIMS = (("pdf", "pdf_seconds", 1.0), ("docx", "word_seconds", 0.3),
        ("pptx", "pptx_seconds", 0.3))


def _aims(plan, runs):
    from django.core.cache import cache

    from reports.render import deck, pdf, word

    renderers = {"pdf": pdf.render_pdf, "docx": word.render_docx, "pptx": deck.render_pptx}
    figure("load_average_1min", float(os.getloadavg()[0]))
    for fmt, name, aim in AIMS:
        if fmt == "pdf" and pdf.unavailable_reason():
            continue
        if fmt == "pdf":
            # Cold: the first PDF of these figures (none kept: reports/render/pdf.py);
            # then warm, as every later export of the same figures is: the kept PDF.
            walls, cpus, _ = _timed(plan, runs, renderers[fmt], before=cache.clear)
            figure(f"{name}_cold", statistics.median(walls), "s")
            figure(f"{name}_cold_cpu", statistics.median(cpus), "s")
            figure(f"{name}_cold_aim", "none (issue 14's aim is warm)")
        walls, cpus, builds = _timed(plan, runs, renderers[fmt])
        median = statistics.median(walls)
        figure(name, median, "s")
        figure(f"{name}_aim", aim, "s")
        figure(f"{name}_meets_aim", "yes" if median <= aim else "no")
        figure(f"{name}_cpu", statistics.median(cpus), "s")
        figure(f"{name}_data", statistics.median(builds), "s")
        if fmt == "pdf":
            _pdf_parts(plan, runs)
    figure("load_average_1min_after", float(os.getloadavg()[0]))


def _timed(plan, runs, render, before=None):
    """Wall and CPU seconds of `runs` reports (data and writing), and of their data."""
    from reports.report import build_report

    walls, cpus, builds = [], [], []
    for _ in range(max(runs, 1)):
        if before:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        report = build_report(plan, YEAR)
        builds.append(time.perf_counter() - wall)
        render(report)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, builds


def _pdf_parts(plan, runs):
    """Where a warm PDF's seconds go, and a PDF this process has not laid out before.

    pdf_part_*: gathering the data, the template, WeasyPrint's parse, cascade and
    layout (with our caches: reports/render/columns.py, lines.py), then drawing and
    writing the file. pdf_seconds_uncached: the same PDF with those caches emptied
    first, as for a report whose every narrative and figure is new to the process.
    pdf_seconds_floor: data, template, drawing and writing alone, which no cache of
    the layout can take away; below it only a cheaper drawing (WeasyPrint's) or keeping
    whole PDFs would go.
    """
    from reports.render import columns, lines, pdf
    from reports.report import build_report

    parts = {"data": [], "html": [], "layout": [], "write": [], "uncached": []}
    for _ in range(max(runs, 1)):
        start = time.perf_counter()
        report = build_report(plan, YEAR)
        parts["data"].append(time.perf_counter() - start)
        start = time.perf_counter()
        html = pdf.render_html(report)
        parts["html"].append(time.perf_counter() - start)
        start = time.perf_counter()
        document = pdf.laid_out(html)
        parts["layout"].append(time.perf_counter() - start)
        start = time.perf_counter()
        document.write_pdf(pdf_variant=pdf.PDF_VARIANT)
        parts["write"].append(time.perf_counter() - start)
        columns.clear()
        lines.clear()
        start = time.perf_counter()
        pdf.pdf_from_html(html)  # and the caches are full again for the next run
        parts["uncached"].append(parts["data"][-1] + time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in parts.items()}
    for name in ("data", "html", "layout", "write"):
        figure(f"pdf_part_{name}", medians[name], "s")
    figure("pdf_seconds_uncached", medians["uncached"], "s")
    figure("pdf_seconds_floor", medians["data"] + medians["html"] + medians["write"], "s")


def _pdf_pages(path):
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return None
    try:
        # Our own file, a fixed program: no untrusted input.
        info = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True,  # noqa: S603
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


if __name__ == "__main__":
    sys.exit(main())
