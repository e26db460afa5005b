"""A person's own choices: the language their e-mails are written in."""

from ..models import UserPreference


def language_set(*, user, language):
    """Keep `language` as `user`'s (their e-mails' language); a row the first time.
    update_or_create locks the row, and on two first choices at once the second reads
    the first's row instead of failing."""
    UserPreference(user=user, language=language).clean_fields(exclude=["user"])
    preference, _created = UserPreference.objects.update_or_create(
        user=user, defaults={"language": language})
    return preference
