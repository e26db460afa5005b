"""The statements of the set-based rebuild (rebuild.py), kept apart so that each reads
whole."""

# The approved figures in scope: the readings' own, and each all-districts percent that
# no one reported, computed from the districts' counts (county.py says the rule; counts
# and amounts are never summed into one).
# `students`: how many students the figure counts (MetricSnapshot.latest_n), the rule
# of privacy.decide.students and Cell.size: a percent's denominator of the approved
# value (its counts are the approved value's only while value = approved_value), a
# count's own value, else NULL; a computed percent's is its districts' summed
# denominators.
REPORTED_SQL = """
SELECT r.metric_id, r.district_id, r.student_group_id, r.period, r.period_start,
       r.period_end, r.approved_value,
       COALESCE(r.approved_qualifier, '') AS approved_qualifier,
       COALESCE(r.approved_at, r.updated_at) AS approved_at,
       CAST(NULL AS integer) AS districts,
       CASE WHEN m.unit = %s AND r.approved_value = r.value THEN r.denominator
            WHEN m.unit = %s AND r.approved_value >= 0 THEN {whole}
       END AS students
FROM {reading} r
JOIN {metric} m ON m.id = r.metric_id
WHERE r.approved_value IS NOT NULL {where}
"""
# A count's value as a whole number of students (Cell.size: int(), which truncates).
WHOLE_SQL = {
    "postgresql": "CAST(TRUNC(r.approved_value) AS bigint)",
    "sqlite": "CAST(r.approved_value AS integer)",
}
# Left out when the scope holds no percent (a smaller statement to plan, per slice).
# The all-districts id is cast to the column's type: a branch whose column type differs
# keeps PostgreSQL from pushing a filter on it into the union (the county-wide series
# then read every district's readings of the metric, not its own 36).
COMPUTED_SQL = """
UNION ALL
SELECT * FROM (
    SELECT r.metric_id, CAST(%s AS {district_type}) AS district_id, r.student_group_id,
           r.period, r.period_start, r.period_end, {share}, '',
           MAX(COALESCE(r.approved_at, r.updated_at)), COUNT(*), SUM(r.denominator)
    FROM {reading} r
    JOIN {metric} m ON m.id = r.metric_id AND m.unit = %s
    JOIN {district_plans} dp
        ON dp.district_id = r.district_id AND dp.strategicplan_id = m.plan_id
    WHERE r.approved_value IS NOT NULL {computed_where}
      AND r.numerator IS NOT NULL AND r.approved_value = r.value
    GROUP BY r.metric_id, r.student_group_id, r.period, r.period_start, r.period_end
) computed
-- Grouped first, then matched: one look-up per period, not one per district's reading.
WHERE NOT EXISTS (
    SELECT 1 FROM {reading} c
    WHERE c.metric_id = computed.metric_id AND c.period = computed.period
      AND c.district_id = computed.district_id
      AND c.student_group_id = computed.student_group_id AND c.approved_value IS NOT NULL)
"""

# A percent computed from counts: the summed numerators over the summed denominators
# times the scale, rounded half up to the places stored (units.counts_value's rule).
SHARE_SQL = {
    "postgresql": "ROUND(SUM(r.numerator) * {scale}.0 / SUM(r.denominator), {places})",
    # Whole numbers only (no float rounding): half up at the last place, then scaled.
    "sqlite": "((SUM(r.numerator) * {scale} * {unit} * 2 / SUM(r.denominator) + 1) / 2)"
              " / {unit}.0",
}

# Latest, previous and first approved figure of every metric x district x student group
# in scope, in one pass (one sort serves DISTINCT ON and the windows), with when the
# slice last received an approved value (MetricSnapshot.last_approved_at).
FRESH_SQL = """
SELECT DISTINCT ON (metric_id, district_id, student_group_id)
       metric_id, district_id, student_group_id,
       (district_id = %s AND student_group_id = %s) AS is_county_wide,
       period AS latest_period, period_end AS latest_period_end,
       approved_value AS latest_value, approved_qualifier AS latest_qualifier,
       COALESCE(LEAD(period) OVER w, '') AS previous_period,
       LEAD(approved_value) OVER w AS previous_value,
       approved_value - LEAD(approved_value) OVER w AS change,
       MAX(approved_at) OVER slice AS last_approved_at,
       LAST_VALUE(period) OVER whole AS first_period,
       LAST_VALUE(approved_value) OVER whole AS first_value,
       districts AS computed_from_districts,
       students AS latest_n, LEAD(students) OVER w AS previous_n
FROM ({approved}) approved
WINDOW slice AS (PARTITION BY metric_id, district_id, student_group_id),
       w AS (slice ORDER BY period_end DESC, period_start DESC),
       whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
ORDER BY metric_id, district_id, student_group_id, period_end DESC, period_start DESC
"""

# The columns a reading decides (the rest are the county-wide pass's).
SLICE_COLUMNS = (
    "is_county_wide", "latest_period", "latest_period_end", "latest_value", "latest_qualifier",
    "previous_period", "previous_value", "change", "last_approved_at", "first_period",
    "first_value", "computed_from_districts", "latest_n", "previous_n",
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
    ON CONFLICT (metric_id, district_id, student_group_id) DO UPDATE SET {assign},
        -- A computed figure has no reading to be decided on: never public (county.py).
        latest_publication = CASE WHEN EXCLUDED.computed_from_districts IS NULL
                                  THEN {snapshot}.latest_publication ELSE {undecided} END
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
       MAX(CASE WHEN rn = n THEN period END),
       MAX(CASE WHEN rn = n THEN approved_value END),
       MAX(CASE WHEN rn = 1 THEN districts END),
       MAX(CASE WHEN rn = 1 THEN students END),
       MAX(CASE WHEN rn = 2 THEN students END),
       '', '', '', '', '[]'
FROM (
    SELECT metric_id, district_id, student_group_id, period, period_end, approved_value,
           approved_qualifier, districts, students,
           ROW_NUMBER() OVER (slice ORDER BY period_end DESC, period_start DESC) AS rn,
           COUNT(*) OVER slice AS n,
           MAX(approved_at) OVER slice AS last_approved_at
    FROM ({approved}) approved
    WINDOW slice AS (PARTITION BY metric_id, district_id, student_group_id)
) ranked
WHERE rn <= 2 OR rn = n
GROUP BY metric_id, district_id, student_group_id
"""

# The county-wide series per metric, oldest first, as MetricSnapshot.series holds it
# (values as plain_number writes them: trim_scale drops trailing zeros), computed
# figures included and marked with their number of districts: [period, value, null, 3].
SERIES_SQL = """
SELECT metric_id,
       json_agg(CASE WHEN districts IS NULL
                     THEN json_build_array(period, trim_scale(approved_value)::text)
                     ELSE json_build_array(period, trim_scale(approved_value)::text, NULL,
                                           districts) END
                ORDER BY period_end, period_start)
FROM ({approved}) approved
WHERE district_id = %s AND student_group_id = %s
GROUP BY metric_id
"""

# The same on SQLite: the points in order, made into lists in Python.
SQLITE_SERIES_SQL = """
SELECT metric_id, period, approved_value, districts
FROM ({approved}) approved
WHERE district_id = %s AND student_group_id = %s
ORDER BY metric_id, period_end, period_start
"""
