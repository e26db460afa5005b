"""Who sees what through the API, decided here and nowhere else.

- Without a token (or with the token of someone who holds no staff role): the plans an
  administrator marked public (`StrategicPlan.is_public`), their metrics except those
  held back (`Metric.public_hidden`), and approved values only.
- With a staff member's token: what that person's pages show (metrics.access.can_read:
  every staff role reads every plan and metric), still approved values only: the API
  publishes figures, and a pending or returned value is nobody's figure yet.

Published values pass through `published_readings` and `published_snapshots`, and
the publication rule for small groups (metrics.privacy, decided by the worker and stored:
Reading.publication, MetricSnapshot.latest_publication / previous_publication) through
`withheld`: without a staff token a figure is shown only when it is PUBLISHED; a
suppressed or not yet decided one is served as null with `"suppressed": true`, its
reason and footnote, and nothing that would give it away (its counts, qualifier, the
source's words, a change or a status judged on it). A staff token sees the real value
and the decision (`publication`), as the staff pages do.
"""

from pillars.models import Goal, Pillar, PriorityArea, StrategicPlan

from ..access import can_read, public_metrics
from ..models import Metric, MetricSnapshot, Publication, Reading
from ..public import withheld as public_withheld


def sees_everything(user):
    return user is not None and user.is_authenticated and can_read(user)


def visible_plans(user):
    plans = StrategicPlan.objects.all()
    return plans if sees_everything(user) else plans.filter(is_public=True)


def visible_pillars(user):
    return Pillar.objects.filter(plan__in=visible_plans(user))


def visible_priority_areas(user):
    return PriorityArea.objects.filter(pillar__plan__in=visible_plans(user))


def visible_goals(user):
    return Goal.objects.filter(priority_area__pillar__plan__in=visible_plans(user))


def visible_metrics(user):
    # Without a staff role: the public view's metrics, by the pages' own rule.
    return Metric.objects.all() if sees_everything(user) else public_metrics()


def published_readings(user):
    """Approved values of the visible metrics: the readings the API may show."""
    return Reading.objects.filter(metric__in=visible_metrics(user),
                                  approved_value__isnull=False)


def published_snapshots(user):
    """The precomputed snapshots of the visible metrics (their approved values)."""
    return MetricSnapshot.objects.filter(metric__in=visible_metrics(user))


def withheld(sees_all, publication):
    """Whether a figure's value (and a status judged on it) is kept from this caller: the
    public pages' rule (metrics.public.withheld) unless `sees_all`, which is
    `sees_everything(user)`, worked out once per request. A withheld snapshot's status is
    served as "" (SnapshotSerializer.WITHHELD): the pages' "Status not shown"."""
    return not sees_all and public_withheld(True, publication)


def hidden_points(user, metric_ids=None):
    """(metric id, period) of the county-wide figures a trend series may not show this
    caller (suppressed or undecided), of `metric_ids` (None: of every metric): one
    query, usually of no rows; none for a staff token or no metric."""
    if sees_everything(user) or metric_ids is not None and not metric_ids:
        return set()
    readings = published_readings(user).filter(
        district__is_total=True, student_group__is_total=True)
    if metric_ids is not None:
        readings = readings.filter(metric_id__in=metric_ids)
    return set(readings.exclude(publication=Publication.PUBLISHED)
               .values_list("metric_id", "period"))
