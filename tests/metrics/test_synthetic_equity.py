"""The demo plan's equity metric (metrics/synthetic/equity.py): the publication rule
finds every case in it, the Dashboard places its slices in all five colours, and the
metric page shows its small groups."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from metrics import aggregates, privacy
from metrics.dashboard import place
from metrics.models import Metric, Reading
from metrics.synthetic import equity, generate
from reports.publication import students


@pytest.fixture
def demo(db):
    call_command("load_dashboard_scales", "fixtures/dashboard", verbosity=0)
    result = generate(slug="demo-plan", metrics=3, districts=2, groups=2, months=12,
                      equity_demo=True, rebuild=True)
    return Metric.objects.get(plan=result.plan, code=equity.CODE)


def cell(metric, reading):
    group = reading.student_group
    return privacy.Cell(
        str(metric.pk), reading.period,
        "county" if reading.district.is_total else reading.district.code,
        "all-students" if group.is_total else group.code,
        reading.approved_value, n=students(metric, reading),
        district_is_total=reading.district.is_total, group_is_total=group.is_total,
        group_is_race=group.category == "race_ethnicity")


def test_the_rule_finds_every_suppression_case_in_the_demo(demo):
    readings = Reading.objects.filter(metric=demo).select_related("district", "student_group")
    latest = equity.years(demo.plan)[1]
    cells = [cell(demo, r) for r in readings if r.period == latest]
    decisions = privacy.suppress(cells, threshold=demo.plan.suppression_threshold)
    reasons = {d.cell.district + "/" + d.cell.group: d.reason for d in decisions.values()}
    assert reasons["synthetic-equity-hill/all-students"] == privacy.Reason.PRIMARY
    assert reasons["synthetic-equity-coast/all-students"] == privacy.Reason.UNKNOWN_SIZE
    assert reasons["synthetic-equity-north/synthetic-race-c"] == privacy.Reason.PRIMARY
    assert reasons["county/synthetic-race-c"] == privacy.Reason.PRIMARY
    assert privacy.Reason.COMPLEMENTARY in reasons.values()
    assert reasons["synthetic-equity-north/synthetic-race-a"] is None  # published


def test_the_demo_places_a_slice_in_each_of_the_five_colours(demo):
    scale = demo.dashboard_scale
    assert scale is not None
    earlier, latest = equity.years(demo.plan)
    by_slice = {}
    for reading in Reading.objects.filter(metric=demo):
        by_slice.setdefault((reading.district_id, reading.student_group_id), {})[
            reading.period] = reading
    colours = {place(scale, r[latest].approved_value, r[earlier].approved_value,
                     n=r[latest].denominator).colour for r in by_slice.values()}
    assert {"Blue", "Green", "Yellow", "Orange", "Red"} <= colours


def test_the_demo_metric_page_shows_its_groups_and_districts(client, users, demo):
    aggregates.rebuild()
    client.force_login(users["leadership"])
    url = reverse("metrics:metric", args=[demo.plan.slug, demo.code])
    html = client.get(url).content.decode()
    assert "Synthetic race/ethnicity group C (5 students)" in html
    html = client.get(url, {"view": "districts"}).content.decode()
    assert "Synthetic Hill District (equity demo, 8 students)" in html
    assert privacy.STAFF_LABEL in html  # not decided yet: not public
