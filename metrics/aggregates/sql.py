"""The statements of the set-based rebuild (rebuild.py), kept apart so that each reads
whole."""

# Latest and previous approved reading of every metric x district x student group in
# scope, in one pass (one sort serves DISTINCT ON and the windows), with when the slice
# last received an approved value (MetricSnapshot.last_approved_at).
FRESH_SQL = """
SELECT DISTINCT ON (metric_id, district_id, student_group_id)
       metric_id, district_id, student_group_id,
       (district_id = %s AND student_group_id = %s) AS is_county_wide,
       period AS latest_period, period_end AS latest_period_end,
       approved_value AS latest_value, COALESCE(approved_qualifier, '') AS latest_qualifier,
       COALESCE(LEAD(period) OVER w, '') AS previous_period,
       LEAD(approved_value) OVER w AS previous_value,
       approved_value - LEAD(approved_value) OVER w AS change,
       MAX(COALESCE(approved_at, updated_at)) OVER slice AS last_approved_at
FROM {reading}
WHERE approved_value IS NOT NULL {where}
WINDOW slice AS (PARTITION BY metric_id, district_id, student_group_id),
       w AS (slice ORDER BY period_end DESC, period_start DESC)
ORDER BY metric_id, district_id, student_group_id, period_end DESC, period_start DESC
"""

# The columns a reading decides (the rest are the county-wide pass's).
SLICE_COLUMNS = (
    "is_county_wide", "latest_period", "latest_period_end", "latest_value", "latest_qualifier",
    "previous_period", "previous_value", "change", "last_approved_at",
)
KEY = ("metric_id", "district_id", "student_group_id")

# PostgreSQL: compute once (the staging result, a materialised CTE), compare it with the
# rows in scope in one merge pass, then write only what changed and delete what vanished;
# one statement. Unchanged rows (nearly all, in a nightly rebuild) are never written.
UPSERT_SQL = """
WITH fresh AS MATERIALIZED ({fresh}),
diff AS MATERIALIZED (
    SELECT f.*, s.id AS old_id
    FROM fresh f
    FULL JOIN (SELECT * FROM {snapshot} s WHERE TRUE {snapshot_where}) s
        ON f.metric_id = s.metric_id AND f.district_id = s.district_id
        AND f.student_group_id = s.student_group_id
    WHERE f.metric_id IS NULL OR s.id IS NULL OR ({old_s}) IS DISTINCT FROM ({new_f})
),
upserted AS (
    INSERT INTO {snapshot} ({key}, {columns},
        pending_qualifier, pending_period, status, status_reason, series)
    SELECT {key}, {columns}, '', '', '', '', '[]'::jsonb FROM diff WHERE metric_id IS NOT NULL
    ON CONFLICT (metric_id, district_id, student_group_id) DO UPDATE SET {assign}
    WHERE ({old}) IS DISTINCT FROM ({new})
    RETURNING 1
)
DELETE FROM {snapshot} WHERE id IN (SELECT old_id FROM diff WHERE metric_id IS NULL)
"""

# SQLite (no DISTINCT ON): the same rows through ROW_NUMBER, into emptied scope.
SQLITE_SQL = """
INSERT INTO {snapshot} ({key}, {columns},
    pending_qualifier, pending_period, status, status_reason, series)
SELECT metric_id, district_id, student_group_id,
       (district_id = %s AND student_group_id = %s),
       MAX(CASE WHEN rn = 1 THEN period END),
       MAX(CASE WHEN rn = 1 THEN period_end END),
       MAX(CASE WHEN rn = 1 THEN approved_value END),
       COALESCE(MAX(CASE WHEN rn = 1 THEN approved_qualifier END), ''),
       COALESCE(MAX(CASE WHEN rn = 2 THEN period END), ''),
       MAX(CASE WHEN rn = 2 THEN approved_value END),
       MAX(CASE WHEN rn = 1 THEN approved_value END)
           - MAX(CASE WHEN rn = 2 THEN approved_value END),
       MAX(last_approved_at),
       '', '', '', '', '[]'
FROM (
    SELECT metric_id, district_id, student_group_id, period, period_end, approved_value,
           approved_qualifier,
           ROW_NUMBER() OVER (slice ORDER BY period_end DESC, period_start DESC) AS rn,
           MAX(COALESCE(approved_at, updated_at)) OVER slice AS last_approved_at
    FROM {reading}
    WHERE approved_value IS NOT NULL {where}
    WINDOW slice AS (PARTITION BY metric_id, district_id, student_group_id)
) ranked
WHERE rn <= 2
GROUP BY metric_id, district_id, student_group_id
"""

# The county-wide series per metric, oldest first, as MetricSnapshot.series holds it
# (values as plain_number writes them: trim_scale drops trailing zeros).
SERIES_SQL = """
SELECT metric_id,
       json_agg(json_build_array(period, trim_scale(approved_value)::text)
                ORDER BY period_end, period_start)
FROM {reading}
WHERE district_id = %s AND student_group_id = %s AND approved_value IS NOT NULL {where}
GROUP BY metric_id
"""
