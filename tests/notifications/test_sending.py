"""Every message is a row claimed before the provider is called: events, retries and races send once."""

import datetime as dt
import threading

import pytest
from django.db import connection

from core import clock
from notifications import services
from notifications.models import Channel, MerchantMessaging, Message, OptOut, Trigger
from scheduling.models import Delivery
from scheduling.signals import delivery_booked, delivery_cancelled, delivery_rescheduled
from tests.factories import WindowFactory
from tests.notifications.conftest import DAYTIME, make_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daytime(clock_at):
    clock_at(DAYTIME)


def book(delivery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery_booked.send(sender=Delivery, delivery=delivery)


def test_a_booking_sends_one_sms_and_one_email(delivery, sms_outbox, mailoutbox, django_capture_on_commit_callbacks):
    book(delivery, django_capture_on_commit_callbacks)

    assert [sms.to for sms in sms_outbox] == ["+33612345678"]
    assert "Fresh Basket" in sms_outbox[0].body and f"/t/{delivery.tracking_token}/" in sms_outbox[0].body
    assert "Wednesday 3 June, 10:00–12:00" in sms_outbox[0].body
    assert [mail.to for mail in mailoutbox] == [["camille@example.com"]]
    messages = Message.objects.filter(delivery=delivery)
    assert {(m.channel, m.trigger, m.status) for m in messages} == {
        (Channel.SMS, Trigger.BOOKED, Message.Status.SENT), (Channel.EMAIL, Trigger.BOOKED, Message.Status.SENT)}
    assert all(m.provider_id and m.sent_at == DAYTIME for m in messages)


def test_messages_never_carry_the_address_or_the_door_code(delivery, sms_outbox, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    book(delivery, django_capture_on_commit_callbacks)

    everything = sms_outbox[0].body + mailoutbox[0].body + mailoutbox[0].alternatives[0].content
    assert "4521B" not in everything and "Rivoli" not in everything


def test_a_french_customer_is_written_to_in_french(shop, sms_outbox, django_capture_on_commit_callbacks):
    delivery = make_delivery(shop, language="fr", recipient_email="")
    book(delivery, django_capture_on_commit_callbacks)

    assert "Mercredi 3 juin, 10:00–12:00" in sms_outbox[0].body and "Suivi" in sms_outbox[0].body


def test_a_duplicated_booking_event_sends_once(delivery, sms_outbox, mailoutbox, django_capture_on_commit_callbacks):
    book(delivery, django_capture_on_commit_callbacks)
    book(delivery, django_capture_on_commit_callbacks)

    assert len(sms_outbox) == 1 and len(mailoutbox) == 1
    assert Message.objects.filter(delivery=delivery).count() == 2


def test_a_retried_task_does_not_send_again(delivery, sms_outbox, django_capture_on_commit_callbacks):
    book(delivery, django_capture_on_commit_callbacks)
    sms = Message.objects.get(delivery=delivery, channel=Channel.SMS)

    assert services.message_send(message_id=sms.pk) is None

    assert len(sms_outbox) == 1
    sms.refresh_from_db()
    assert sms.status == Message.Status.SENT and sms.attempts == 1


def test_a_message_left_sending_by_a_dead_worker_is_not_sent_again(delivery, sms_outbox):
    messages = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:x")
    sms = next(m for m in messages if m.channel == Channel.SMS)
    Message.objects.filter(pk=sms.pk).update(status=Message.Status.SENDING, attempts=1)

    assert services.message_send(message_id=sms.pk) is None
    assert sms.pk not in services.messages_due(now=clock.now().replace(year=2027))

    assert sms_outbox == []
    sms.refresh_from_db()
    assert sms.status == Message.Status.SENDING  # for care to see: it may or may not have reached the phone


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_message_send_it_once(delivery, sms_outbox):
    # Queued, as a task finds it (no on-commit send here: both workers must find it queued).
    sms = Message.objects.create(merchant=delivery.merchant, delivery=delivery, channel=Channel.SMS,
                                 trigger=Trigger.BOOKED, template="booked", to="+33612345678", body="Booked",
                                 dedupe_key="booked:race:sms")
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            results.append(services.message_send(message_id=sms.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(Message.Status.SENT) == 1 and results.count(None) == 1
    assert len(sms_outbox) == 1


def test_an_opt_out_received_after_queueing_suppresses_the_message(delivery, sms_outbox, mailoutbox):
    messages = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:stop")
    OptOut.objects.create(merchant=delivery.merchant, channel=Channel.SMS, address="+33612345678")
    OptOut.objects.create(merchant=delivery.merchant, channel=Channel.EMAIL, address="Camille@Example.com")

    for message in messages:
        assert services.message_send(message_id=message.pk) == Message.Status.SUPPRESSED

    assert sms_outbox == [] and mailoutbox == []
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SUPPRESSED}


def test_an_opt_out_at_another_merchant_does_not_silence_this_one(delivery, sms_outbox, outsider_merchant):
    OptOut.objects.create(merchant=outsider_merchant, channel=Channel.SMS, address="+33612345678")
    messages = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:other")

    services.message_send(message_id=next(m for m in messages if m.channel == Channel.SMS).pk)

    assert len(sms_outbox) == 1


def test_a_trigger_the_merchant_switched_off_sends_nothing(delivery, sms_outbox, django_capture_on_commit_callbacks):
    MerchantMessaging.objects.create(merchant=delivery.merchant, on_booked=False)

    book(delivery, django_capture_on_commit_callbacks)

    assert sms_outbox == [] and not Message.objects.exists()


def test_a_recipient_without_email_gets_only_the_sms(shop, sms_outbox, mailoutbox, django_capture_on_commit_callbacks):
    book(make_delivery(shop, recipient_email=""), django_capture_on_commit_callbacks)

    assert len(sms_outbox) == 1 and mailoutbox == []


def test_each_reschedule_is_told_once_and_a_cancel_once(delivery, sms_outbox, django_capture_on_commit_callbacks):
    book(delivery, django_capture_on_commit_callbacks)
    old_window = delivery.window
    delivery.window = WindowFactory(template=old_window.template, date=old_window.date.replace(day=5))
    delivery.save()
    for _ in range(2):  # the same move reported twice
        with django_capture_on_commit_callbacks(execute=True):
            delivery_rescheduled.send(sender=Delivery, delivery=delivery, old_window=old_window,
                                      new_window=delivery.window)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_cancelled.send(sender=Delivery, delivery=delivery)

    assert len(sms_outbox) == 3
    assert "Friday 5 June" in sms_outbox[1].body
    assert "cancelled" in sms_outbox[2].body
    assert list(Message.objects.filter(channel=Channel.SMS).order_by("pk").values_list("trigger", flat=True)) == [
        Trigger.BOOKED, Trigger.RESCHEDULED, Trigger.CANCELLED]


def test_a_message_is_stamped_on_the_portals_clock(delivery, clock_at):
    # The demo's fleet runs a simulated day: its messages must read 10:00, not the wall clock's time.
    moment = clock_at(DAYTIME)

    messages = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:clock")

    assert messages and {message.created_at for message in messages} == {moment}


def test_after_its_window_has_ended_a_delivery_hears_only_its_outcome(delivery, clock_at):
    clock_at(delivery.window.ends_at + dt.timedelta(minutes=30))

    assert services.delivery_notify(delivery=delivery, trigger=Trigger.OUT_FOR_DELIVERY, event_key="ofd:late") == []
    assert services.delivery_notify(delivery=delivery, trigger=Trigger.ARRIVING_SOON, event_key="soon:late") == []
    delivered = services.delivery_notify(delivery=delivery, trigger=Trigger.DELIVERED, event_key="done:late")
    assert {message.trigger for message in delivered} == {Trigger.DELIVERED}
