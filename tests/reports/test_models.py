"""Report models: a highlight belongs to a year of its plan, a school year is written as
metrics.periods writes it, and each user sees only the export jobs they may."""

import pytest
from django.urls import reverse

from reports.models import ExportJob, Highlight

from ..factories import PillarFactory
from .factories import ExportJobFactory, HighlightFactory


@pytest.fixture
def pillar(db):
    return PillarFactory(slug="literacy", order=1, name="Literacy")


def test_a_highlight_belongs_to_a_year_of_its_plan(pillar):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="outside the plan"):
        Highlight(plan=pillar.plan, pillar=pillar, school_year="2030-31").full_clean()
    with pytest.raises(ValidationError, match="not a school year"):
        Highlight(plan=pillar.plan, pillar=pillar, school_year="2023-25").full_clean()
    other = PillarFactory()
    with pytest.raises(ValidationError, match="another plan"):
        Highlight(plan=pillar.plan, pillar=other, school_year="2023-24").full_clean()
    HighlightFactory(pillar=pillar)
    with pytest.raises(ValidationError, match="already has highlights"):
        Highlight(plan=pillar.plan, pillar=pillar, school_year="2023-24").full_clean()


def test_administrators_see_every_export_and_owners_only_theirs(client, users, small_plan):
    mine = ExportJobFactory(user=users["comms"], plan=small_plan)
    theirs = ExportJobFactory(user=users["leadership"], plan=small_plan)
    assert set(ExportJob.objects.visible_to(users["administrator"])) == {mine, theirs}
    assert set(ExportJob.objects.visible_to(users["comms"])) == {mine}
    assert not ExportJob.objects.visible_to(users["steward"]).exists()
    client.force_login(users["administrator"])
    html = client.get(reverse("reports:job", args=[theirs.pk])).content.decode()
    assert "by leadership" in html
