"""The journey's milestones reach the customer: out for delivery, delivered, attempted with a reschedule link."""

import pytest

from notifications.models import Message, Trigger
from tests.notifications.conftest import DAYTIME
from tracking.models import Event, Milestone
from tracking.services.journey import event_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daytime(clock_at):
    clock_at(DAYTIME)


def record(delivery, milestone, client_id, capture, **fields):
    with capture(execute=True):
        return event_record(delivery=delivery, milestone=milestone, source=Event.Source.DRIVER,
                            recorded_at=DAYTIME, client_id=client_id, **fields)


def test_out_for_delivery_and_delivered_are_each_told_once(delivery, sms_outbox, django_capture_on_commit_callbacks):
    record(delivery, Milestone.OUT_FOR_DELIVERY, "ofd-1", django_capture_on_commit_callbacks)
    record(delivery, Milestone.OUT_FOR_DELIVERY, "ofd-1", django_capture_on_commit_callbacks)  # the driver's retry
    record(delivery, Milestone.DELIVERED, "done-1", django_capture_on_commit_callbacks)

    assert len(sms_outbox) == 2
    assert "on its way" in sms_outbox[0].body and "delivered" in sms_outbox[1].body
    assert list(Message.objects.filter(channel="sms").order_by("pk").values_list("trigger", flat=True)) == [
        Trigger.OUT_FOR_DELIVERY, Trigger.DELIVERED]


def test_a_failed_attempt_sends_the_reschedule_link(delivery, sms_outbox, settings, django_capture_on_commit_callbacks):
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"

    record(delivery, Milestone.ATTEMPTED, "att-1", django_capture_on_commit_callbacks, reason="nobody_home")

    [sms] = sms_outbox
    assert f"https://deliveries.example.com/t/{delivery.tracking_token}/reschedule/" in sms.body


def test_milestones_the_customer_need_not_hear_about_send_nothing(delivery, sms_outbox,
                                                                   django_capture_on_commit_callbacks):
    record(delivery, Milestone.SCANNED_OUT, "scan-1", django_capture_on_commit_callbacks)
    record(delivery, Milestone.ARRIVED, "arr-1", django_capture_on_commit_callbacks)

    assert sms_outbox == [] and not Message.objects.exists()


def test_the_attempt_message_says_why_it_failed(delivery, sms_outbox, django_capture_on_commit_callbacks):
    record(delivery, Milestone.ATTEMPTED, "att-2", django_capture_on_commit_callbacks, reason="access_refused")

    [sms] = sms_outbox
    assert "We could not get into the building." in sms.body


def test_the_delivered_message_says_who_received_it_and_when(delivery, sms_outbox, django_capture_on_commit_callbacks):
    from tracking.models import ProofOfDelivery

    delivery.language = "fr"
    delivery.save()
    ProofOfDelivery.objects.create(delivery=delivery, recipient_name="C. Durand", captured_at=DAYTIME)

    record(delivery, Milestone.DELIVERED, "done-2", django_capture_on_commit_callbacks)

    [sms] = sms_outbox
    assert f"Reçu par C. Durand à {DAYTIME.astimezone(delivery.merchant.zone_info):%H:%M}." in sms.body
    email = Message.objects.get(channel="email", trigger=Trigger.DELIVERED)
    assert "Reçu par C. Durand" in email.body
