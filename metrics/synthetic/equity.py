"""The demo plan's equity figures (issue 16): one yearly percent metric whose districts
and student groups have small numbers of students, so that the metric page's "By
student group" and "By district" views show every case of the publication rule
(metrics.privacy: primary, complementary, unknown size) and the Dashboard placement
every one of its five colours (metrics/dashboard.py, with the chronic absenteeism scale
of fixtures/dashboard when it is loaded).

Each slice's counts are designed (SLICES): its numerator and denominator for the two
school years, the value worked out from them by the one rule (Metric.counts_value). The
publication decisions themselves are the worker's (Reading.publication); this module
only makes figures for it to decide on. tests/metrics/test_synthetic_equity.py runs the
rule over them and checks that every case and colour appears.
"""

from django.utils import timezone

from ..models import (
    DashboardScale,
    Direction,
    District,
    Frequency,
    GroupCategory,
    Metric,
    Reading,
    ReadingState,
    StudentGroup,
)
from ..periods import Period, span_label
from ..units import Unit

CODE = "equity-demo-chronic-absenteeism"
SCALE_CODE = "chronic-absenteeism"  # fixtures/dashboard/chronic-absenteeism.yaml
COUNTY, EVERYONE = "county", "all"
DISTRICTS = {  # key: (code, name)
    "north": ("synthetic-equity-north", "Synthetic North District (equity demo)"),
    "hill": ("synthetic-equity-hill", "Synthetic Hill District (equity demo, 8 students)"),
    "coast": ("synthetic-equity-coast",
              "Synthetic Coast District (equity demo, size not recorded)"),
}
GROUPS = {  # key: (code, name, race/ethnicity?)
    "a": ("synthetic-race-a", "Synthetic race/ethnicity group A", True),
    "b": ("synthetic-race-b", "Synthetic race/ethnicity group B", True),
    "c": ("synthetic-race-c", "Synthetic race/ethnicity group C (5 students)", True),
    "d": ("synthetic-race-d", "Synthetic race/ethnicity group D", True),
    "other": ("synthetic-equity-focus", "Synthetic focus group (equity demo)", False),
}
# (district, group): ((numerator, denominator) this year, the same last year), or the
# values alone where the number of students is not recorded. The comment says what the
# rule or the Dashboard makes of it (threshold 11; colours need 30, and 150, students).
SLICES = {
    (COUNTY, EVERYONE): ((200, 2000), (200, 2000)),  # 10.0% maintained: Yellow
    ("north", EVERYONE): ((32, 1600), (80, 1600)),  # 2.0% from 5.0%: Blue
    ("hill", EVERYONE): ((2, 8), (1, 8)),  # 8 students: primary
    ("coast", EVERYONE): ("15.0", "14.0"),  # no counts: unknown size
    ("north", "a"): ((48, 1200), (60, 1200)),  # 4.0% from 5.0%: Green
    ("north", "b"): ((54, 360), (49, 350)),  # 15.0% from 14.0%: Orange
    ("north", "c"): ((1, 5), (2, 5)),  # 5 students: primary
    ("north", "d"): ((7, 35), (7, 35)),  # would reveal C with A, B and All: complementary
    ("north", "other"): ((75, 300), (60, 300)),  # 25.0% from 20.0%: Red
    # County-wide, the groups the "By student group" view lists: the same cases.
    (COUNTY, "a"): ((52, 1300), (65, 1300)),  # 4.0% from 5.0%: Green
    (COUNTY, "b"): ((93, 620), (84, 600)),  # 15.0% from 14.0%: Orange
    (COUNTY, "c"): ((2, 7), (2, 7)),  # 7 students: primary
    (COUNTY, "d"): ((10, 73), (9, 73)),  # would reveal C: complementary
    (COUNTY, "other"): ((100, 400), (80, 400)),  # 25.0% from 20.0%: Red
}


def years(plan):
    """The plan's last two school years, the earlier first."""
    return span_label(plan.end_year - 2, plan.end_year - 1), span_label(plan.end_year - 1,
                                                                        plan.end_year)


def _dimensions(plan):
    districts = {COUNTY: District.objects.total()}
    for key, (code, name) in DISTRICTS.items():
        districts[key], _ = District.objects.get_or_create(code=code, defaults={"name": name})
    groups = {EVERYONE: StudentGroup.objects.total()}
    for key, (code, name, race) in GROUPS.items():
        category = GroupCategory.RACE_ETHNICITY if race else GroupCategory.OTHER
        groups[key], _ = StudentGroup.objects.get_or_create(
            code=code, defaults={"name": name, "category": category})
    plan.districts.add(*(d for key, d in districts.items() if key != COUNTY))
    plan.student_groups.add(*(g for key, g in groups.items() if key != EVERYONE))
    return districts, groups


def add(plan, pillar):
    """The equity demo metric of `plan` under `pillar` with its readings (approved, as
    the generator's are); returns the metric. Run inside the generator's transaction."""
    districts, groups = _dimensions(plan)
    metric = Metric.objects.create(
        plan=plan, pillar=pillar, code=CODE, name="Chronic absenteeism rate (equity demo)",
        definition="Synthetic figures with small groups, to show how small numbers of "
                   "students are kept from the public and how the Dashboard places a figure.",
        unit=Unit.PERCENT, direction=Direction.LOWER, frequency=Frequency.ANNUAL,
        dashboard_scale=DashboardScale.objects.filter(code=SCALE_CODE).first(),
        data_source="Synthetic generator (equity demo)",
    )
    now = timezone.now()
    readings = []
    for (district, group), per_year in SLICES.items():
        for period, figure in zip(years(plan), reversed(per_year), strict=True):
            numerator, denominator = figure if isinstance(figure, tuple) else (None, None)
            value, numerator, denominator = metric.counts_value(
                None if numerator is not None else figure, numerator, denominator)
            reading = Reading(
                metric=metric, district=districts[district],
                student_group=groups[group], value=value, approved_value=value,
                numerator=numerator, denominator=denominator, state=ReadingState.APPROVED,
                approved_at=now, source_text="Synthetic data (equity demo)",
            )
            reading.set_period(Period.parse(period))
            readings.append(reading)
    # bulk_create, as the generator loads: no history row and no rebuild per reading.
    Reading.objects.bulk_create(readings)
    return metric
