from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ViewingSession


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class StartForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Purpose of the viewing"),
        widget=forms.RadioSelect,
        choices=ViewingSession.Purpose.choices,
    )
    case_reference = forms.CharField(
        label=_("Case reference"),
        required=False,
        max_length=100,
        help_text=_("For example the complaint or request number."),
    )
    managers = PersonChoice(
        label=_("Manager or deputy who takes part"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    invited = PersonChoice(
        label=_("Invite other staff"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, purposes, managers, invitees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = purposes
        self.fields["managers"].queryset = managers
        if invitees is None:
            del self.fields["invited"]
        else:
            self.fields["invited"].queryset = invitees


class CoSignForm(forms.Form):
    """Password and code of the participant named by the form's `participant` field."""

    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class BreachForm(forms.Form):
    description = forms.CharField(
        label=_("What happened?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Staff member"), queryset=None)

    def __init__(self, *args, invitees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = invitees
