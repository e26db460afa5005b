"""Forms of the worklists (metrics/views/worklists.py): one row per metric or pillar, each
validated on its own, like the grid. The value and period rules are the model's
(metric.validate_value / validate_period), as everywhere."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .forms import value_help
from .periods import PERIOD_FORMATS_HELP
from .units import plain_number

TARGET_ROW_FIELDS = ("target_value", "target_period", "baseline_value", "baseline_period")


class TargetRowForm(forms.Form):
    """One metric's target, target period, baseline and baseline period."""

    target_value = forms.CharField(max_length=60, required=False)
    target_period = forms.CharField(max_length=20, required=False,
                                    help_text=format_lazy("{} {}", gettext_lazy("By when."),
                                                          PERIOD_FORMATS_HELP))
    baseline_value = forms.CharField(max_length=60, required=False)
    baseline_period = forms.CharField(max_length=20, required=False,
                                      help_text=gettext_lazy("Measured in; may be before the "
                                                             "plan."))

    def __init__(self, *args, metric, **kwargs):
        self.metric = metric
        kwargs.setdefault("initial", self.current(metric))
        super().__init__(*args, **kwargs)
        labels = {"target_value": _("%(metric)s: target"),
                  "target_period": _("%(metric)s: target period"),
                  "baseline_value": _("%(metric)s: baseline"),
                  "baseline_period": _("%(metric)s: baseline period")}
        for name, label in labels.items():
            self.fields[name].label = label % {"metric": metric.name}
        self.fields["target_value"].help_text = value_help(metric)
        self.fields["baseline_value"].help_text = ""

    @staticmethod
    def current(metric):
        return {
            "target_value": plain_number(metric.target_value) if metric.target_value is not None
            else "",
            "target_period": metric.target_period,
            "baseline_value": plain_number(metric.baseline_value)
            if metric.baseline_value is not None else "",
            "baseline_period": metric.baseline_period,
        }

    def _clean_value(self, name):
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            return self.metric.validate_value(raw, field=name)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get(name) or exc.messages) from None

    def _clean_period(self, name):
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return ""
        try:
            return str(self.metric.validate_period(
                raw, name, before_plan_ok=name == "baseline_period", closed_ok=True))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get(name) or exc.messages) from None

    def clean_target_value(self):
        return self._clean_value("target_value")

    def clean_baseline_value(self):
        return self._clean_value("baseline_value")

    def clean_target_period(self):
        return self._clean_period("target_period")

    def clean_baseline_period(self):
        return self._clean_period("baseline_period")

    def changes(self):
        """The values to save, or {} when the row says what the metric already holds."""
        data = {name: self.cleaned_data[name] for name in TARGET_ROW_FIELDS}
        if all(getattr(self.metric, name) == value for name, value in data.items()):
            return {}
        return data


class PeopleRowForm(forms.Form):
    """One row of the owners grid (a metric's stewards) or the leads grid (a pillar's leads).
    The choices are built once per page and shared by every row: constant queries."""

    people = forms.MultipleChoiceField(required=False)
    # A select with nothing chosen posts nothing: this says the row was in the form, so
    # "none chosen" clears it while a row not posted is left alone.
    shown = forms.BooleanField(widget=forms.HiddenInput, required=False, initial=True)

    def __init__(self, *args, choices, label, current, **kwargs):
        kwargs.setdefault("initial", {"people": [str(pk) for pk in current]})
        super().__init__(*args, **kwargs)
        self.current = {int(pk) for pk in current}
        self.fields["people"].choices = choices
        self.fields["people"].label = label

    def chosen(self):
        return {int(pk) for pk in self.cleaned_data["people"]}

    def changed(self):
        return self.cleaned_data["shown"] and self.chosen() != self.current

