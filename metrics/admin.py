from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    ReadOnlyPasswordHashWidget,
    UserChangeForm,
)
from django.contrib.auth.models import Group
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


class ReadingInline(admin.StackedInline):
    model = Reading
    formset = ReadingInlineFormSet
    extra = 0
    fields = ("period", "value", "qualifier", "district", "student_group", "is_derived",
              "source_text", "note")


@admin.register(Metric)
class MetricAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "pillar", "unit", "is_headline", "frequency")
    list_filter = ("plan", "pillar", "unit", "is_headline", "frequency", "direction")
    search_fields = ("code", "name", "definition", "headline_label")
    list_select_related = ("pillar",)
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
    raw_id_fields = ("metric",)
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


# --- Users: Django's own user pages, with two markup fixes ---------------------
# The Nu HTML Checker refuses `disabled` on the <div> of the password summary and a
# list inside <p> (the "password-based authentication" help text); both come from
# Django 5.2's templates, so the forms here give them what the markup allows.


class _PasswordSummaryWidget(ReadOnlyPasswordHashWidget):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("disabled", None)
        return context


class StaffUserChangeForm(UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].widget = _PasswordSummaryWidget()


class StaffPasswordChangeForm(AdminPasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "usable_password" in self.fields:
            self.fields["usable_password"].help_text = (
                "Whether the user can sign in with a password. Without one, they cannot "
                "sign in until a password is set."
            )


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    form = StaffUserChangeForm
    change_password_form = StaffPasswordChangeForm
    # The two-pane selector and the split date/time inputs carry unlabelled inputs and
    # ARIA that axe refuses; plain multiple selects and read-only dates do not.
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")


admin.site.unregister(Group)


@admin.register(Group)
class StaffGroupAdmin(GroupAdmin):
    filter_horizontal = ()
