-- The same on SQLite (no DISTINCT ON): the rows through a window; a computed percent in
-- whole numbers, rounded half up at the last place (as metrics/aggregates/sql.py).
-- 1. Latest, previous and first approved value per slice, reported and computed.
SELECT metric_id, district_id, student_group_id, period, v, previous_period, previous_value,
       last_approved_at, first_period, first_value, districts, latest_n, previous_n
FROM (
    SELECT metric_id, district_id, student_group_id, period, approved_value AS v, districts,
           LEAD(period) OVER w AS previous_period, LEAD(approved_value) OVER w AS previous_value,
           ROW_NUMBER() OVER w AS rn,
           MAX(approved_at) OVER slice AS last_approved_at,
           LAST_VALUE(period) OVER whole AS first_period,
           LAST_VALUE(approved_value) OVER whole AS first_value,
           students AS latest_n, LEAD(students) OVER w AS previous_n
    FROM (
        SELECT r.metric_id, r.district_id, r.student_group_id, r.period, r.period_start,
               r.period_end, r.approved_value,
               COALESCE(r.approved_at, r.updated_at) AS approved_at,
               CAST(NULL AS integer) AS districts,
               CASE WHEN m.unit = 'percent' AND r.approved_value = r.value THEN r.denominator
                    WHEN m.unit = 'count' AND r.approved_value >= 0 THEN CAST(r.approved_value AS integer)
               END AS students
        FROM metrics_reading r
        JOIN metrics_metric m ON m.id = r.metric_id
        WHERE r.approved_value IS NOT NULL
        UNION ALL
        SELECT r.metric_id, %s, r.student_group_id, r.period, r.period_start, r.period_end,
               ((SUM(r.numerator) * 100 * 10000 * 2 / SUM(r.denominator) + 1) / 2) / 10000.0,
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
) WHERE rn = 1;
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
           ((SUM(r.numerator) * 100 * 10000 * 2 / SUM(r.denominator) + 1) / 2) / 10000.0, COUNT(*)
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
