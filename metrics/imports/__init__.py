"""Spreadsheet import of readings: read a CSV or XLSX file, check every row, write all or none.

The row format is metrics.rowformat's, so an exported file imports back as it is.

- `files.py`: reading an upload into rows, and its guards (size, rows, encoding,
  formulas): `read_upload`; `xlsx.py`: reading a workbook, counted first so that a
  hostile one is refused before anything is built;
- `rows.py`: checking rows with the model's own rules and writing them through
  metrics.bulk, approval by services.readings' rule: `import_rows`; `plan.py`: what
  checking needs of the plan, loaded once (`PlanContext`);
- `report.py`: what the user is told: `UploadError`, `RowOutcome`, `ImportReport`;
- `template.py`: the template to fill in, CSV or XLSX.

An upload's start (preview) and confirmation are services: metrics/services/imports.py.
"""

from .files import LIMITS_HELP, read_upload
from .report import ACTIONS, PREVIEW_CAP, ImportReport, RowOutcome, UploadError
from .rows import CONFLICT_MESSAGE, import_rows
from .template import template_csv, template_rows, template_xlsx

__all__ = [
    "ACTIONS", "CONFLICT_MESSAGE", "LIMITS_HELP", "PREVIEW_CAP", "ImportReport", "RowOutcome",
    "UploadError", "import_rows", "read_upload", "template_csv", "template_rows",
    "template_xlsx",
]
