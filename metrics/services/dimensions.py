"""Loading districts and student groups: the districts CSV (command and admin upload), the
LACOE plan's own districts (metrics/loading.py) and the Dashboard student groups fixture.

Rules, each here once:
- A district is matched on its CDS code (else on its name, when that row has no code yet),
  so loading the same file twice changes nothing and a changed name updates in place; its
  slug, once given, stays (URLs, imports and exports use it).
- Every line is checked before anything is written, and nothing is written when any line
  is refused: a file is loaded whole or not at all, with every refused line's reason.
- A student group is matched on its CDE code (else on its slug); the "All students" row
  is the total row (metrics/apps.py creates it) and only gets its code.
"""

import csv
import itertools
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import yaml
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify

from ..imports.files import csv_records, sniff_delimiter, utf8_lines
from ..imports.report import UploadError
from ..models import District, DistrictKind, GroupCategory, StudentGroup
from ..models.dimensions import cds_code_problem
from ..rowformat import FORMULA_START

# California has about 1,000 districts and 1,300 charter schools: 5,000 lines is room to
# spare, and 1 MB holds them many times over.
MAX_DISTRICT_FILE_BYTES = 1024 * 1024
MAX_DISTRICT_LINES = 5_000
MAX_LINE_MESSAGES = 50
NOTHING_LOADED = "Nothing was loaded: correct these lines and load the file again."
DISTRICT_COLUMNS = ("cds_code", "name", "kind")
OPTIONAL_COLUMNS = ("code",)
DISTRICTS_HELP = (
    "A .csv file (UTF-8) of at most 1 MB and 5,000 lines. The first line names the columns "
    "cds_code, name and kind (district, charter or county office); an optional column code "
    "gives a new district's slug. The whole file is loaded or, when any line is refused, "
    "none of it."
)
# What people write in the kind column, to the kind it means.
KIND_WORDS = {
    **{kind.value: kind for kind in DistrictKind},
    **{kind.label.lower(): kind for kind in DistrictKind},
    "school district": DistrictKind.DISTRICT,
    "charter": DistrictKind.CHARTER,
    "charter school": DistrictKind.CHARTER,
    "county office": DistrictKind.COUNTY_OFFICE,
    "coe": DistrictKind.COUNTY_OFFICE,
}
STUDENT_GROUPS_FILE = (Path(__file__).resolve().parents[2] / "fixtures" / "dimensions"
                       / "student-groups.yaml")


@dataclass(slots=True)
class DistrictLine:
    line: int
    cds_code: str
    name: str
    kind: str
    code: str = ""


@dataclass
class LoadResult:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    linked: int = 0  # rows newly linked to the plan

    def summary(self, plan=None):
        counts = (f"{len(self.created)} new, {len(self.updated)} updated, "
                  f"{len(self.unchanged)} unchanged")
        return f"{counts}; {self.linked} newly linked to {plan}." if plan else f"{counts}."


# --- The districts file -----------------------------------------------------------


def districts_load_file(*, uploaded_file, plan):
    """Read, check and load a districts CSV for `plan`; a LoadResult. Raises UploadError
    (its messages for people) when the file or any line is refused: then nothing changed."""
    return districts_load(lines=read_districts_file(uploaded_file), plan=plan)


def read_districts_file(uploaded_file):
    """The lines of a districts CSV as DistrictLine, every line checked; raises UploadError
    with each refused line's reason (the first MAX_LINE_MESSAGES of them)."""
    if not isinstance(uploaded_file, File):
        uploaded_file = File(uploaded_file)
    size = uploaded_file.size
    if size > MAX_DISTRICT_FILE_BYTES:
        raise UploadError(f"The file is {size / 1024 / 1024:.1f} MB; a districts file may be "
                          "at most 1 MB.")
    if not size:
        raise UploadError("The file is empty.")
    if PurePath(uploaded_file.name or "").suffix.lower() not in (".csv", ".txt", ""):
        raise UploadError("Upload a .csv file (in Excel: Save as › CSV UTF-8).")
    uploaded_file.seek(0)
    lines = utf8_lines(uploaded_file)
    try:
        first = next(lines, "")
        reader = csv.reader(itertools.chain([first], lines), delimiter=sniff_delimiter(first))
        records = list(itertools.islice(csv_records(reader), MAX_DISTRICT_LINES + 2))
    except csv.Error as exc:
        raise UploadError(f"Line {reader.line_num or 1} cannot be read as CSV: {exc}.") from None
    if not records:
        raise UploadError("The file is empty.")
    positions = _header(records[0][1])
    data = [(line, cells) for line, cells in records[1:] if any(c.strip() for c in cells)]
    if len(records) > MAX_DISTRICT_LINES + 1:
        raise UploadError(f"The file has more than {MAX_DISTRICT_LINES:,} lines.")
    if not data:
        raise UploadError("The file has a header line but no districts.")
    rows = []
    for line, cells in data:
        values = {key: (cells[i] if i < len(cells) else "") for key, i in positions}
        rows.append(district_line(line=line, **values))
    return check_district_lines(rows)


def district_line(*, line, cds_code, name, kind, code=""):
    """A DistrictLine as written (a file's cells, a fixture's entry), spaces tidied: a CDS
    code may be written with spaces or hyphens, as CDE's reports print it (19-64634-...)."""
    return DistrictLine(line=line, cds_code="".join(str(cds_code).replace("-", " ").split()),
                        name=" ".join(str(name).split()), kind=str(kind).strip(),
                        code=str(code or "").strip())


def check_district_lines(rows):
    """`rows` (DistrictLine) with their kind read, when every one is acceptable; else
    UploadError with each refused line's reason (the first MAX_LINE_MESSAGES of them)."""
    problems = []
    seen_codes, seen_names = {}, {}
    for row in rows:
        problems.extend(f"Line {row.line}: {reason}"
                        for reason in _line_problems(row, seen_codes, seen_names))
    if problems:
        shown = problems[:MAX_LINE_MESSAGES]
        if len(problems) > MAX_LINE_MESSAGES:
            shown.append(f"… and {len(problems) - MAX_LINE_MESSAGES} more.")
        raise UploadError(*shown, NOTHING_LOADED)
    return rows


def _header(cells):
    names = {" ".join(c.strip().lower().replace("_", " ").split()): i for i, c in
             enumerate(cells)}
    aliases = {"cds code": "cds_code", "cds": "cds_code", "cdscode": "cds_code"}
    found = {aliases.get(name, name.replace(" ", "_")): i for name, i in names.items()}
    missing = [c for c in DISTRICT_COLUMNS if c not in found]
    if missing:
        raise UploadError(
            f"The first line must name the columns {', '.join(DISTRICT_COLUMNS)}; "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing."
        )
    return [(key, found[key]) for key in (*DISTRICT_COLUMNS, *OPTIONAL_COLUMNS) if key in found]


def _line_problems(row, seen_codes, seen_names):
    reasons = []
    for label, text in (("name", row.name), ("code", row.code)):
        if text[:1] in FORMULA_START:
            reasons.append(f"the {label} “{text[:40]}” starts like a formula (=, +, -, @); "
                           "formulas are not loaded.")
    if not row.name:
        reasons.append("the name is missing.")
    elif len(row.name) > District._meta.get_field("name").max_length:
        reasons.append("the name is longer than 200 characters.")
    kind = KIND_WORDS.get(" ".join(row.kind.lower().replace("_", " ").split()))
    if kind is None:
        reasons.append(f"the kind “{row.kind[:40]}” is not one of district, charter or "
                       "county office.")
    else:
        row.kind = kind
    if not row.cds_code:
        reasons.append("the CDS code is missing.")
    elif len(row.cds_code) == 13 and row.cds_code.isdigit():
        reasons.append(f"the CDS code {row.cds_code} has 13 digits: a spreadsheet may have "
                       "dropped its leading 0 (format the column as text).")
    elif kind is not None and (problem := cds_code_problem(row.cds_code, kind)):
        reasons.append(problem)
    if row.code and slugify(row.code) != row.code:
        reasons.append(f"the code “{row.code[:40]}” is not a slug (lower-case letters, digits "
                       "and hyphens).")
    for key, seen, label in ((row.cds_code, seen_codes, "CDS code"),
                             (row.name.lower(), seen_names, "name")):
        if key and key in seen:
            reasons.append(f"the {label} is also on line {seen[key]}.")
        elif key:
            seen[key] = row.line
    return reasons


# --- Writing districts (the file, and a plan's fixture) -----------------------------


def districts_load(*, lines, plan):
    """Create or update the districts of `lines` (checked DistrictLine) and link them to
    `plan`, in one transaction; a LoadResult. Raises UploadError, writing nothing, when a
    line clashes with the database (a name or slug another district holds)."""
    result = LoadResult()
    problems = []
    # A file's names are English (pillars/translation.py), whatever the admin's language.
    with transaction.atomic(), translation.override("en"):
        for row in lines:
            try:
                district, action = _district_upsert(row)
            except ValidationError as exc:
                problems.append(f"Line {row.line}: {' '.join(exc.messages)}")
                continue
            getattr(result, action).append(district)
            if not district.plans.filter(pk=plan.pk).exists():
                district.plans.add(plan)
                result.linked += 1
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise UploadError(*problems[:MAX_LINE_MESSAGES], NOTHING_LOADED)
    return result


def _district_upsert(row):
    district = (District.objects.filter(cds_code=row.cds_code).first()
                or District.objects.filter(name=row.name, cds_code="", is_total=False).first())
    if district is None:
        district = District(code=row.code or _free_slug(row))  # the slug, once given, stays
        action = "created"
    elif (district.name, district.kind, district.cds_code) == (row.name, row.kind,
                                                              row.cds_code):
        return district, "unchanged"
    else:
        action = "updated"
    district.name, district.kind, district.cds_code = row.name, row.kind, row.cds_code
    district.full_clean()
    district.save()
    return district, action


def _free_slug(row):
    slug = slugify(row.name)[:80].strip("-") or row.cds_code
    if District.objects.filter(code=slug).exists():
        slug = f"{slug[:65].strip('-')}-{row.cds_code}"
    return slug


# --- The Dashboard student groups ---------------------------------------------------


def student_groups_load(*, path=STUDENT_GROUPS_FILE, plan=None):
    """Create or update the student groups of the fixture at `path` (link them to `plan`
    when given), in one transaction; a LoadResult. Raises ValidationError on a bad entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    result = LoadResult()
    # The file's names are the English versions; `name_es` the Spanish ones
    # (pillars/translation.py: a plain `name` would write the active language's).
    with transaction.atomic(), translation.override("en"):
        for entry in data["groups"]:
            group, action = _group_upsert(entry)
            getattr(result, action).append(group)
            if plan is not None and not group.is_total and not group.plans.filter(
                    pk=plan.pk).exists():
                group.plans.add(plan)
                result.linked += 1
    return result


def _group_upsert(entry):
    values = {"cde_code": entry["cde_code"],
              "category": entry.get("category", GroupCategory.OTHER)}
    if entry.get("name_es"):
        values["name_es"] = entry["name_es"]
    if entry.get("total"):
        group = StudentGroup.objects.total()  # its slug and name stay as metrics/apps.py made them
    else:
        values.update(code=entry["code"], name=entry["name"])
        group = (StudentGroup.objects.filter(cde_code=entry["cde_code"]).first()
                 or StudentGroup.objects.filter(code=entry["code"]).first()
                 or StudentGroup())
    if group.pk and all(getattr(group, k) == v for k, v in values.items()):
        return group, "unchanged"
    action = "updated" if group.pk else "created"
    for name, value in values.items():
        setattr(group, name, value)
    group.full_clean()
    group.save()
    return group, action
