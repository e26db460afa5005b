from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics and readings"

    def ready(self):
        # signals connects the receivers; tasks registers the Celery tasks, which
        # metrics.aggregates queues by name (in the web process too, so that eager mode
        # finds them without importing them back).
        from . import audit, signals, tasks  # noqa: F401
        from .roles import sync_roles
        from .table_signature import install_cached_signature

        install_cached_signature()

        post_migrate.connect(sync_roles, sender=self)
        post_migrate.connect(ensure_totals, sender=self)


def ensure_totals(**kwargs):
    """"All districts" and "All students" are real rows, so the unique constraint on
    (metric, period, district, group) needs no NULLs. Re-created after every migrate
    and flush, so no database is ever without them."""
    from .models import District, StudentGroup

    # With their Spanish names (our translation, issue 18), also on rows made earlier.
    for model, english, spanish in (
        (District, "All districts (county-wide)", "Todos los distritos (todo el condado)"),
        (StudentGroup, "All students", "Todos los estudiantes"),
    ):
        total, _ = model.objects.get_or_create(
            is_total=True, defaults={"code": "all", "name_en": english, "name": english,
                                     "name_es": spanish})
        if not total.name_es:
            model.objects.filter(pk=total.pk).update(name_es=spanish)
