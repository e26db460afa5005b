"""What each API row shows. Deliberately no person: no owner, lead, enterer or approver
(their e-mail addresses are not open data), and of a reading only its approved value.

Analytics rows carry the approved value with its numerator and denominator where the
reading has them (Reading.approved_counts: the counts of the value entered, so only
while that is the approved one).

Every value goes through the publication rule's stored decision (visibility.withheld):
each row says its `publication`, whether its value is `suppressed` for this caller and
the footnote; a withheld value and all that would give it away are null or empty.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pillars.models import Goal, Pillar, PriorityArea, StrategicPlan

from ..models import Metric, MetricSnapshot, Reading
from ..privacy import publication_footnote
from ..units import DECIMAL_PLACES, MAX_DIGITS
from . import visibility

# Numbers as JSON numbers, not strings: what analysis tools expect.
_DECIMAL = {"max_digits": MAX_DIGITS, "decimal_places": DECIMAL_PLACES,
            "coerce_to_string": False}
NULLABLE_INT = {"type": "integer", "nullable": True}


class PlanSerializer(serializers.ModelSerializer):
    span = serializers.CharField(source="span_label", read_only=True)

    class Meta:
        model = StrategicPlan
        fields = ["slug", "name", "organisation", "span", "start_year", "end_year", "mission",
                  "vision", "is_current", "is_public", "is_synthetic"]


class PillarSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Pillar
        fields = ["plan", "slug", "order", "name", "commitment"]


class PriorityAreaSerializer(serializers.ModelSerializer):
    pillar = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    plan = serializers.CharField(source="pillar.plan.slug", read_only=True)

    class Meta:
        model = PriorityArea
        fields = ["plan", "pillar", "code", "order", "name", "description"]


class GoalSerializer(serializers.ModelSerializer):
    priority_area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    pillar = serializers.CharField(source="priority_area.pillar.slug", read_only=True)
    plan = serializers.CharField(source="priority_area.pillar.plan.slug", read_only=True)

    class Meta:
        model = Goal
        fields = ["plan", "pillar", "priority_area", "code", "order", "statement"]


class MetricSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # Null above the metric's level (a plan-wide metric has no pillar).
    pillar = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    priority_area = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                                 allow_null=True)
    goal = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    level = serializers.CharField(read_only=True)
    baseline_value = serializers.DecimalField(**_DECIMAL, allow_null=True, read_only=True)
    target_value = serializers.DecimalField(**_DECIMAL, allow_null=True, read_only=True)

    class Meta:
        model = Metric
        fields = ["plan", "pillar", "priority_area", "goal", "level", "code", "name",
                  "definition", "unit", "direction", "frequency", "baseline_value",
                  "baseline_period", "target_value", "target_period", "data_source",
                  "is_context", "retired_on"]


class _SliceSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="metric.plan.slug", read_only=True)
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    student_group = serializers.SlugRelatedField(slug_field="code", read_only=True)


class _Decided(_SliceSerializer):
    """A row of approved figures as the publication rule lets this caller see it."""

    # {publication field: {field: what it is served as while that figure is withheld}}
    WITHHELD = {}
    publication = serializers.CharField(read_only=True, help_text=(
        "The publication rule's decision: published, primary (fewer students than the "
        "plan's threshold), unknown-size, complementary (would reveal a small group) or "
        "undecided (not checked yet)."))
    suppressed = serializers.SerializerMethodField(
        help_text="True when the value is not published (to this caller): it is null.")
    footnote = serializers.SerializerMethodField(
        help_text="Why the value is not published, in plain words; empty when it is.")

    def _withheld(self, instance, field="publication"):
        return visibility.withheld(self.context["sees_everything"], getattr(instance, field))

    def get_suppressed(self, instance) -> bool:
        return self._withheld(instance)

    def get_footnote(self, instance) -> str:
        return publication_footnote(instance.publication,
                                    instance.metric.plan.suppression_threshold)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for field, blanks in self.WITHHELD.items():
            if self._withheld(instance, field):
                data.update(blanks)
        return data


class ReadingSerializer(_Decided):
    value = serializers.DecimalField(source="approved_value", **_DECIMAL, read_only=True,
                                     allow_null=True)
    qualifier = serializers.CharField(source="approved_qualifier", read_only=True)
    source_text = serializers.CharField(read_only=True, allow_null=True)
    WITHHELD = {"publication": {"value": None, "qualifier": "", "source_text": None}}

    class Meta:
        model = Reading
        fields = ["id", "plan", "metric", "period", "district", "student_group", "value",
                  "qualifier", "is_derived", "source_text", "approved_at", "publication",
                  "suppressed", "footnote"]


class AnalyticsSerializer(_Decided):
    """One row per metric x period x district x student group."""

    value = serializers.DecimalField(source="approved_value", **_DECIMAL, read_only=True,
                                     allow_null=True)
    numerator = serializers.SerializerMethodField()
    denominator = serializers.SerializerMethodField()
    WITHHELD = {"publication": {"value": None, "numerator": None, "denominator": None}}

    class Meta:
        model = Reading
        fields = ["metric", "period", "district", "student_group", "value", "numerator",
                  "denominator", "publication", "suppressed", "footnote"]

    @extend_schema_field(NULLABLE_INT)
    def get_numerator(self, reading) -> int | None:
        return reading.approved_counts[0]

    @extend_schema_field(NULLABLE_INT)
    def get_denominator(self, reading) -> int | None:
        return reading.approved_counts[1]


class SnapshotSerializer(_Decided):
    latest_value = serializers.DecimalField(**_DECIMAL, allow_null=True, read_only=True)
    previous_value = serializers.DecimalField(**_DECIMAL, allow_null=True, read_only=True)
    change = serializers.DecimalField(**_DECIMAL, allow_null=True, read_only=True)
    status_reason = serializers.CharField(read_only=True, allow_null=True)
    series = serializers.ListField(child=serializers.ListField(), read_only=True,
                                   help_text="[[period, value], ...] of approved values, "
                                             "oldest first, the value as exact decimal "
                                             "text (county-wide rows; [] otherwise); null "
                                             "where the value is not published.")
    publication = serializers.CharField(source="latest_publication", read_only=True,
                                        help_text="The decision on latest_value "
                                                  "(see readings).")
    previous_publication = serializers.CharField(read_only=True)
    # A change, status or its reason would give a withheld latest value away.
    WITHHELD = {
        "latest_publication": {"latest_value": None, "latest_qualifier": "", "change": None,
                               "status": "", "status_reason": None},
        "previous_publication": {"previous_value": None, "change": None},
    }

    class Meta:
        model = MetricSnapshot
        fields = ["plan", "metric", "district", "student_group", "latest_period",
                  "latest_value", "latest_qualifier", "previous_period", "previous_value",
                  "change", "status", "status_reason", "next_due_on", "series",
                  "publication", "previous_publication", "suppressed", "footnote"]

    def get_suppressed(self, instance) -> bool:
        return self._withheld(instance, "latest_publication")

    def get_footnote(self, instance) -> str:
        return publication_footnote(instance.latest_publication,
                                    instance.metric.plan.suppression_threshold)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        hidden = self.context.get("hidden_points") or ()
        if hidden:
            data["series"] = [[point[0], None, *point[2:]]
                              if (instance.metric_id, point[0]) in hidden else point
                              for point in data["series"]]
        return data
