"""Sign-in throttling (django-axes, database handler) and the password-reset limiter."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from metrics.services.audit import client_ip

from ..factories import UserFactory

LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"
PASSWORD = "pw-for-tests"  # tests/factories.py
# A cache that is down: nothing here may depend on it.
REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}


def sign_in(client, username, password, ip="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=ip, **extra)


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_hundred_wrong_passwords_then_the_right_one_is_refused_and_says_when(client, users,
                                                                              settings):
    settings.CACHES = REDIS_DOWN
    for _ in range(100):
        sign_in(client, "steward", "wrong")
    response = sign_in(client, "steward", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    text = response.content.decode()
    assert "Sign-in temporarily locked" in text
    assert "Try again in 15 minutes, after" in text
    assert "even the right password is refused" in text
    # failures during the lockout did not extend it: one row, counted once per failure
    # before the lock
    attempt = AccessAttempt.objects.get(username="steward")
    assert attempt.failures_since_start == 5


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(client, users):
    for _ in range(5):
        sign_in(client, "steward", "wrong")
    assert sign_in(client, "steward", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = sign_in(client, "steward", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_four_failures_then_the_right_password_signs_in_and_resets(client, users):
    for _ in range(4):
        assert sign_in(client, "steward", "wrong").status_code == 200
    assert sign_in(client, "steward", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="steward").exists()


@pytest.mark.django_db
def test_one_address_is_locked_out_across_accounts(client, users):
    for name in ("steward", "lead", "comms", "nobody-1", "nobody-2"):
        sign_in(client, name, "wrong", ip="192.0.2.7")
    # another account, the right password, the same address: refused
    response = sign_in(client, "leadership", PASSWORD, ip="192.0.2.7")
    assert response.status_code == 429
    assert "Try again in" in response.content.decode()
    # the same account from elsewhere is fine
    assert sign_in(client, "leadership", PASSWORD, ip="198.51.100.1").status_code == 302


@pytest.mark.django_db
def test_one_account_is_locked_out_across_addresses(client, users):
    for n in range(5):
        sign_in(client, "lead", "wrong", ip=f"203.0.113.{n}")
    assert sign_in(client, "lead", PASSWORD, ip="203.0.113.200").status_code == 429
    assert sign_in(client, "steward", PASSWORD, ip="203.0.113.200").status_code == 302


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_unless_configured(client, users):
    # a client rotating a forged header still comes from one address
    for n in range(5):
        sign_in(client, f"nobody{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    assert sign_in(client, "steward", PASSWORD,
                   HTTP_X_FORWARDED_FOR="10.9.9.99").status_code == 429


def test_client_ip_rule(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.5",
                          HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    assert client_ip(request) == "10.0.0.5"
    settings.TRUST_X_FORWARDED_FOR = True
    assert client_ip(request) == "198.51.100.9"  # what our one proxy saw
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 1
    garbage = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbage) == "10.0.0.5"
    assert client_ip(factory.get("/", REMOTE_ADDR="10.0.0.5")) == "10.0.0.5"


@pytest.mark.django_db
def test_x_forwarded_for_when_configured_locks_the_forwarded_address(client, users, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    for n in range(5):
        sign_in(client, f"nobody{n}", "wrong", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50")
    assert sign_in(client, "steward", PASSWORD, ip="10.0.0.1",
                   HTTP_X_FORWARDED_FOR="192.0.2.50").status_code == 429
    # another client behind the same proxy is not locked out
    assert sign_in(client, "steward", PASSWORD, ip="10.0.0.1",
                   HTTP_X_FORWARDED_FOR="192.0.2.51").status_code == 302


@pytest.mark.django_db
def test_client_login_works_with_axes_on(client, users, settings):
    """Tests that sign in with client.login pass a request (axes needs one to count)."""
    assert settings.AXES_ENABLED
    assert client.login(request=HttpRequest(), username="steward", password=PASSWORD)
    assert signed_in(client)
    assert not client.login(request=HttpRequest(), username="steward", password="wrong")


def reset(client, email, ip="10.0.0.1"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_sixty_reset_requests_for_one_email_send_at_most_the_limit(client, users, settings):
    settings.CACHES = REDIS_DOWN  # the limiter counts in the database
    responses = [reset(client, "steward@example.org", ip=f"10.1.{n // 250}.{n % 250}")
                 for n in range(60)]
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT == 5
    assert [r.status_code for r in responses[:5]] == [302] * 5
    refused = responses[5]
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many password-reset requests" in text
    assert "Try again in 60 minutes" in text


@pytest.mark.django_db
def test_sixty_reset_requests_from_one_address_send_at_most_the_limit(client, db, settings):
    for n in range(60):
        UserFactory(username=f"person{n}")
    for n in range(60):
        reset(client, f"person{n}@example.org", ip="192.0.2.9")
    assert len(mail.outbox) == 5
    # another address is served
    assert reset(client, "person59@example.org", ip="192.0.2.10").status_code == 302
    assert len(mail.outbox) == 6


@pytest.mark.django_db
def test_reset_limit_frees_up_after_the_window(client, users):
    from metrics.models import AuditEvent, AuditKind

    for _ in range(6):
        reset(client, "steward@example.org")
    assert len(mail.outbox) == 5
    AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET).update(
        created_at=timezone.now() - timedelta(minutes=61))
    assert reset(client, "steward@example.org").status_code == 302
    assert len(mail.outbox) == 6


@pytest.mark.django_db
def test_reset_pages_render(client, users):
    response = client.get(RESET)
    assert "Reset your password" in response.content.decode()
    assert reverse("password_reset") == RESET
    assert "Forgot your password?" in client.get(LOGIN).content.decode()


@pytest.mark.django_db
def test_changing_ones_password_is_a_page_of_the_site_not_the_admins(client, users):
    client.force_login(users["steward"])
    page = client.get(reverse("password_change")).content.decode()
    assert "<title>Change your password · LACOE KPI</title>" in page
    assert 'id="language-choice"' in page  # the site's header and switcher
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a-new-pw-for-tests",
        "new_password2": "a-new-pw-for-tests"}, follow=True)
    assert "<title>Password changed · LACOE KPI</title>" in response.content.decode()
    users["steward"].refresh_from_db()
    assert users["steward"].check_password("a-new-pw-for-tests")
