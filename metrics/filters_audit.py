"""Filters of the audit log page; labels written for people."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import AuditEvent, AuditKind


class AuditEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q", max_length=200,
                                  help_text="Username, address or details")
    kind = django_filters.ChoiceFilter(label="Event", choices=AuditKind.choices,
                                       empty_label="Any event")
    user = django_filters.ModelChoiceFilter(
        label="Account", queryset=get_user_model().objects.order_by("username"),
        empty_label="Anyone",
    )
    since = django_filters.DateFilter(
        label="From", field_name="created_at", lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label="To", field_name="created_at", lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["q", "kind", "user", "since", "until"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = (Q(username__icontains=value) | Q(detail__icontains=value)
                 | Q(actor__username__icontains=value))
        if all(c in "0123456789abcdefABCDEF.:" for c in value):
            match |= Q(ip_address__startswith=value)
        return queryset.filter(match)
