"""The writes no service sees: deletes (from the admin, a cascade or a shell), the
dashboard row every new metric has at once, and a plan's suppression threshold (the plan
admin, load_plan or a shell save the plan; no service does). Saves reach the aggregates
through the services and the few callers listed in metrics/aggregates/__init__.py. And a
language chosen by the switcher or a link, kept (through its service) as a signed-in
person's, and applied again when they sign in (by password or single sign-on)."""

from django.contrib.auth import get_user
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from pillars.models import StrategicPlan

from . import aggregates
from .evidence import delete_on_commit
from .language import apply_on_sign_in, language_chosen
from .models import District, Metric, MetricSnapshot, Reading, StudentGroup, UserPreference
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


@receiver(post_init, sender=StrategicPlan)
def plan_loaded(sender, instance, **kwargs):
    # The threshold as stored, to see at its save whether it moved (a plan loaded
    # without the field does not save it).
    instance._stored_threshold = instance.__dict__.get("suppression_threshold")


@receiver(post_save, sender=StrategicPlan)
def plan_threshold_changed(sender, instance, created, raw=False, **kwargs):
    """A new threshold re-decides the plan's publication on commit: the rebuild task
    (eager without Redis) decides in its transaction (aggregates.rebuild_pending), and
    the pending rows move the cached pages' key at once, so no page waits for the
    nightly decide_publication --all."""
    if created or raw or "suppression_threshold" not in instance.__dict__:
        return
    stored, instance._stored_threshold = instance._stored_threshold, instance.suppression_threshold
    if stored == instance.suppression_threshold:
        return
    aggregates.request_rebuild(*Metric.objects.filter(plan=instance).values_list("pk", flat=True))


@receiver(language_chosen)
def language_kept(sender, request, language, **kwargs):
    # The ?lang= middleware runs before AuthenticationMiddleware: read the session's user.
    user = getattr(request, "user", None) or get_user(request)
    if user.is_authenticated:
        language_set(user=user, language=language)


@receiver(user_logged_in, dispatch_uid="language_on_sign_in")
def language_applied(sender, request, user, **kwargs):
    # Only a language the person chose: who never chose keeps what the browser asks for.
    language = UserPreference.objects.filter(user=user).values_list(
        "language", flat=True).first()
    if language:
        apply_on_sign_in(request, language)
