"""Services: every write with a rule or a side effect goes through one of these.

readings (record, approve, return, restore), targets, reminders; the spreadsheet
import's start and confirm are in services/imports.py, imported from there (not
re-exported here: it uses metrics/imports, which uses services.readings).
"""

from .readings import (
    APPROVAL_REFUSED,
    EditConflict,
    approval,
    approved_metric_ids,
    reading_approve,
    reading_record,
    reading_restore,
    reading_return,
)
from .targets import TARGET_FIELDS, metric_set_target

__all__ = [
    "APPROVAL_REFUSED", "EditConflict", "TARGET_FIELDS", "approval", "approved_metric_ids",
    "metric_set_target", "reading_approve", "reading_record", "reading_restore",
    "reading_return",
]
