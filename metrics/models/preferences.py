"""What a person chose for themselves: the language their e-mails are written in.

The smallest thing that holds it: Django's user model is the stock one and the app has
no profile, so one row beside the user, made the first time they choose (a person with
no row reads the site's language, settings.LANGUAGE_CODE)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserPreferenceQuerySet(models.QuerySet):
    def languages(self, users):
        """{user id: language} for `users` in one query; the site's language for those
        who never chose."""
        chosen = dict(self.filter(user__in=users).values_list("user_id", "language"))
        return {user.pk: chosen.get(user.pk, settings.LANGUAGE_CODE) for user in users}


class UserPreference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="preference")
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the e-mails this person gets."))

    objects = UserPreferenceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="userpreference_language_known",
                violation_error_message=_("Unknown language."),
            ),
        ]

    def __str__(self):
        return f"{self.user}: {self.language}"
