"""Find my parcel: a merchant's customer gives their order reference and their postcode or email address.

The answer is the delivery only when the pair matches and its tracking link still works; otherwise None,
whether the reference is unknown, the pair is wrong or the link has expired, so the page answers all of
those alike and a stranger learns nothing about which references exist. (The page is throttled too.)
"""

from __future__ import annotations

import datetime as dt
import re

from merchants.models import Merchant
from scheduling.models import Delivery
from scheduling.selectors import delivery_for_token

REFERENCE_MAX_LENGTH = Delivery._meta.get_field("order_ref").max_length
CONTACT_MAX_LENGTH = 254


def normalise_reference(value: str) -> str:
    """"  ord-1042 " → "ORD-1042": what a customer copies from an email, matched without regard to case."""
    return value.strip().upper()


def normalise_postcode(value: str) -> str:
    """"sw1a 1aa" → "SW1A1AA": spaces and case never decide a match."""
    return re.sub(r"\s+", "", value).upper()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def contact_matches(*, delivery: Delivery, contact: str) -> bool:
    """True when `contact` (an email address when it holds an @, else a postcode) is the delivery's own."""
    if "@" in contact:
        wanted = normalise_email(contact)
        return bool(wanted) and wanted == normalise_email(delivery.recipient_email)
    wanted = normalise_postcode(contact)
    return bool(wanted) and wanted == normalise_postcode(delivery.address_postcode)


def delivery_find(*, merchant: Merchant, reference: str, contact: str, now: dt.datetime) -> Delivery | None:
    """The merchant's delivery with this reference whose postcode or email is `contact`, while its link works."""
    reference = normalise_reference(reference)
    if not reference or len(reference) > REFERENCE_MAX_LENGTH or not contact.strip():
        return None
    # References are unique per merchant as written; two that differ only by case are both candidates.
    candidates = Delivery.objects.filter(merchant=merchant, order_ref__iexact=reference)
    for candidate in candidates:
        if contact_matches(delivery=candidate, contact=contact):
            found = delivery_for_token(token=candidate.tracking_token, now=now)
            if found is not None:
                return found
    return None
