"""The staff roles and what each may do, as Django groups and permissions.

Synced after every `migrate` (post_migrate), so every database has the same
roles and a changed definition here reaches existing databases too.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

STEWARD = "Data steward"
PILLAR_LEAD = "Pillar lead"
LEADERSHIP = "Leadership"
COMMUNICATIONS = "Communications"
ADMINISTRATOR = "Administrator"
ROLES = (STEWARD, PILLAR_LEAD, LEADERSHIP, COMMUNICATIONS, ADMINISTRATOR)

_PLAN_MODELS = ("strategicplan", "pillar", "priorityarea", "goal", "program")
_METRIC_MODELS = ("metric", "reading", "district", "studentgroup")
READ = [("pillars", f"view_{m}") for m in _PLAN_MODELS] + [
    ("metrics", f"view_{m}") for m in _METRIC_MODELS
]
ENTER = [("metrics", "add_reading"), ("metrics", "change_reading")]
EXPORT = [("reports", "export_report")]

ROLE_PERMISSIONS = {
    STEWARD: READ + ENTER,
    PILLAR_LEAD: READ + ENTER + [("metrics", "set_target")],
    LEADERSHIP: READ + EXPORT,
    COMMUNICATIONS: READ + EXPORT + [("reports", "change_highlight")],
    ADMINISTRATOR: None,  # every permission of our apps and of user management
}
ADMIN_APPS = ("pillars", "metrics", "reports", "auth")


def sync_roles(**kwargs):
    # post_migrate reaches apps one by one: make sure the permissions of every app
    # named here exist before the groups point at them.
    for label in ADMIN_APPS:
        create_permissions(global_apps.get_app_config(label), verbosity=0)
    for name, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if wanted is None:
            perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
        else:
            perms = [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in wanted
            ]
        group.permissions.set(perms)


# The permissions the access rules ask about (metrics/access.py and the queryset
# methods Metric.objects.editable_by / approvable_by); given to roles above.
READ_PERMISSION = "pillars.view_pillar"
ENTER_PERMISSION = "metrics.change_reading"
SET_TARGET_PERMISSION = "metrics.set_target"
ADMINISTER_PERMISSION = "metrics.delete_metric"
EXPORT_PERMISSION = "reports.export_report"
HIGHLIGHT_PERMISSION = "reports.change_highlight"
# Administrators hold every permission of our apps: seeing every export job is one.
ALL_EXPORTS_PERMISSION = "reports.view_exportjob"


def is_administrator(user):
    return user.is_active and (user.is_superuser or user.has_perm(ADMINISTER_PERMISSION))


def has_staff_role(user):
    """Any of the staff roles (or a superuser): may read the dashboards."""
    return user.is_authenticated and user.has_perm(READ_PERMISSION)
