"""The forms of the merchant settings pages. They parse what was posted; the services check and store it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import URLValidator

from merchants.brand import WEEKDAYS, support_phone_display, support_phone_normalise, validate_sms_sender
from merchants.logos import LOGO_EXTENSIONS, LOGO_MAX_BYTES, validate_logo
from merchants.models import WEBHOOK_EVENT_TYPES, ApiKey, Merchant, hex_colour


class ColourInput(forms.TextInput):
    input_type = "color"


class BrandForm(forms.Form):
    brand_name = forms.CharField(max_length=120, help_text="The shop's name as customers see it on pages and messages.")
    logo = forms.FileField(
        required=False, validators=[validate_logo],
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(LOGO_EXTENSIONS)}),
        help_text=f"PNG, JPEG or WebP, at most {LOGO_MAX_BYTES // 1024} KB. SVG is not accepted.")
    remove_logo = forms.BooleanField(required=False, label="Remove the uploaded logo")
    logo_url = forms.URLField(
        required=False, assume_scheme="https", validators=[URLValidator(schemes=["https"])], label="Logo URL",
        help_text="An https:// address of the logo, used when no file is uploaded.")
    primary_colour = forms.CharField(max_length=7, validators=[hex_colour], widget=ColourInput,
                                     help_text="Headers and buttons, with white text on it.")
    accent_colour = forms.CharField(max_length=7, validators=[hex_colour], widget=ColourInput,
                                    help_text="Links and highlights.")
    sms_sender = forms.CharField(
        max_length=16, required=False, validators=[validate_sms_sender], label="SMS sender name",
        help_text="Up to 11 letters or digits (e.g. FreshBasket), or a phone number in international format. "
                  "Empty: the portal's number.")
    email_from = forms.EmailField(required=False, label="Emails from",
                                  help_text="The address customers' emails come from. Empty: the portal's address.")
    languages = forms.MultipleChoiceField(choices=settings.LANGUAGES, widget=forms.CheckboxSelectMultiple,
                                          help_text="The languages your pages and messages speak.")
    default_language = forms.ChoiceField(
        choices=settings.LANGUAGES, widget=forms.RadioSelect,
        help_text="Used when the customer's own language is not one of yours.")
    support_phone = forms.CharField(max_length=20, required=False,
                                    help_text="Shown on the tracking page and in messages.")
    support_email = forms.EmailField(required=False, help_text="Shown on the tracking page.")
    # Days and times, not text: each customer reads them in their own language ("Mon–Sat", "lun.–sam.").
    support_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Days you answer")
    support_opens = forms.TimeField(required=False, label="From",
                                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    support_closes = forms.TimeField(required=False, label="Until",
                                     widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    support_note = forms.CharField(max_length=80, required=False, label="Note on your hours",
                                   help_text="Shown after the hours as you write it, in every language, "
                                             "e.g. “closed on public holidays”.")

    def __init__(self, *args, merchant: Merchant, **kwargs):
        self.merchant = merchant
        kwargs.setdefault("initial", {
            "brand_name": merchant.brand_name, "logo_url": merchant.logo_url,
            "primary_colour": merchant.primary_colour.lower(), "accent_colour": merchant.accent_colour.lower(),
            "sms_sender": merchant.sms_sender, "email_from": merchant.email_from,
            "languages": merchant.languages or [merchant.default_language],
            "default_language": merchant.default_language,
            "support_phone": support_phone_display(merchant.support_phone) if merchant.support_phone else "",
            "support_email": merchant.support_email, "support_days": merchant.support_days,
            "support_opens": merchant.support_opens, "support_closes": merchant.support_closes,
            "support_note": merchant.support_note,
        })
        super().__init__(*args, **kwargs)

    def clean_support_phone(self) -> str:
        return support_phone_normalise(self.cleaned_data["support_phone"], country=self.merchant.country)

    def clean(self):
        cleaned = super().clean()
        languages, default = cleaned.get("languages"), cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error("default_language", "The default language must be one of the languages you tick.")
        if cleaned.get("logo") and cleaned.get("remove_logo"):
            self.add_error("remove_logo", "Either upload a new logo or remove the current one, not both.")
        return cleaned

    def brand_values(self) -> dict:
        """The brand fields as the service takes them: languages with the default first."""
        data = self.cleaned_data
        order = [code for code, _name in settings.LANGUAGES]
        others = sorted((code for code in data["languages"] if code != data["default_language"]), key=order.index)
        values = {name: data[name] for name in ("brand_name", "logo_url", "primary_colour", "accent_colour",
                                                 "sms_sender", "email_from", "support_phone", "support_email",
                                                 "support_days", "support_opens", "support_closes", "support_note")}
        values["support_days"] = sorted(values["support_days"])
        values["languages"] = [data["default_language"], *others]
        return values


class OriginForm(forms.Form):
    origin = forms.CharField(
        max_length=200, label="Origin",
        widget=forms.TextInput(attrs={"placeholder": "https://shop.example.com", "autocomplete": "off",
                                      "spellcheck": "false"}),
        help_text="The scheme and host of your checkout page, with the port if it has one; no path.")


class ApiKeyCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=ApiKey.Kind.choices, widget=forms.RadioSelect, initial=ApiKey.Kind.SECRET)
    name = forms.CharField(max_length=80, help_text="What uses it, e.g. “Checkout server” or “Staging”.")


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(max_length=500, assume_scheme="https", label="URL",
                         widget=forms.URLInput(attrs={"placeholder": "https://shop.example.com/hooks/deliveries"}),
                         help_text="Where we POST the signed events. https only.")
    # The URL's rules (https, a public address) are the model's: WebhookEndpoint.clean.
    description = forms.CharField(max_length=120, required=False, help_text="For you, e.g. “Order system”.")
    events = forms.MultipleChoiceField(
        choices=list(WEBHOOK_EVENT_TYPES.items()), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event, including those added later.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED:  # development: a receiver on this machine may be plain http
            self.fields["url"].help_text = ("Where we POST the signed events: https, or http to a receiver on this "
                                            "machine or your network (allowed here because this is not production).")
