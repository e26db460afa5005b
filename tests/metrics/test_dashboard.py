"""The California School Dashboard's five-by-five placement (metrics/dashboard.py) and the
chronic absenteeism scale shipped in fixtures/dashboard/ (issue 16)."""

import json
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics import dashboard
from metrics.aggregates import rebuild
from metrics.models import DashboardScale
from tests.factories import MetricFactory, ReadingFactory

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "dashboard" / "chronic-absenteeism.yaml"

# CDE, "Five-by-Five Colored Tables", Chronic Absenteeism Indicator (2023 Dashboard on),
# https://www.cde.ca.gov/ta/ac/cm/fivebyfivecolortables23.asp, copied here by hand from the
# published table, independently of the fixture: rows are status levels, columns change
# levels from Increased Significantly to Declined Significantly.
CHANGES = ("Increased Significantly", "Increased", "Maintained", "Declined",
           "Declined Significantly")
PUBLISHED = {
    "Very Low": ("Yellow", "Green", "Blue", "Blue", "Blue"),
    "Low": ("Orange", "Yellow", "Green", "Green", "Blue"),
    "Medium": ("Orange", "Orange", "Yellow", "Green", "Green"),
    "High": ("Red", "Orange", "Orange", "Yellow", "Yellow"),
    "Very High": ("Red", "Red", "Red", "Orange", "Yellow"),
}
# A figure inside each status level, and a change inside each change level.
INSIDE_STATUS = {"Very Low": "1.0", "Low": "4.0", "Medium": "7.0", "High": "15.0",
                 "Very High": "25.0"}
INSIDE_CHANGE = dict(zip(CHANGES, ("5.0", "1.0", "0.0", "-1.0", "-5.0"), strict=True))
ENOUGH = 500  # students: above both the minimum (30) and the small-population size (150)


def _spec():
    return yaml.safe_load(FIXTURE.read_text())["scales"][0]


@pytest.fixture
def scale():
    spec = _spec()
    spec["value_min"], spec["value_max"] = Decimal(spec["value_min"]), Decimal(spec["value_max"])
    return SimpleNamespace(**spec)


def _place(scale, current, change, n=ENOUGH):
    current = Decimal(current)
    return dashboard.place(scale, current, current - Decimal(change), n)


@pytest.mark.parametrize("status", PUBLISHED)
@pytest.mark.parametrize("change", CHANGES)
def test_each_of_the_25_cells_is_the_published_colour(scale, status, change):
    placed = _place(scale, INSIDE_STATUS[status], INSIDE_CHANGE[change])
    assert (placed.status, placed.change) == (status, change)
    assert placed.colour == PUBLISHED[status][CHANGES.index(change)]
    assert placed.reason == ""


@pytest.mark.parametrize(("current", "level"), [
    # Cut points 2.5 / 5.0 / 10.0 / 20.0, each just below, at and above after rounding to
    # the tenth: 2.54 rounds to 2.5 (Very Low), 2.55 to 2.6 (Low).
    ("0", "Very Low"), ("2.4", "Very Low"), ("2.5", "Very Low"), ("2.54", "Very Low"),
    ("2.55", "Low"), ("2.6", "Low"),
    ("4.9", "Low"), ("5.0", "Low"), ("5.04", "Low"), ("5.05", "Medium"), ("5.1", "Medium"),
    ("9.9", "Medium"), ("10.0", "Medium"), ("10.04", "Medium"), ("10.05", "High"),
    ("10.1", "High"),
    ("19.9", "High"), ("20.0", "High"), ("20.04", "High"), ("20.05", "Very High"),
    ("20.1", "Very High"), ("100", "Very High"),
])
def test_status_boundaries_after_rounding(scale, current, level):
    assert _place(scale, current, "0").status == level


@pytest.mark.parametrize(("change", "level"), [
    # Increased Significantly from +3.1, Increased +0.5 to +3.0, Maintained -0.4 to +0.4,
    # Declined -0.5 to -2.9, Declined Significantly from -3.0: note +3.0 is Increased but
    # -3.0 is Declined Significantly, as published.
    ("3.2", "Increased Significantly"), ("3.1", "Increased Significantly"),
    ("3.05", "Increased Significantly"), ("3.04", "Increased"), ("3.0", "Increased"),
    ("2.9", "Increased"),
    ("0.6", "Increased"), ("0.5", "Increased"), ("0.45", "Increased"), ("0.44", "Maintained"),
    ("0.4", "Maintained"), ("0", "Maintained"), ("-0.4", "Maintained"),
    ("-0.44", "Maintained"), ("-0.45", "Declined"), ("-0.5", "Declined"), ("-0.6", "Declined"),
    ("-2.9", "Declined"), ("-2.94", "Declined"), ("-2.95", "Declined Significantly"),
    ("-3.0", "Declined Significantly"), ("-3.1", "Declined Significantly"),
])
def test_change_boundaries_after_rounding(scale, change, level):
    placed = _place(scale, "50.0", change)
    assert placed.change == level
    assert placed.change_value == Decimal(change).quantize(Decimal("0.1"),
                                                           rounding="ROUND_HALF_UP")


def test_change_is_taken_from_the_unrounded_figures_then_rounded(scale):
    # 5.04 - 4.55 = 0.49 -> 0.5 (Increased); from the rounded figures it would be
    # 5.0 - 4.6 = 0.4 (Maintained). CDE: "Change is calculated using the non-rounded values".
    placed = dashboard.place(scale, Decimal("5.04"), Decimal("4.55"), ENOUGH)
    assert (placed.status_value, placed.change_value) == (Decimal("5.0"), Decimal("0.5"))
    assert placed.change == "Increased"


@pytest.mark.parametrize(("n", "colour", "reason"), [
    (None, None, "The number of students is not recorded: the Dashboard gives a colour only "
                 "from 30 students."),
    (0, None, "Too few students (0): the Dashboard gives a colour only from 30."),
    (29, None, "Too few students (29): the Dashboard gives a colour only from 30."),
    (30, None, "Fewer than 150 students (30): the Dashboard uses its small-population grid, "
               "not reproduced here."),
    (149, None, "Fewer than 150 students (149): the Dashboard uses its small-population grid, "
                "not reproduced here."),
    (150, "Yellow", ""),
])
def test_minimum_students_for_a_colour(scale, n, colour, reason):
    placed = _place(scale, "7.0", "0.0", n)
    assert (placed.colour, placed.reason) == (colour, reason)
    # The levels and the grid position are given either way: colour is never the only cue.
    assert (placed.status, placed.change, placed.row, placed.column) == (
        "Medium", "Maintained", 2, 2)


def test_without_a_prior_year_the_status_is_placed_but_no_colour(scale):
    placed = dashboard.place(scale, Decimal("7.0"), None, ENOUGH)
    assert (placed.status, placed.row, placed.change, placed.column, placed.colour) == (
        "Medium", 2, None, None, None)
    assert "No prior-year figure" in placed.reason
    assert dashboard.place(scale, None, None, ENOUGH).status is None


def test_lower_is_better_gives_the_better_colour_to_a_decline(scale):
    assert scale.direction == "lower"
    declined = _place(scale, "7.0", "-5.0").colour
    increased = _place(scale, "7.0", "5.0").colour
    assert dashboard.COLOURS.index(declined) < dashboard.COLOURS.index(increased)


def _mirrored(scale):
    """The same table for 100 minus the rate (an attendance-like figure, higher is better)."""
    def flip(levels, around):
        def end(value):
            return None if value is None else str(around - Decimal(value))
        return [{"name": lv["name"], "min": end(lv["max"]), "max": end(lv["min"])}
                for lv in levels]
    return SimpleNamespace(**{**vars(scale), "direction": "higher",
                              "status_levels": flip(scale.status_levels, Decimal(100)),
                              "change_levels": flip(scale.change_levels, Decimal(0))})


@pytest.mark.parametrize("current", ["1.0", "4.4", "8.0", "10.9", "25.0"])
def test_higher_is_better_mirrors_lower_is_better(scale, current):
    mirror, hundred = _mirrored(scale), Decimal(100)
    assert dashboard.validate_scale(mirror) == []
    current = Decimal(current)
    for change in ("5.0", "1.0", "0.0", "-1.0", "-5.0"):
        previous = current - Decimal(change)
        assert dashboard.place(mirror, hundred - current, hundred - previous, ENOUGH).colour \
            == dashboard.place(scale, current, previous, ENOUGH).colour
    for colour in ("Blue", "Green", "Yellow"):
        needed = dashboard.change_needed(scale, current, colour)
        flipped = dashboard.change_needed(mirror, hundred - current, colour)
        assert (flipped.value, flipped.change) == (hundred - needed.value, -needed.change)
        sentence = dashboard.describe_needed(mirror, flipped, hundred - current)
        assert sentence.endswith(("or higher, for " + colour + " or better.",
                                  "or higher next year for " + colour + " or better.",
                                  "or higher, and still be " + colour + " or better."))


def test_the_shipped_scale_is_sound_and_a_reversed_direction_is_not(scale):
    assert dashboard.validate_scale(scale) == []
    scale.direction = "higher"
    assert dashboard.validate_scale(scale) == [
        "A better status or change never gives a worse colour in the Dashboard's tables; "
        "this table does."]


@pytest.mark.parametrize(("change", "error"), [
    (lambda s: s.status_levels[1].update(min="2.7"),
     "The status levels leave a gap or overlap between Very Low and Low."),
    (lambda s: s.change_levels[2].update(max="0.5"),
     "The change levels leave a gap or overlap between Maintained and Increased."),
    (lambda s: s.status_levels[0].update(min="0"),
     "The status levels must be open at both ends (no min on the lowest level, no max on "
     "the highest)."),
    (lambda s: s.status_levels.pop(), "The status levels need exactly 5 levels."),
    (lambda s: s.colours[0].__setitem__(0, "Purple"),
     "Unknown colours ['Purple']: use Blue, Green, Yellow, Orange, Red."),
    (lambda s: s.colours.pop(), "The colour table needs 5 rows of 5 colours."),
    (lambda s: setattr(s, "value_max", Decimal(20_000)),
     "Round to at most 2 decimals, over a range of at most 100,000 rounded figures."),
    (lambda s: setattr(s, "small_n", 30),
     "The small-population size must be above the minimum for a colour."),
])
def test_a_broken_scale_is_refused_with_a_reason(scale, change, error):
    change(scale)
    assert dashboard.validate_scale(scale) == [error]


def test_a_scale_too_fine_to_search_is_refused(scale):
    scale.decimals = 4  # 1,000,000 figures from 0 to 100 for change_needed to try
    assert "Round to at most 2 decimals, over a range of at most 100,000 rounded figures." in (
        dashboard.validate_scale(scale))


@pytest.mark.parametrize(("current", "target", "value", "change", "sentence"), [
    # 8.0 (Medium): next year 7.5 is Medium and Declined (-0.5), Green; 7.6 is Maintained.
    ("8.0", "Green", "7.5", "-0.5", "Fall by at least 0.5 percentage points next year, from "
     "8.0% to 7.5% or lower, for Green or better."),
    # 4.0 (Low): up to 4.4 is Low and Maintained, Green; 4.5 is Increased, Yellow.
    ("4.0", "Green", "4.4", "0.4", "It may rise by up to 0.4 percentage points next year, "
     "to 4.4% or lower, and still be Green or better."),
    # 2.0 (Very Low): 2.5 is Very Low and Increased, Green; 2.6 is Low, Yellow.
    ("2.0", "Green", "2.5", "0.5", "It may rise by up to 0.5 percentage points next year, "
     "to 2.5% or lower, and still be Green or better."),
    # 25.0 (Very High): no Green in the High and Very High rows; Medium and Declined is.
    ("25.0", "Green", "10.0", "-15.0", "Fall by at least 15.0 percentage points next year, "
     "from 25.0% to 10.0% or lower, for Green or better."),
    # Blue from 8.0: Low and Declined Significantly (5.0 is -3.0).
    ("8.0", "Blue", "5.0", "-3.0", "Fall by at least 3.0 percentage points next year, from "
     "8.0% to 5.0% or lower, for Blue or better."),
    # 2.5 and Blue: holding (Maintained, Very Low) is Blue; 2.6 would be Low.
    ("2.5", "Blue", "2.5", "0.0", "Hold at 2.5% or lower next year for Blue or better."),
])
def test_change_needed_to_reach_a_colour(scale, current, target, value, change, sentence):
    needed = dashboard.change_needed(scale, Decimal(current), target)
    assert (needed.value, needed.change) == (Decimal(value), Decimal(change))
    # The figure found does reach the colour next year, and one step worse does not.
    rank = dashboard.COLOURS.index
    at = dashboard.place(scale, needed.value, Decimal(current), ENOUGH).colour
    beyond = dashboard.place(scale, needed.value + Decimal("0.1"), Decimal(current), ENOUGH)
    assert rank(at) <= rank(target) < rank(beyond.colour)
    assert dashboard.describe_needed(scale, needed, Decimal(current)) == sentence


def test_change_needed_for_an_unknown_colour_or_no_figure_is_none(scale):
    assert dashboard.change_needed(scale, Decimal("8.0"), "Purple") is None
    assert dashboard.change_needed(scale, None) is None
    assert dashboard.describe_needed(scale, None, None) == (
        "No figure next year would reach that colour.")


def test_the_dashboard_colours_live_in_the_stylesheet_only():
    css = (ROOT / "static" / "css" / "app.css").read_text()
    fills = dict(re.findall(r"\.dash-(\w+)\s*\{\s*background:\s*(#[0-9a-fA-F]{6})", css))
    assert set(fills) == {c.lower() for c in dashboard.COLOURS}
    pattern = re.compile("|".join(fills.values()), re.IGNORECASE)
    elsewhere = [str(p.relative_to(ROOT)) for folder in ("metrics", "pillars", "reports",
                                                        "templates", "static/js")
                 for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".html", ".js")
                 and pattern.search(p.read_text())]
    assert elsewhere == []


# --- The fixture, the model and the pages --------------------------------------------------

@pytest.fixture
def loaded(db):
    call_command("load_dashboard_scales", str(FIXTURE.parent), verbosity=0)
    return DashboardScale.objects.get(code="chronic-absenteeism")


def test_the_fixture_loads_once_and_reproduces_the_published_table(loaded):
    loaded.full_clean()
    assert [lv["name"] for lv in loaded.change_levels] == list(CHANGES)
    assert {lv["name"]: tuple(row) for lv, row in zip(loaded.status_levels, loaded.colours,
                                                       strict=True)} == PUBLISHED
    assert (loaded.min_n, loaded.small_n, loaded.decimals, loaded.direction) == (
        30, 150, 1, "lower")
    assert loaded.source_url == "https://www.cde.ca.gov/ta/ac/cm/fivebyfivecolortables23.asp"
    call_command("load_dashboard_scales", str(FIXTURE.parent), verbosity=0)
    assert DashboardScale.objects.count() == 1


def test_the_command_refuses_a_folder_without_scales(db, tmp_path):
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="No scales found"):
        call_command("load_dashboard_scales", str(tmp_path))


def _grid_context(scale, current, previous, previous_period="2022-23"):
    metric = SimpleNamespace(dashboard_scale=scale)
    snapshot = SimpleNamespace(latest_value=current, latest_period="2023-24",
                               previous_value=previous, previous_period=previous_period,
                               latest_n=None)
    return dashboard.metric_grid(metric, snapshot)


def test_only_the_figure_a_year_earlier_counts_as_the_prior_year(scale):
    assert _grid_context(scale, Decimal("8.0"), Decimal("8.3"))["placement"].change == (
        "Maintained")
    for period in ("2021-22", "2023-24 Q1", "not a period"):
        placement = _grid_context(scale, Decimal("8.0"), Decimal("8.3"), period)["placement"]
        assert (placement.status, placement.change) == ("Medium", None), period
        assert placement.reason.startswith("No prior-year figure"), period
    assert dashboard.metric_grid(SimpleNamespace(dashboard_scale=None), None) is None


def test_the_partial_is_an_accessible_table_with_words_not_only_colour(scale):
    html = render_to_string("metrics/_dashboard_grid.html", {
        "dashboard": _grid_context(scale, Decimal("8.0"), Decimal("8.3"))})
    assert "<caption>The Dashboard’s five-by-five table for the Chronic Absenteeism " \
           "Indicator" in html
    assert html.count('<th scope="col">') == 6
    assert html.count('<th scope="row">') == 5
    for words in ("Very Low", "2.5% or less", "Low", "2.6% to 5.0%", "Very High",
                  "20.1% or more", "Declined Significantly", "-3.0 or less",
                  "Increased Significantly", "3.1 or more"):
        assert words in html, words
    # 8.0 and -0.3: Medium, Maintained, placed in words; no student count, so no colour.
    cells = re.findall(r'<td class="dash-cell dash-(\w+)( dash-placed)?">(\w+)', html)
    assert len(cells) == 25
    assert [(css, colour) for css, placed, colour in cells if placed] == [("yellow", "Yellow")]
    assert "placed here (no colour given)" in html
    assert all(css == colour.lower() for css, _, colour in cells)
    assert html.count("placed here") == 2  # the caption's promise and the cell
    assert "Row “Medium”, column “Maintained”" in html
    assert "No colour: The number of students is not recorded" in html
    assert ("Change needed to reach Green:</strong> Fall by at least 0.5 percentage points "
            "next year, from 8.0% to 7.5% or lower, for Green or better.") in html


def test_the_metric_page_shows_the_grid_for_a_metric_with_a_scale(client, users, loaded):
    metric = MetricFactory(unit="percent", direction="lower", dashboard_scale=loaded,
                           name="Chronic absenteeism")
    ReadingFactory(metric=metric, period="2022-23", value=Decimal("12.4"))
    ReadingFactory(metric=metric, period="2023-24", value=Decimal("10.9"))
    plain = MetricFactory(unit="percent", pillar=metric.pillar)
    rebuild()
    client.force_login(users["leadership"])
    html = client.get(reverse("metrics:metric", args=[metric.plan.slug, metric.code])
                      ).content.decode()
    assert "California School Dashboard: Chronic Absenteeism Indicator" in html
    # 10.9 (High), down 1.5 from 12.4 (Declined): the Yellow cell, marked in words.
    assert "Row “High”, column “Declined”" in html
    assert re.search(r'<td class="dash-cell dash-yellow dash-placed">Yellow<br><strong>'
                     r'placed here \(no colour given\)</strong>', html)
    assert "Fall by at least 0.9 percentage points next year, from 10.9% to 10.0% or " \
           "lower, for Green or better." in html
    other = client.get(reverse("metrics:metric", args=[plain.plan.slug, plain.code]))
    assert "California School Dashboard" not in other.content.decode()


def test_the_grid_costs_the_metric_page_one_query(client, users, loaded,
                                                   django_assert_num_queries):
    with_scale = MetricFactory(unit="percent", dashboard_scale=loaded)
    without = MetricFactory(unit="percent", pillar=with_scale.pillar)
    for metric in (with_scale, without):
        ReadingFactory(metric=metric, period="2022-23", value=Decimal("12.4"))
        ReadingFactory(metric=metric, period="2023-24", value=Decimal("10.9"))
    rebuild()
    client.force_login(users["leadership"])
    client.get(reverse("metrics:metric", args=[without.plan.slug, without.code]))  # warm up
    cache.clear()  # both pages built, not served whole from the page cache
    with CaptureQueriesContext(connection) as plain:
        client.get(reverse("metrics:metric", args=[without.plan.slug, without.code]))
    cache.clear()
    with django_assert_num_queries(len(plain.captured_queries) + 1):
        client.get(reverse("metrics:metric", args=[with_scale.plan.slug, with_scale.code]))


def _admin_form(scale, **overrides):
    data = {name: getattr(scale, name) for name in (
        "code", "indicator", "applies_to", "direction", "decimals", "value_min", "value_max",
        "value_suffix", "change_unit", "min_n", "small_n", "source", "source_url",
        "verification")}
    data.update({name: json.dumps(getattr(scale, name))
                 for name in ("status_levels", "change_levels", "colours")})
    return {**data, **overrides}


def test_the_admin_shows_a_scale_and_refuses_a_broken_one(client, users, loaded):
    client.force_login(users["administrator"])
    url = reverse("admin:metrics_dashboardscale_change", args=[loaded.pk])
    assert "Chronic Absenteeism Indicator" in client.get(url).content.decode()
    levels = [dict(level) for level in loaded.status_levels]
    levels[1]["min"] = "2.7"
    response = client.post(url, _admin_form(loaded, status_levels=json.dumps(levels)))
    assert response.status_code == 200
    assert "The status levels leave a gap or overlap between Very Low and Low." in (
        response.content.decode())
    loaded.refresh_from_db()
    assert loaded.status_levels[1]["min"] == "2.6"
