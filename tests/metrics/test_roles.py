import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from metrics import roles
from metrics.management.commands.create_demo_users import DEMO_PASSWORD, DEMO_USERS


@pytest.mark.django_db
def test_every_role_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        ("steward", ["metrics.change_reading", "pillars.view_pillar"], ["metrics.set_target",
                                                                         "metrics.delete_reading"]),
        ("lead", ["metrics.set_target", "metrics.add_reading"], ["metrics.delete_metric"]),
        ("leadership", ["pillars.view_pillar", "metrics.view_reading"], ["metrics.add_reading"]),
        ("comms", ["metrics.view_metric"], ["metrics.change_reading"]),
        ("administrator", ["metrics.delete_reading", "auth.add_user", "pillars.change_pillar"], []),
        ("outsider", [], ["pillars.view_pillar"]),
    ],
)
def test_role_permissions(users, role, may, may_not):
    user = users[role]
    assert all(user.has_perm(p) for p in may), may
    assert not any(user.has_perm(p) for p in may_not), may_not


@pytest.mark.django_db
def test_demo_users_are_created_once_per_role_and_can_sign_in(settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_users")
    call_command("create_demo_users")  # re-runnable: no duplicates
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    for username, role in DEMO_USERS.items():
        # django-axes counts sign-ins per request: it needs one.
        user = authenticate(HttpRequest(), username=username, password=DEMO_PASSWORD)
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [role]


@pytest.mark.django_db
def test_demo_users_are_refused_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("create_demo_users")
    assert not Group.objects.get(name=roles.STEWARD).user_set.exists()
