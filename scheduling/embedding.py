"""Embedding the picker in a shop's site: may this page show it, what the shopper reads when not, and which
key the embedding guide fills in.

A browser hides why a cross-origin call failed: when the shop's origin is not registered, the windows
API answers 403 without CORS headers and the picker only sees "Failed to fetch"; an iframe refused by
`frame-ancestors` shows the browser's broken-page icon and tells its parent nothing. So the picker and
the iframe loader ask `embed_check` (a request every origin may read) and show its message instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from merchants.models import ApiKey, Merchant
from merchants.services import api_key_authenticate, merchant_allowed_origins, merchant_origin_allowed
from scheduling.windows import merchant_sample_address

PLACEHOLDER_KEY = "pk_your_publishable_key"
# The snippets' address when the guide knows no merchant: central Paris.
PLACEHOLDER_ADDRESS = {"line1": "", "city": "Paris", "postcode": "75004", "lat": 48.8566, "lng": 2.3522}


class EmbedStatus(StrEnum):
    OK = "ok"
    UNKNOWN_KEY = "unknown_key"
    ORIGIN_NOT_REGISTERED = "origin_not_registered"


@dataclass(frozen=True)
class EmbedCheck:
    status: EmbedStatus
    origin: str


@dataclass(frozen=True)
class EmbedProblem:
    """What the picker shows in place of the windows: a line for the shopper, a hint for the shop."""

    title: str
    message: str
    hint: str


def embed_check(*, raw_key: str, origin: str, own_origin: str) -> EmbedCheck:
    """Whether a page at `origin` may show the picker with this publishable key.

    Our own pages (and the iframe, which runs on our origin) always may; a browser sends no Origin on a
    same-origin GET.
    """
    key = api_key_authenticate(raw_key=raw_key, kind=ApiKey.Kind.PUBLISHABLE) if raw_key else None
    if key is None:
        return EmbedCheck(EmbedStatus.UNKNOWN_KEY, origin)
    if origin and origin != own_origin and not merchant_origin_allowed(merchant=key.merchant, origin=origin):
        return EmbedCheck(EmbedStatus.ORIGIN_NOT_REGISTERED, origin)
    return EmbedCheck(EmbedStatus.OK, origin)


def embed_problem(*, status: EmbedStatus, origin: str) -> EmbedProblem | None:
    """The words for a check that failed, in the active language; None when the picker may show."""
    if status == EmbedStatus.ORIGIN_NOT_REGISTERED:
        return EmbedProblem(
            title=_("Delivery windows cannot be shown on this website yet."),
            message=_("The shop has not registered this website (%(origin)s) with its delivery service. "
                      "Please contact the shop to choose your delivery time.") % {"origin": origin},
            hint=_("For the shop: add %(origin)s to the allowed origins in your delivery portal's settings.")
            % {"origin": origin},
        )
    if status == EmbedStatus.UNKNOWN_KEY:
        return EmbedProblem(
            title=_("Delivery windows cannot be shown here."),
            message=_("This shop's delivery-window picker is not set up: its key is unknown or revoked. "
                      "Please contact the shop to choose your delivery time."),
            hint=_("For the shop: copy your publishable key (pk_…) from the embedding guide."),
        )
    return None


def frame_ancestors(*, merchant: Merchant) -> list[str]:
    """The iframe's CSP frame-ancestors: only the merchant's registered origins (and our own pages) may frame it."""
    return ["'self'", *merchant_allowed_origins(merchant=merchant)]


def embed_guide_merchants(*, user) -> list[Merchant]:
    """The merchants whose keys the embedding guide may show this user: those they are staff of, every one for
    a superuser, none for a visitor."""
    if not user.is_authenticated:
        return []
    merchants = Merchant.objects.order_by("name", "pk")
    if user.is_superuser:
        return list(merchants)
    return list(merchants.filter(staff__user=user).distinct())


def merchant_publishable_key(*, merchant: Merchant) -> str:
    """The merchant's newest active publishable key, whole (publishable keys are public), or "" if it has none."""
    key = (
        ApiKey.objects.filter(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, revoked_at__isnull=True)
        .exclude(public_value="")
        .order_by("-created_at", "-pk")
        .first()
    )
    return key.public_value if key else ""


@dataclass(frozen=True)
class EmbedGuide:
    """What the embedding guide fills in for one reader."""

    merchants: list[Merchant]
    merchant: Merchant | None
    key: str
    key_is_real: bool
    address: dict
    origins: list[str]


def embed_guide(*, user, merchant_slug: str = "") -> EmbedGuide:
    """The reader's merchant (the one asked for among theirs, else their first), its key, an address it serves
    and its registered origins; a placeholder key for a visitor or a merchant without a publishable key."""
    merchants = embed_guide_merchants(user=user)
    merchant = next((m for m in merchants if m.slug == merchant_slug), merchants[0] if merchants else None)
    if merchant is None:
        return EmbedGuide([], None, PLACEHOLDER_KEY, False, PLACEHOLDER_ADDRESS, [])
    key = merchant_publishable_key(merchant=merchant)
    return EmbedGuide(
        merchants=merchants, merchant=merchant, key=key or PLACEHOLDER_KEY, key_is_real=bool(key),
        address=merchant_sample_address(merchant=merchant) or PLACEHOLDER_ADDRESS,
        origins=merchant_allowed_origins(merchant=merchant),
    )
