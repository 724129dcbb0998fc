"""SMS and WhatsApp kept in a list in this process, for tests: `outbox` holds what was sent, in order."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    status_callback: str
    provider_id: str
    channel: str = "sms"


outbox: list[SentSms] = []


def send(*, to: str, body: str, status_callback: str, channel: str = "sms") -> str:
    provider_id = f"memory-{uuid.uuid4().hex}"
    outbox.append(SentSms(to=to, body=body, status_callback=status_callback, provider_id=provider_id, channel=channel))
    return provider_id


def send_whatsapp(*, to: str, body: str, status_callback: str) -> str:
    return send(to=to, body=body, status_callback=status_callback, channel="whatsapp")
