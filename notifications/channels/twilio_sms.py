"""SMS and WhatsApp through Twilio's official SDK (the same Messages API).

The sender is the Messaging Service (TWILIO_MESSAGING_SERVICE_SID) when set, else
TWILIO_FROM_NUMBER: always a number customers can reply to (STOP, a new day), never
a merchant's alphanumeric id, which cannot receive replies. Twilio
calls `status_callback` as the message moves (sent, delivered, undelivered, failed).

WhatsApp goes from TWILIO_WHATSAPP_FROM to the same E.164 number, both written
"whatsapp:+…" as Twilio's API wants; our rows keep the plain number.
"""

from __future__ import annotations

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifications.channels import ChannelError

# Twilio error codes that no retry can fix: an invalid "To" number, a recipient who replied STOP,
# a landline, a country not enabled on the account; for WhatsApp, a number that is not a WhatsApp user (63003)
# and a free-form message outside the 24-hour window, which needs an approved template (63016).
PERMANENT_ERROR_CODES = {21211, 21610, 21614, 21408, 21612, 63003, 63016}
WHATSAPP_PREFIX = "whatsapp:"


def http_client() -> HttpClient:
    """The HTTP client the SDK speaks through (tests give it one that records the request)."""
    return TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS)


def send(*, to: str, body: str, status_callback: str) -> str:
    route = ({"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID} if settings.TWILIO_MESSAGING_SERVICE_SID
             else {"from_": settings.TWILIO_FROM_NUMBER})
    return _create(to=to, body=body, status_callback=status_callback, kind="SMS", **route)


def send_whatsapp(*, to: str, body: str, status_callback: str) -> str:
    """A WhatsApp message to the E.164 number `to`, from the account's WhatsApp sender."""
    if not settings.TWILIO_WHATSAPP_FROM:
        raise ChannelError("No WhatsApp sender is configured.", permanent=True)
    return _create(to=f"{WHATSAPP_PREFIX}{to}", body=body, status_callback=status_callback, kind="WhatsApp message",
                   from_=f"{WHATSAPP_PREFIX}{settings.TWILIO_WHATSAPP_FROM}")


def _create(*, to: str, body: str, status_callback: str, kind: str, **route) -> str:
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client())
    try:
        message = client.messages.create(to=to, body=body, status_callback=status_callback, **route)
    except TwilioRestException as error:
        # 4xx other than throttling is about this request, not Twilio's health: sending it again fails again.
        permanent = error.code in PERMANENT_ERROR_CODES or (400 <= error.status < 500 and error.status != 429)
        raise ChannelError(f"Twilio {error.status} error {error.code}: {error.msg}"[:300], permanent=permanent) from error
    except requests.ReadTimeout as error:
        # The request went out and no answer came back: Twilio may have accepted it. Sending it again could
        # text the customer twice, so it is not retried; care sees the failure on the journey.
        raise ChannelError(f"Twilio did not answer in time; the {kind} may have gone out: {error}"[:300],
                           permanent=True, maybe_sent=True) from error
    except requests.RequestException as error:
        # Nothing reached Twilio (refused, DNS, a connect timeout): safe to try again later.
        raise ChannelError(f"Twilio unreachable: {error}"[:300], permanent=False) from error
    return message.sid
