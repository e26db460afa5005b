"""What checking an import's rows needs of its plan, loaded once: the metrics, the
user's rights, the districts and student groups, and the caches of what each distinct
text of a file stands for (a file repeats few: issue 14)."""

from django.core.exceptions import ValidationError

from .. import rowformat
from ..access import editable_metrics
from ..models import District, Metric, StudentGroup


class PlanContext:
    """What checking rows needs, loaded once: metrics, rights, districts, groups."""

    def __init__(self, plan, user):
        self.plan = plan
        metrics = list(Metric.objects.filter(plan=plan).order_by())
        for metric in metrics:
            metric.plan = plan
        self.metrics = {m.code.lower(): m for m in metrics}
        in_plan = Metric.objects.filter(plan=plan)
        self.editable = set(editable_metrics(user, in_plan).order_by().values_list("pk", flat=True))
        # The plan's own districts and groups and the total rows: never another plan's.
        self.districts, self.all_districts = _by_code_or_name(District.objects.for_plan(plan))
        self.groups, self.all_students = _by_code_or_name(StudentGroup.objects.for_plan(plan))
        self._probe = Metric(plan=plan)
        self._periods = {}
        self._districts = {"": self.all_districts}
        self._groups = {"": self.all_students}
        self._qualifiers = {}
        self._values = {}

    def district(self, text):
        """The district named by `text` (code or name, any case), all districts when empty."""
        return _cached(self._districts, text, lambda t: self.districts.get(_normalise_name(t)))

    def group(self, text):
        return _cached(self._groups, text, lambda t: self.groups.get(_normalise_name(t)))

    def qualifier(self, text):
        return _cached(self._qualifiers, text, rowformat.parse_qualifier)

    def value(self, metric, raw):
        """The number `raw` stands for in `metric`, or the list of reasons it is refused;
        checked once per metric and distinct value (a file repeats many)."""
        key = (metric.id, raw)
        hit = self._values.get(key)
        if hit is None:
            try:
                hit = metric.validate_value(raw)
            except ValidationError as exc:
                hit = [f"Value: {m}" for m in exc.message_dict.get("value", exc.messages)]
            self._values[key] = hit
        return hit

    def period(self, text):
        """The Period, or the list of reasons it is refused; cached by text."""
        hit = self._periods.get(text)
        if hit is None:
            if not text:
                hit = ["Period: enter a period, e.g. 2023-24, 2023-24 Q1 or 2024-03."]
            else:
                try:
                    hit = self._probe.validate_period(text)
                except ValidationError as exc:
                    hit = [f"Period: {m}" for m in exc.message_dict.get("period", exc.messages)]
            self._periods[text] = hit
        return hit


def _cached(cache, text, find):
    try:
        return cache[text]
    except KeyError:
        found = cache[text] = find(text)
        return found


def _by_code_or_name(queryset):
    lookup, total = {}, None
    for item in queryset.order_by():
        lookup[_normalise_name(item.code)] = item
        lookup[_normalise_name(item.name)] = item
        if item.is_total:
            total = item
    return lookup, total


def _normalise_name(text):
    return " ".join(text.lower().split())
