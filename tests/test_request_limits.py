"""A body larger than MAX_REQUEST_BYTES is refused with 413 before anything reads it."""

import io

from django.test import RequestFactory
from django.urls import reverse

from metrics.middleware import RequestBodyLimitMiddleware


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readinto(self, buffer):
        raise AssertionError("the oversized body was read")


def test_an_oversized_body_is_refused_unread_with_a_page_that_says_why(settings, db):
    settings.MAX_REQUEST_BYTES = 1024
    request = RequestFactory().post("/import/", data=b"x", content_type="text/csv")
    request.META["CONTENT_LENGTH"] = str(200 * 1024 * 1024)
    request.META["wsgi.input"] = _Unreadable()
    reached = []
    middleware = RequestBodyLimitMiddleware(lambda r: reached.append(r))
    response = middleware(request)
    assert response.status_code == 413 and not reached
    assert "200.0 MB" in response.content.decode()


def test_a_body_within_the_limit_reaches_the_view(client, settings, users):
    settings.MAX_REQUEST_BYTES = 25 * 1024 * 1024
    client.force_login(users["steward"])
    response = client.post(reverse("logout"))
    assert response.status_code in (200, 302)


def test_the_limit_is_enforced_on_a_real_upload_url(client, settings, users):
    settings.MAX_REQUEST_BYTES = 2048
    client.force_login(users["steward"])
    response = client.post(reverse("logout"), {"pad": "x" * 5000})
    assert response.status_code == 413
    assert "too large" in response.content.decode()
