"""The audit log: who signed in, who failed, who was locked out, whose roles and
permissions changed. Rows are written by metrics/audit.py (signal receivers) through
metrics/services/audit.py, read by administrators on /audit/, and deleted after
AUDIT_RETENTION_DAYS by the daily `prune_audit_log` task."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    LOCKOUT = "lockout", _("Locked out")
    SIGN_OUT = "sign_out", _("Signed out")
    PASSWORD_RESET = "password_reset", _("Password reset requested")
    ROLE_CHANGE = "role_change", _("Role changed")
    PERMISSION_CHANGE = "permission_change", _("Permission changed")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")


class AuditEvent(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=AuditKind.choices)
    # The account the event is about (kept as text too: the username typed at a failed
    # sign-in may belong to nobody, and a deleted user's history stays readable).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    username = models.CharField(max_length=254, blank=True)
    # Who made a role or permission change (None: a migration, a shell, a command).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "-created_at"]),
            # the password-reset limiter counts recent requests per address and e-mail
            models.Index(fields=["kind", "ip_address", "created_at"]),
            models.Index(fields=["kind", "username", "created_at"]),
        ]

    def __str__(self):
        when = f"{self.created_at:%Y-%m-%d %H:%M}" if self.created_at else "-"
        return f"{self.get_kind_display()}: {self.username or '-'} at {when}"
