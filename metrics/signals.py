"""Keep the aggregates in step with every write, whichever path it takes (forms,
imports, admin, shell): readings and metrics queue their rebuild on commit."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import aggregates
from .models import District, Metric, MetricSnapshot, Reading, StudentGroup


@receiver(post_save, sender=Reading)
@receiver(post_delete, sender=Reading)
def reading_changed(sender, instance, **kwargs):
    aggregates.request_rebuild(instance.metric_id)


@receiver(post_save, sender=Metric)
def metric_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        # Its dashboard row exists at once (as "no data"), before any rebuild runs.
        MetricSnapshot.objects.get_or_create(
            metric=instance, district=District.objects.total(),
            student_group=StudentGroup.objects.total(), defaults={"is_county_wide": True},
        )
    aggregates.request_rebuild(instance.pk)


@receiver(post_delete, sender=Metric)
def metric_deleted(sender, instance, **kwargs):
    # Its ancestors are known only from the deleted row: rebuild the roll-ups whole.
    transaction.on_commit(aggregates.request_full_rebuild)
