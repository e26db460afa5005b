"""django-tables2's question "which arguments does this render method take", answered
once a function instead of once a cell."""

import functools

import django_tables2.utils

_SIGNATURE = django_tables2.utils.signature


@functools.lru_cache(maxsize=2048)
def _signature_of(function, bound):
    if not bound:
        return _SIGNATURE(function)
    arguments, keywords = _SIGNATURE(function)
    return arguments[1:], keywords  # as inspect.signature does for the bound method


def cached_signature(fn):
    """django_tables2.utils.signature, worked out once a function: django-tables2 asks
    for it on every cell it renders (utils.call_with_appropriate, to learn which of
    value/record/column... a render method takes), and inspect.signature cost 40% of a
    cell: the readings table of the metric page for one district, 252 cells, was most of
    that page (bench/run.py, 2026-12-02). A bound method's answer is its function's
    without `self`; anything not hashable is asked as before."""
    function = getattr(fn, "__func__", None)
    try:
        if function is not None and getattr(fn, "__self__", None) is not None:
            return _signature_of(function, True)
        return _signature_of(fn, False)
    except TypeError:
        return _SIGNATURE(fn)


def install_cached_signature():
    """Called once, from MetricsConfig.ready (tests/metrics/test_tables_signature.py holds
    it equal to django-tables2's own on every render method of our tables)."""
    django_tables2.utils.signature = cached_signature
