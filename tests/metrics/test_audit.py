"""The audit log: what it records, who reads it, and how long it keeps it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from metrics import roles, tasks
from metrics.models import AuditEvent, AuditKind
from metrics.services.audit import audit_prune, audit_record

from ..factories import UserFactory

URL = reverse("metrics:audit_log")
PASSWORD = "pw-for-tests"


def events(kind, **filters):
    return AuditEvent.objects.filter(kind=kind, **filters)


@pytest.mark.django_db
def test_administrator_reads_the_log_with_filters(client, users):
    client.force_login(users["administrator"])
    audit_record(kind=AuditKind.SIGN_IN_FAILED, username="mallory", detail="Wrong password")
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>Audit log</h1>" in text
    assert "Kept for 365 days" in text
    form = response.context["filter"].form
    assert [form[name].label for name in ("q", "kind", "user", "since", "until")] == [
        "Search", "Event", "Account", "From", "To"]
    for name in ("q", "kind", "user", "since", "until"):
        assert f'name="{name}"' in text
    assert "mallory" in text
    assert 'href="/audit/"' in text  # the navigation links to it


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["steward", "lead", "leadership", "comms", "outsider"])
def test_other_roles_get_403(client, users, role):
    client.force_login(users[role])
    response = client.get(URL)
    assert response.status_code == 403
    assert 'href="/audit/"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_signed_out_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_log_is_read_only(client, users):
    client.force_login(users["administrator"])
    assert client.post(URL).status_code == 405


@pytest.mark.django_db
def test_filters_narrow_the_rows(client, users):
    steward = users["steward"]
    audit_record(kind=AuditKind.SIGN_IN, user=steward, detail="first")
    audit_record(kind=AuditKind.SIGN_IN_FAILED, username="mallory", detail="second")
    old = audit_record(kind=AuditKind.ROLE_CHANGE, user=steward, detail="third")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    client.force_login(users["administrator"])

    def shown(**params):
        table = client.get(URL, params).context["table"]
        return sorted(row.record.detail for row in table.paginated_rows
                      if row.record.detail in ("first", "second", "third"))

    assert shown() == ["first", "second", "third"]
    assert shown(kind=AuditKind.SIGN_IN_FAILED) == ["second"]
    assert shown(q="mallo") == ["second"]
    assert shown(user=steward.pk) == ["first", "third"]
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert shown(since=since) == ["first", "second"]
    assert shown(until=since) == ["third"]


@pytest.mark.django_db
def test_the_log_is_paginated_in_constant_queries(client, users, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create(
        AuditEvent(kind=AuditKind.SIGN_IN, username=f"u{n}", actor=users["steward"])
        for n in range(120))
    client.force_login(users["administrator"])
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    table = response.context["table"]
    assert table.paginator.num_pages >= 3
    assert len(table.page.object_list) == 50
    assert "Events 1–50 of" in response.content.decode()
    assert client.get(URL, {"page": 2}).status_code == 200


@pytest.mark.django_db
def test_sign_in_failure_and_lockout_are_recorded(client, users):
    client.post("/accounts/login/", {"username": "steward", "password": PASSWORD},
                REMOTE_ADDR="192.0.2.1")
    signed = events(AuditKind.SIGN_IN).get(user=users["steward"])
    assert signed.ip_address == "192.0.2.1"
    client.post("/accounts/logout/")
    assert events(AuditKind.SIGN_OUT, user=users["steward"]).exists()

    for _ in range(8):
        client.post("/accounts/login/", {"username": "lead", "password": "wrong"},
                    REMOTE_ADDR="192.0.2.2")
    failed = events(AuditKind.SIGN_IN_FAILED, username="lead")
    assert failed.count() == 8
    assert failed.filter(detail="Wrong username or password").count() == 5
    assert failed.filter(detail="Refused: locked out").count() == 3
    assert failed.first().user == users["lead"]
    lockout = events(AuditKind.LOCKOUT).get()  # one per lockout, not one per refusal
    assert (lockout.username, lockout.ip_address) == ("lead", "192.0.2.2")
    assert "after 5 failed sign-ins" in lockout.detail


@pytest.mark.django_db
def test_role_changes_are_recorded_both_ways(users):
    user = UserFactory(username="newcomer")
    lead = Group.objects.get(name=roles.PILLAR_LEAD)
    user.groups.add(lead)
    assert events(AuditKind.ROLE_CHANGE, user=user).get().detail == "Roles added: Pillar lead"
    lead.user_set.remove(user)
    assert events(AuditKind.ROLE_CHANGE, user=user,
                  detail="Roles removed: Pillar lead").exists()
    user.groups.add(lead, Group.objects.get(name=roles.STEWARD))
    user.groups.clear()
    assert events(AuditKind.ROLE_CHANGE, user=user,
                  detail="Roles removed: Data steward, Pillar lead").exists()


@pytest.mark.django_db
def test_permission_and_flag_changes_are_recorded(users):
    user = users["outsider"]
    permission = Permission.objects.get(codename="export_report")
    user.user_permissions.add(permission)
    assert events(AuditKind.PERMISSION_CHANGE, user=user,
                  detail="User permissions added: reports.export_report").exists()
    group = Group.objects.get(name=roles.LEADERSHIP)
    group.permissions.remove(permission)
    assert events(AuditKind.PERMISSION_CHANGE, username="group: Leadership",
                  detail="Permissions removed: reports.export_report").exists()
    user.is_superuser = True
    user.save()
    assert events(AuditKind.ROLE_CHANGE, user=user, detail="Superuser granted").exists()
    user.is_staff = True
    user.is_superuser = False
    user.save()
    assert events(AuditKind.ROLE_CHANGE, user=user,
                  detail="Superuser revoked; staff granted").exists()
    before = AuditEvent.objects.count()
    user.save()  # nothing changed: nothing recorded
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_a_change_made_through_a_page_names_who_made_it(users):
    request = RequestFactory().post("/admin/", REMOTE_ADDR="198.51.100.4")
    request.user = users["administrator"]
    HistoricalRecords.context.request = request
    try:
        users["outsider"].groups.add(Group.objects.get(name=roles.STEWARD))
    finally:
        del HistoricalRecords.context.request
    event = events(AuditKind.ROLE_CHANGE, user=users["outsider"]).get()
    assert (event.actor, event.ip_address) == (users["administrator"], "198.51.100.4")


@pytest.mark.django_db
def test_pruning_deletes_old_rows_only(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    keep = audit_record(kind=AuditKind.SIGN_IN, username="recent")
    edge = audit_record(kind=AuditKind.SIGN_IN, username="edge")
    old = audit_record(kind=AuditKind.SIGN_IN, username="old")
    now = timezone.now()
    AuditEvent.objects.filter(pk=edge.pk).update(created_at=now - timedelta(days=29))
    AuditEvent.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=31))
    assert audit_prune() == 1
    assert set(AuditEvent.objects.filter(pk__in=[keep.pk, edge.pk, old.pk])
               .values_list("username", flat=True)) == {"recent", "edge"}


@pytest.mark.django_db
def test_the_daily_task_and_the_command_prune(settings, capsys):
    settings.AUDIT_RETENTION_DAYS = 1
    for name in ("a", "b"):
        row = audit_record(kind=AuditKind.SIGN_IN, username=name)
        AuditEvent.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert tasks.prune_audit_log() >= 1  # the thin task the beat queues
    assert not AuditEvent.objects.filter(username__in=["a", "b"]).exists()
    call_command("prune_audit_log")
    assert "older than 1 days" in capsys.readouterr().out
    assert "prune-audit-log" in settings.CELERY_BEAT_SCHEDULE
