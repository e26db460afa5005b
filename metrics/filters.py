import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from pillars.models import Pillar, StrategicPlan

from . import access, selectors
from .models import (
    AuditEvent,
    AuditKind,
    District,
    Level,
    MetricSnapshot,
    Reading,
    ReadingState,
    Status,
    StudentGroup,
)
from .status import overdue_filter
from .units import Unit


class MetricSnapshotFilter(django_filters.FilterSet):
    """Filters of a pillar's metric table; labels written for people."""

    q = django_filters.CharFilter(label="Search", method="filter_q", max_length=200)
    status = django_filters.ChoiceFilter(label="Status", choices=Status.choices,
                                         empty_label="Any status")
    # Choices from the pillar's structure, which the page has loaded already.
    priority_area = django_filters.ChoiceFilter(
        label="Priority area", field_name="metric__priority_area", choices=[],
        empty_label="Any priority area",
    )
    goal = django_filters.ChoiceFilter(
        label="Goal", field_name="metric__goal", choices=[], empty_label="Any goal",
    )
    level = django_filters.ChoiceFilter(
        label="Sits under", method="filter_level", empty_label="Anywhere",
        choices=[(Level.GOAL, "A goal"), (Level.PRIORITY_AREA, "A priority area as a whole"),
                 (Level.PILLAR, "The pillar as a whole")],
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
    # Every metric for one district or one student group (issue 16): the view's queryset
    # is already that slice (PillarDashboard.get_queryset, equity.slice_rows, from these
    # same parameters); these filters offer the plan's own rows and refuse any other.
    district = django_filters.ModelChoiceFilter(
        label="District", queryset=District.objects.none(), method="filter_slice",
        empty_label="All districts (county-wide)",
    )
    student_group = django_filters.ModelChoiceFilter(
        label="Student group", queryset=StudentGroup.objects.none(), method="filter_slice",
        empty_label="All students",
    )

    class Meta:
        model = MetricSnapshot
        fields = ["q", "status", "priority_area", "goal", "level", "owner", "unit", "stale",
                  "district", "student_group"]

    def __init__(self, *args, pillar=None, **kwargs):
        """`pillar` comes with its priority areas and their goals prefetched
        (pillars.selectors.pillar_with_structure)."""
        super().__init__(*args, **kwargs)
        self.pillar = pillar
        if pillar is not None:
            areas = list(pillar.priority_areas.all())
            self.filters["priority_area"].extra["choices"] = [(a.pk, a.name) for a in areas]
            self.filters["goal"].extra["choices"] = [
                (goal.pk, goal.statement) for area in areas for goal in area.goals.all()
            ]
            self.filters["owner"].queryset = get_user_model().objects.filter(
                owned_metrics__pillar=pillar
            ).distinct().order_by("username")
            self.filters["district"].queryset = District.objects.own(pillar.plan).order_by("name")
            self.filters["student_group"].queryset = StudentGroup.objects.own(
                pillar.plan).order_by("name")

    def filter_slice(self, queryset, name, value):
        return queryset  # the slice is the queryset itself (see the fields above)

    def filter_q(self, queryset, name, value):
        return selectors.search(queryset, value.strip()) if value.strip() else queryset

    def filter_level(self, queryset, name, value):
        if value == Level.GOAL:
            return queryset.filter(metric__goal__isnull=False)
        if value == Level.PRIORITY_AREA:
            return queryset.filter(metric__goal__isnull=True, metric__priority_area__isnull=False)
        return queryset.filter(metric__goal__isnull=True, metric__priority_area__isnull=True)

    def filter_stale(self, queryset, name, value):
        """Overdue by the one rule (status.overdue_filter): nothing of an ended or closed
        plan is overdue."""
        today = timezone.localdate()
        overdue = (overdue_filter(self.pillar.plan, today) if self.pillar is not None
                   else Q(next_due_on__lt=today))
        if value == "overdue":
            return queryset.filter(overdue)
        return queryset.exclude(overdue)


# --- The audit log -------------------------------------------------------------------

class AuditEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q", max_length=200,
                                  help_text="Username, address or details")
    kind = django_filters.ChoiceFilter(label="Event", choices=AuditKind.choices,
                                       empty_label="Any event")
    user = django_filters.ModelChoiceFilter(
        label="Account", queryset=get_user_model().objects.order_by("username"),
        empty_label="Anyone",
    )
    since = django_filters.DateFilter(
        label="From", field_name="created_at", lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label="To", field_name="created_at", lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["q", "kind", "user", "since", "until"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = (Q(username__icontains=value) | Q(detail__icontains=value)
                 | Q(actor__username__icontains=value))
        if all(c in "0123456789abcdefABCDEF.:" for c in value):
            match |= Q(ip_address__startswith=value)
        return queryset.filter(match)


# --- The approvals queue ---------------------------------------------------------------

class ApprovalFilter(django_filters.FilterSet):
    """Filters of the approvals queue (selectors.approval_queue): choices from what the
    user may approve, one query each."""

    q = django_filters.CharFilter(label="Search", method="filter_q", max_length=200,
                                  help_text="Metric name or code")
    plan = django_filters.ModelChoiceFilter(label="Plan", field_name="metric__plan",
                                            queryset=StrategicPlan.objects.none(),
                                            empty_label="Any plan")
    pillar = django_filters.ModelChoiceFilter(label="Pillar", field_name="metric__pillar",
                                              queryset=Pillar.objects.none(),
                                              empty_label="Any pillar")
    steward = django_filters.ModelChoiceFilter(
        label="Entered by", field_name="entered_by", queryset=get_user_model().objects.none(),
        empty_label="Anyone",
    )
    period = django_filters.CharFilter(label="Period", field_name="period", max_length=20,
                                       help_text="As written, for example 2023-24")

    class Meta:
        model = Reading
        fields = ["q", "plan", "pillar", "steward", "period"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        metrics = access.approvable_metrics(user)
        self.filters["plan"].queryset = StrategicPlan.objects.filter(
            metrics__in=metrics).distinct().order_by("-start_year", "name")
        self.filters["pillar"].queryset = Pillar.objects.filter(
            metrics__in=metrics).select_related("plan").distinct().order_by("plan", "order")
        self.filters["steward"].queryset = get_user_model().objects.filter(
            readings_entered__metric__in=metrics,
            readings_entered__state=ReadingState.SUBMITTED,
        ).distinct().order_by("username")

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(metric__name__icontains=value) | Q(metric__code__icontains=value))
