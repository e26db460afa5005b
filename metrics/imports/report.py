"""What an import tells its user: the file refused (UploadError), or what it does with
each row (RowOutcome) and with the file (ImportReport)."""

from dataclasses import dataclass, field
from decimal import Decimal

from ..models import Metric

NEW, CHANGED, UNCHANGED, SKIPPED, REJECTED = "new", "changed", "unchanged", "skipped", "rejected"
ACTIONS = (NEW, CHANGED, UNCHANGED, SKIPPED, REJECTED)
# Rows of each outcome kept in a stored report for the preview; the counts cover all.
PREVIEW_CAP = 2_000


class UploadError(Exception):
    """The file cannot be imported at all; `messages` say why, in words for people."""

    def __init__(self, *messages):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


@dataclass(slots=True)
class RowOutcome:
    """What the import does with one row, for the preview."""

    line: int
    metric_code: str
    period: str
    district: str
    student_group: str
    action: str = REJECTED
    reasons: tuple | list = ()  # why the row is rejected or skipped
    metric: Metric | None = None
    old_value: Decimal | None = None
    old_qualifier: str = ""
    new_value: Decimal | None = None
    new_qualifier: str = ""
    state: str = ""
    typed: str = ""  # the value as the file has it, shown when it cannot be read as one

    def as_dict(self):
        fmt = self.metric.format if self.metric is not None else None
        return {
            "line": self.line,
            "metric_code": self.metric_code,
            "metric_name": self.metric.name if self.metric is not None else "",
            "period": self.period,
            "district": self.district,
            "student_group": self.student_group,
            "old": fmt(self.old_value, self.old_qualifier) if fmt and self.old_value is not None
            else "",
            "new": fmt(self.new_value, self.new_qualifier) if fmt and self.new_value is not None
            else self.typed[:60],
            "action": self.action,
            "state": self.state,
            "reasons": list(self.reasons),
        }


@dataclass
class ImportReport:
    """Counts and per-row outcomes of an import (or of its dry run, for the preview)."""

    rows: list = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    approved: int = 0
    errors: list = field(default_factory=list)
    written: bool = False
    metric_ids: set = field(default_factory=set)

    @property
    def ok(self):
        return not self.rejected and not self.errors

    @property
    def counts(self):
        return {
            "total": len(self.rows), "new": self.new, "changed": self.changed,
            "unchanged": self.unchanged, "skipped": self.skipped, "rejected": self.rejected,
            "approved": self.approved,
        }

    def to_json(self, cap=None):
        """What a batch stores: every count, and at most `cap` rows of each outcome."""
        cap = PREVIEW_CAP if cap is None else cap
        kept = dict.fromkeys(ACTIONS, 0)
        rows = []
        for outcome in self.rows:
            if kept[outcome.action] < cap:
                kept[outcome.action] += 1
                rows.append(outcome.as_dict())
        return {
            "counts": self.counts, "shown": kept, "cap": cap, "errors": list(self.errors),
            "written": self.written, "rows": rows,
        }
