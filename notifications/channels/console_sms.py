"""SMS printed to the console: the demo's default, so a newcomer sees what customers would get."""

import sys
import uuid


def send(*, to: str, body: str, status_callback: str) -> str:
    provider_id = f"console-{uuid.uuid4().hex}"
    sys.stdout.write(f"--- SMS to {to} [{provider_id}] ---\n{body}\n---\n")
    sys.stdout.flush()
    return provider_id
