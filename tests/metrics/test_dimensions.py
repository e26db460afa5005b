"""Districts with their CDS codes and the Dashboard student groups with their CDE codes:
the model rules, the districts file (service and command) and the groups fixture."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from metrics.imports.report import UploadError
from metrics.models import District, DistrictKind, StudentGroup
from metrics.services.dimensions import (
    MAX_DISTRICT_FILE_BYTES,
    STUDENT_GROUPS_FILE,
    districts_load_file,
    student_groups_load,
)

from ..factories import DistrictFactory, PlanFactory

pytestmark = pytest.mark.django_db

HEADER = "cds_code,name,kind\n"
INGLEWOOD = "19646340000000,Inglewood Unified,district\n"
CHARTER = "19647330117846,A Charter Academy,charter\n"
LACOE = "19101990000000,Los Angeles County Office of Education,county office\n"


def upload(text, name="districts.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding) if isinstance(text, str) else text)


def load(text, plan, **kwargs):
    return districts_load_file(uploaded_file=upload(text, **kwargs), plan=plan)


def refusal(text, plan, **kwargs):
    with pytest.raises(UploadError) as caught:
        load(text, plan, **kwargs)
    return " ".join(caught.value.messages)


def stored():
    return sorted(District.objects.filter(is_total=False).values_list("cds_code", "name", "kind"))


# --- The model ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "message"),
    [
        ("1964634000000", DistrictKind.DISTRICT, "has 14 digits and nothing else"),
        ("19646340000000x", DistrictKind.DISTRICT, "has 14 digits and nothing else"),
        ("1964634000000a", DistrictKind.DISTRICT, "has 14 digits and nothing else"),
        ("99646340000000", DistrictKind.DISTRICT, "58 county codes"),
        ("00646340000000", DistrictKind.DISTRICT, "58 county codes"),
        ("19646340000000", DistrictKind.CHARTER, "a charter LEA reports under its school"),
        ("19647330117846", DistrictKind.DISTRICT, "is a school's code"),
        ("19647330117846", DistrictKind.COUNTY_OFFICE, "is a school's code"),
    ],
)
def test_a_bad_cds_code_is_refused_with_its_reason(code, kind, message):
    district = District(code="d", name="D", cds_code=code, kind=kind)
    with pytest.raises(ValidationError) as caught:
        district.full_clean()
    assert message in " ".join(caught.value.message_dict["cds_code"])


def test_cds_codes_are_unique_where_set_and_blank_is_allowed_many_times():
    DistrictFactory(cds_code="")
    DistrictFactory(cds_code="")  # no CDS code twice: allowed
    DistrictFactory(cds_code="19646340000000")
    twin = District(code="twin", name="Twin", cds_code="19646340000000")
    with pytest.raises(ValidationError, match="Another district has this CDS code"):
        twin.full_clean()


def test_the_county_wide_row_has_no_cds_code():
    total = District.objects.total()
    total.cds_code = "19646340000000"
    with pytest.raises(ValidationError, match="stands for no one LEA"):
        total.full_clean()


def test_cde_codes_are_unique_where_set_and_capital_letters():
    StudentGroup.objects.create(code="a", name="A", cde_code="")
    StudentGroup.objects.create(code="b", name="B", cde_code="")
    StudentGroup.objects.create(code="el", name="EL", cde_code="EL")
    with pytest.raises(ValidationError, match="Another student group has this CDE code"):
        StudentGroup(code="el2", name="EL 2", cde_code="EL").full_clean()
    with pytest.raises(ValidationError, match="capital letters"):
        StudentGroup(code="x", name="X", cde_code="ltel").full_clean()


# --- The Dashboard student groups -------------------------------------------------------


DASHBOARD = {
    "ALL": "All students", "EL": "English Learners", "LTEL": "Long-Term English Learners",
    "FOS": "Foster Youth", "HOM": "Homeless Youth", "SED": "Socioeconomically Disadvantaged",
    "SWD": "Students with Disabilities", "AA": "African American",
    "AI": "American Indian or Alaska Native", "AS": "Asian", "FI": "Filipino",
    "HI": "Hispanic", "PI": "Pacific Islander", "WH": "White", "MR": "Two or More Races",
}
RACE_ETHNICITY = {"AA", "AI", "AS", "FI", "HI", "PI", "WH", "MR"}


def test_the_dashboard_groups_load_with_their_cde_codes_apart_from_their_slugs():
    result = student_groups_load()
    assert len(result.created) == 14 and [g.is_total for g in result.updated] == [True]
    assert dict(StudentGroup.objects.values_list("cde_code", "name")) == DASHBOARD
    ltel = StudentGroup.objects.get(cde_code="LTEL")
    assert ltel.code == "long-term-english-learners"  # a slug, not the code
    assert StudentGroup.objects.total().cde_code == "ALL"
    assert set(StudentGroup.objects.race_ethnicity().values_list("cde_code", flat=True)) == (
        RACE_ETHNICITY)
    assert not StudentGroup.objects.filter(plans__isnull=False).exists()  # linked to no plan


def test_loading_the_groups_twice_changes_nothing_and_a_plan_links_them_once():
    student_groups_load()
    plan = PlanFactory()
    linked = student_groups_load(plan=plan)
    assert (len(linked.created), len(linked.updated), linked.linked) == (0, 0, 14)
    again = student_groups_load(plan=plan)
    assert (len(again.unchanged), again.linked) == (15, 0)
    assert set(StudentGroup.objects.own(plan).values_list("cde_code", flat=True)) == (
        set(DASHBOARD) - {"ALL"})


def test_the_fixture_names_its_source_and_every_entry_is_verified():
    data = yaml.safe_load(STUDENT_GROUPS_FILE.read_text(encoding="utf-8"))
    assert data["source"]["url"].startswith("https://www.cde.ca.gov/")
    assert data["source"]["read"]
    assert all(entry["verified"] is True for entry in data["groups"])
    assert {e["cde_code"] for e in data["groups"] if e["category"] == "race_ethnicity"} == (
        RACE_ETHNICITY)


def test_a_group_entry_that_breaks_a_rule_stores_nothing(tmp_path):
    bad = tmp_path / "groups.yaml"
    bad.write_text(yaml.safe_dump({"groups": [
        {"code": "el", "name": "English Learners", "cde_code": "EL"},
        {"code": "bad", "name": "Bad", "cde_code": "not a code"},
    ]}))
    with pytest.raises(ValidationError):
        student_groups_load(path=bad)
    assert not StudentGroup.objects.filter(is_total=False).exists()


def test_the_groups_command(capsys):
    plan = PlanFactory(slug="some-plan")
    call_command("load_student_groups", "--plan", "some-plan")
    assert "14 new, 1 updated, 0 unchanged; 14 newly linked to" in capsys.readouterr().out
    call_command("load_student_groups")
    assert "0 new, 0 updated, 15 unchanged." in capsys.readouterr().out
    assert StudentGroup.objects.own(plan).count() == 14
    with pytest.raises(CommandError, match="No plan has the slug 'nope'"):
        call_command("load_student_groups", "--plan", "nope")


# --- The districts file -----------------------------------------------------------------


def test_a_districts_file_loads_links_to_the_plan_and_loads_again_unchanged():
    plan = PlanFactory()
    result = load(HEADER + INGLEWOOD + CHARTER + LACOE, plan)
    assert (len(result.created), result.linked) == (3, 3)
    assert stored() == [
        ("19101990000000", "Los Angeles County Office of Education", "county_office"),
        ("19646340000000", "Inglewood Unified", "district"),
        ("19647330117846", "A Charter Academy", "charter"),
    ]
    assert set(District.objects.own(plan)) == set(District.objects.filter(is_total=False))
    assert District.objects.get(cds_code="19646340000000").code == "inglewood-unified"
    again = load(HEADER + INGLEWOOD + CHARTER + LACOE, plan)
    assert (len(again.created), len(again.updated), len(again.unchanged), again.linked) == (
        0, 0, 3, 0)


def test_a_changed_name_updates_in_place_and_keeps_the_slug():
    plan = PlanFactory()
    load(HEADER + INGLEWOOD, plan)
    result = load(HEADER + "19646340000000,Inglewood Unified School District,district\n", plan)
    assert [d.name for d in result.updated] == ["Inglewood Unified School District"]
    district = District.objects.get(cds_code="19646340000000")
    assert district.code == "inglewood-unified"
    assert District.objects.filter(is_total=False).count() == 1


def test_the_code_column_names_a_new_districts_slug_and_never_renames_one():
    plan = PlanFactory()
    load("cds_code,name,kind,code\n19646340000000,Inglewood Unified,district,iusd\n", plan)
    again = load("cds_code,name,kind,code\n19646340000000,Inglewood Unified,district,other\n",
                 plan)
    assert len(again.unchanged) == 1
    assert District.objects.get(cds_code="19646340000000").code == "iusd"
    text = refusal("cds_code,name,kind,code\n19647330117846,A Charter,charter,Not A Slug\n",
                   plan)
    assert "Line 2: the code “Not A Slug” is not a slug" in text
    DistrictFactory(code="taken")
    text = refusal("cds_code,name,kind,code\n19647330117846,A Charter,charter,taken\n", plan)
    assert "Line 2: District with this Code already exists." in text


def test_a_district_without_a_code_yet_gets_it_by_its_name():
    plan = PlanFactory()
    old = DistrictFactory(name="Inglewood Unified", code="iusd", cds_code="")
    load(HEADER + INGLEWOOD, plan)
    old.refresh_from_db()
    assert (old.cds_code, old.code) == ("19646340000000", "iusd")


def test_a_second_plan_links_the_same_rows():
    first, second = PlanFactory(), PlanFactory()
    load(HEADER + INGLEWOOD, first)
    result = load(HEADER + INGLEWOOD, second)
    assert (len(result.unchanged), result.linked) == (1, 1)
    assert District.objects.get(cds_code="19646340000000").plans.count() == 2


def test_bom_semicolons_hyphenated_codes_and_kind_words_are_read():
    plan = PlanFactory()
    text = ("\ufeffCDS Code;Name;Kind\n19-64634-0000000;Inglewood Unified;School district\n"
            "19 10199 0000000;LACOE;COE\n")
    load(text, plan)
    assert stored() == [("19101990000000", "LACOE", "county_office"),
                        ("19646340000000", "Inglewood Unified", "district")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1964634000000,Inglewood Unified,district", "13 digits: a spreadsheet may have dropped"),
        ("19646340,Inglewood Unified,district", "is not a CDS code"),
        (",Inglewood Unified,district", "the CDS code is missing"),
        ("19646340000000,,district", "the name is missing"),
        ("19646340000000,Inglewood Unified,school", "the kind “school” is not one of"),
        ("19646340000000,Inglewood Unified,charter", "a charter LEA reports under its school"),
        ("19646340000000,=HYPERLINK(\"http://x\"),district", "starts like a formula"),
        ("19646340000000,@SUM(A1),district", "starts like a formula"),
        ("19646340000000," + "x" * 201 + ",district", "longer than 200 characters"),
    ],
)
def test_a_refused_line_says_why_and_nothing_is_stored(line, message):
    plan = PlanFactory()
    text = refusal(HEADER + CHARTER + line + "\n", plan)
    assert text.startswith("Line 3: ") and message in text
    assert "Nothing was loaded" in text
    assert stored() == []


def test_duplicates_in_the_file_are_refused_with_both_lines():
    plan = PlanFactory()
    text = refusal(HEADER + INGLEWOOD + CHARTER
                   + "19646340000000,Inglewood (again),district\n"
                   + "19647330117853,a charter academy,charter\n", plan)
    assert "Line 4: the CDS code is also on line 2." in text
    assert "Line 5: the name is also on line 3." in text
    assert stored() == []


def test_a_name_another_district_holds_refuses_the_file_and_rolls_back():
    plan = PlanFactory()
    DistrictFactory(name="A Charter Academy", cds_code="19647330117853",
                    kind=DistrictKind.CHARTER)
    text = refusal(HEADER + INGLEWOOD + CHARTER, plan)
    assert "Line 3: District with this Name already exists." in text
    assert stored() == [("19647330117853", "A Charter Academy", "charter")]  # Inglewood too


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "districts.csv", "The file is empty."),
        (b"cds_code,name\n19646340000000,Inglewood\n", "districts.csv", "kind is missing"),
        (b"cds_code,name,kind\n", "districts.csv", "header line but no districts"),
        ("cds_code,name,kind\n19646340000000,Inglewood Unified,district\n".encode("utf-16"),
         "districts.csv", "binary data"),
        ("cds_code,name,kind\n19646340000000,Inglewöod,district\n".encode("latin-1"),
         "districts.csv", "not in UTF-8"),
        (b"\x00\x01\x02binary", "districts.csv", "binary data"),
        (b"PK\x03\x04 not really", "districts.xlsx", "Upload a .csv file"),
        (b"cds_code,name,kind\n\"19646340000000,Ingle\"wood\",district\n", "districts.csv",
         None),
    ],
)
def test_a_hostile_or_wrong_file_is_refused_with_a_message(content, name, message):
    plan = PlanFactory()
    with pytest.raises(UploadError) as caught:
        districts_load_file(uploaded_file=SimpleUploadedFile(name, content), plan=plan)
    if message:
        assert message in " ".join(caught.value.messages)
    assert stored() == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    plan = PlanFactory()
    big = HEADER + INGLEWOOD * (MAX_DISTRICT_FILE_BYTES // len(INGLEWOOD) + 1)
    assert "at most 1 MB" in refusal(big, plan)


def test_more_lines_than_allowed_are_refused():
    plan = PlanFactory()
    lines = "".join(f"19{n:05d}0000000,District {n},district\n" for n in range(10000, 15002))
    assert "more than 5,000 lines" in refusal(HEADER + lines, plan)


# --- The command ------------------------------------------------------------------------


def test_the_districts_command_loads_and_reports(tmp_path, capsys):
    plan = PlanFactory(slug="some-plan")
    path = tmp_path / "districts.csv"
    path.write_text(HEADER + INGLEWOOD + CHARTER, encoding="utf-8")
    call_command("load_districts", str(path), "--plan", "some-plan")
    assert "2 new, 0 updated, 0 unchanged; 2 newly linked" in capsys.readouterr().out
    call_command("load_districts", str(path), "--plan", "some-plan")
    assert "0 new, 0 updated, 2 unchanged; 0 newly linked" in capsys.readouterr().out
    assert District.objects.own(plan).count() == 2


def test_the_districts_command_fails_with_the_reasons(tmp_path):
    PlanFactory(slug="some-plan")
    path = tmp_path / "districts.csv"
    path.write_text(HEADER + "123,Inglewood Unified,district\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Line 2: “123” is not a CDS code"):
        call_command("load_districts", str(path), "--plan", "some-plan")
    with pytest.raises(CommandError, match="No plan has the slug"):
        call_command("load_districts", str(path), "--plan", "nope")
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_districts", str(tmp_path / "missing.csv"), "--plan", "some-plan")
    assert stored() == []

