"""Adapters to the providers that carry messages, one module each.

Every adapter returns the provider's id for an accepted message, or raises
`ChannelError` saying whether trying again later can help (`permanent`) and
whether the message may have reached the recipient all the same (`maybe_sent`).
An SMS backend carries WhatsApp too (`send_whatsapp`): both go to the phone number.
"""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

from django.conf import settings


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool, maybe_sent: bool = False):
        super().__init__(message)
        self.permanent = permanent
        # The request went out and no answer came: sending the same words another way could reach them twice.
        self.maybe_sent = maybe_sent


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, status_callback: str) -> str: ...

    def send_whatsapp(self, *, to: str, body: str, status_callback: str) -> str: ...


SMS_BACKENDS = {
    "console": "notifications.channels.console_sms",
    "memory": "notifications.channels.memory_sms",
    "twilio": "notifications.channels.twilio_sms",
}


def sms_backend() -> SmsBackend:
    """The module named by settings.SMS_BACKEND (console, memory or twilio)."""
    return import_module(SMS_BACKENDS[settings.SMS_BACKEND])
