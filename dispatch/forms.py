"""Forms of the dispatcher console."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import Depot


class DayForm(forms.Form):
    """Which depot and day the console shows, or acts on."""

    depot = forms.ModelChoiceField(queryset=Depot.objects.order_by("code"), label=_("Depot"), empty_label=None)
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, depots=None, **kwargs):
        super().__init__(*args, **kwargs)
        if depots is not None:
            self.fields["depot"].queryset = Depot.objects.filter(pk__in=[d.pk for d in depots]).order_by("code")
