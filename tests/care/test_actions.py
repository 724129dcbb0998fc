"""An agent acts on the customer's behalf from the journey: notes, the tracking link again, cancelling.

Each action changes what the customer or the next agent sees, leaves a line on the audit trail naming the
agent, refuses bad input with a 4xx that says what to fix, and is refused to a viewer.
"""

import re

import pytest
from django.test import Client

from care.audit import delivery_audit_trail
from care.models import Note
from dispatch.models import Job
from merchants.models import StaffMembership
from notifications.models import Channel, MerchantMessaging, Message, OptOut, Trigger
from notifications.services import message_send
from scheduling.models import Delivery, Window
from scheduling.services import delivery_create_for_seed
from tests.care.conftest import TOMORROW, make_agent
from tests.factories import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(windows):
    morning = windows.get(date=TOMORROW, label="standard")
    return delivery_create_for_seed(merchant=morning.merchant, window=morning, order_ref="FB-7", recipient_name="Jade Moreau",
                                    recipient_phone="+33612345678", recipient_email="jade@example.com",
                                    address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004",
                                    lat=48.8556, lng=2.3600, send_signal=False)


@pytest.fixture
def viewer(delivery) -> Client:
    """Someone at the merchant whose role may look at deliveries but not change them."""
    user = make_agent("vera", "Vera", "Lind")
    user.platform_role.delete()
    StaffMembership.objects.create(user=user, merchant=delivery.merchant, role=StaffMembership.Role.VIEWER)
    client = Client()
    client.force_login(user)
    return client


def trail(delivery) -> list[str]:
    return [f"{entry.who}: {entry.what}" for entry in delivery_audit_trail(delivery=delivery)]


def page(client, delivery) -> str:
    return client.get(f"/care/deliveries/{delivery.pk}/").content.decode()


def resend_key(html: str) -> str:
    return re.search(r'name="request_key" value="([0-9a-f]{32})"', html)[1]


# --- Notes ---------------------------------------------------------------------------------------------------


def test_an_agents_note_is_kept_signed_shown_newest_first_and_audited(console, delivery):
    console.post(f"/care/deliveries/{delivery.pk}/notes/", {"text": "Customer called: gate code changed."})
    response = console.post(f"/care/deliveries/{delivery.pk}/notes/", {"text": "Called back, all sorted."}, follow=True)

    body = response.content.decode()
    assert "Note added." in body
    assert body.index("Called back, all sorted.") < body.index("Customer called: gate code changed.")
    assert [n.author_label for n in Note.objects.filter(delivery=delivery)] == ["Alice Moreau", "Alice Moreau"]
    assert "Alice Moreau: Note added by Alice Moreau: Customer called: gate code changed." in trail(delivery)


def test_an_empty_note_is_refused_with_a_400_that_says_what_to_do(console, delivery):
    response = console.post(f"/care/deliveries/{delivery.pk}/notes/", {"text": "   "})

    assert response.status_code == 400
    assert "Write the note before adding it." in response.content.decode()
    assert not Note.objects.exists()


def test_an_overlong_note_is_refused_and_the_text_is_kept_in_the_form(console, delivery):
    text = "x" * 2001
    response = console.post(f"/care/deliveries/{delivery.pk}/notes/", {"text": text})

    assert response.status_code == 400
    assert text in response.content.decode()  # the agent does not lose what they typed
    assert not Note.objects.exists()


# --- The tracking link -------------------------------------------------------------------------------------------


def test_the_agent_resends_the_tracking_link_by_sms_and_email_and_it_is_audited(console, delivery):
    key = resend_key(page(console, delivery))

    response = console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": key}, follow=True)

    assert "Tracking link sent again by SMS, Email." in response.content.decode()
    sent = Message.objects.filter(delivery=delivery, trigger=Trigger.TRACKING_LINK)
    assert {m.channel for m in sent} == {Channel.SMS, Channel.EMAIL}
    sms = sent.get(channel=Channel.SMS)
    assert f"/t/{delivery.tracking_token}/" in sms.body and sms.to == "+33612345678" and sms.send_after is None
    assert "Alice Moreau: Tracking link sent again by Alice Moreau to the customer's phone and email" in trail(delivery)


def test_a_double_click_sends_the_link_once_and_a_new_request_sends_it_again(console, delivery):
    key = resend_key(page(console, delivery))
    console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": key})
    again = console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": key}, follow=True)

    assert "already sent for this request" in again.content.decode()
    assert Message.objects.filter(trigger=Trigger.TRACKING_LINK).count() == 2

    console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": resend_key(page(console, delivery))})
    assert Message.objects.filter(trigger=Trigger.TRACKING_LINK).count() == 4


def test_in_quiet_hours_the_link_waits_and_the_agent_is_told_until_when(console, delivery, frozen_now):
    frozen_now(local(TOMORROW, 6, 30))
    key = resend_key(page(console, delivery))

    response = console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": key}, follow=True)

    assert "quiet hours hold it until" in response.content.decode() and "08:00" in response.content.decode()
    assert all(m.send_after == local(TOMORROW, 8) for m in Message.objects.filter(trigger=Trigger.TRACKING_LINK))
    assert message_send(message_id=Message.objects.filter(trigger=Trigger.TRACKING_LINK).first().pk) is None


def test_a_customer_who_opted_out_of_sms_gets_no_sms_and_the_agent_is_warned(console, delivery):
    OptOut.objects.create(merchant=delivery.merchant, channel=Channel.SMS, address="+33612345678")
    key = resend_key(page(console, delivery))

    response = console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": key}, follow=True)

    assert "The customer opted out of SMS" in response.content.decode()
    sms = Message.objects.get(trigger=Trigger.TRACKING_LINK, channel=Channel.SMS)
    assert message_send(message_id=sms.pk) == Message.Status.SUPPRESSED


def test_a_merchant_who_switched_the_message_off_sends_nothing_and_the_agent_hears_why(console, delivery):
    MerchantMessaging.objects.create(merchant=delivery.merchant, on_tracking_link=False)
    key = resend_key(page(console, delivery))

    response = console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": key})

    assert response.status_code == 409
    assert "switched off this message" in response.content.decode()
    assert not Message.objects.filter(trigger=Trigger.TRACKING_LINK).exists()


def test_a_resend_without_the_pages_key_is_a_400(console, delivery):
    response = console.post(f"/care/deliveries/{delivery.pk}/resend-link/", {"request_key": "nope"})

    assert response.status_code == 400
    assert "reload the page" in response.content.decode()
    assert not Message.objects.filter(trigger=Trigger.TRACKING_LINK).exists()


# --- Cancelling ----------------------------------------------------------------------------------------------


def test_the_agent_cancels_for_the_customer_the_place_and_job_are_released_and_the_customer_told(
        console, delivery, django_capture_on_commit_callbacks):
    window = Window.objects.get(pk=delivery.window_id)
    assert window.booked == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(f"/care/deliveries/{delivery.pk}/cancel/", {"reason": "Ordered twice"}, follow=True)

    assert "Delivery cancelled" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.CANCELLED
    assert Window.objects.get(pk=window.pk).booked == 0
    assert Job.objects.get(pk=delivery.job_id).status == Job.Status.CANCELLED
    assert Message.objects.filter(delivery=delivery, trigger=Trigger.CANCELLED, channel=Channel.SMS).exists()
    assert "Alice Moreau: Cancelled on the customer's behalf by Alice Moreau: Ordered twice" in trail(delivery)
    assert "cannot be cancelled" in response.content.decode()  # the form is gone


def test_a_cancel_without_a_reason_is_a_400_and_nothing_changes(console, delivery):
    response = console.post(f"/care/deliveries/{delivery.pk}/cancel/", {"reason": ""})

    assert response.status_code == 400
    assert "Say why the customer wants to cancel." in response.content.decode()
    unchanged = Delivery.objects.get(pk=delivery.pk)
    assert unchanged.status == Delivery.Status.SCHEDULED and unchanged.window_id == delivery.window_id
    assert unchanged.access_notes == ""
    assert Window.objects.get(pk=delivery.window_id).booked == 1


def test_a_delivery_out_for_delivery_cannot_be_cancelled_by_care(console, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.OUT_FOR_DELIVERY)

    response = console.post(f"/care/deliveries/{delivery.pk}/cancel/", {"reason": "Changed my mind"})

    assert response.status_code == 409
    assert "can no longer be cancelled" in response.content.decode()
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.OUT_FOR_DELIVERY


# --- Who may act ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "data"), [
    ("notes", {"text": "I was here"}),
    ("resend-link", {"request_key": "0" * 32}),
    ("cancel", {"reason": "Ordered twice"}),
    ("reschedule", {"window_id": "1"}),
    ("instructions", {"access_notes": "Gate code 1234", "drop_choice": "door"}),
])
def test_a_viewer_sees_the_journey_but_every_action_is_forbidden(viewer, delivery, action, data):
    body = page(viewer, delivery)
    assert "FB-7" in body and "Add note" not in body and "Resend tracking link" not in body

    response = viewer.post(f"/care/deliveries/{delivery.pk}/{action}/", data)

    assert response.status_code == 403
    assert not Note.objects.exists() and not Message.objects.filter(trigger=Trigger.TRACKING_LINK).exists()
    unchanged = Delivery.objects.get(pk=delivery.pk)
    assert unchanged.status == Delivery.Status.SCHEDULED and unchanged.window_id == delivery.window_id
    assert unchanged.access_notes == ""
