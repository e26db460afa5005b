"""The one set-based writer of readings (writer), big-load helpers (load), and the COPY
building blocks they share (sql)."""

from .load import BULK_MODE_MIN_ROWS, bulk_load_mode, delete_readings_of_plan
from .writer import ReadingWriter, reading_fields

__all__ = ["BULK_MODE_MIN_ROWS", "ReadingWriter", "bulk_load_mode", "delete_readings_of_plan",
           "reading_fields"]
