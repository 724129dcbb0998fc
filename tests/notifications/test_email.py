"""Email through a real SMTP server started here, read back as a mail client receives it."""

import datetime as dt
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from notifications import services
from notifications.models import Channel, Message, Trigger
from tests.notifications.conftest import DAYTIME

pytestmark = pytest.mark.django_db


class Mailbox:
    def __init__(self):
        self.received = []
        self.refused = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings, clock_at):
    clock_at(DAYTIME)
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"
    yield mailbox
    controller.stop()


def send_email(delivery, trigger, event_key) -> Message:
    [mail] = [m for m in services.delivery_notify(delivery=delivery, trigger=trigger, event_key=event_key)
              if m.channel == Channel.EMAIL]
    services.message_send(message_id=mail.pk)
    mail.refresh_from_db()
    return mail


def parts(message):
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    [invite] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return html, text, invite


def test_a_booking_email_is_branded_with_text_and_a_calendar_invite(smtp, delivery):
    mail = send_email(delivery, Trigger.BOOKED, "booked:smtp")

    assert mail.status == Message.Status.SENT
    [received] = smtp.received
    assert received["To"] == "camille@example.com"
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Fresh Basket", "hello@freshbasket.example")
    assert received["Subject"].strip() == "Your delivery is booked: Wednesday 3 June, 10:00–12:00"
    # One well-formed id in the sender's domain (the display name must not leak into it).
    assert received["Message-ID"].strip() == f"<{mail.provider_id}>"
    assert mail.provider_id.endswith("@freshbasket.example")
    html, text, invite = parts(received)
    assert "#2e7d32" in html and "Fresh Basket" in html
    assert f'href="https://deliveries.example.com/t/{delivery.tracking_token}/"' in html
    assert "Hello Camille" in text and f"/t/{delivery.tracking_token}/" in text
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_filename() == "delivery.ics"
    ics = invite.get_content()
    # Wednesday 3 June 2026, 10:00–12:00 in Paris is 08:00–10:00 UTC.
    assert "DTSTART:20260603T080000Z" in ics and "DTEND:20260603T100000Z" in ics
    assert f"UID:delivery-{delivery.pk}@deliveries.example.com" in ics
    assert "SEQUENCE:0" in ics and "METHOD:REQUEST" in ics and "\r\n" in ics
    assert "4521B" not in html + text + ics and "Rivoli" not in html + text + ics


def test_a_reschedule_updates_the_same_calendar_entry_and_a_cancel_removes_it(smtp, delivery):
    send_email(delivery, Trigger.BOOKED, "booked:smtp")
    delivery.window.starts_at += dt.timedelta(days=2)
    delivery.window.ends_at += dt.timedelta(days=2)
    delivery.window.save()
    send_email(delivery, Trigger.RESCHEDULED, "rescheduled:smtp")
    send_email(delivery, Trigger.CANCELLED, "cancelled:smtp")

    invites = [parts(received)[2] for received in smtp.received]
    uids = {line for invite in invites for line in invite.get_content().splitlines() if line.startswith("UID:")}
    assert len(uids) == 1
    rescheduled, cancelled = invites[1].get_content(), invites[2].get_content()
    assert "SEQUENCE:1" in rescheduled and "DTSTART:20260605T080000Z" in rescheduled
    assert "SEQUENCE:2" in cancelled and "METHOD:CANCEL" in cancelled and "STATUS:CANCELLED" in cancelled
    assert invites[2].get_param("method") == "CANCEL"


def test_a_milestone_email_has_no_invite(smtp, delivery):
    send_email(delivery, Trigger.OUT_FOR_DELIVERY, "out:smtp")

    [received] = smtp.received
    assert not [part for part in received.walk() if part.get_content_type() == "text/calendar"]


def test_a_mailbox_the_server_refuses_fails_for_good(smtp, delivery):
    smtp.refused.add("camille@example.com")

    mail = send_email(delivery, Trigger.BOOKED, "booked:refused")

    assert mail.status == Message.Status.FAILED and smtp.received == []


def test_an_smtp_server_that_is_down_is_tried_again_later(smtp, delivery, settings):
    settings.EMAIL_PORT = free_port()  # nothing listens there

    mail = send_email(delivery, Trigger.BOOKED, "booked:down")

    assert mail.status == Message.Status.QUEUED and mail.send_after > DAYTIME and "SMTP unavailable" in mail.error


def test_the_message_id_is_well_formed_when_the_sender_has_a_display_name(settings):
    from django.core import mail as django_mail

    from notifications.channels import mail as mail_channel

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    provider_id = mail_channel.send(to="camille@example.com", subject="Booked", text="Hello", html="",
                                    from_email='"Fresh Basket" <hello@freshbasket.example>')

    [sent] = django_mail.outbox
    assert sent.extra_headers["Message-ID"] == f"<{provider_id}>"
    assert provider_id.endswith("@freshbasket.example")
