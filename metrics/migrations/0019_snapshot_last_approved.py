from django.db import migrations, models

# Fills the new column for the rows already built, by the rule the rebuild keeps
# (metrics/aggregates/sql.py), so that freshness reads right before the next rebuild.
# Portable SQL, SQLite and PostgreSQL alike: one lookup in the readings index (metric,
# district, student group) per snapshot row.
BACKFILL = """
UPDATE metrics_metricsnapshot SET last_approved_at = (
    SELECT MAX(COALESCE(r.approved_at, r.updated_at)) FROM metrics_reading r
    WHERE r.metric_id = metrics_metricsnapshot.metric_id
      AND r.district_id = metrics_metricsnapshot.district_id
      AND r.student_group_id = metrics_metricsnapshot.student_group_id
      AND r.approved_value IS NOT NULL
)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0018_api'),
    ]

    operations = [
        migrations.AddField(
            model_name='metricsnapshot',
            name='last_approved_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
