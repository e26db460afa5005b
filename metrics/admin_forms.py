"""Forms of our own admin pages (the districts upload), apart from the staff forms."""

from django import forms

from pillars.models import StrategicPlan

from .services.dimensions import DISTRICTS_HELP


class DistrictsUploadForm(forms.Form):
    """The admin's districts upload: the file and the plan it reports for."""

    file = forms.FileField(label="Districts file (CSV)", help_text=DISTRICTS_HELP)
    plan = forms.ModelChoiceField(
        queryset=StrategicPlan.objects.order_by("-start_year", "name"),
        help_text="The districts are linked to this plan: its forms and imports offer them.",
    )
