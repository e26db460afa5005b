"""Who keeps a metric and who leads a pillar: the owners and leads worklists' writes."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..roles import PILLAR_LEAD, STEWARD
from .plans import refuse_if_closed


def metric_assign_owners(*, metric, owners):
    """Make `owners` (users with the Data steward role) the stewards who keep `metric`.
    Returns True when the owners changed."""
    return _assign(metric.owners, owners, role=STEWARD, plan=metric.plan,
                   doing=_("changing who keeps a metric"))


def pillar_assign_leads(*, pillar, leads):
    """Make `leads` (users with the Pillar lead role) the leads of `pillar`: they approve
    its values and set its targets. Returns True when the leads changed."""
    return _assign(pillar.leads, leads, role=PILLAR_LEAD, plan=pillar.plan,
                   doing=_("changing a pillar's leads"))


def _assign(relation, users, *, role, plan, doing):
    users = list(users)
    holding = set(get_user_model().objects.filter(pk__in=[u.pk for u in users], groups__name=role)
                  .values_list("pk", flat=True))
    wrong = [u.get_full_name() or u.get_username() for u in users if u.pk not in holding]
    if wrong:
        raise ValidationError(f"Not a {role.lower()}: {', '.join(wrong)}.", code="wrong_role")
    refuse_if_closed(plan, doing)
    with transaction.atomic():
        if set(relation.values_list("pk", flat=True)) == {u.pk for u in users}:
            return False
        relation.set(users)
    return True
