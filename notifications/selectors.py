"""Reads of the messages a delivery was sent, for the pages that show them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.utils import formataddr

import phonenumbers
from django.conf import settings
from django.db.models import Q

from merchants.access import merchant_q
from merchants.models import Merchant
from notifications.models import PHONE_CHANNELS, Channel, Message, Trigger

# The message left our hands: sent, or being handed to the provider, or already confirmed.
HANDED_OVER = (Message.Status.SENDING, Message.Status.SENT, Message.Status.DELIVERED)


@dataclass(frozen=True)
class SentTo:
    channel: str
    masked_address: str


def phone_mask(number: str) -> str:
    """"+33612345678" → "+33 6 •• •• 56 78": enough to recognise one's own number, not to copy it."""
    try:
        formatted = phonenumbers.format_number(phonenumbers.parse(number, None),
                                               phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        formatted = number
    country, _, national = formatted.partition(" ")
    digits = sum(char.isdigit() for char in national)
    seen, out = 0, []
    for char in national:
        if char.isdigit():
            seen += 1
            out.append(char if seen == 1 or seen > digits - 4 else "•")
        else:
            out.append(char)
    return f"{country} {''.join(out)}".strip()


def email_mask(address: str) -> str:
    """"jeanne@example.com" → "j•••@example.com"."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def booking_confirmation_sent_to(*, delivery_id) -> list[SentTo]:
    """Where the booking confirmation really went (SMS first), for the page that says so."""
    messages = Message.objects.filter(delivery_id=delivery_id, trigger=Trigger.BOOKED, status__in=HANDED_OVER)
    sent = []
    for message in sorted(messages, key=lambda m: m.channel not in PHONE_CHANNELS):
        mask = phone_mask if message.channel in PHONE_CHANNELS else email_mask
        sent.append(SentTo(channel=message.channel, masked_address=mask(message.to)))
    return sent


def messages_for_delivery(*, delivery_id) -> list[Message]:
    """Every message of a delivery, oldest first, whatever became of it."""
    return list(Message.objects.filter(delivery_id=delivery_id).order_by("created_at", "pk"))


# The demo's message viewer shows this many rows at most: enough for a morning of the simulated fleet.
MESSAGE_FEED_LIMIT = 100


@dataclass(frozen=True)
class SmsThread:
    """The SMS one phone number received, newest first, as the phone's messages app groups them."""

    to: str
    to_display: str  # "+33 6 12 34 56 78"
    messages: list[Message]


def messages_latest(*, channels: tuple[str, ...] = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL), ref: str = "",
                    merchant_ids=None, limit: int = MESSAGE_FEED_LIMIT) -> list[Message]:
    """The newest messages to customers of these merchants (every merchant when None), newest first, with their
    merchant and delivery.

    `channels` keeps those channels; `ref` keeps one delivery's, by order reference (any case) or
    delivery id. A reference nobody has keeps nothing, so a typo never looks like a match.
    """
    messages = (Message.objects.filter(merchant_q(merchant_ids), channel__in=channels)
                .select_related("merchant", "delivery")
                .order_by("-created_at", "-pk"))
    if ref:
        by_ref = Q(delivery__order_ref__iexact=ref)
        try:
            by_ref |= Q(delivery_id=uuid.UUID(ref))
        except ValueError:
            pass
        messages = messages.filter(by_ref)
    return list(messages[:limit])


def sms_threads(messages: list[Message]) -> list[SmsThread]:
    """Group the phone's messages (SMS and WhatsApp) by number; the thread with the newest message comes first."""
    threads: dict[str, list[Message]] = {}
    for message in sorted(messages, key=lambda m: (m.created_at, m.pk), reverse=True):
        if message.channel in PHONE_CHANNELS:
            threads.setdefault(message.to, []).append(message)
    return [SmsThread(to=to, to_display=phone_display(to), messages=grouped) for to, grouped in threads.items()]


def phone_display(number: str) -> str:
    """"+33612345678" → "+33 6 12 34 56 78", as a phone shows a number; anything unreadable as it is."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return number


def email_sender(merchant: Merchant) -> str:
    """The From header of a merchant's emails: the brand's name and its address, or the site's."""
    # formataddr quotes and encodes the name as the header needs (a brand may hold quotes or accents).
    return formataddr((merchant.brand_name or merchant.name, merchant.email_from or settings.DEFAULT_FROM_EMAIL))
