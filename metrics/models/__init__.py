from .aggregates import (
    AggregateState,
    MetricSnapshot,
    PendingRebuild,
    PendingSlice,
    Rollup,
    Status,
)
from .audit import AuditEvent, AuditKind
from .dashboard import DashboardScale
from .dimensions import District, DistrictKind, GroupCategory, StudentGroup
from .imports import ImportBatch
from .metric import Accumulation, Direction, Frequency, Level, Metric
from .preferences import UserPreference
from .reading import Publication, Reading, ReadingState
from .reminders import ApprovalDigestLog, ReminderLog
from .tokens import ApiToken

__all__ = [
    "Accumulation", "AggregateState", "ApiToken", "ApprovalDigestLog", "AuditEvent", "AuditKind",
    "DashboardScale",
    "Direction", "District", "DistrictKind", "Frequency", "GroupCategory",
    "ImportBatch", "Level",
    "Metric", "MetricSnapshot", "PendingRebuild", "PendingSlice", "Publication", "Reading",
    "ReadingState",
    "ReminderLog",
    "Rollup", "Status", "StudentGroup", "UserPreference",
]
