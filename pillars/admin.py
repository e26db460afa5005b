from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Goal, Pillar, PriorityArea, Program, StrategicPlan


class PillarInline(admin.StackedInline):
    model = Pillar
    extra = 0
    fields = ("order", "name", "slug", "commitment")
    show_change_link = True


class PriorityAreaInline(admin.StackedInline):
    model = PriorityArea
    extra = 0
    fields = ("order", "code", "name", "description")
    show_change_link = True


class GoalInline(admin.StackedInline):
    model = Goal
    extra = 0
    fields = ("order", "code", "statement")


@admin.register(StrategicPlan)
class StrategicPlanAdmin(SimpleHistoryAdmin):
    list_display = ("name", "organisation", "span_label", "is_synthetic")
    list_filter = ("is_synthetic",)
    search_fields = ("name", "organisation", "mission", "vision")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PillarInline]


@admin.register(Pillar)
class PillarAdmin(SimpleHistoryAdmin):
    list_display = ("order", "name", "plan")
    list_display_links = ("name",)
    list_filter = ("plan",)
    search_fields = ("name", "commitment")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("plan",)
    inlines = [PriorityAreaInline]


@admin.register(PriorityArea)
class PriorityAreaAdmin(SimpleHistoryAdmin):
    list_display = ("name", "pillar", "order")
    list_filter = ("pillar__plan", "pillar")
    search_fields = ("name", "description", "code")
    list_select_related = ("pillar",)
    inlines = [GoalInline]


@admin.register(Goal)
class GoalAdmin(SimpleHistoryAdmin):
    list_display = ("statement", "priority_area", "order")
    list_filter = ("priority_area__pillar",)
    search_fields = ("statement", "code")
    list_select_related = ("priority_area",)


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    list_display = ("name", "pillar", "plan")
    list_filter = ("plan", "pillar")
    search_fields = ("name", "description")
    list_select_related = ("pillar", "plan")
