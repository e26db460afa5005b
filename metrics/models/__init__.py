from .aggregates import (
    AggregateState,
    MetricSnapshot,
    PendingRebuild,
    Rollup,
    Status,
)
from .dimensions import District, StudentGroup
from .metric import Accumulation, Direction, Frequency, Level, Metric
from .reading import Reading, ReadingState

__all__ = [
    "Accumulation", "AggregateState", "Direction", "District", "Frequency", "Level", "Metric",
    "MetricSnapshot", "PendingRebuild", "Reading", "ReadingState", "Rollup", "Status", "StudentGroup",
]
