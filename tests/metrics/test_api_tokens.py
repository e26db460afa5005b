"""API tokens on the account page: created (shown once), kept hashed, revoked."""

import pytest
from django.test import Client

from metrics.models import ApiToken, AuditEvent, AuditKind
from metrics.models.tokens import token_digest
from metrics.services.tokens import token_create

from ..factories import PlanFactory

ACCOUNT = "/account/"


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_creating_a_token_shows_it_once_and_keeps_only_its_digest(users):
    client = signed_in(users["steward"])
    response = client.post(ACCOUNT, {"name": "Open data portal"})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert len(raw) >= 40 and raw in response.content.decode()
    token = ApiToken.objects.get(user=users["steward"])
    assert token.name == "Open data portal" and token.prefix == raw[:8]
    assert token.digest == token_digest(raw) and raw not in token.digest
    # Nowhere at rest: no column of the row holds the token.
    assert raw not in repr(ApiToken.objects.filter(pk=token.pk).values().get())
    again = client.get(ACCOUNT).content.decode()
    assert raw not in again and "Open data portal" in again and raw[:8] in again
    event = AuditEvent.objects.get(kind=AuditKind.API_TOKEN_CREATED)
    assert (event.user, event.actor) == (users["steward"], users["steward"])
    assert raw not in event.detail and raw[:8] in event.detail


def test_the_token_opens_the_api_as_its_user_until_revoked(users):
    PlanFactory(slug="private-plan")
    token, raw = token_create(user=users["leadership"], name="BI")
    headers = {"Authorization": f"Token {raw}"}
    assert Client().get("/api/v1/plans/", headers=headers).json()["count"] == 1
    token.refresh_from_db()
    assert token.last_used_at is not None
    client = signed_in(users["leadership"])
    response = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "revoked" in response.content.decode()
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditKind.API_TOKEN_REVOKED,
                                     user=users["leadership"]).count() == 1
    assert Client().get("/api/v1/plans/", headers=headers).status_code == 401


def test_nobody_revokes_another_users_token(users):
    token, _ = token_create(user=users["leadership"], name="BI")
    response = signed_in(users["administrator"]).post(f"/account/tokens/{token.pk}/revoke/",
                                                      follow=True)
    assert "No such token of yours" in response.content.decode()
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("name", ["", "x" * 101])
def test_a_token_needs_a_name_of_at_most_100_characters(users, name):
    response = signed_in(users["outsider"]).post(ACCOUNT, {"name": name})
    assert response.status_code == 200 and response.context["new_token"] is None
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_a_session_is_no_api_credential(users):
    PlanFactory(slug="private-plan")
    assert signed_in(users["administrator"]).get("/api/v1/plans/").json()["count"] == 0


def test_the_account_page_is_for_signed_in_people_and_linked_from_every_page(users):
    assert Client().get(ACCOUNT).status_code == 302
    page = signed_in(users["outsider"]).get("/").content.decode()
    assert 'href="/account/"' in page and 'href="/api/v1/docs/"' in page
    assert 'href="/api/v1/schema/"' in page
