"""The sign-in pages we change: the lockout page (django-axes' AXES_LOCKOUT_CALLABLE)
and the password-reset request, limited per address and per e-mail address."""

import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import ngettext, pgettext

from ..services.audit import lockout_until, password_reset_note, password_reset_wait

log = logging.getLogger(__name__)


def _minutes(delta):
    return max(1, -(-int(delta.total_seconds()) // 60))  # rounded up, at least 1


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out client sees (429): why, and when to try again."""
    until = lockout_until(request, credentials)
    return render(request, "registration/lockout.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "until": until,
        "minutes": _minutes(until - timezone.now()) if until else None,
    }, status=429)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, at most PASSWORD_RESET_LIMIT e-mails per address and
    per e-mail address in PASSWORD_RESET_WINDOW_MINUTES; past that, the form says when
    to try again and nothing is sent."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        wait = password_reset_wait(request=self.request, email=email)
        if wait is not None:
            log.warning("Password reset refused: limit reached (%s)", self.request.META.get(
                "REMOTE_ADDR"))
            minutes = _minutes(wait)
            after = formats.time_format(timezone.localtime(timezone.now() + wait),
                                        pgettext("time of day format", "g:i A"))
            form.add_error(None, ngettext(
                "Too many password-reset requests from this address or for this e-mail "
                "address. Try again in %(minutes)d minute (after %(time)s).",
                "Too many password-reset requests from this address or for this e-mail "
                "address. Try again in %(minutes)d minutes (after %(time)s).", minutes,
            ) % {"minutes": minutes, "time": after})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        password_reset_note(request=self.request, email=email)
        return super().form_valid(form)
