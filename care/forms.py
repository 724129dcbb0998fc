"""Forms of the care console: they parse what the agent typed; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from care.services import DEFAULT_DUE_MINUTES, MAX_DUE_MINUTES
from scheduling.drop import NEIGHBOUR_DOOR_MAX, NEIGHBOUR_NAME_MAX, SAFE_PLACE_MAX, Drop
from scheduling.models import DropChoice
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
            "placeholder": _("Name, order reference, phone, email, postcode or tracking link"), "autocomplete": "off",
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
    agent changed: the notes and the drop choice the agent left alone keep what the customer chose meanwhile.
    The drop's fields go together (a neighbour's name belongs to the neighbour choice)."""

    access_notes = forms.CharField(label=_("Access notes"), required=False, max_length=500,
                                   widget=forms.Textarea(attrs={"rows": 3}), show_hidden_initial=True)
    drop_choice = forms.ChoiceField(label=_("If the customer is out"), choices=DropChoice.choices, required=False,
                                    widget=forms.RadioSelect, show_hidden_initial=True)
    safe_place = forms.CharField(label=_("Safe place: where"), required=False, max_length=SAFE_PLACE_MAX,
                                 show_hidden_initial=True)
    neighbour_name = forms.CharField(label=_("Neighbour's name"), required=False, max_length=NEIGHBOUR_NAME_MAX,
                                     show_hidden_initial=True)
    neighbour_door = forms.CharField(label=_("Neighbour's house number or flat"), required=False,
                                     max_length=NEIGHBOUR_DOOR_MAX, show_hidden_initial=True)

    DROP_FIELDS = ("drop_choice", "safe_place", "neighbour_name", "neighbour_door")

    @classmethod
    def initial_for(cls, delivery) -> dict:
        return {"access_notes": delivery.access_notes, **Drop.of(delivery).fields()}

    def instructions_for(self, delivery) -> tuple[str, Drop]:
        """The notes and the drop to save: what the agent changed, and the delivery's current value for the rest."""
        data = self.cleaned_data
        notes = data["access_notes"] if "access_notes" in self.changed_data else delivery.access_notes
        if not set(self.DROP_FIELDS) & set(self.changed_data):
            return notes, Drop.of(delivery)
        return notes, Drop(choice=data["drop_choice"] or delivery.drop_choice, safe_place=data["safe_place"],
                           neighbour_name=data["neighbour_name"], neighbour_door=data["neighbour_door"])


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
