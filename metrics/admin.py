from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from .models import District, Metric, Reading, ReadingState, StudentGroup
from .services import reading_approve


def _mark_changed_for_approval(form):
    """A value changed in the admin waits for approval like any other entry."""
    if form.instance.pk is None or {"value", "qualifier"} & set(form.changed_data):
        form.instance.state = ReadingState.SUBMITTED


class ReadingInlineFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # Validate each reading against the metric as submitted on the same page
        # (its unit and scale may be new or just changed), not as stored.
        form.instance.metric = self.instance
        return form


class ReadingInline(admin.TabularInline):
    model = Reading
    formset = ReadingInlineFormSet
    extra = 0
    fields = ("period", "value", "qualifier", "district", "student_group", "is_derived",
              "source_text", "note")
    autocomplete_fields = ("district", "student_group")


@admin.register(Metric)
class MetricAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "pillar", "unit", "is_headline", "frequency")
    list_filter = ("plan", "pillar", "unit", "is_headline", "frequency", "direction")
    search_fields = ("code", "name", "definition", "headline_label")
    list_select_related = ("pillar",)
    autocomplete_fields = ("owners",)
    raw_id_fields = ("priority_area", "goal")
    inlines = [ReadingInline]

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed():
                _mark_changed_for_approval(inline_form)
                inline_form.instance.entered_by = request.user
        super().save_formset(request, form, formset, change)

    fieldsets = (
        (None, {"fields": ("plan", "code", "name", "definition")}),
        ("Place in the plan", {"fields": ("pillar", "priority_area", "goal", "program")}),
        ("Measure", {"fields": ("unit", "scale_min", "scale_max", "direction", "accumulation",
                                "frequency", "data_source")}),
        ("Baseline and target", {"fields": ("baseline_value", "baseline_period", "target_value",
                                            "target_period")}),
        ("Annual report", {"fields": ("is_headline", "headline_label", "headline_order")}),
        ("People", {"fields": ("owners",)}),
    )


@admin.register(Reading)
class ReadingAdmin(SimpleHistoryAdmin):
    list_display = ("metric", "period", "value", "qualifier", "state", "approved_value",
                    "district", "student_group", "updated_at")
    list_filter = ("state", "period", "is_derived", "metric__pillar", "metric__unit")
    search_fields = ("metric__code", "metric__name", "source_text", "note")
    list_select_related = ("metric", "district", "student_group")
    autocomplete_fields = ("metric", "district", "student_group")
    readonly_fields = ("state", "approved_value", "approved_qualifier", "approved_by",
                       "approved_at", "entered_by", "created_at", "updated_at")
    actions = ["approve"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        _mark_changed_for_approval(form)
        super().save_model(request, obj, form, change)

    @admin.action(description="Approve the selected readings", permissions=["change"])
    def approve(self, request, queryset):
        for reading in queryset.exclude(state=ReadingState.APPROVED):
            reading_approve(reading=reading, user=request.user)


@admin.register(District, StudentGroup)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_total")
    search_fields = ("name", "code")
