-- The bare SQL a full rebuild is compared with (bench/run.py, PostgreSQL): what the
-- database alone needs to derive the snapshot rows, nothing written.
-- 1. Latest, previous and first approved value per metric x district x student group,
--    and when the slice last received one; the approved figures are the readings' own
--    and each all-districts percent no one reported, computed from the districts'
--    summed counts (counts and amounts are never summed: metrics/aggregates/county.py).
--    %s: the all-districts row's id (twice).
SELECT DISTINCT ON (metric_id, district_id, student_group_id)
       metric_id, district_id, student_group_id, period, approved_value,
       LEAD(period) OVER w AS previous_period, LEAD(approved_value) OVER w AS previous_value,
       MAX(approved_at) OVER slice AS last_approved_at,
       LAST_VALUE(period) OVER whole AS first_period,
       LAST_VALUE(approved_value) OVER whole AS first_value, districts,
       students AS latest_n, LEAD(students) OVER w AS previous_n
FROM (
    SELECT r.metric_id, r.district_id, r.student_group_id, r.period, r.period_start,
           r.period_end, r.approved_value, COALESCE(r.approved_at, r.updated_at) AS approved_at,
           NULL::integer AS districts,
           CASE WHEN m.unit = 'percent' AND r.approved_value = r.value THEN r.denominator
                WHEN m.unit = 'count' AND r.approved_value >= 0 THEN CAST(TRUNC(r.approved_value) AS bigint)
           END AS students
    FROM metrics_reading r
    JOIN metrics_metric m ON m.id = r.metric_id
    WHERE r.approved_value IS NOT NULL
    UNION ALL
    SELECT r.metric_id, %s, r.student_group_id, r.period, r.period_start, r.period_end,
           ROUND(SUM(r.numerator) * 100.0 / SUM(r.denominator), 4),
           MAX(COALESCE(r.approved_at, r.updated_at)), COUNT(*), SUM(r.denominator)
    FROM metrics_reading r
    JOIN metrics_metric m ON m.id = r.metric_id AND m.unit = 'percent'
    JOIN metrics_district_plans dp
        ON dp.district_id = r.district_id AND dp.strategicplan_id = m.plan_id
    WHERE r.approved_value IS NOT NULL
      AND r.numerator IS NOT NULL AND r.approved_value = r.value
      AND NOT EXISTS (
          SELECT 1 FROM metrics_reading c
          WHERE c.metric_id = r.metric_id AND c.period = r.period AND c.district_id = %s
            AND c.student_group_id = r.student_group_id AND c.approved_value IS NOT NULL)
    GROUP BY r.metric_id, r.student_group_id, r.period, r.period_start, r.period_end
) approved
WINDOW slice AS (PARTITION BY metric_id, district_id, student_group_id),
       w AS (slice ORDER BY period_end DESC, period_start DESC),
       whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
ORDER BY metric_id, district_id, student_group_id, period_end DESC, period_start DESC;
-- 2. The county-wide series per metric, oldest first, computed figures included (%s: the
--    all-districts row's id; then the totals' ids).
SELECT metric_id, period, approved_value, districts
FROM (
    SELECT metric_id, district_id, student_group_id, period, period_start, period_end,
           approved_value, NULL AS districts
    FROM metrics_reading
    WHERE approved_value IS NOT NULL
    UNION ALL
    SELECT r.metric_id, %s, r.student_group_id, r.period, r.period_start, r.period_end,
           ROUND(SUM(r.numerator) * 100.0 / SUM(r.denominator), 4), COUNT(*)
    FROM metrics_reading r
    JOIN metrics_metric m ON m.id = r.metric_id AND m.unit = 'percent'
    JOIN metrics_district_plans dp
        ON dp.district_id = r.district_id AND dp.strategicplan_id = m.plan_id
    WHERE r.approved_value IS NOT NULL
      AND r.numerator IS NOT NULL AND r.approved_value = r.value
      AND NOT EXISTS (
          SELECT 1 FROM metrics_reading c
          WHERE c.metric_id = r.metric_id AND c.period = r.period AND c.district_id = %s
            AND c.student_group_id = r.student_group_id AND c.approved_value IS NOT NULL)
    GROUP BY r.metric_id, r.student_group_id, r.period, r.period_start, r.period_end
) approved
WHERE district_id = %s AND student_group_id = %s
ORDER BY metric_id, period_end, period_start;
