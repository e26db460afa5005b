"""Forms for entering readings, setting targets and reviewing values.

Every rule comes from the model (metric.validate_value / validate_period), so a
form says exactly what the import and the admin say, next to the field.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator

from .models import District, Metric, StudentGroup
from .models.reading import EVIDENCE_EXTENSIONS, validate_evidence_size
from .periods import PERIOD_FORMATS_HELP
from .units import Qualifier, Unit

VALUE_HELP = {
    Unit.COUNT: "A whole number of 0 or more, e.g. 6000.",
    Unit.PERCENT: "A share from 0 to 100, e.g. 45.5 (without the % sign).",
    Unit.PERCENT_CHANGE: "A change in percent, may be negative or above 100, e.g. 28.9.",
    Unit.CURRENCY: "US dollars, 0 or more, at most 2 decimals, e.g. 2500000.",
    Unit.RANK: "A whole number from 1 (best).",
    Unit.RATIO: "A number of 0 or more.",
}


def value_help(metric):
    if metric.unit == Unit.RATING:
        low = metric.scale_min if metric.scale_min is not None else 0
        return f"A rating from {low:g} to {metric.scale_max:g}."
    return VALUE_HELP.get(metric.unit, "")


def _field_error(exc, field):
    """The message(s) a model rule raised for `field`, for a form field's own clean."""
    if hasattr(exc, "message_dict"):
        return ValidationError(exc.message_dict.get(field) or exc.messages)
    return exc


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


class ReadingForm(MetricValueMixin, forms.Form):
    period = forms.CharField(max_length=20, help_text=PERIOD_FORMATS_HELP)
    value = forms.CharField(max_length=60)
    qualifier = forms.ChoiceField(
        choices=Qualifier.choices, required=False,
        help_text="Only when the source qualifies the figure: “over 9,018”, “50+”.",
    )
    district = forms.ModelChoiceField(
        queryset=District.objects.all(), required=False, empty_label="All districts (county-wide)"
    )
    student_group = forms.ModelChoiceField(
        queryset=StudentGroup.objects.all(), required=False, empty_label="All students"
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=5000)
    evidence_url = forms.URLField(label="Evidence link", required=False, max_length=500)
    evidence_file = forms.FileField(
        label="Evidence file", required=False, max_length=200,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS), validate_evidence_size],
        help_text="PDF, image, CSV, XLSX, DOCX or text, at most 10 MB.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def __init__(self, *args, metric, **kwargs):
        self.metric = metric
        super().__init__(*args, **kwargs)
        self.fields["value"].help_text = value_help(metric)
        self.fields["district"].queryset = District.objects.filter(is_total=False)
        self.fields["student_group"].queryset = StudentGroup.objects.filter(is_total=False)

    def clean(self):
        cleaned = super().clean()
        if self.files.get("evidence_file") and self.errors:
            # A browser never re-sends a file: say so rather than silently drop it.
            self.add_error("evidence_file", "Choose the evidence file again after fixing the "
                                            "other fields.")
        return cleaned


class TargetForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = ["target_value", "target_period", "baseline_value", "baseline_period",
                  "on_track_threshold", "at_risk_threshold"]
        help_texts = {
            "target_period": "The period by which the target should be met. " + PERIOD_FORMATS_HELP,
            "baseline_period": "The period the baseline was measured in.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_value"].help_text = value_help(self.instance)
        self.fields["baseline_value"].help_text = value_help(self.instance)


class BulkRowForm(MetricValueMixin, forms.Form):
    """One metric's row in the bulk-entry grid; an empty value leaves the metric alone."""

    value = forms.CharField(max_length=60, required=False)
    qualifier = forms.ChoiceField(choices=Qualifier.choices, required=False)
    note = forms.CharField(max_length=5000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def __init__(self, *args, metric, **kwargs):
        self.metric = metric
        super().__init__(*args, **kwargs)
        self.fields["value"].label = f"{metric.name}: value"
        self.fields["qualifier"].label = f"{metric.name}: qualifier"
        self.fields["note"].label = f"{metric.name}: note"


class PeriodForm(forms.Form):
    period = forms.CharField(max_length=20, help_text=PERIOD_FORMATS_HELP)

    def __init__(self, *args, plan, **kwargs):
        self.plan = plan
        super().__init__(*args, **kwargs)

    def clean_period(self):
        # Any metric of the plan knows the plan's span; a throwaway one does too.
        try:
            return str(Metric(plan=self.plan).validate_period(self.cleaned_data["period"]))
        except ValidationError as exc:
            raise _field_error(exc, "period") from None


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("return", "Return")])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=2000,
                              help_text="Required when returning: say what needs changing.")


class ReadingSliceForm(forms.Form):
    """Which district and student group's readings a metric page lists."""

    district = forms.ModelChoiceField(
        queryset=District.objects.filter(is_total=False), required=False,
        empty_label="All districts (county-wide)",
    )
    student_group = forms.ModelChoiceField(
        queryset=StudentGroup.objects.filter(is_total=False), required=False,
        empty_label="All students",
    )
