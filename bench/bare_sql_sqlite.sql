-- The same on SQLite (no DISTINCT ON): the rows through a window.
SELECT metric_id, district_id, student_group_id, period, v, previous_period, previous_value,
       last_approved_at
FROM (
    SELECT metric_id, district_id, student_group_id, period, approved_value AS v,
           LEAD(period) OVER w AS previous_period, LEAD(approved_value) OVER w AS previous_value,
           ROW_NUMBER() OVER w AS rn,
           MAX(COALESCE(approved_at, updated_at)) OVER slice AS last_approved_at
    FROM metrics_reading
    WHERE approved_value IS NOT NULL
    WINDOW slice AS (PARTITION BY metric_id, district_id, student_group_id),
           w AS (slice ORDER BY period_end DESC, period_start DESC)
) WHERE rn = 1;
SELECT metric_id, period, approved_value
FROM metrics_reading
WHERE district_id = %s AND student_group_id = %s AND approved_value IS NOT NULL
ORDER BY metric_id, period_end, period_start;
