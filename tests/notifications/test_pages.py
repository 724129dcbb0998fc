"""What people see of the messages: the shopper's confirmation page and the care agent's journey."""

import pytest

from notifications import services
from notifications.models import Channel, Message, Trigger
from notifications.selectors import email_mask, phone_mask
from tests.care.conftest import make_agent
from tests.notifications.conftest import DAYTIME, make_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daytime(clock_at):
    clock_at(DAYTIME)


def confirmation(client, delivery, lang: str = "en") -> str:
    return client.get(f"/demo/checkout/confirmation/{delivery.tracking_token}/", {"lang": lang}).content.decode()


def test_numbers_and_addresses_are_masked():
    assert phone_mask("+33612345678") == "+33 6 •• •• 56 78"
    assert email_mask("jeanne@example.com") == "j•••@example.com"


def test_the_confirmation_says_where_the_link_was_really_sent(client, delivery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key=f"booked:{delivery.pk.hex}")

    body = confirmation(client, delivery)

    assert "We sent this link by SMS to +33 6 •• •• 56 78 and by email to c•••@example.com." in body
    assert "+33612345678" not in body and "camille@example.com" not in body


def test_a_french_customer_reads_where_the_link_was_sent_in_french(client, delivery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key=f"booked:{delivery.pk.hex}")

    body = confirmation(client, delivery, lang="fr")

    assert ("Nous vous avons envoyé ce lien par SMS au +33 6 •• •• 56 78 et par e-mail à c•••@example.com. "
            "Gardez-le") in body
    assert "We sent" not in body and "by SMS" not in body


def test_the_confirmation_claims_nothing_when_nothing_was_sent(client, shop):
    delivery = make_delivery(shop, recipient_phone="", recipient_email="")

    body = confirmation(client, delivery)

    assert "We sent this link" not in body and "by message" not in body


def test_the_confirmation_does_not_claim_a_message_the_customer_opted_out_of(client, delivery):
    messages = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:opt")
    Message.objects.filter(pk__in=[m.pk for m in messages], channel=Channel.EMAIL).update(
        status=Message.Status.SUPPRESSED)
    services.message_send(message_id=next(m for m in messages if m.channel == Channel.SMS).pk)

    body = confirmation(client, delivery)

    assert "We sent this link by SMS to +33 6 •• •• 56 78." in body and "by email" not in body


def test_the_care_journey_lists_every_message_with_channel_trigger_and_status(client, delivery, sms_outbox):
    messages = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:care")
    sms = next(m for m in messages if m.channel == Channel.SMS)
    services.message_send(message_id=sms.pk)
    Message.objects.filter(pk=sms.pk).update(status=Message.Status.UNDELIVERED)
    client.force_login(make_agent("alice"))

    body = client.get(f"/care/deliveries/{delivery.pk}/").content.decode()

    section = body[body.index("Messages to the customer"):]
    assert "SMS" in section and "Email" in section and "Booking confirmed" in section
    assert "Undelivered" in section and "Queued" in section
    assert "+33612345678" in section and "camille@example.com" in section
