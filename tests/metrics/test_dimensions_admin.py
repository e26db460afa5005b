"""The admin's districts upload: staff with the district permissions only, every refused
line shown next to the file field, nothing stored then; a loaded file lists its counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.models import District

from ..factories import PlanFactory

URL = "metrics_district_upload"
GOOD = b"cds_code,name,kind\n19646340000000,Inglewood Unified,district\n"


@pytest.fixture
def plan(db):
    return PlanFactory(name="Test plan")


def _post(client, plan, content, name="districts.csv"):
    return client.post(reverse(f"admin:{URL}"),
                       {"plan": plan.pk, "file": SimpleUploadedFile(name, content)})


def test_an_administrator_loads_a_file_and_sees_what_it_did(
        client, users, plan, django_assert_max_num_queries):
    client.force_login(users["administrator"])
    PlanFactory.create_batch(5)
    with django_assert_max_num_queries(8):  # the session, the user, permissions, the plans
        page = client.get(reverse(f"admin:{URL}"))
    assert page.status_code == 200
    assert b"Districts file (CSV)" in page.content and b"Test plan" in page.content
    listing = client.get(reverse("admin:metrics_district_changelist"))
    assert reverse(f"admin:{URL}").encode() in listing.content  # the way to the upload

    done = _post(client, plan, GOOD)
    assert done.status_code == 302
    assert done.url == reverse("admin:metrics_district_changelist")
    shown = client.get(done.url)
    assert "Districts file loaded: 1 new, 0 updated, 0 unchanged; 1 newly linked to Test plan" \
        in shown.content.decode()
    assert list(District.objects.own(plan).values_list("cds_code", flat=True)) == [
        "19646340000000"]
    _post(client, plan, GOOD)
    assert District.objects.filter(is_total=False).count() == 1  # the same file: no change


def test_refused_lines_are_shown_next_to_the_file_and_nothing_is_stored(client, users, plan):
    client.force_login(users["administrator"])
    bad = GOOD + b"1964634000000,Short Code,district\n=cmd|' /C calc'!A0,Evil,district\n"
    page = _post(client, plan, bad)
    assert page.status_code == 200
    errors = page.context["form"].errors["file"]
    assert any(e.startswith("Line 3: the CDS code 1964634000000 has 13 digits") for e in errors)
    assert any(e.startswith("Line 4:") for e in errors)
    assert "Nothing was loaded" in errors[-1]
    assert "Line 3: the CDS code" in page.content.decode()
    assert not District.objects.filter(is_total=False).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "file", "This field is required."),
        ({"plan": "999999"}, "plan", "Select a valid choice."),
    ],
)
def test_a_missing_file_or_plan_is_a_field_message(client, users, plan, data, field, message):
    client.force_login(users["administrator"])
    page = client.post(reverse(f"admin:{URL}"), data)
    assert page.status_code == 200
    assert message in " ".join(page.context["form"].errors[field])


def test_a_binary_file_is_a_message_not_a_server_error(client, users, plan):
    client.force_login(users["administrator"])
    page = _post(client, plan, b"\xff\xfe\x00\x00" + bytes(range(256)) * 10)
    assert page.status_code == 200
    assert page.context["form"].errors["file"]


@pytest.mark.parametrize("role", ["steward", "lead", "leadership", "comms", "outsider"])
def test_only_staff_reach_the_upload(client, users, plan, role):
    client.force_login(users[role])
    for response in (client.get(reverse(f"admin:{URL}")), _post(client, plan, GOOD)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert not District.objects.filter(is_total=False).exists()


def test_staff_without_the_district_permissions_are_refused(client, users, plan):
    lead = users["lead"]
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    assert client.get(reverse(f"admin:{URL}")).status_code == 403
    assert _post(client, plan, GOOD).status_code == 403
    assert not District.objects.filter(is_total=False).exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_not_allowed(client, users, plan, method):
    client.force_login(users["administrator"])
    assert getattr(client, method)(reverse(f"admin:{URL}")).status_code == 405


def test_anonymous_is_sent_to_sign_in(client, plan):
    response = client.get(reverse(f"admin:{URL}"))
    assert response.status_code == 302 and reverse("admin:login") in response.url
