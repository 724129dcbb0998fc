"""What a care agent does on the customer's behalf from the journey: write a note, send the tracking link
again, cancel. Each goes through the service the customer and the API use (scheduling's cancellation,
notifications' sending) and leaves an entry on the delivery's audit trail naming the agent.

Rescheduling and instructions call scheduling's services straight from the views: they need nothing care adds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from care.errors import CareError, CareErrorCode
from care.labels import agent_label
from care.models import Note
from core.audit import audit_event
from notifications.models import PHONE_CHANNELS, Message
from notifications.services import address_opted_out, tracking_link_send
from scheduling.models import Delivery
from scheduling.services import delivery_cancel

NOTE_MAX = Note._meta.get_field("text").max_length
CANCEL_REASON_MAX = 200
# What the page's form carries to name one request (a uuid4's hex): anything else is not our form.
REQUEST_KEY = re.compile(r"^[0-9a-f]{32}$")
# A delivery the link is still worth sending for: nothing more will happen to one that is over.
LINK_WORTH_SENDING = (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED, Delivery.Status.OUT_FOR_DELIVERY,
                      Delivery.Status.ATTEMPTED, Delivery.Status.DELIVERED)


def note_add(*, delivery: Delivery, author: AbstractBaseUser, text: str, now: dt.datetime) -> Note:
    """Keep what the agent wrote about the delivery, signed and timed; an empty or overlong note is refused."""
    text = text.strip()
    if not text:
        raise CareError(CareErrorCode.NOTE_INVALID, "Write the note before adding it.",
                        fields={"text": ["Write the note before adding it."]})
    if len(text) > NOTE_MAX:
        raise CareError(CareErrorCode.NOTE_INVALID, f"A note holds at most {NOTE_MAX} characters; this one has {len(text)}.",
                        fields={"text": [f"Shorten it to {NOTE_MAX} characters."]})
    label = agent_label(author)
    with transaction.atomic():
        note = Note.objects.create(delivery=delivery, author=author, author_label=label, text=text, created_at=now)
        audit_event(instance=delivery, event="care.note_added", summary=f"Note added by {label}: {_excerpt(text)}")
    return note


def _excerpt(text: str, length: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= length else f"{line[:length - 1]}…"


@dataclass(frozen=True)
class LinkSent:
    """What became of a request to send the tracking link again, as the agent must be told it."""

    queued: list[Message]
    held_until: dt.datetime | None  # quiet hours: the messages wait until then
    opted_out: list[str]  # channel labels the customer opted out of: those messages will be suppressed
    duplicate: bool  # this very request was already handled (a double click)


def tracking_link_resend(*, delivery: Delivery, agent: AbstractBaseUser, request_key: str,
                         now: dt.datetime) -> LinkSent:
    """Send the customer's tracking link again through notifications, by the merchant's rules.

    1. Refuse a request the page did not make (a malformed key), a delivery with no phone or email, one that is
       cancelled or returned (the link would show a dead end), and a merchant who switched the message off.
    2. Queue it (notifications holds it through quiet hours and suppresses it at send time for an opt-out).
    3. Audit it on the delivery, saying where it went and whether it waits.
    """
    if not REQUEST_KEY.match(request_key or ""):
        raise CareError(CareErrorCode.LINK_NOT_SENT, "This form has expired: reload the page and send again.",
                        fields={"request_key": ["Reload the page."]})
    if delivery.status not in LINK_WORTH_SENDING:
        raise CareError(CareErrorCode.LINK_NOT_SENT,
                        f"A delivery that is {delivery.get_status_display().lower()} has nothing to follow.",
                        status_code=409)
    if not (delivery.recipient_phone or delivery.recipient_email):
        raise CareError(CareErrorCode.LINK_NOT_SENT,
                        "The delivery has no phone number or email address to send the link to.", status_code=409)
    already = Message.objects.filter(dedupe_key__startswith=f"tracking_link:{delivery.pk.hex}:{request_key}:").exists()
    with transaction.atomic():
        queued = tracking_link_send(delivery=delivery, request_key=request_key, now=now)
        if not queued and already:
            return LinkSent(queued=[], held_until=None, opted_out=[], duplicate=True)
        if not queued:
            raise CareError(CareErrorCode.LINK_NOT_SENT,
                            "The merchant has switched off this message: the link was not sent.", status_code=409)
        held_until = max((m.send_after for m in queued if m.send_after is not None), default=None)
        opted_out = [m.get_channel_display() for m in queued
                     if address_opted_out(merchant_id=m.merchant_id, channel=m.channel, to=m.to)]
        where = " and ".join("phone" if m.channel in PHONE_CHANNELS else "email" for m in queued)
        summary = f"Tracking link sent again by {agent_label(agent)} to the customer's {where}"
        if held_until is not None:
            summary += " (held for quiet hours)"
        audit_event(instance=delivery, event="care.tracking_link_resent", summary=summary)
    return LinkSent(queued=queued, held_until=held_until, opted_out=opted_out, duplicate=False)


def delivery_cancel_on_behalf(*, delivery: Delivery, agent: AbstractBaseUser, reason: str,
                              now: dt.datetime) -> Delivery:
    """Cancel the delivery because the customer asked care to, with their reason.

    Scheduling's `delivery_cancel` does the work, as for the merchant's API: the status moves by the allowed
    transitions (a delivery already out, delivered or cancelled is refused, 409), the window's place and the
    fleet's job are given back, the plan follows, and notifications tells the customer. Care adds why, and who.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise CareError(CareErrorCode.CANCEL_REASON_REQUIRED, "Say why the customer wants to cancel.",
                        fields={"reason": ["Say why the customer wants to cancel."]})
    if len(reason) > CANCEL_REASON_MAX:
        raise CareError(CareErrorCode.CANCEL_REASON_REQUIRED,
                        f"Keep the reason to {CANCEL_REASON_MAX} characters.",
                        fields={"reason": [f"Keep the reason to {CANCEL_REASON_MAX} characters."]})
    with transaction.atomic():
        cancelled = delivery_cancel(delivery=delivery, now=now)
        audit_event(instance=cancelled, event="care.cancelled_on_behalf",
                    summary=f"Cancelled on the customer's behalf by {agent_label(agent)}: {reason}")
    return cancelled
