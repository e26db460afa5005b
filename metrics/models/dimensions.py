"""Ways to slice readings: districts and student groups, each linked to the plans that use it."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pillars.models import SLUG_HELP, StrategicPlan


class Dimension(models.Model):
    """A way to slice readings. The whole (all districts, all students) is a real row,
    single and global: it belongs to every plan and is linked to none."""

    code = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    name = models.CharField(max_length=200, unique=True)
    is_total = models.BooleanField(
        default=False, help_text=_("The row that stands for the whole (county-wide, all students).")
    )

    class Meta:
        abstract = True
        ordering = ["-is_total", "name"]

    def __str__(self):
        return self.name


class DimensionQuerySet(models.QuerySet):
    def total(self):
        return self.get(is_total=True)

    def for_plan(self, plan):
        """What a plan's forms, filters, imports and exports offer: the total row and the
        plan's own rows, never another plan's (real and synthetic never mix)."""
        own = self.model.objects.filter(plans=plan).values("pk")  # a subquery: no duplicates
        return self.filter(Q(is_total=True) | Q(pk__in=own))

    def own(self, plan):
        """The plan's own rows, without the total row."""
        return self.for_plan(plan).filter(is_total=False)


class DistrictKind(models.TextChoices):
    DISTRICT = "district", "School district"
    CHARTER = "charter", "Charter LEA"
    COUNTY_OFFICE = "county_office", "County office of education"


# The CDS code, as CDE's School Directory defines it ("File Structure: Directory Export",
# https://www.cde.ca.gov/SchoolDirectory/topic/8): 14 digits, 2 for the county, 5 for the
# district, 7 for the school; a code ending in 0000000 is a district (or county office)
# record, not a school. A charter LEA reports under its school's code.
CDS_DIGITS = re.compile(r"\d{14}")
DISTRICT_RECORD_SUFFIX = "0000000"
CDS_HELP = _("The 14-digit County-District-School code of CDE's School Directory, digits "
             "only (e.g. 19646340000000). Blank for rows that stand for no one LEA.")


def cds_code_problem(code, kind):
    """Why `code` cannot be the CDS code of an LEA of `kind`, in words; None when it can.
    The one CDS rule: the model and the districts file loader both ask it."""
    if not CDS_DIGITS.fullmatch(code):
        return _("“%(code)s” is not a CDS code: it has 14 digits and nothing else.") % {
            "code": code[:40]}
    if not 1 <= int(code[:2]) <= 58:
        return _("%(code)s does not start with one of California's 58 county codes "
                 "(01 to 58).") % {"code": code}
    is_district_record = code.endswith(DISTRICT_RECORD_SUFFIX)
    if kind == DistrictKind.CHARTER and is_district_record:
        return _("%(code)s ends in 0000000, a district record; a charter LEA reports under "
                 "its school's CDS code.") % {"code": code}
    if kind in (DistrictKind.DISTRICT, DistrictKind.COUNTY_OFFICE) and not is_district_record:
        return (_("%(code)s is a school's code; a school district has a code ending in "
                  "0000000.") if kind == DistrictKind.DISTRICT else
                _("%(code)s is a school's code; a county office of education has a code "
                  "ending in 0000000.")) % {"code": code}
    return None


class District(Dimension):
    plans = models.ManyToManyField(
        StrategicPlan, blank=True, related_name="districts",
        help_text=_("The plans that report for this district (not set on the total row)."),
    )
    cds_code = models.CharField(
        "CDS code", max_length=14, blank=True, default="", help_text=CDS_HELP
    )
    kind = models.CharField(
        max_length=20, choices=DistrictKind.choices, default=DistrictKind.DISTRICT,
        help_text=_("A school district, a charter LEA (a charter school that is its own local "
                  "educational agency) or a county office of education."),
    )

    objects = DimensionQuerySet.as_manager()

    class Meta(Dimension.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["is_total"],
                condition=Q(is_total=True),
                name="one_county_wide_district",
                violation_error_message=_("Only one district row may stand for all districts."),
            ),
            models.UniqueConstraint(
                fields=["cds_code"],
                condition=~Q(cds_code=""),
                name="one_district_per_cds_code",
                violation_error_message=_("Another district has this CDS code."),
            ),
        ]

    def clean(self):
        super().clean()
        if self.cds_code:
            if self.is_total:
                raise ValidationError({"cds_code": _("The county-wide row stands for no one "
                                                     "LEA: it has no CDS code.")})
            problem = cds_code_problem(self.cds_code, self.kind)
            if problem:
                raise ValidationError({"cds_code": problem})


class GroupCategory(models.TextChoices):
    # The suppression rule needs to know which groups partition All students: each
    # student is counted in exactly one race/ethnicity group, while the other Dashboard
    # groups (English learners, foster youth, ...) overlap.
    RACE_ETHNICITY = "race_ethnicity", _("Race or ethnicity")
    OTHER = "other", _("Other student group")


class StudentGroupQuerySet(DimensionQuerySet):
    def race_ethnicity(self):
        """The race/ethnicity groups: together they partition All students."""
        return self.filter(category=GroupCategory.RACE_ETHNICITY)


class StudentGroup(Dimension):
    plans = models.ManyToManyField(
        StrategicPlan, blank=True, related_name="student_groups",
        help_text=_("The plans that report for this student group (not set on the total row)."),
    )
    cde_code = models.CharField(
        "CDE code", max_length=10, blank=True, default="",
        validators=[RegexValidator(r"^[A-Z]{2,10}$", "A CDE code is 2 to 10 capital letters.")],
        help_text=_("The code of the group in CDE's Dashboard data files (studentgroup field, "
                  "e.g. LTEL); not the slug. Blank for groups CDE does not publish."),
    )
    category = models.CharField(
        max_length=20, choices=GroupCategory.choices, default=GroupCategory.OTHER,
        help_text=_("Race/ethnicity groups partition all students; the others overlap."),
    )

    objects = StudentGroupQuerySet.as_manager()

    class Meta(Dimension.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["is_total"],
                condition=Q(is_total=True),
                name="one_all_students_group",
                violation_error_message=_("Only one student group may stand for all students."),
            ),
            models.UniqueConstraint(
                fields=["cde_code"],
                condition=~Q(cde_code=""),
                name="one_group_per_cde_code",
                violation_error_message=_("Another student group has this CDE code."),
            ),
        ]

    def clean(self):
        super().clean()
        if self.is_total and self.category == GroupCategory.RACE_ETHNICITY:
            raise ValidationError({"category": _("All students is the whole, not a "
                                                 "race/ethnicity group.")})
