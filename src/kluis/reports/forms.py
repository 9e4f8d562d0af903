from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import ReportInput

YES_NO = [(True, _("Yes")), (False, _("No"))]


def _yes_no(label, help_text=""):
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v in (True, "True"),
        widget=forms.RadioSelect,
        help_text=help_text,
    )


#: The most characters one text of a report holds (the audit trail refuses more than 10,000).
TEXT_MAX_LENGTH = 5000


class IncidentReportForm(forms.Form):
    """The report form; the rules live in actions.validate, which this form defers to."""

    facts = forms.CharField(
        label=_("Facts and circumstances that led to recording"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX_LENGTH,
        required=False,
    )
    description = forms.CharField(
        label=_("What the recording shows"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX_LENGTH,
        required=False,
    )
    warned_before = _yes_no(_("Was the person warned before recording?"))
    warnings_given = forms.IntegerField(
        label=_("Number of spoken warnings given"), min_value=0, max_value=10
    )
    warned_afterwards = forms.BooleanField(
        label=_("No time to warn first: the warning was given as soon as possible afterwards"),
        required=False,
    )
    warning_explanation = forms.CharField(
        label=_("Explanation (fewer or no warnings, colleagues not told)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX_LENGTH,
        required=False,
    )
    colleagues_in_view = forms.BooleanField(label=_("Colleagues are in view"), required=False)
    colleagues_told = forms.BooleanField(label=_("The colleagues have been told"), required=False)
    criminal_report_filed = forms.BooleanField(
        label=_("I filed a criminal report (aangifte / proces-verbaal) about this incident"),
        required=False,
    )
    criminal_report_reference = forms.CharField(
        label=_("Reference of the criminal report"),
        max_length=120,
        required=False,
    )

    def to_input(self) -> ReportInput:
        return ReportInput(**self.cleaned_data)
