"""A plan's life: which plan the home page shows, closing a plan, starting the next one."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from metrics.aggregates import rebuild
from metrics.models import District, Metric, Reading
from metrics.services.plans import plan_close, plan_mark_current, plan_start_next
from pillars.models import StrategicPlan
from pillars.selectors import current_plan

from ..factories import PlanFactory

CHANGELIST = reverse("admin:pillars_strategicplan_changelist")


def test_home_shows_the_plan_marked_current_else_the_newest_real_plan(lacoe_plan, client):
    newer = PlanFactory(name="Empty 2025-28 plan", start_year=2025, end_year=2028)
    PlanFactory(name="Demo plan (synthetic data)", start_year=2030, end_year=2033,
                is_synthetic=True)
    assert current_plan() == newer  # none marked: the newest real plan
    plan_mark_current(plan=lacoe_plan)
    assert current_plan() == lacoe_plan
    assert lacoe_plan.mission in client.get(reverse("pillars:home")).content.decode()
    plan_mark_current(plan=newer)
    assert list(StrategicPlan.objects.filter(is_current=True)) == [newer]


def test_the_synthetic_demo_plan_is_never_the_current_plan(db):
    from django.core.exceptions import ValidationError

    demo = PlanFactory(is_synthetic=True)
    with pytest.raises(ValidationError, match="cannot be the current plan"):
        plan_mark_current(plan=demo)


def test_start_the_next_plan_from_lacoes(lacoe_plan, users, after_the_plan):
    attendance = Metric.objects.get(plan=lacoe_plan, code="p1-da-attendance")
    attendance.owners.add(users["steward"])
    pillar = lacoe_plan.pillars.get(order=1)
    pillar.leads.add(users["lead"])
    district = District.objects.get(cds_code="19646340000000")  # in LACOE's plan.yaml

    new = plan_start_next(plan=lacoe_plan)

    assert (new.name, new.slug, new.span_label) == (
        lacoe_plan.name.replace("2022-25", "2025-28"), "lacoe-2025-28", "2025-28")
    assert new.school_years == ["2025-26", "2026-27", "2027-28"]
    assert new.pillars.count() == 5 and new.metrics.count() == 130
    assert list(new.pillars.get(order=1).leads.all()) == [users["lead"]]
    old_codes = set(lacoe_plan.metrics.values_list("code", flat=True))
    assert set(new.metrics.values_list("code", flat=True)) == old_codes
    copy = Metric.objects.select_related("goal", "pillar").get(plan=new, code="p1-da-attendance")
    assert copy.continues == attendance
    assert (copy.baseline_value, copy.baseline_period) == (10603, "2023-24")  # last approved
    assert list(copy.owners.all()) == [users["steward"]]
    assert copy.pillar.plan == new and copy.goal.priority_area.pillar == copy.pillar
    assert copy.goal.code == attendance.goal.code
    served = Metric.objects.get(plan=new, code="plan-students-served")
    assert served.is_context and served.pillar is None
    assert not Reading.objects.filter(metric__plan=new).exists()  # readings never copied
    assert list(District.objects.own(new)) == [district]  # dimension links kept
    # The home page keeps LACOE's figures until an administrator marks the new plan current.
    assert current_plan() == lacoe_plan
    # The new plan takes its own periods, not the old plan's.
    copy.validate_period("2025-26")
    rebuild()
    assert copy.snapshots.get(is_county_wide=True).status == "no_data"


def test_start_next_plan_command(lacoe_plan, capsys):
    call_command("start_next_plan", lacoe_plan.slug, "--close")
    out = capsys.readouterr().out
    assert "Started" in out and "5 pillars, 130 metrics, no readings" in out
    assert "is closed" in out
    lacoe_plan.refresh_from_db()
    assert lacoe_plan.is_closed
    assert StrategicPlan.objects.get(slug="lacoe-2025-28").metrics.count() == 130


def test_start_next_plan_command_says_why_it_refused(lacoe_plan):
    from django.core.management.base import CommandError

    call_command("start_next_plan", lacoe_plan.slug)
    with pytest.raises(CommandError, match="(?i)slug already exists"):
        call_command("start_next_plan", lacoe_plan.slug)


def test_administrators_close_a_plan_and_start_the_next_in_the_admin(lacoe_plan, client, users):
    client.force_login(users["administrator"])
    actions = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert {"mark_current", "close_plans", "start_next_plan"} <= {name for name, _ in actions}
    response = client.post(CHANGELIST, {"action": "start_next_plan",
                                        "_selected_action": [lacoe_plan.pk]}, follow=True)
    assert "Started" in response.content.decode()
    assert StrategicPlan.objects.filter(slug="lacoe-2025-28").exists()
    client.post(CHANGELIST, {"action": "close_plans", "_selected_action": [lacoe_plan.pk]})
    lacoe_plan.refresh_from_db()
    assert lacoe_plan.closed_at is not None


@pytest.mark.parametrize("role", ["lead", "leadership"])
def test_other_staff_cannot_close_or_start_plans_in_the_admin(lacoe_plan, client, users, role):
    user = users[role]
    user.is_staff = True
    user.save()
    client.force_login(user)
    page = client.get(CHANGELIST)
    assert page.status_code == 200  # they may read the plans
    action_form = page.context["action_form"]
    names = {name for name, _ in action_form.fields["action"].choices} if action_form else set()
    assert not names & {"mark_current", "close_plans", "reopen_plans", "start_next_plan"}
    client.post(CHANGELIST, {"action": "close_plans", "_selected_action": [lacoe_plan.pk]})
    lacoe_plan.refresh_from_db()
    assert lacoe_plan.closed_at is None and StrategicPlan.objects.count() == 1


def test_a_closed_plan_can_be_reopened(lacoe_plan):
    from metrics.services.plans import plan_reopen

    plan_close(plan=lacoe_plan)
    plan_reopen(plan=lacoe_plan)
    Metric.objects.filter(plan=lacoe_plan).first().validate_period("2024-25")
