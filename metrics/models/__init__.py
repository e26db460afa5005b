from .aggregates import (
    AggregateState,
    MetricSnapshot,
    PendingRebuild,
    Rollup,
    Status,
)
from .dimensions import District, StudentGroup
from .imports import ImportBatch
from .metric import Accumulation, Direction, Frequency, Level, Metric
from .reading import Reading, ReadingState
from .reminders import ReminderLog

__all__ = [
    "Accumulation", "AggregateState", "Direction", "District", "Frequency", "ImportBatch", "Level",
    "Metric", "MetricSnapshot", "PendingRebuild", "Reading", "ReadingState", "ReminderLog",
    "Rollup", "Status", "StudentGroup",
]
