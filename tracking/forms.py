"""Forms of the customer's pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tracking.lookup import CONTACT_MAX_LENGTH, REFERENCE_MAX_LENGTH


class ParcelLookupForm(forms.Form):
    """Find my parcel: the order reference, and the postcode or email address it was booked with."""

    reference = forms.CharField(label=_("Order number"), max_length=REFERENCE_MAX_LENGTH, strip=True)
    contact = forms.CharField(label=_("Delivery postcode or email address"), max_length=CONTACT_MAX_LENGTH, strip=True)
