"""Thin read-only viewsets: a queryset from visibility.py, a serializer, a FilterSet.

Each list is paginated (`?page_size=` up to MAX_PAGE_SIZE): the plan's structure and
the aggregates by numbered pages (`?page=`), readings and analytics rows, which run to
millions, by keyset pages (`?cursor=` from a page's `next` / `previous` link:
pagination.KeysetPages says why). Each list reads a constant number of queries whatever
its length (select_related on every row's relations; tests/metrics/test_api.py pins the
counts). Aggregates are the precomputed snapshots: nothing here aggregates readings.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, viewsets

from . import filters, serializers, visibility
from .pagination import KeysetPages, Pages


class _Base(viewsets.GenericViewSet):
    pagination_class = Pages
    filter_backends = [DjangoFilterBackend]
    lookup_value_converter = "int"  # an id in the path is a number (else 404, no query)
    visible = None  # a function of visibility.py: user -> queryset
    related = ()
    ordering = ("pk",)

    def get_queryset(self):
        return (type(self).visible(self.request.user)
                .select_related(*self.related).order_by(*self.ordering))

    def get_serializer_context(self):
        # Whether the caller sees withheld figures (a staff token), worked out once.
        return {**super().get_serializer_context(),
                "sees_everything": visibility.sees_everything(self.request.user)}


class _ReadOnly(mixins.RetrieveModelMixin, mixins.ListModelMixin, _Base):
    """A list and its rows by id (or slug)."""


class PlanViewSet(_ReadOnly):
    """Strategic plans: without a token, the public ones."""

    visible = visibility.visible_plans
    serializer_class = serializers.PlanSerializer
    lookup_field = "slug"
    lookup_value_converter = "slug"
    ordering = ("is_synthetic", "-start_year", "name")


class PillarViewSet(_ReadOnly):
    visible = visibility.visible_pillars
    serializer_class = serializers.PillarSerializer
    filterset_class = filters.PillarFilter
    related = ("plan",)


class PriorityAreaViewSet(_ReadOnly):
    visible = visibility.visible_priority_areas
    serializer_class = serializers.PriorityAreaSerializer
    filterset_class = filters.PriorityAreaFilter
    related = ("pillar__plan",)


class GoalViewSet(_ReadOnly):
    visible = visibility.visible_goals
    serializer_class = serializers.GoalSerializer
    filterset_class = filters.GoalFilter
    related = ("priority_area__pillar__plan",)


class MetricViewSet(_ReadOnly):
    """Metrics: without a token, those of public plans that are not held back."""

    visible = visibility.visible_metrics
    serializer_class = serializers.MetricSerializer
    filterset_class = filters.MetricFilter
    related = ("plan", "pillar", "priority_area", "goal")


class ReadingViewSet(_ReadOnly):
    """Approved readings (a pending or returned value is never shown; a figure the
    publication rule withholds is null without a staff token)."""

    visible = visibility.published_readings
    serializer_class = serializers.ReadingSerializer
    filterset_class = filters.ReadingFilter
    related = ("metric__plan", "district", "student_group")
    pagination_class = KeysetPages  # its order is the pages' key


class AggregateViewSet(_ReadOnly):
    """The precomputed snapshot of each metric x district x student group: latest and
    previous approved value, change, status, the chart series."""

    visible = visibility.published_snapshots
    serializer_class = serializers.SnapshotSerializer
    filterset_class = filters.SnapshotFilter
    related = ("metric__plan", "district", "student_group")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        # The trend points to withhold are looked up for this page's metrics only: all of
        # the public metrics' county-wide readings would be read for every page otherwise.
        self.page_metrics = {row.metric_id for row in page} if page is not None else None
        return page

    def get_serializer_context(self):
        metrics = getattr(self, "page_metrics", None)
        return {**super().get_serializer_context(),
                "hidden_points": visibility.hidden_points(self.request.user, metrics)}


class AnalyticsViewSet(mixins.ListModelMixin, _Base):
    """Rows of metric x period x district x student group (approved values), for analysis
    tools, with a percent's numerator and denominator where the reading has them."""

    visible = visibility.published_readings
    serializer_class = serializers.AnalyticsSerializer
    filterset_class = filters.ReadingFilter
    related = ("metric__plan", "district", "student_group")
    pagination_class = KeysetPages
