"""The writes no service sees: deletes (from the admin, a cascade or a shell), and the
dashboard row every new metric has at once. Saves reach the aggregates through the
services and the few callers listed in metrics/aggregates/__init__.py."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import aggregates
from .evidence import delete_on_commit
from .models import District, Metric, MetricSnapshot, Reading, StudentGroup


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
