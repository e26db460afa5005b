"""The writes no service sees: deletes (from the admin, a cascade or a shell), and the
dashboard row every new metric has at once. Saves reach the aggregates through the
services and the few callers listed in metrics/aggregates/__init__.py. And a language
chosen by the switcher or a link, kept (through its service) as a signed-in person's."""

from django.contrib.auth import get_user
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import aggregates
from .evidence import delete_on_commit
from .language import language_chosen
from .models import District, Metric, MetricSnapshot, Reading, StudentGroup
from .services.preferences import language_set


@receiver(post_delete, sender=Reading)
def reading_deleted(sender, instance, **kwargs):
    # Readings protect their metric, so the metric is still there to be rebuilt.
    aggregates.request_rebuild(instance.metric_id)


@receiver(post_delete, sender=Reading)
def reading_evidence_deleted(sender, instance, **kwargs):
    # A deleted reading's evidence file leaves storage once the delete has committed.
    if instance.evidence_file:
        delete_on_commit(instance.evidence_file.storage, instance.evidence_file.name)


@receiver(post_save, sender=Metric)
def metric_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        # Its dashboard row exists at once (as "no data"), before any rebuild runs.
        MetricSnapshot.objects.get_or_create(
            metric=instance, district=District.objects.total(),
            student_group=StudentGroup.objects.total(), defaults={"is_county_wide": True},
        )


@receiver(post_delete, sender=Metric)
def metric_deleted(sender, instance, **kwargs):
    # Its ancestors are known only from the deleted row: rebuild the roll-ups whole,
    # once per transaction however many metrics it deletes.
    aggregates.request_full_rebuild()


@receiver(language_chosen)
def language_kept(sender, request, language, **kwargs):
    # The ?lang= middleware runs before AuthenticationMiddleware: read the session's user.
    user = getattr(request, "user", None) or get_user(request)
    if user.is_authenticated:
        language_set(user=user, language=language)
