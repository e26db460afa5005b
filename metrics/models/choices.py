"""A faster get_FOO_display() for the models pages render by the hundred."""

import functools

from django.utils.encoding import force_str


@functools.cache
def _labels(field):
    # Values to labels, once a field: the labels stay lazy, so each call still gives the
    # active language.
    return dict(field.flatchoices)


class QuickChoiceDisplay:
    """Django's Model._get_FIELD_display builds a dict of the field's choices on every
    call, hashing each lazy label (a gettext each): 70 µs a call for the twelve statuses,
    and django-tables2 calls it for every cell of a choices column before our own render
    method (the status and state columns of the metric page's tables: most of their cost,
    bench/run.py's by-district page, 2026-12-02). The same answer from a dict made once."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value, which Django's make_hashable would take
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
