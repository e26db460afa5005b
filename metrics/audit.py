"""Signal receivers that write the audit log (connected in MetricsConfig.ready):
sign-ins, failures, lockouts, sign-outs, and role and permission changes (group
membership, a group's permissions, a user's own permissions, superuser/staff flags).

A change made through a web page names its actor: simple_history's middleware keeps
the current request, which these receivers read. A change from a migration, a
management command or a shell has no actor.
"""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .models import AuditEvent, AuditKind
from .services.audit import audit_record

User = get_user_model()
_FLAGS = ("is_superuser", "is_staff")


def _current_request():
    return getattr(HistoricalRecords.context, "request", None)


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def _signed_in(sender, request, user, **kwargs):
    audit_record(kind=AuditKind.SIGN_IN, user=user, request=request, actor=user)


@receiver(user_logged_out, dispatch_uid="audit_sign_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(kind=AuditKind.SIGN_OUT, user=user, request=request, actor=user)


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get(User.USERNAME_FIELD) or credentials.get("username") or ""
    # axes' own receiver (its app comes first) has run. A request refused because the
    # client was locked out already is marked locked out, and was not counted.
    refused = (getattr(request, "axes_locked_out", False)
               and getattr(request, "axes_failures_since_start", None) is None)
    audit_record(
        kind=AuditKind.SIGN_IN_FAILED, username=username, request=request,
        user=User.objects.filter(**{User.USERNAME_FIELD: username}).first() if username else None,
        detail="Refused: locked out" if refused else (
            f"Single sign-on refused: {request.oidc_failure}"
            if getattr(request, "oidc_failure", None) else "Wrong username or password"),
    )


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def _locked_out(sender, request, username, ip_address, **kwargs):
    """One row per lockout: axes signals again at each refused attempt (those are
    recorded as failures, "Refused: locked out")."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    if AuditEvent.objects.filter(kind=AuditKind.LOCKOUT, username=username or "",
                                 ip_address=ip_address, created_at__gte=since).exists():
        return
    audit_record(
        kind=AuditKind.LOCKOUT, username=username or "", request=request,
        user=User.objects.filter(**{User.USERNAME_FIELD: username}).first() if username else None,
        detail=f"Locked out after {settings.AXES_FAILURE_LIMIT} failed sign-ins",
    )


def _names(model, pks):
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).select_related("content_type")
        return ", ".join(sorted(f"{p.content_type.app_label}.{p.codename}" for p in rows))
    if model is Group:
        return ", ".join(sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True)))
    return ", ".join(sorted(u.get_username() for u in model.objects.filter(pk__in=pks)))


def _m2m_record(*, kind, action, instance, model, pk_set, reverse, what):
    """Turn one m2m_changed into rows: one per user for memberships and user
    permissions, one per group for a group's permissions."""
    verb = {"post_add": "added", "post_remove": "removed", "pre_clear": "removed"}[action]
    request = _current_request()
    if kind == AuditKind.ROLE_CHANGE or what == "user permissions":
        # forward: instance is a user, pk_set the groups/permissions; reverse: the other way
        pairs = ([(instance, pk_set)] if not reverse
                 else [(u, {instance.pk}) for u in User.objects.filter(pk__in=pk_set)])
        other = Group if kind == AuditKind.ROLE_CHANGE else Permission
        for user, pks in pairs:
            names = _names(other, pks)
            audit_record(kind=kind, user=user, request=request,
                         detail=f"{what.capitalize()} {verb}: {names}")
    else:  # a group's permissions
        pairs = ([(instance, pk_set)] if not reverse
                 else [(g, {instance.pk}) for g in Group.objects.filter(pk__in=pk_set)])
        for group, pks in pairs:
            audit_record(kind=kind, username=f"group: {group.name}", request=request,
                         detail=f"Permissions {verb}: {_names(Permission, pks)}")


def _m2m_receiver(kind, what, accessor):
    def handler(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action == "pre_clear":
            # clear() names nothing: read what is about to go.
            if reverse:
                pk_set = set(getattr(instance, _reverse_accessor(sender, instance))
                             .values_list("pk", flat=True))
            else:
                pk_set = set(getattr(instance, accessor).values_list("pk", flat=True))
        elif action not in ("post_add", "post_remove"):
            return
        if pk_set:
            _m2m_record(kind=kind, action=action, instance=instance, model=model,
                        pk_set=pk_set, reverse=reverse, what=what)
    return handler


def _reverse_accessor(through, instance):
    if through is User.groups.through:
        return "user_set"
    if through is User.user_permissions.through:
        return "user_set"
    return "group_set"


_groups = _m2m_receiver(AuditKind.ROLE_CHANGE, "roles", "groups")
_user_perms = _m2m_receiver(AuditKind.PERMISSION_CHANGE, "user permissions", "user_permissions")
_group_perms = _m2m_receiver(AuditKind.PERMISSION_CHANGE, "group permissions", "permissions")
m2m_changed.connect(_groups, sender=User.groups.through, dispatch_uid="audit_groups")
m2m_changed.connect(_user_perms, sender=User.user_permissions.through,
                    dispatch_uid="audit_user_permissions")
m2m_changed.connect(_group_perms, sender=Group.permissions.through,
                    dispatch_uid="audit_group_permissions")


@receiver(pre_save, sender=User, dispatch_uid="audit_flags_before")
def _flags_before(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not set(update_fields) & set(_FLAGS)):
        instance._audit_flags_before = None
        return
    old = (sender.objects.filter(pk=instance.pk).values(*_FLAGS).first()
           if instance.pk else None)
    instance._audit_flags_before = old


@receiver(post_save, sender=User, dispatch_uid="audit_flags_after")
def _flags_after(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    old = getattr(instance, "_audit_flags_before", None)
    if old is None:
        if not created:
            return  # a save that did not touch the flags (last_login at each sign-in)
        old = dict.fromkeys(_FLAGS, False)
    changes = [
        f"{flag.replace('is_', '')} {'granted' if getattr(instance, flag) else 'revoked'}"
        for flag in _FLAGS if bool(old[flag]) != bool(getattr(instance, flag))
    ]
    instance._audit_flags_before = {f: getattr(instance, f) for f in _FLAGS}
    if changes:
        audit_record(kind=AuditKind.ROLE_CHANGE, user=instance, request=_current_request(),
                     detail="; ".join(changes).capitalize())

