"""Where the demo's customer messages go: its messages page, not the terminal; and where their links lead.

The demo books a week of deliveries and replays the day, sending thousands of SMS and emails. The
development stand-ins print each one whole to standard output (an email as its MIME source), which
buried the server's address and the seed's keys under some 130,000 lines. The demo shows every message
on /demo/messages/ as the customer's phone and mail client would (from the outbox's records), so its
commands keep them off the terminal. A backend the operator chose, or a test's, stays.
"""

import os

from django.conf import settings

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


def messages_to_the_demo_page(environ=os.environ) -> None:
    """Swap the console stand-ins for quiet ones (call before anything is sent); any other backend stays."""
    if settings.SMS_BACKEND == "console" and "SMS_BACKEND" not in environ:
        settings.SMS_BACKEND = "memory"  # a few hundred bytes a message, for the life of the process
    if settings.EMAIL_BACKEND == CONSOLE_EMAIL and not environ.get("EMAIL_URL"):
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"


def links_to_this_server(*, host: str, port: int, environ=os.environ) -> None:
    """Tracking links in the demo's messages point at the server it runs, unless PUBLIC_BASE_URL was set: a demo
    served on another port sent customers to port 8000, where nothing answered."""
    if "PUBLIC_BASE_URL" not in environ:
        settings.PUBLIC_BASE_URL = f"http://{host}:{port}"
