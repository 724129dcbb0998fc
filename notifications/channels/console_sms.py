"""SMS (and WhatsApp) printed to the console: the demo's default, so a newcomer sees what customers would get."""

import sys
import uuid


def _print(kind: str, to: str, body: str) -> str:
    provider_id = f"console-{uuid.uuid4().hex}"
    sys.stdout.write(f"--- {kind} to {to} [{provider_id}] ---\n{body}\n---\n")
    sys.stdout.flush()
    return provider_id


def send(*, to: str, body: str, status_callback: str) -> str:
    return _print("SMS", to, body)


def send_whatsapp(*, to: str, body: str, status_callback: str) -> str:
    return _print("WhatsApp", to, body)
