"""What the exported files of LACOE's 2023-24 report must hold, from the seed."""

from metrics.models import Metric, Reading

YEAR = "2023-24"


SEED_CALLOUTS = [
    ("more than 6,000", "Educators Trained in Structured Literacy"),
    ("$2.5 million", "Grant to Support Multilingual Learners"),
    ("177,000", "Employees Covered by EASE Program"),
    ("more than 1,400", "Professionals Reached in New Mandated Reporter Training"),
    ("over 186,000", "Instagram Reach"),
    ("$250 million", "Secured for Underserved Locations"),
]


def expected_callouts(plan):
    """Every headline of the plan with its approved 2023-24 figure, as the report writes it."""
    found = []
    for metric in Metric.objects.filter(plan=plan, is_headline=True).select_related("pillar"):
        reading = Reading.objects.get(metric=metric, period=YEAR, district__is_total=True,
                                      student_group__is_total=True)
        found.append((metric.pillar, reading.display_approved_value, metric.headline_label))
    assert len(found) == 20
    return found
