"""Reads of the messages a delivery was sent, for the pages that show them."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from notifications.models import Channel, Message, Trigger

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
    for message in sorted(messages, key=lambda m: m.channel != Channel.SMS):
        mask = phone_mask if message.channel == Channel.SMS else email_mask
        sent.append(SentTo(channel=message.channel, masked_address=mask(message.to)))
    return sent


def messages_for_delivery(*, delivery_id) -> list[Message]:
    """Every message of a delivery, oldest first, whatever became of it."""
    return list(Message.objects.filter(delivery_id=delivery_id).order_by("created_at", "pk"))
