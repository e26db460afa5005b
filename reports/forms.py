from django import forms
from django.conf import settings

from .models import HIGHLIGHT_MAX_LENGTH, ExportFormat
from .render import pdf


class PillarsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"Pillar {obj.order}: {obj.name}"


class PlanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        synthetic = obj.is_synthetic and "synthetic" not in obj.name.lower()
        return f"{obj.name} (synthetic data)" if synthetic else obj.name


class ReportChoiceForm(forms.Form):
    """Which plan and school year to open (a GET form: works without JavaScript)."""

    plan = PlanField(
        queryset=None, to_field_name="slug", empty_label=None, label="Strategic plan"
    )
    year = forms.ChoiceField(
        label="School year", help_text="The report uses the approved figures of that year."
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
            self.add_error("year", f"{plan} runs from {plan.school_years[0]} to "
                                   f"{plan.school_years[-1]}: choose one of those years.")
        return data


class PillarFilterForm(forms.Form):
    pillar = PillarsField(
        queryset=None, to_field_name="slug", required=False, label="Pillars to show",
        help_text="None ticked shows every pillar.",
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pillar"].queryset = plan.pillars.order_by("order")


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=ExportFormat.choices, widget=forms.RadioSelect, label="Format",
        initial=ExportFormat.PDF,
    )
    # Not required: a request that names none gets English, as before languages came.
    language = forms.ChoiceField(
        choices=settings.LANGUAGES, widget=forms.RadioSelect, label="Language",
        initial="en", required=False,
        help_text="The language of the headings and of the plan's content. Content without a "
                  "Spanish version is written in English.",
    )
    pillars = PillarsField(
        queryset=None, to_field_name="slug", label="Pillars",
        help_text="Plan-wide figures (at a glance) are always included.",
        error_messages={"required": "Choose at least one pillar."},
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


MARKDOWN_HELP = (
    "Write in Markdown: a blank line between paragraphs, **bold**, *italic*, "
    "“- ” at the start of a line for a list, [words](https://example.org) for a "
    "link (http, https or mailto only). HTML is shown as typed, never run."
)


class HighlightForm(forms.Form):
    body = forms.CharField(
        label="Highlights (English)", required=False, max_length=HIGHLIGHT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16}), help_text=MARKDOWN_HELP,
    )
    # The Spanish version (issue 18): empty shows the English text on Spanish pages,
    # marked as English.
    body_es = forms.CharField(
        label="Highlights (Spanish)", required=False, max_length=HIGHLIGHT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16, "lang": "es"}),
        help_text="The same text in Spanish, written the same way. Left empty, Spanish "
                  "pages show the English text.",
    )
