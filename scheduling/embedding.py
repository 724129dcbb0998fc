"""Embedding the picker in a shop's site: may this page show it, and what the shopper reads when not.

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

# Where a merchant registers its shop's origins (the settings pages).
ORIGIN_SETTINGS_PATH = "/settings/origins/"


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


def frame_ancestors(*, merchant: Merchant) -> str:
    """The iframe's CSP: only the merchant's registered origins (and our own pages) may frame it."""
    origins = " ".join(merchant_allowed_origins(merchant=merchant))
    return f"frame-ancestors 'self' {origins}".strip()
