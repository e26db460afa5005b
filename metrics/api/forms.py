"""The form of the account page's API tokens."""

from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="What the token is for", max_length=100,
        help_text="For example “Open data portal” or “Tableau”: tells your tokens apart.",
    )
