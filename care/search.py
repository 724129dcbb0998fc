"""Care's search: find an order by reference, phone (any format), email, token or tracking link, the recipient's
name (any part, any case, with or without accents) or the postcode."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from care import search_index
from care.labels import recipient_short, window_label
from care.search_key import SearchKey, search_words
from merchants.access import merchant_q
from merchants.models import Merchant
from scheduling.models import Delivery

SEARCH_LIMIT = 50
# Tried first, and alone when there is no merchant yet: where the product started.
DEFAULT_PHONE_REGION = "FR"
# A tracking link anywhere in the text (`…/t/<token>/…`), or a bare token (32 random bytes, url-safe).
TOKEN_IN_LINK = re.compile(r"/t/([A-Za-z0-9_-]{16,64})")
BARE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,24}$")
EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What a line of the results shows: reading the whole delivery, fifty times, was a third of a search's time.
HIT_FIELDS = ("order_ref", "recipient_name", "address_postcode", "status", "merchant", "merchant__name",
              "merchant__time_zone", "window", "window__starts_at", "window__ends_at")


@dataclass(frozen=True)
class SearchHit:
    delivery_id: str
    merchant_name: str
    order_ref: str
    recipient: str
    postcode: str
    window_label: str
    status: str
    status_label: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    kind: str  # empty, invalid, link, email, phone, reference, name, postcode
    hits: list[SearchHit] = field(default_factory=list)
    normalised: str = ""
    more: bool = False  # more deliveries match than `hits` shows


def normalise_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """E.164 for a number a caller reads out ("06 12 34 56 78" → "+33612345678"), or None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_regions() -> list[str]:
    """The countries of the merchants we serve, FR first: the ways a caller may write a national number."""
    countries = Merchant.objects.order_by("country").values_list("country", flat=True).distinct()
    return sorted(set(countries) | {DEFAULT_PHONE_REGION}, key=lambda c: (c != DEFAULT_PHONE_REGION, c))


def phone_candidates(raw: str) -> list[str]:
    """The E.164 numbers `raw` may be, read in each merchant country ("07700 900123" in GB → "+447700900123")."""
    candidates = (normalise_phone(raw, region) for region in phone_regions())
    return list(dict.fromkeys(phone for phone in candidates if phone))


def delivery_search(*, query: str, merchant_ids=None, limit: int = SEARCH_LIMIT) -> SearchResult:
    """Deliveries matching an order reference, a phone number, an email, a tracking link or token, a name or a postcode.

    1. A tracking link (anything containing `/t/<token>`) or a bare token: that delivery only.
    2. An email: recipients with that address, case-insensitively.
    3. Something that reads as a phone number: its E.164 forms, read in the country of each merchant
       (FR first), and also order references equal to the text, since references can be all digits.
    4. Anything else: an exact order reference (any case) or token; else (unless it is shaped like a token), in
       one query, the references containing it and the deliveries whose recipient's name and postcode, folded
       (care.search_key), contain every word of it: "jade moreau", "Moreau Jade", "heloise" for Héloïse,
       "moreau 75011", "SW1A 1AA". Words that all hold a digit are a postcode.

    Only deliveries of `merchant_ids` are found (every merchant's when None). The most recent windows come first,
    `limit` of them; `more` says when there are others.
    """
    text = query.strip()[:200]
    if not text:
        return SearchResult(query=text, kind="empty")
    deliveries = Delivery.objects.filter(merchant_q(merchant_ids)).select_related("merchant", "window")
    normalised = ""
    link = TOKEN_IN_LINK.search(text)
    if link:
        kind, found = "link", deliveries.filter(tracking_token=link.group(1))
    elif EMAIL_LIKE.match(text):
        kind, found = "email", deliveries.filter(recipient_email__iexact=text)
    elif PHONE_LIKE.match(text) and (phones := phone_candidates(text)):
        kind = "phone"
        found = deliveries.filter(Q(recipient_phone__in=phones) | Q(order_ref__iexact=text))
        # Say the number that matched; when none did, every number that was looked for.
        matched = set(found.values_list("recipient_phone", flat=True))
        normalised = " / ".join([phone for phone in phones if phone in matched] or phones)
    else:
        kind = "reference"
        found = deliveries.filter(Q(order_ref__iexact=text) | Q(tracking_token=text))
        if BARE_TOKEN.match(text):
            # 40+ letters and digits without a space: a token (maybe another merchant's) or a long reference, not a name.
            if found.filter(tracking_token=text).exists():
                kind = "link"
        elif not found.exists():
            kind = "partial"
            found = deliveries.alias(search_key=SearchKey()).filter(_partial_reference_or_name_q(text))
    rows = list(found.order_by("-window__starts_at", "order_ref").only(*HIT_FIELDS)[:limit + 1])
    if kind == "partial":
        kind = _partial_kind(text, rows)
    hits = [
        SearchHit(
            delivery_id=str(d.pk), merchant_name=d.merchant.name, order_ref=d.order_ref,
            recipient=recipient_short(d.recipient_name), postcode=d.address_postcode,
            window_label=window_label(d.window.starts_at, d.window.ends_at, d.merchant.zone_info),
            status=d.status, status_label=d.get_status_display(),
        )
        for d in rows[:limit]
    ]
    return SearchResult(query=text, kind=kind, hits=hits, normalised=normalised, more=len(rows) > limit)


def _partial_reference_or_name_q(text: str) -> Q:
    """A reference containing the text, or a recipient whose folded name and postcode contain every word of it.

    Both at once: "75011" may be a postcode or part of a reference, and the agent tells them apart in the list. The
    name test compares `SearchKey`, the very expression PostgreSQL's trigram index is built on, so the planner reads
    the index (and OR-s it with the reference's) instead of the table; SQLite reads its own trigram index of the
    same keys (care.search_index).
    """
    words = search_words(text)
    if not words:
        by_name = Q(pk__in=[])
    elif connection.vendor == "sqlite":
        by_name = Q(pk__in=RawSQL(*search_index.matching_sql(words)))
    else:
        by_name = Q(*(Q(search_key__contains=word) for word in words))
    # References hold no spaces: "jade moreau" need not be looked for among them.
    by_reference = Q(order_ref__icontains=text) if len(text) >= 3 and not any(c.isspace() for c in text) else Q(pk__in=[])
    return by_reference | by_name


def _partial_kind(text: str, rows: list[Delivery]) -> str:
    """What the agent found: references when every row's reference holds the text; else a postcode when every word
    holds a digit; else a name (also when nothing matched, so the page says how names are compared)."""
    if rows and all(text.casefold() in row.order_ref.casefold() for row in rows):
        return "reference"
    words = search_words(text)
    return "postcode" if words and all(any(char.isdigit() for char in word) for word in words) else "name"
