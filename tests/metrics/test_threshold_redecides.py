"""A plan's suppression threshold changed (the plan admin, or any save of the plan)
re-decides the plan's publication on commit (metrics/signals.py, the rebuild task),
so the public page marks what the new threshold hides at once, not after the nightly
decide_publication --all (issue 16)."""

from decimal import Decimal

import pytest
from django.contrib.admin import site
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from metrics import aggregates, privacy
from metrics.models import MetricSnapshot, PendingRebuild, Publication, Reading
from metrics.privacy import MARK
from pillars.models import StrategicPlan

from ..factories import DistrictFactory, MetricFactory, PlanFactory, ReadingFactory

SMALL = "66.67"  # 30 of Small's 45 students: public at 11, hidden at 50


@pytest.fixture(autouse=True)
def _in_process_worker(settings):
    # The task runs here, as the worker would run it: with REDIS_URL (CI's first leg) it
    # would otherwise wait in Redis for a worker this test does not start.
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def plan(db):
    plan = PlanFactory(slug="open", is_public=True)
    metric = MetricFactory(plan=plan, pillar__plan=plan, unit="percent", code="reading")
    ReadingFactory(metric=metric, value=Decimal("54.04"), numerator=456, denominator=845)
    for code, numerator, denominator, value in (
            ("small", 30, 45, SMALL), ("middle", 180, 300, "60.00"),
            ("large", 246, 500, "49.20")):
        district = DistrictFactory(code=code, name=code.title())
        district.plans.add(plan)
        ReadingFactory(metric=metric, district=district, value=Decimal(value),
                       numerator=numerator, denominator=denominator)
    aggregates.rebuild_all()
    return plan


def _small(plan):
    return Reading.objects.get(metric__plan=plan, district__code="small").publication


def _districts_page(client):
    return client.get(reverse("metrics:metric", args=["open", "reading"])
                      + "?view=districts").content.decode()


def test_a_raised_threshold_hides_on_the_public_page_at_once(client, plan,
                                                             django_capture_on_commit_callbacks):
    assert _small(plan) == Publication.PUBLISHED
    before = _districts_page(client)  # signed out; the page is cached now
    assert SMALL in before and f'<td class="num">{MARK}' not in before
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        plan.suppression_threshold = 50
        plan.save()
    # Small (45) is under it; and with it hidden, the county and the other two would give
    # it back, so the next-smallest district is hidden too (complementary).
    assert _small(plan) == Publication.PRIMARY
    assert Reading.objects.get(district__code="middle").publication == (
        Publication.COMPLEMENTARY)
    assert MetricSnapshot.objects.get(district__code="small").latest_publication == (
        Publication.PRIMARY)
    assert not PendingRebuild.objects.exists()
    after = _districts_page(client)
    assert SMALL not in after and f'<td class="num">{MARK}' in after
    assert privacy.footnote(privacy.Reason.PRIMARY, 50) in after


def test_another_change_of_the_plan_decides_nothing_again(plan,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plan.name = "Renamed"
        plan.save()
    assert not callbacks and not PendingRebuild.objects.exists()
    plan.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plan.suppression_threshold = 12
        plan.save()
    assert callbacks and PendingRebuild.objects.filter(whole=True).count() == 1


def _plan_admin_data(user, plan, **changes):
    """What the plan admin's change page posts when only `changes` are edited (its
    pillar inline left as it is)."""
    request = RequestFactory().get("/")
    request.user = user
    form = site._registry[StrategicPlan].get_form(request, plan)(instance=plan)
    data = {name: str(form[name].value()) for name in form.fields
            if form[name].value() not in (None, False)}
    management = {f"pillars-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS")}
    return {**data, **management, **changes}


def test_the_plan_admin_re_decides_on_save(client, users, plan,
                                           django_capture_on_commit_callbacks):
    client.force_login(users["administrator"])
    data = _plan_admin_data(users["administrator"], plan, suppression_threshold="50")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:pillars_strategicplan_change", args=[plan.pk]),
                               data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _small(plan) == Publication.PRIMARY
