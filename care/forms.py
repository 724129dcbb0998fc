"""Forms of the care console: they parse what the agent typed; the rules live in the services."""

import datetime as dt

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


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label="Why", max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "What the next team must know"}),
        error_messages={"required": "Say why it needs the next team."},
    )


class PlaybookRuleForm(forms.Form):
    """One rule's settings for one merchant; the page holds one per rule, each under the rule's prefix."""

    enabled = forms.BooleanField(required=False, label="On")
    threshold_minutes = forms.IntegerField(required=False, min_value=1, max_value=24 * 60)
    team = forms.ChoiceField(label="Owner team")
    sla_minutes = forms.IntegerField(label="Escalate after (minutes)", min_value=1, max_value=7 * 24 * 60)
    notify_customer = forms.BooleanField(required=False, label="Warn the customer (running late)")
    request_replan = forms.BooleanField(required=False, label="Ask dispatch to re-plan the day")

    def __init__(self, *args, spec, **kwargs):
        from care.models import Team

        super().__init__(*args, prefix=spec.rule.value, **kwargs)
        self.spec = spec
        self.fields["team"].choices = Team.choices
        if spec.threshold_label:
            self.fields["threshold_minutes"].label = spec.threshold_label
            self.fields["threshold_minutes"].required = True
        else:
            del self.fields["threshold_minutes"]
        if not spec.may_notify:
            del self.fields["notify_customer"]
        if not spec.may_replan:
            del self.fields["request_replan"]

    @classmethod
    def initial_for(cls, config) -> dict:
        return {"enabled": config.enabled, "threshold_minutes": config.threshold_minutes, "team": config.team,
                "sla_minutes": config.sla_minutes, "notify_customer": config.notify_customer,
                "request_replan": config.request_replan}


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000, strip=True,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What the customer said, what you did")}),
                           error_messages={"required": _("Write the note before adding it.")})


class ResendLinkForm(forms.Form):
    """Names one request (a fresh key each time the page is drawn), so a double click sends the link once."""

    request_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput,
                                   error_messages={"required": _("This form has expired: reload the page and send again."),
                                                   "invalid": _("This form has expired: reload the page and send again.")})


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why the customer cancels"), max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. ordered twice, no longer needed")}),
                             error_messages={"required": _("Say why the customer wants to cancel.")})


class KpiFilterForm(forms.Form):
    """The KPI page's filters: a date range (local days), a merchant among those the user may see, a zone."""

    MAX_DAYS = 92

    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    merchant = forms.ChoiceField(label="Merchant", required=False)
    zone = forms.ChoiceField(label="Zone", required=False)

    def __init__(self, *args, merchants, zones, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.merchants = {m.slug: m for m in merchants}
        self.zones = {z.code: z for z in zones}
        self.fields["merchant"].choices = [("", "All merchants"), *((m.slug, m.name) for m in merchants)]
        self.fields["zone"].choices = [("", "All zones"), *((z.code, z.name) for z in zones)]
        self.fields["start"].widget.attrs["max"] = self.fields["end"].widget.attrs["max"] = today.isoformat()

    def clean(self):
        data = super().clean()
        end = data.get("end") or self.today
        start = data.get("start") or end - dt.timedelta(days=13)
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            raise forms.ValidationError("The first day comes after the last one: swap the dates.")
        if (end - start).days + 1 > self.MAX_DAYS:
            raise forms.ValidationError(f"Pick at most {self.MAX_DAYS} days; this range has {(end - start).days + 1}.")
        data["start"], data["end"] = start, end
        data["merchant_obj"] = self.merchants.get(data.get("merchant") or "")
        data["zone_obj"] = self.zones.get(data.get("zone") or "")
        return data

    def problems(self) -> str:
        return " ".join(f"{self.fields[name].label if name in self.fields else ''}: {m}".lstrip(": ")
                        for name, messages_ in self.errors.items() for m in messages_)
