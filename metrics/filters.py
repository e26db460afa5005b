import django_filters
from django.contrib.auth import get_user_model
from django.utils import timezone

from pillars.models import PriorityArea

from . import selectors
from .models import MetricSnapshot, Status
from .units import Unit


class MetricSnapshotFilter(django_filters.FilterSet):
    """Filters of a pillar's metric table; labels written for people."""

    q = django_filters.CharFilter(label="Search", method="filter_q", max_length=200)
    status = django_filters.ChoiceFilter(label="Status", choices=Status.choices,
                                         empty_label="Any status")
    priority_area = django_filters.ModelChoiceFilter(
        label="Priority area", field_name="metric__priority_area",
        queryset=PriorityArea.objects.none(), empty_label="Any priority area",
    )
    owner = django_filters.ModelChoiceFilter(
        label="Owner", field_name="metric__owners", queryset=get_user_model().objects.none(),
        empty_label="Anyone",
    )
    unit = django_filters.ChoiceFilter(label="Unit", field_name="metric__unit",
                                       choices=Unit.choices, empty_label="Any unit")
    stale = django_filters.ChoiceFilter(
        label="Update", method="filter_stale", empty_label="Any",
        choices=[("overdue", "Overdue"), ("current", "Up to date")],
    )

    class Meta:
        model = MetricSnapshot
        fields = ["q", "status", "priority_area", "owner", "unit", "stale"]

    def __init__(self, *args, pillar=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pillar is not None:
            self.filters["priority_area"].queryset = pillar.priority_areas.all()
            self.filters["owner"].queryset = get_user_model().objects.filter(
                owned_metrics__pillar=pillar
            ).distinct().order_by("username")

    def filter_q(self, queryset, name, value):
        return selectors.search(queryset, value.strip()) if value.strip() else queryset

    def filter_stale(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(next_due_on__lt=today)
        return queryset.exclude(next_due_on__lt=today)
