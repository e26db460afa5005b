"""Forms for entering readings, setting targets and reviewing values.

Every rule comes from the model (metric.validate_value / validate_period), so a
form says exactly what the import and the admin say, next to the field.
"""

from functools import reduce
from operator import or_

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .equity import chosen_id
from .evidence import validate_evidence
from .models import District, Metric, Reading, StudentGroup
from .models.dimensions import CDS_DIGITS
from .periods import PERIOD_FORMATS_HELP
from .services.readings import RETURN_NEEDS_COMMENT
from .units import COUNT_FIELDS, COUNTS_HELP, Qualifier, plain_number, spec

ALL_DISTRICTS = gettext_lazy("All districts (county-wide)")
ALL_STUDENTS = gettext_lazy("All students")
COUNT_LABELS = {"numerator": gettext_lazy("Numerator"),
                "denominator": gettext_lazy("Denominator")}


def label_of(count_field, prefix=""):
    """A count field's label, after `prefix` (the bulk grid's "<metric>: ")."""
    return format_lazy("{}{}", prefix, COUNT_LABELS[count_field])


def value_help(metric):
    """What a value field of `metric` says next to it: its unit's help text."""
    return spec(metric.unit).help_text(scale_min=metric.scale_min, scale_max=metric.scale_max)


def slice_key(period, district=None, student_group=None):
    """Which reading a form's `version` was read from: period, district, student group."""
    return "|".join((str(period or ""), str(district.pk) if district else "",
                     str(student_group.pk) if student_group else ""))


def _field_error(exc, field):
    """The message(s) a model rule raised for `field`, for a form field's own clean."""
    if hasattr(exc, "message_dict"):
        return ValidationError(exc.message_dict.get(field) or exc.messages)
    return exc


def counts_given(form):
    """The counts a form gives reading_record: none (kept) when it shows no count fields."""
    return {name: form.cleaned_data.get(name) for name in COUNT_FIELDS if name in form.fields}


class MetricValueMixin:
    """Validate `value` and `period` with the metric's own rules."""

    metric = None

    def clean_value(self):
        raw = self.cleaned_data.get("value")
        if raw in (None, ""):
            return raw
        try:
            return self.metric.validate_value(raw)
        except ValidationError as exc:
            raise _field_error(exc, "value") from None

    def clean_period(self):
        try:
            return str(self.metric.validate_period(self.cleaned_data.get("period")))
        except ValidationError as exc:
            raise _field_error(exc, "period") from None

    def add_count_fields(self, label=""):
        """A percent's numerator and denominator fields (issue 16); none for other units."""
        if self.metric.takes_counts:
            self.fields.update({name: forms.CharField(
                max_length=30, required=False, label=label_of(name, label),
                help_text="" if label else COUNTS_HELP[name]) for name in COUNT_FIELDS})

    def has_counts(self):
        return any(self.cleaned_data.get(name) not in (None, "") for name in COUNT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        self.clean_counts()
        return cleaned

    def clean_counts(self):
        """Value and counts by the one rule (Metric.counts_value), messages by the fields."""
        if not self.metric.takes_counts or "value" in self.errors or not self.has_counts():
            return
        data = self.cleaned_data
        try:
            values = self.metric.counts_value(data.get("value"), data.get("numerator"),
                                              data.get("denominator"))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field, errors)
        else:
            data.update(zip(("value", *COUNT_FIELDS), values, strict=True))


class ReadingForm(MetricValueMixin, forms.Form):
    period = forms.CharField(label=gettext_lazy("Period"), max_length=20,
                             help_text=PERIOD_FORMATS_HELP)
    value = forms.CharField(label=gettext_lazy("Value"), max_length=60)
    qualifier = forms.ChoiceField(
        label=gettext_lazy("Qualifier"), choices=Qualifier.choices, required=False,
        help_text=gettext_lazy("Only when the source qualifies the figure: “over 9,018”, "
                               "“50+”."),
    )
    district = forms.ModelChoiceField(
        label=gettext_lazy("District"), queryset=District.objects.all(), required=False,
        empty_label=ALL_DISTRICTS,
    )
    student_group = forms.ModelChoiceField(
        label=gettext_lazy("Student group"), queryset=StudentGroup.objects.all(),
        required=False, empty_label=ALL_STUDENTS,
    )
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}),
                           required=False, max_length=5000)
    evidence_url = forms.URLField(label=gettext_lazy("Evidence link"), required=False,
                                  max_length=500)
    evidence_file = forms.FileField(
        label=gettext_lazy("Evidence file"), required=False, max_length=200,
        validators=[validate_evidence],  # the model's check: content, not the name
        help_text=gettext_lazy("PDF, image, CSV, XLSX, DOCX or text, at most 10 MB."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1,
                                 initial=0)
    # The slice (slice_key) that `version` was read from. After the user switches the
    # period, district or student group, the version says nothing about the new slice.
    version_of = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def __init__(self, *args, metric, **kwargs):
        self.metric = metric
        super().__init__(*args, **kwargs)
        self.fields["value"].help_text = value_help(metric)
        self.fields["district"].queryset = District.objects.own(metric.plan)
        self.fields["student_group"].queryset = StudentGroup.objects.own(metric.plan)
        if metric.takes_counts:
            self.fields["value"].required = False  # the counts may give it
            self.add_count_fields()
            self.order_fields(["period", "value", *COUNT_FIELDS])

    def clean(self):
        cleaned = super().clean()
        if self.metric.takes_counts and cleaned.get("value") in (None, "") and not (
                self.has_counts() or self.has_error("value")):
            self.add_error("value", _("This field is required. Enter the value, or its "
                                      "numerator and denominator."))
        if self.files.get("evidence_file") and self.errors:
            # A browser never re-sends a file: say so rather than silently drop it.
            self.add_error("evidence_file", _("Choose the evidence file again after fixing "
                                              "the other fields."))
        return cleaned

    def slice_key(self):
        data = self.cleaned_data
        return slice_key(data.get("period"), data.get("district"), data.get("student_group"))

    def slice_changed(self):
        """True when the version posted was read from another slice than the one saved."""
        shown = self.cleaned_data.get("version_of")
        return bool(shown) and shown != self.slice_key()

    def expected_version(self):
        """The version the user saw of the slice being saved: 0 ("none yet") when they
        switched slices, so the save creates the reading or shows its current value."""
        return 0 if self.slice_changed() else self.cleaned_data["version"]

    def show_current(self, current):
        """After a conflict: the version and slice of the current reading, so that saving
        again replaces it on purpose."""
        self.data = self.data.copy()
        self.data["version"] = current.version if current else 0
        self.data["version_of"] = self.slice_key()


class TargetForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = ["target_value", "target_period", "baseline_value", "baseline_period",
                  "on_track_threshold", "at_risk_threshold"]
        labels = {
            "target_value": gettext_lazy("Target value"),
            "target_period": gettext_lazy("Target period"),
            "baseline_value": gettext_lazy("Baseline value"),
            "baseline_period": gettext_lazy("Baseline period"),
            "on_track_threshold": gettext_lazy("On-track threshold"),
            "at_risk_threshold": gettext_lazy("At-risk threshold"),
        }
        help_texts = {
            # xgettext:no-python-format
            "on_track_threshold": gettext_lazy("On track when at least this % of the progress "
                                               "expected by now is made."),
            # xgettext:no-python-format
            "at_risk_threshold": gettext_lazy("At risk (rather than off track) from this % of "
                                              "the expected progress."),
            "target_period": format_lazy(
                "{} {}", gettext_lazy("The period by which the target should be met."),
                PERIOD_FORMATS_HELP),
            "baseline_period": gettext_lazy("The period the baseline was measured in."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_value"].help_text = value_help(self.instance)
        self.fields["baseline_value"].help_text = value_help(self.instance)


class BulkRowForm(MetricValueMixin, forms.Form):
    """One metric's row in the bulk-entry grid; an empty value leaves the metric alone.

    The row posts what it showed (`initial-<prefix>-<field>` hidden inputs) beside what
    the user typed: only a row whose typed values differ from those is saved (`changed`),
    so an untouched row writes no history and approves nothing."""

    SHOWN = ("value", "qualifier", "note")

    value = forms.CharField(max_length=60, required=False)
    qualifier = forms.ChoiceField(choices=Qualifier.choices, required=False)
    note = forms.CharField(max_length=5000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1,
                                 initial=0)

    def __init__(self, *args, metric, reading=None, **kwargs):
        self.metric = metric
        if reading is not None or not args:
            kwargs.setdefault("initial", self.current(reading))
        super().__init__(*args, **kwargs)
        self.fields["value"].label = _("%(metric)s: value") % {"metric": metric.name}
        self.fields["qualifier"].label = _("%(metric)s: qualifier") % {"metric": metric.name}
        self.fields["note"].label = _("%(metric)s: note") % {"metric": metric.name}
        if metric.takes_counts:
            self.add_count_fields(label=f"{metric.name}: ")
            self.order_fields(["value", *COUNT_FIELDS])
            self.SHOWN = (*self.SHOWN, *COUNT_FIELDS)

    @staticmethod
    def current(reading):
        """What the row shows of `reading` (None: no reading yet)."""
        if reading is None:
            return {"value": "", "qualifier": "", "note": "", "version": 0,
                    **dict.fromkeys(COUNT_FIELDS, "")}
        return {"value": plain_number(reading.value), "qualifier": reading.qualifier,
                "note": reading.note, "version": reading.version,
                "numerator": plain_number(reading.numerator),
                "denominator": plain_number(reading.denominator)}

    def _shown(self, name):
        if self.is_bound:
            return str(self.data.get(self.add_initial_prefix(name), "") or "").strip()
        return str(self.initial.get(name, "") or "").strip()

    def shown_inputs(self):
        """(name, value) of the hidden inputs that post what the row showed."""
        return [(self.add_initial_prefix(name), self._shown(name)) for name in self.SHOWN]

    def changed(self):
        """True when the user typed something other than what the row showed."""
        for name in self.SHOWN:
            typed, shown = self.cleaned_data.get(name), self._shown(name)
            if name == "value" and typed not in (None, "") and shown:
                try:
                    if self.metric.validate_value(shown) == typed:
                        continue
                except ValidationError:
                    pass
                return True
            if str(typed if typed is not None else "").strip() != shown:
                return True
        return False

    def mark_saved(self, reading):
        """After a save, when the grid is shown again: the row shows what it saved."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = reading.version
        for name in self.SHOWN:
            self.data[self.add_initial_prefix(name)] = self.data.get(self.add_prefix(name), "")


class PeriodForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("Period"), max_length=20,
                             help_text=PERIOD_FORMATS_HELP)

    def __init__(self, *args, plan, **kwargs):
        self.plan = plan
        super().__init__(*args, **kwargs)

    def clean_period(self):
        # Any metric of the plan knows the plan's span; a throwaway one does too.
        try:
            return str(Metric(plan=self.plan).validate_period(self.cleaned_data["period"]))
        except ValidationError as exc:
            raise _field_error(exc, "period") from None


REVIEW_ACTIONS = [("approve", gettext_lazy("Approve")), ("return", gettext_lazy("Return"))]
class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=REVIEW_ACTIONS)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=2000,
                              help_text=gettext_lazy("Required when returning: say what needs "
                                                     "changing."))
    checked = forms.BooleanField(required=False, label=gettext_lazy("Checked"))


class ApprovalBatchForm(forms.Form):
    """Approve or return several waiting values at once (the approvals page): the rows
    selected, the plausibility warnings the lead ticked "checked", one comment for all."""

    readings = forms.ModelMultipleChoiceField(
        queryset=Reading.objects.none(), label=gettext_lazy("Values"),
        error_messages={"required": gettext_lazy("Select the values to approve or return.")},
    )
    checked = forms.ModelMultipleChoiceField(queryset=Reading.objects.none(), required=False)
    action = forms.ChoiceField(choices=REVIEW_ACTIONS)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=2000,
                              label=gettext_lazy("Comment for the values returned"),
                              help_text=gettext_lazy("Required when returning: one comment for "
                                                     "all of them."))

    def __init__(self, *args, queue, **kwargs):
        """`queue`: the readings the user may decide (selectors.approval_queue)."""
        super().__init__(*args, **kwargs)
        self.fields["readings"].queryset = queue
        self.fields["checked"].queryset = queue

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "return" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", RETURN_NEEDS_COMMENT)
        return cleaned


class DistrictChoiceField(forms.ModelChoiceField):
    """A district a query names by its id (what our links and filters write), its code or
    its CDS code (a URL a person types: ?district=inglewood-unified), in one query.
    Anything else (a number too long for an id, a NUL byte, markup) is an invalid choice
    without reaching the database, where PostgreSQL would refuse a NUL byte with an error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.found = {}  # what each value named: the select shows it chosen

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        pk = chosen_id(text)
        names = [Q(pk=pk)] if pk is not None else []
        if len(text) <= District._meta.get_field("code").max_length and slug_re.match(text):
            names.append(Q(code=text) | Q(cds_code=text) if CDS_DIGITS.fullmatch(text)
                         else Q(code=text))
        # A code wins over an id that happens to be written the same way.
        found = sorted(self.queryset.filter(reduce(or_, names)),
                       key=lambda district: text not in (district.code, district.cds_code)
                       ) if names else []
        if not found:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        self.found[value] = found[0]
        return found[0]

    def bound_data(self, data, initial):
        return self.found.get(data, data)


class ReadingSliceForm(forms.Form):
    """Which district and student group's readings a metric page lists: the plan's own."""

    district = DistrictChoiceField(
        label=gettext_lazy("District"), queryset=District.objects.none(), required=False,
        empty_label=ALL_DISTRICTS,
    )
    student_group = forms.ModelChoiceField(
        label=gettext_lazy("Student group"), queryset=StudentGroup.objects.none(),
        required=False, empty_label=ALL_STUDENTS,
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.own(plan)
        self.fields["student_group"].queryset = StudentGroup.objects.own(plan)

    def chosen(self):
        """The district and student group chosen (None: the whole), valid ones only."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("district"), data.get("student_group")


class EquityDistrictForm(forms.Form):
    """Which district the metric page's "By student group" view shows: `?district=`, the
    parameter the readings slice and the pillar filter read too, so the three agree. An
    unknown district says so and leaves the county view."""

    district = DistrictChoiceField(
        label=gettext_lazy("District"), queryset=District.objects.none(), required=False,
        empty_label=ALL_DISTRICTS, error_messages={"invalid_choice": gettext_lazy(
            "This plan has no such district: the figures below are for all districts "
            "(county-wide).")},
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, auto_id="equity-%s", **kwargs)  # beside the readings form
        self.fields["district"].queryset = District.objects.own(plan).order_by("name")

    def chosen(self):
        """The district chosen, None for the county (or a district not found)."""
        return self.cleaned_data.get("district") if self.is_bound and self.is_valid() else None


class ReadingLinkForm(ReadingSliceForm):
    """What a link to the entry form presets (?period=&district=&student_group=)."""

    period = forms.CharField(label=gettext_lazy("Period"), max_length=20, required=False)

    def __init__(self, *args, metric, **kwargs):
        self.metric = metric
        super().__init__(*args, plan=metric.plan, **kwargs)

    def clean_period(self):
        """The period written the usual way; one the metric refuses is kept as typed,
        for the entry form to explain when it is saved."""
        text = self.cleaned_data["period"].strip()
        try:
            return str(self.metric.validate_period(text)) if text else ""
        except ValidationError:
            return text


class LanguageForm(forms.Form):
    """The account page's choice of the language a person's e-mails are written in (the
    switcher keeps the same choice)."""

    language = forms.ChoiceField(label=gettext_lazy("Language of your e-mails"),
                                 choices=settings.LANGUAGES)
