"""The 2023-24 narrative (fixtures/lacoe/highlights-2023-24.yaml): word for word the
published report's, placed by the rule at the top of the file, loaded by load_plan."""

import re

import pytest
import yaml
from django.urls import reverse

from reports import loading
from reports.models import Highlight

from ..conftest import LACOE_FIXTURES

FIXTURE = LACOE_FIXTURES / "highlights-2023-24.yaml"
SOURCE = LACOE_FIXTURES / "sources" / "annual-report-2023-24.txt"


def _collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def _data():
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


def test_every_text_is_verbatim_in_the_published_report():
    report = _collapse(SOURCE.read_text(encoding="utf-8"))
    missing = [
        text for entry in _data()["highlights"] for text in loading.texts(entry["blocks"])
        if _collapse(text) not in report
    ]
    assert missing == []


def test_the_placement_rule_is_written_at_the_top():
    head = FIXTURE.read_text(encoding="utf-8").split("\nplan:")[0]
    assert "Placement rule" in head
    for page in ("Superintendent's message", "Achievements for 2023-24",
                 "Los Angeles County Office of Education Schools", "Future Direction"):
        assert page in head


def test_the_introduction_and_every_pillar_have_their_narrative_once():
    slugs = [entry["pillar"] for entry in _data()["highlights"]]
    assert slugs == [None, "improve-student-outcomes", "care-and-wellbeing",
                     "community-children-at-center", "communicate-effectively",
                     "organizational-excellence"]


def test_fragments_join_as_printed():
    assert loading.join(["during the 2023-", "24 legislative session."]) == (
        "during the 2023-24 legislative session.")
    assert loading.join(["6-12 grade", "levels, LACOE"]) == "6-12 grade levels, LACOE"


@pytest.mark.django_db
def test_load_plan_loads_them_as_the_2023_24_highlights(lacoe):
    written = {h.pillar.slug if h.pillar else None: h.body
               for h in Highlight.objects.filter(plan=lacoe, school_year="2023-24")
               .select_related("pillar")}
    assert set(written) == {None, *lacoe.pillars.values_list("slug", flat=True)}
    assert written[None].startswith(
        "### A Message from the Los Angeles County Superintendent of Schools")
    assert "during the 2023-24 legislative session." in written["organizational-excellence"]
    assert ("for both K-5 and 6-12 grade levels, LACOE is working to close"
            in written["improve-student-outcomes"])
    # loading again changes nothing
    assert loading.load_directory(LACOE_FIXTURES, lacoe) == 0


def test_the_report_page_shows_them(client, users, lacoe):
    client.force_login(users["comms"])
    html = client.get(reverse("reports:report", args=[lacoe.slug, "2023-24"])).content.decode()
    assert "No highlights written" not in html and "No introduction written" not in html
    assert "Debra Duardo, M.S.W., Ed.D." in html
    assert "<strong>Legislative Advocacy</strong> Emerging as a prominent leader" in html
    assert "Edit the highlights of Pillar 5" in html and "Edit the introduction" in html
