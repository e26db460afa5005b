-- The bare SQL a full rebuild is compared with (bench/run.py, PostgreSQL): what the
-- database alone needs to derive the snapshot rows, nothing written.
-- 1. Latest and previous approved value per metric x district x student group, and
--    when the slice last received one.
SELECT DISTINCT ON (metric_id, district_id, student_group_id)
       metric_id, district_id, student_group_id, period, approved_value,
       LEAD(period) OVER w AS previous_period, LEAD(approved_value) OVER w AS previous_value,
       MAX(COALESCE(approved_at, updated_at)) OVER slice AS last_approved_at
FROM metrics_reading
WHERE approved_value IS NOT NULL
WINDOW slice AS (PARTITION BY metric_id, district_id, student_group_id),
       w AS (slice ORDER BY period_end DESC, period_start DESC)
ORDER BY metric_id, district_id, student_group_id, period_end DESC, period_start DESC;
-- 2. The county-wide series per metric, oldest first (%s: the totals' ids).
SELECT metric_id, period, approved_value
FROM metrics_reading
WHERE district_id = %s AND student_group_id = %s AND approved_value IS NOT NULL
ORDER BY metric_id, period_end, period_start;
