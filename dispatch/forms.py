"""Forms of the dispatcher console."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import Depot, Zone


class DayForm(forms.Form):
    """Which depot and day the console shows, or acts on."""

    depot = forms.ModelChoiceField(queryset=Depot.objects.order_by("code"), label=_("Depot"), empty_label=None)
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, depots=None, **kwargs):
        super().__init__(*args, **kwargs)
        if depots is not None:
            self.fields["depot"].queryset = Depot.objects.filter(pk__in=[d.pk for d in depots]).order_by("code")


class DisruptionForm(forms.Form):
    """A dispatcher slows a zone of the depot for a period: times are the depot's local time."""

    depot = forms.ModelChoiceField(queryset=Depot.objects.all(), widget=forms.HiddenInput)
    zone = forms.ModelChoiceField(queryset=Zone.objects.order_by("code"), label=_("Zone"),
                                  empty_label=_("Choose a zone"),
                                  error_messages={"invalid_choice": _("Choose one of the depot's zones.")})
    starts_at = forms.DateTimeField(label=_("From"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    ends_at = forms.DateTimeField(label=_("Until"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    slowdown_percent = forms.IntegerField(
        label=_("Slower by (%)"), min_value=5, max_value=300,
        help_text=_("Travel into the zone takes this much longer: 30 means 30 % slower."),
        widget=forms.NumberInput(attrs={"step": 5}))
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("Snow, marathon, roadworks…")}))

    def __init__(self, *args, depot: Depot | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if depot is not None:
            self.fields["zone"].queryset = Zone.objects.filter(depot=depot).order_by("code")
            self.fields["zone"].error_messages["invalid_choice"] = _(
                "That zone is not served from %(depot)s: choose one of its zones.") % {"depot": depot.name}

    @property
    def speed_factor(self) -> float:
        return 1 + self.cleaned_data["slowdown_percent"] / 100
