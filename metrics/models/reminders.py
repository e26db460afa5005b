from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .metric import Metric


class ReminderLog(models.Model):
    """A reminder sent to a steward for one metric's period: never sent twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=20)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "metric", "period"],
                                    name="one_reminder_per_user_metric_period"),
        ]

    def __str__(self):
        return f"reminder to {self.user_id}: metric {self.metric_id} {self.period}"


class ApprovalDigestLog(models.Model):
    """A digest sent to a pillar lead of the values waiting for them: at most one a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    sent_on = models.DateField()
    waiting = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sent_on"], name="one_digest_per_user_day",
                                    violation_error_message=_("A digest was already sent today.")),
        ]

    def __str__(self):
        return f"approval digest to {self.user_id} on {self.sent_on}"
