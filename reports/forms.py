from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import HIGHLIGHT_MAX_LENGTH, ExportFormat
from .render import pdf
from .report import pillar_title


class PillarsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return pillar_title(obj)


class PlanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        synthetic = obj.is_synthetic and "synthetic" not in obj.name.lower()
        return _("%(plan)s (synthetic data)") % {"plan": obj.name} if synthetic else obj.name


class ReportChoiceForm(forms.Form):
    """Which plan and school year to open (a GET form: works without JavaScript)."""

    plan = PlanField(
        queryset=None, to_field_name="slug", empty_label=None, label=gettext_lazy("Strategic plan")
    )
    year = forms.ChoiceField(
        label=gettext_lazy("School year"),
        help_text=gettext_lazy("The report uses the approved figures of that year."),
    )

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        years = sorted({year for plan in plans for year in plan.school_years}, reverse=True)
        self.fields["year"].choices = [(year, year) for year in years]

    def clean(self):
        data = super().clean()
        plan, year = data.get("plan"), data.get("year")
        if plan and year and year not in plan.school_years:
            self.add_error("year", _("%(plan)s runs from %(first)s to %(last)s: choose one of "
                                     "those years.") % {"plan": plan, "first": plan.school_years[0],
                                                        "last": plan.school_years[-1]})
        return data


class PillarFilterForm(forms.Form):
    pillar = PillarsField(
        queryset=None, to_field_name="slug", required=False, label=gettext_lazy("Pillars to show"),
        help_text=gettext_lazy("None ticked shows every pillar."),
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pillar"].queryset = plan.pillars.order_by("order")


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=ExportFormat.choices, widget=forms.RadioSelect, label=gettext_lazy("Format"),
        initial=ExportFormat.PDF,
    )
    # Not required: a request that names none gets English, as before languages came.
    language = forms.ChoiceField(
        choices=settings.LANGUAGES, widget=forms.RadioSelect, label=gettext_lazy("Language"),
        initial="en", required=False,
        help_text=gettext_lazy("The language of the headings and of the plan's content. "
                               "Content without a Spanish version is written in English."),
    )
    pillars = PillarsField(
        queryset=None, to_field_name="slug", label=gettext_lazy("Pillars"),
        help_text=gettext_lazy("Plan-wide figures (at a glance) are always included."),
        error_messages={"required": gettext_lazy("Choose at least one pillar.")},
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pillars"].queryset = plan.pillars.order_by("order")
        self.pdf_unavailable = pdf.unavailable_reason()

    def clean_language(self):
        return self.cleaned_data["language"] or "en"

    def clean_format(self):
        fmt = self.cleaned_data["format"]
        if fmt == ExportFormat.PDF and self.pdf_unavailable:
            raise forms.ValidationError(self.pdf_unavailable)
        return fmt


MARKDOWN_HELP = gettext_lazy(
    "Write in Markdown: a blank line between paragraphs, **bold**, *italic*, "
    "“- ” at the start of a line for a list, [words](https://example.org) for a "
    "link (http, https or mailto only). HTML is shown as typed, never run."
)


class HighlightForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Highlights (English)"), required=False, max_length=HIGHLIGHT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16}), help_text=MARKDOWN_HELP,
    )
    # The Spanish version (issue 18): empty shows the English text on Spanish pages,
    # marked as English.
    body_es = forms.CharField(
        label=gettext_lazy("Highlights (Spanish)"), required=False,
        max_length=HIGHLIGHT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16, "lang": "es"}),
        help_text=gettext_lazy("The same text in Spanish, written the same way. Left empty, "
                               "Spanish pages show the English text."),
    )
