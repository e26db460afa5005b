from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    ReadOnlyPasswordHashWidget,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from .admin_forms import DistrictsUploadForm
from .aggregates import request_rebuild
from .imports.report import UploadError
from .models import DashboardScale, District, Metric, Reading, ReadingState, StudentGroup
from .services import reading_approve, reading_record
from .services.dimensions import districts_load_file


@admin.register(Metric)
class MetricAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ("code", "name", "pillar", "unit", "is_headline", "frequency")
    list_filter = ("plan", "pillar", "unit", "is_headline", "frequency", "direction")
    search_fields = ("code", "name", "definition", "headline_label")
    list_select_related = ("pillar",)
    raw_id_fields = ("priority_area", "goal")
    # No readings inline: a metric may hold tens of thousands of readings (one page of
    # 4.75 MB for 432 of them, too many fields to save). A link to their list instead.
    readonly_fields = ("readings_link",)

    @admin.display(description="Readings")
    def readings_link(self, metric):
        if metric.pk is None:
            return "Save the metric first, then add its readings."
        url = reverse("admin:metrics_reading_changelist") + f"?metric__id__exact={metric.pk}"
        return format_html('<a href="{}">{} readings of this metric</a>', url,
                           metric.readings.count())

    fieldsets = (
        (None, {"fields": ("plan", "code", "name", "definition")}),
        ("Place in the plan", {"fields": ("pillar", "priority_area", "goal", "program")}),
        ("Measure", {"fields": ("unit", "scale_min", "scale_max", "direction", "accumulation",
                                "frequency", "data_source", "dashboard_scale")}),
        ("Baseline and target", {"fields": ("baseline_value", "baseline_period", "target_value",
                                            "target_period")}),
        ("Annual report", {"fields": ("is_headline", "headline_label", "headline_order")}),
        ("Open data", {"fields": ("public_hidden",)}),
        ("People", {"fields": ("owners",)}),
        ("Retired mid-plan", {"fields": ("retired_on", "retired_reason"),
                              "description": "From this day the metric is no longer due or "
                                             "judged; its values stay."}),
        ("Readings", {"fields": ("readings_link",)}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        request_rebuild(obj.pk)  # its status and roll-ups follow its target and place


@admin.register(DashboardScale)
class DashboardScaleAdmin(TranslationAdmin):
    # The source and verification notes in English and Spanish side by side.
    list_display = ("code", "indicator", "applies_to", "direction", "min_n", "small_n")
    search_fields = ("code", "indicator")
    fieldsets = (
        (None, {"fields": ("code", "indicator", "applies_to", "direction")}),
        ("Figures", {"fields": ("decimals", "value_min", "value_max", "value_suffix",
                                "change_unit")}),
        ("Levels and colours", {"fields": ("status_levels", "change_levels", "colours")}),
        ("Students", {"fields": ("min_n", "small_n")}),
        ("Source", {"fields": ("source", "source_url", "verification")}),
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

    # Where a reading belongs is fixed once it exists: a correction is a new value.
    slice_fields = ("metric", "period", "district", "student_group")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, *self.slice_fields) if obj is not None else fields

    def save_model(self, request, obj, form, change):
        # The same service as every other entry path: validation, the approval rule,
        # history and the rebuild.
        data = {name: getattr(obj, name) for name in (
            "value", "numerator", "denominator", "qualifier", "note", "source_text", "is_derived",
            "evidence_url")}
        saved = reading_record(
            metric=obj.metric, period=obj.period, district=obj.district,
            student_group=obj.student_group, user=request.user,
            evidence_file=form.cleaned_data.get("evidence_file") if "evidence_file"
            in form.changed_data else None,
            **data,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description="Approve the selected readings", permissions=["change"])
    def approve(self, request, queryset):
        for reading in queryset.exclude(state=ReadingState.APPROVED):
            try:
                reading_approve(reading=reading, user=request.user)
            except ValidationError as exc:  # a flagged value: the approvals page checks it
                self.message_user(request, f"{reading}: {' '.join(exc.messages)}",
                                  messages.WARNING)


@admin.register(District)
class DistrictAdmin(TranslationAdmin):
    list_display = ("name", "code", "cds_code", "kind", "is_total")
    list_filter = ("kind", "plans")
    search_fields = ("name", "code", "cds_code")
    change_list_template = "admin/metrics/district/change_list.html"

    def get_urls(self):
        view = require_http_methods(["GET", "POST"])(self.upload_view)
        upload = path("upload/", self.admin_site.admin_view(view),
                      name="metrics_district_upload")
        return [upload, *super().get_urls()]

    def upload_view(self, request):
        """Load districts from a CSV (services/dimensions.py decides and writes): the whole
        file or, when a line is refused, none of it, with each line's reason."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        posted = request.method == "POST"
        form = DistrictsUploadForm(*((request.POST, request.FILES) if posted else ()))
        if posted and form.is_valid():
            plan = form.cleaned_data["plan"]
            try:
                result = districts_load_file(uploaded_file=form.cleaned_data["file"], plan=plan)
            except UploadError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                self.message_user(request, f"Districts file loaded: {result.summary(plan)}",
                                  messages.SUCCESS)
                return redirect("admin:metrics_district_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Load districts from a CSV file", "form": form}
        return TemplateResponse(request, "admin/metrics/district/upload.html", context)


@admin.register(StudentGroup)
class StudentGroupAdmin(TranslationAdmin):
    list_display = ("name", "code", "cde_code", "category", "is_total")
    list_filter = ("category", "plans")
    search_fields = ("name", "code", "cde_code")


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
