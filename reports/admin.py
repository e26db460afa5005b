from django.contrib import admin
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import ExportJob, Highlight


@admin.register(Highlight)
class HighlightAdmin(TranslationAdmin, SimpleHistoryAdmin):
    list_display = ("plan", "school_year", "pillar", "updated_by", "updated_at")
    list_filter = ("plan", "school_year")
    search_fields = ("body",)
    list_select_related = ("plan", "pillar", "updated_by")


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "user", "plan", "school_year", "format", "state", "created_at",
                    "expires_at")
    list_filter = ("state", "format", "plan")
    list_select_related = ("user", "plan")
    readonly_fields = ("user", "plan", "school_year", "pillars", "format", "state",
                       "progress_done", "progress_total", "error", "file", "filename",
                       "created_at", "started_at", "finished_at", "expires_at")

    def has_add_permission(self, request):
        return False
