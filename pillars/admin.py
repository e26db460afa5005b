from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline
from simple_history.admin import SimpleHistoryAdmin

from metrics.roles import is_administrator
from metrics.services.plans import plan_close, plan_mark_current, plan_reopen, plan_start_next
from metrics.translated_content import approve_spanish, missing

from .models import Goal, Pillar, PriorityArea, Program, StrategicPlan


class PillarInline(TranslationStackedInline):
    model = Pillar
    extra = 0
    fields = ("order", "name", "slug", "commitment")
    show_change_link = True


class PriorityAreaInline(TranslationStackedInline):
    model = PriorityArea
    extra = 0
    fields = ("order", "code", "name", "description")
    show_change_link = True


class GoalInline(TranslationStackedInline):
    model = Goal
    extra = 0
    fields = ("order", "code", "statement")


@admin.register(StrategicPlan)
class StrategicPlanAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ("name", "organisation", "span_label", "is_current", "is_public",
                    "closed_at", "suppression_threshold", "is_synthetic", "spanish")
    list_filter = ("is_synthetic", "is_current", "is_public")
    search_fields = ("name", "organisation", "mission", "vision")
    prepopulated_fields = {"slug": ("name",)}
    # Changed through the actions, which keep one current plan and rebuild the statuses.
    readonly_fields = ("is_current", "closed_at", "spanish_approved_at", "spanish_approved_by")
    inlines = [PillarInline]
    actions = ["mark_current", "close_plans", "reopen_plans", "start_next_plan",
               "approve_spanish"]

    @admin.display(description="Spanish version")
    def spanish(self, plan):
        """Whether the Spanish version is approved, and a link to what it lacks."""
        state = "approved" if plan.spanish_is_official else "unofficial"
        url = reverse("reports:translations", args=[plan.slug])
        # The link alone in its cell: a link inside text needs more than colour (axe).
        return format_html('<a href="{}">{}, {} missing</a>', url, state, len(missing(plan)))

    @admin.action(description="Approve the Spanish version of the selected plans' content "
                              "(pages stop calling it unofficial)", permissions=["administer"])
    def approve_spanish(self, request, queryset):
        for plan in queryset:
            approve_spanish(plan, request.user)
        self.message_user(request, f"Approved the Spanish version of {queryset.count()} "
                                   "plan(s).", messages.SUCCESS)

    def has_administer_permission(self, request):
        return is_administrator(request.user)

    @admin.action(description="Mark as the current plan (the public home page shows it)",
                  permissions=["administer"])
    def mark_current(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one plan to mark current.", messages.ERROR)
            return
        plan = queryset.get()
        try:
            plan_mark_current(plan=plan)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"{plan} is now the current plan.", messages.SUCCESS)

    @admin.action(description="Close the selected plans (values final, entry refused)",
                  permissions=["administer"])
    def close_plans(self, request, queryset):
        for plan in queryset:
            plan_close(plan=plan)
        self.message_user(request, f"Closed {queryset.count()} plan(s): their statuses are "
                                   "final and no value can be entered.", messages.SUCCESS)

    @admin.action(description="Reopen the selected plans for entry", permissions=["administer"])
    def reopen_plans(self, request, queryset):
        for plan in queryset:
            plan_reopen(plan=plan)
        self.message_user(request, f"Reopened {queryset.count()} plan(s).", messages.SUCCESS)

    @admin.action(description="Start the next plan from the selected plan",
                  permissions=["administer"])
    def start_next_plan(self, request, queryset):
        for plan in queryset:
            try:
                new = plan_start_next(plan=plan)
            except ValidationError as exc:
                self.message_user(request, f"{plan}: the next plan was not started: "
                                           f"{' '.join(exc.messages)}", messages.ERROR)
                continue
            link = reverse("admin:pillars_strategicplan_change", args=[new.pk])
            self.message_user(request, format_html(
                "Started <a href=\"{}\">{}</a> ({}) from {}: pillars, goals and {} metrics "
                "copied, no readings. Mark it current when its figures should replace {} on "
                "the home page.", link, new, new.span_label, plan, new.metrics.count(), plan,
            ), messages.SUCCESS)


@admin.register(Pillar)
class PillarAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ("order", "name", "plan")
    list_display_links = ("name",)
    list_filter = ("plan",)
    search_fields = ("name", "commitment")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("plan",)
    inlines = [PriorityAreaInline]


@admin.register(PriorityArea)
class PriorityAreaAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ("name", "pillar", "order")
    list_filter = ("pillar__plan", "pillar")
    search_fields = ("name", "description", "code")
    list_select_related = ("pillar",)
    inlines = [GoalInline]


@admin.register(Goal)
class GoalAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ("statement", "priority_area", "order")
    list_filter = ("priority_area__pillar",)
    search_fields = ("statement", "code")
    list_select_related = ("priority_area",)


@admin.register(Program)
class ProgramAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ("name", "pillar", "plan")
    list_filter = ("plan", "pillar")
    search_fields = ("name", "description")
    list_select_related = ("pillar", "plan")
