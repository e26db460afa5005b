"""The plan's content in Spanish (issue 18): the LACOE translation, the fallback to English
marked lang="en", the unofficial-translation note, the administrators' list of what is
missing, the Spanish highlights and the Spanish exports."""

import subprocess
from pathlib import Path

import pytest
import yaml
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from metrics.loading import LoadError, load_directory
from metrics.models import Metric
from metrics.translated_content import approve_spanish, load_translation, missing
from pillars.models import Goal, Pillar, PriorityArea, Program
from reports import services
from reports.models import Highlight

from ..factories import MetricFactory, PillarFactory, PlanFactory
from .conftest import need_poppler, need_weasyprint, squash
from .factories import HighlightFactory
from .render.conftest import YEAR
from .render.test_pdf import _pdf_objects

LACOE = Path(__file__).resolve().parents[2] / "fixtures" / "lacoe"
# Proper names a Spanish text keeps as they are (programs, platforms, titles).
SAME_IN_SPANISH = {"GAIN", "PRISM", "eLibrary", "Getting Reading Right", "Delete the Divide",
                   "Ed Buzz L.A. County", "Alcance en Facebook", "Inglewood USD"}


def _translation():
    return yaml.safe_load((LACOE / "translation-es.yaml").read_text(encoding="utf-8"))


def _english(name):
    return yaml.safe_load((LACOE / name).read_text(encoding="utf-8"))


def test_the_lacoe_translation_covers_every_text_of_the_plan_and_report():
    spanish = _translation()["content"]
    plan = _english("plan.yaml")
    assert set(spanish["pillars"]) == {p["slug"] for p in plan["pillars"]}
    assert set(spanish["priority_areas"]) == {
        a["code"] for p in plan["pillars"] for a in p["priority_areas"]}
    assert set(spanish["goals"]) == {
        g["code"] for p in plan["pillars"] for a in p["priority_areas"] for g in a["goals"]}
    assert set(spanish["programs"]) == {p["slug"] for p in plan["programs"]}
    figures = _english("figures-2023-24.yaml")["metrics"]
    assert set(spanish["metrics"]) == {m["code"] for m in figures}
    for metric in figures:
        if metric.get("headline_label"):
            assert spanish["metrics"][metric["code"]].get("headline_label"), metric["code"]
    assert len(spanish["plan"]["values"]) == len(plan["plan"]["values"])


def _kind(block):
    return "text" if isinstance(block, (str, list)) else next(iter(sorted(block)))


def test_the_spanish_highlights_mirror_the_english_ones_block_for_block():
    english = _english("highlights-2023-24.yaml")["highlights"]
    spanish = _translation()["highlights"]["entries"]
    assert [e["pillar"] for e in spanish] == [e["pillar"] for e in english]
    for en, es in zip(english, spanish, strict=True):
        assert len(es["blocks"]) == len(en["blocks"]), en["pillar"]
        for a, b in zip(en["blocks"], es["blocks"], strict=True):
            assert _kind(a) == _kind(b), (en["pillar"], a, b)


def test_no_spanish_text_is_the_english_one_left_untranslated():
    spanish = _translation()["content"]
    plan = _english("plan.yaml")
    english = {p["slug"]: p for p in plan["pillars"]}
    for slug, texts in spanish["pillars"].items():
        assert texts["name"] != english[slug]["name"]
        assert texts["commitment"] != english[slug]["commitment"]
    figures = {m["code"]: m for m in _english("figures-2023-24.yaml")["metrics"]}
    for code, texts in spanish["metrics"].items():
        for field, text in texts.items():
            if text in SAME_IN_SPANISH:
                continue
            assert text != figures[code][field], (code, field)


def test_loading_lacoe_writes_spanish_beside_english_and_is_idempotent(lacoe_plan):
    pillar = Pillar.objects.get(plan=lacoe_plan, order=1)
    assert pillar.name_en == "Improve Student Outcomes"
    assert pillar.name_es == "Mejorar los resultados de los estudiantes"
    with translation.override("es"):
        assert Pillar.objects.get(pk=pillar.pk).name == pillar.name_es
        assert lacoe_plan.value_list[0] == "Equidad"
        intro = Highlight.objects.get(plan=lacoe_plan, pillar=None)
        assert intro.body.startswith("### Mensaje de la Superintendente")
    with translation.override("en"):
        assert Pillar.objects.get(pk=pillar.pk).name == "Improve Student Outcomes"
    assert load_translation(_translation(), lacoe_plan) == 0  # unchanged: nothing written
    assert not missing(lacoe_plan)
    assert Metric.objects.filter(plan=lacoe_plan, name_es__isnull=True).count() == 0


def test_loading_in_a_spanish_request_still_writes_the_english_versions(lacoe_plan):
    with translation.override("es"):
        load_directory(LACOE)
    area = PriorityArea.objects.get(pillar__plan=lacoe_plan, code="literacy-numeracy")
    assert area.name_en == "Literacy and numeracy"
    assert area.name_es == "Lectoescritura y aritmética"


def test_a_bad_translation_file_loads_nothing(lacoe_plan):
    data = _translation()
    data["content"]["goals"]["no-such-goal"] = {"statement": "Nada."}
    data["content"]["pillars"]["improve-student-outcomes"]["name"] = "Otro nombre"
    with pytest.raises(Exception, match="no-such-goal"):
        load_translation(data, lacoe_plan)
    assert Pillar.objects.get(plan=lacoe_plan, order=1).name_es.startswith("Mejorar")
    with pytest.raises(Exception, match="translatable"):
        load_translation({**data, "content": {"goals": {"literacy-numeracy-gains": {
            "code": "x"}}}}, lacoe_plan)


def test_a_translation_for_another_plan_is_refused(lacoe_plan):
    with pytest.raises(Exception, match="written for plan"):
        load_translation({**_translation(), "plan": "other"}, lacoe_plan)
    assert LoadError  # the loader turns these into LoadError for `load_plan`


def _render(source, **context):
    return Template("{% load content %}" + source).render(Context(context))


@pytest.mark.django_db
def test_english_shown_on_a_spanish_page_is_marked_lang_en():
    pillar = PillarFactory(name="Reading <first>", commitment="We read.")
    with translation.override("es"):
        html = _render('{% tr pillar "name" %}|{% fallback_lang pillar "commitment" %}',
                       pillar=pillar)
    assert html == '<span lang="en">Reading &lt;first&gt;</span>|en'
    pillar.name_es = "Leer <primero>"
    pillar.commitment_es = "Leemos."
    pillar.save()
    with translation.override("es"):
        html = _render('{% tr pillar "name" %}|{% fallback_lang pillar "commitment" %}',
                       pillar=Pillar.objects.get(pk=pillar.pk))
    assert html == "Leer &lt;primero&gt;|"
    with translation.override("en"):
        assert _render('{% tr pillar "name" %}', pillar=pillar) == "Reading &lt;first&gt;"


@pytest.mark.django_db
def test_spanish_pages_say_unofficial_until_an_administrator_approves(users):
    plan = PlanFactory()
    with translation.override("es"):
        assert "translation-note" in _render("{% translation_note plan %}", plan=plan)
        assert _render("{% translation_note plan %}", plan="") == ""
    with translation.override("en"):
        assert _render("{% translation_note plan %}", plan=plan) == ""
    approve_spanish(plan, users["administrator"])
    plan.refresh_from_db()
    assert plan.spanish_is_official and plan.spanish_approved_by == users["administrator"]
    with translation.override("es"):
        assert _render("{% translation_note plan %}", plan=plan) == ""


def test_a_changed_translation_withdraws_the_approval(lacoe_plan, users):
    approve_spanish(lacoe_plan, users["administrator"])
    data = _translation()
    data["content"]["goals"]["literacy-numeracy-gains"]["statement"] = "Otra meta."
    assert load_translation(data, lacoe_plan) == 1
    lacoe_plan.refresh_from_db()
    assert not lacoe_plan.spanish_is_official


@pytest.mark.django_db
def test_the_missing_page_lists_what_has_no_spanish_for_administrators_only(client, users):
    plan = PlanFactory(slug="translated")
    MetricFactory(pillar=PillarFactory(plan=plan, name="Only English"), name="Metric <b>")
    HighlightFactory(pillar=Pillar.objects.get(plan=plan), body="Body in English")
    url = reverse("reports:translations", args=[plan.slug])
    assert client.get(url).status_code == 302
    for name in ("steward", "lead", "comms", "leadership", "outsider"):
        client.force_login(users[name])
        assert client.get(url).status_code == 403, name
    client.force_login(users["administrator"])
    page = client.get(url).content.decode()
    assert "Only English" in page and "Body in English" in page
    assert "Metric &lt;b&gt;" in page and "<b>" not in page.split("Metric")[1][:10]
    assert reverse("admin:pillars_pillar_change", args=[Pillar.objects.get(plan=plan).pk]) in page
    assert client.get(reverse("reports:translations", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_the_admin_edits_both_versions_of_a_pillar(client, users):
    pillar = PillarFactory()
    client.force_login(users["administrator"])
    page = client.get(reverse("admin:pillars_pillar_change", args=[pillar.pk])).content.decode()
    assert 'name="name_en"' in page and 'name="name_es"' in page
    assert 'name="commitment_es"' in page


@pytest.mark.django_db
def test_the_highlight_form_saves_each_version_to_its_own_field(client, users):
    highlight = HighlightFactory(body="English text")
    plan, pillar = highlight.plan, highlight.pillar
    client.force_login(users["comms"])
    url = reverse("reports:highlight_pillar", args=[plan.slug, "2023-24", pillar.slug])
    with translation.override("es"):  # a Spanish page must not write the English field
        response = client.post(url, {"body": "English, edited", "body_es": "Texto en español",
                                     "action": "save"})
    assert response.status_code == 302
    highlight.refresh_from_db()
    assert (highlight.body_en, highlight.body_es) == ("English, edited", "Texto en español")
    history = highlight.history.first()
    assert history.body_es == "Texto en español"  # the Spanish version is in its history


def test_a_spanish_pdf_holds_each_pillars_spanish_name_and_its_callouts(lacoe):
    need_weasyprint()
    need_poppler()
    data = services.produce(lacoe, YEAR, "pdf", language="es")
    text = squash(subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
                                 input=data, capture_output=True, check=True).stdout.decode())
    for pillar in Pillar.objects.filter(plan=lacoe):
        assert squash(pillar.name_es) in text, pillar.name_es
        assert squash(pillar.commitment_es) in text
        for metric in Metric.objects.filter(pillar=pillar, is_headline=True):
            assert squash(metric.headline_label_es) in text, metric.code
    assert "Mensaje de la Superintendente" in text
    assert "/Lang (es)" in _pdf_objects(data)  # read aloud as Spanish


def test_the_export_command_writes_the_chosen_language(lacoe, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "report.docx"
    call_command("export_annual_report", "--year", YEAR, "--format", "docx", "--output",
                 str(out), "--plan", lacoe.slug, "--language", "es")
    from docx import Document

    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "Mejorar los resultados de los estudiantes" in text


@pytest.mark.django_db
def test_the_export_page_offers_each_language_and_the_job_keeps_it(
        client, users, lacoe_plan, django_capture_on_commit_callbacks):
    client.force_login(users["comms"])
    url = reverse("reports:export", args=[lacoe_plan.slug, YEAR])
    page = client.get(url).content.decode()
    assert 'name="language" value="es"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"format": "docx", "language": "es",
                                     "pillars": [p.slug for p in lacoe_plan.pillars.all()]})
    assert response.status_code == 302
    from reports.models import ExportJob

    job = ExportJob.objects.latest("pk")
    assert job.language == "es" and job.filename.endswith("-es.docx")
    for bad in ("fr", "<script>", "=1+1", "１", "e" * 10_000):
        response = client.post(url, {"format": "docx", "language": bad,
                                     "pillars": [p.slug for p in lacoe_plan.pillars.all()]})
        assert response.status_code == 200  # the form again, with its message
    assert Goal.objects.exists() and Program.objects.exists()
