"""Forms of the care console: they parse what the agent typed; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from care.services import DEFAULT_DUE_MINUTES, MAX_DUE_MINUTES
from scheduling.windows import WindowOffer

# What an agent usually opens by hand; the carrier and the engine open their own codes.
MANUAL_EXCEPTION_CODES = [
    ("customer_contact", _("Customer contacted us")),
    ("address_problem", _("Address or access problem")),
    ("damaged_parcel", _("Damaged or missing parcel")),
    ("late_delivery", _("Late or missed window")),
    ("other", _("Other")),
]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find an order"), required=False, max_length=200,
        widget=forms.TextInput(attrs={
            "placeholder": _("Order reference, phone, email or tracking link"), "autocomplete": "off",
            "autofocus": True, "type": "search",
        }),
    )


class RescheduleForm(forms.Form):
    window_id = forms.TypedChoiceField(label=_("New window"), coerce=int)

    def __init__(self, *args, offers: list[WindowOffer], tz, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["window_id"].choices = [
            (offer.window.pk, "{day}, {start}–{end} · {label} · {left}".format(
                day=offer.window.starts_at.astimezone(tz).strftime("%a %d %b"),
                start=offer.window.starts_at.astimezone(tz).strftime("%H:%M"),
                end=offer.window.ends_at.astimezone(tz).strftime("%H:%M"),
                label=offer.window.label, left=_("%(n)d left") % {"n": offer.remaining},
            ))
            for offer in offers
        ]


class InstructionsForm(forms.Form):
    """Each field carries the value the agent was shown (`show_hidden_initial`), so `changed_data` says what the
    agent changed. An unticked box is not posted at all: without that, a box the agent never touched (or that
    the page did not show) read as "off" and cleared what the customer had chosen."""

    access_notes = forms.CharField(label=_("Access notes"), required=False, max_length=500,
                                   widget=forms.Textarea(attrs={"rows": 3}), show_hidden_initial=True)
    safe_drop = forms.BooleanField(label=_("Safe drop allowed"), required=False, show_hidden_initial=True)
    leave_with_neighbour = forms.BooleanField(label=_("May leave with a neighbour"), required=False,
                                              show_hidden_initial=True)

    def instructions_for(self, delivery) -> dict:
        """The instructions to save: what the agent changed, and the delivery's current value for the rest."""
        return {
            name: self.cleaned_data[name] if name in self.changed_data else getattr(delivery, name)
            for name in ("access_notes", "safe_drop", "leave_with_neighbour")
        }


class ExceptionOpenForm(forms.Form):
    code = forms.ChoiceField(label=_("Kind"), choices=MANUAL_EXCEPTION_CODES)
    message = forms.CharField(label=_("What happened"), max_length=300,
                              widget=forms.TextInput(attrs={"placeholder": _("e.g. customer says the gate code changed")}))
    due_in_minutes = forms.IntegerField(label=_("Due in (min)"), min_value=1, max_value=MAX_DUE_MINUTES,
                                        initial=DEFAULT_DUE_MINUTES)


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"), max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("What was done")}),
        error_messages={"required": _("Say how the exception was resolved.")},
    )
