"""Merchant webhooks: signed as Standard Webhooks receivers verify them, retried for a day, sent once each."""

from __future__ import annotations

import datetime as dt

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from merchants.models import StaffMembership, WebhookEndpoint
from merchants.services import webhook_endpoint_create, webhook_secret_rotate
from notifications import tasks
from notifications.models import Channel, Message, WebhookAttempt
from notifications.services import message_send, messages_due
from notifications.webhooks import (
    DISABLED_ERROR,
    WEBHOOK_LEASE,
    WEBHOOK_RETRY_DELAYS,
    delivery_event_emit,
    webhook_endpoint_resume,
    webhook_replay,
    webhook_send_test,
    webhooks_reclaim_stale,
)
from scheduling import services as scheduling_services
from tests.notifications.conftest import DAYTIME
from tracking.models import Event, Milestone, ProofOfDelivery
from tracking.services.journey import event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(shop, receiver):
    return webhook_endpoint_create(merchant=shop, url=receiver.url)


@pytest.fixture
def now(clock_at):
    """The project clock, which the tests move by hand; `now.move(seconds)` returns the new time."""

    class Clock:
        at = clock_at(DAYTIME)

        def move(self, **delta) -> dt.datetime:
            self.at = clock_at(self.at + dt.timedelta(**delta))
            return self.at

    return Clock()


def sweep() -> None:
    """What beat does every minute: reclaim lost rows and send what is due (in-process here)."""
    tasks.messages_send_due()


def booked(delivery, capture):
    with capture(execute=True):
        delivery_event_emit(delivery=delivery, event_type="delivery.booked", event_key=f"booked:{delivery.pk.hex}")


def test_the_receiver_verifies_the_signature_with_the_reference_verifier(
        delivery, endpoint, receiver, now, django_capture_on_commit_callbacks):
    booked(delivery, django_capture_on_commit_callbacks)

    [call] = receiver.received
    event = Webhook(endpoint.secret).verify(call.body, call.headers)
    assert event["type"] == "delivery.booked" and event["version"] == 1
    assert event["id"] == call.headers["webhook-id"] and event["id"].startswith("evt_")
    assert event["data"]["delivery"]["id"] == str(delivery.pk)
    assert event["data"]["delivery"]["order_ref"] == delivery.order_ref
    assert call.headers["Content-Type"] == "application/json"
    # Another secret, or a body changed on the way, is refused.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 11).verify(call.body, call.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(call.body.replace("delivery.booked", "delivery.cancelled"), call.headers)
    message = Message.objects.get(channel=Channel.WEBHOOK)
    assert message.status == Message.Status.SENT
    [attempt] = message.webhook_attempts.all()
    assert attempt.response_status == 200 and attempt.number == 1 and attempt.duration_ms >= 0


def test_a_booking_reaches_every_subscribed_endpoint_once_and_others_not_at_all(
        merchant, tomorrow_window, receiver, django_capture_on_commit_callbacks):
    everything = webhook_endpoint_create(merchant=merchant, url=receiver.url)
    cancellations_only = webhook_endpoint_create(merchant=merchant, url=receiver.url + "/cancelled",
                                                 events=["delivery.cancelled"])
    window = tomorrow_window
    with django_capture_on_commit_callbacks(execute=True):
        delivery = scheduling_services.delivery_book(
            merchant=merchant, order_ref="WH-1", window=window, recipient_name="Ana", recipient_phone="",
            recipient_email="", address_line1="1 rue de Rivoli", address_city="Paris", address_postcode="75001",
            lat=48.8566, lng=2.3522)
    with django_capture_on_commit_callbacks(execute=True):
        # The signal delivered again (a retried task) is the same event: nothing new is queued.
        delivery_event_emit(delivery=delivery, event_type="delivery.booked", event_key=f"booked:{delivery.pk.hex}")

    types = [call.event["type"] for call in receiver.received]
    # Booked once, and the journey's first milestones (created, scheduled) as milestones.
    assert types.count("delivery.booked") == 1 and set(types) == {"delivery.booked", "delivery.milestone"}
    assert Message.objects.filter(endpoint=everything).count() == len(types)
    assert not Message.objects.filter(endpoint=cancellations_only).exists()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.delivery_cancel(delivery=delivery)
    cancelled = [call for call in receiver.received if call.event["type"] == "delivery.cancelled"]
    # One cancellation, to each endpoint: the same event id at both.
    assert sorted(call.path for call in cancelled) == ["/hooks/deliveries", "/hooks/deliveries/cancelled"]
    assert len({call.headers["webhook-id"] for call in cancelled}) == 1


def test_journey_milestones_and_outcomes_are_events(delivery, endpoint, receiver, now,
                                                    django_capture_on_commit_callbacks):
    def record(milestone, client_id, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            event_record(delivery=delivery, milestone=milestone, source=Event.Source.DRIVER, recorded_at=DAYTIME,
                         client_id=client_id, **fields)

    record(Milestone.OUT_FOR_DELIVERY, "ofd")
    record(Milestone.ATTEMPTED, "att", reason="nobody_home")
    with django_capture_on_commit_callbacks(execute=True):
        event_record(delivery=delivery, milestone=Milestone.DELIVERED, source=Event.Source.DRIVER,
                     recorded_at=DAYTIME, client_id="done")
        ProofOfDelivery.objects.create(delivery=delivery, recipient_name="Camille", captured_at=DAYTIME)

    events = [call.event for call in receiver.received]
    assert [(e["type"], e["data"].get("milestone", {}).get("code")) for e in events] == [
        ("delivery.milestone", "out_for_delivery"),
        ("delivery.milestone", "attempted"), ("delivery.failed", "attempted"),
        ("delivery.milestone", "delivered"), ("delivery.delivered", "delivered"),
    ]
    assert events[2]["data"]["milestone"]["reason"] == "nobody_home"
    assert events[4]["data"]["proof"] == {"recipient_name": "Camille", "captured_at": "2026-06-02T10:00:00+02:00",
                                          "photo": False, "signature": False}
    assert len({e["id"] for e in events}) == 5


def test_failed_calls_back_off_exponentially_with_jitter_for_about_a_day(
        delivery, endpoint, receiver, now, django_capture_on_commit_callbacks):
    receiver.status = 500
    booked(delivery, django_capture_on_commit_callbacks)
    message = Message.objects.get(channel=Channel.WEBHOOK)

    waits = []
    while True:
        message.refresh_from_db()
        if message.status != Message.Status.QUEUED:
            break
        waits.append(message.send_after - now.at)
        now.move(seconds=(message.send_after - now.at).total_seconds())
        assert message_send(message_id=message.pk) in (Message.Status.QUEUED, Message.Status.FAILED)

    assert message.status == Message.Status.FAILED and message.error.startswith("Gave up after 11 calls.")
    assert len(waits) == len(WEBHOOK_RETRY_DELAYS) == 10
    for wait, base in zip(waits, WEBHOOK_RETRY_DELAYS, strict=True):
        assert base * 0.8 <= wait <= base * 1.2
    assert dt.timedelta(seconds=4) <= waits[0] <= dt.timedelta(seconds=6)
    assert dt.timedelta(hours=17) < sum(waits, dt.timedelta()) < dt.timedelta(hours=27)
    assert len(receiver.received) == 11 and len(set(receiver.event_ids())) == 1  # one event, eleven calls
    assert list(WebhookAttempt.objects.filter(message=message).order_by("number").values_list(
        "response_status", flat=True)) == [500] * 11


def test_a_receiver_down_for_ten_minutes_gets_every_event_afterwards_once_each(
        shop, delivery, endpoint, receiver, now, django_capture_on_commit_callbacks):
    receiver.stop()
    others = [delivery] + [type(delivery).objects.create(
        merchant=shop, window=delivery.window, order_ref=f"DOWN-{n}", recipient_name="X", address_line1="1 rue",
        address_city="Paris", address_postcode="75001", lat=48.85, lng=2.35) for n in range(3)]
    for item in others:
        booked(item, django_capture_on_commit_callbacks)
        now.move(seconds=20)
    assert Message.objects.filter(channel=Channel.WEBHOOK, status=Message.Status.QUEUED).count() == 4

    # Ten minutes of beat sweeps while the receiver is down: every call is refused and retried later.
    while now.at < DAYTIME + dt.timedelta(minutes=10):
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
        now.move(seconds=60)
    assert receiver.received == []
    assert WebhookAttempt.objects.filter(response_status__isnull=True).count() >= 8
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.disabled_at is None

    receiver.start()
    # Within the next retries every event arrives; the first success brings the others' retries forward.
    for _ in range(40):
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
        if len(receiver.received) >= 4:
            break
        now.move(seconds=60)
    for _ in range(5):  # and later sweeps send nothing twice
        now.move(seconds=60)
        with django_capture_on_commit_callbacks(execute=True):
            sweep()

    expected = {Message.objects.get(delivery=item, channel=Channel.WEBHOOK).event_id for item in others}
    assert sorted(receiver.event_ids()) == sorted(expected)
    # Back at minute 10, its first retry due comes within the next 10 minutes (±20 %), and the rest at once.
    assert now.at - DAYTIME <= dt.timedelta(minutes=23)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_once_the_receiver_answers_again_the_waiting_retries_go_at_once(
        delivery, endpoint, receiver, now, django_capture_on_commit_callbacks):
    receiver.status = 503
    booked(delivery, django_capture_on_commit_callbacks)
    waiting = Message.objects.get(channel=Channel.WEBHOOK)
    for _ in range(5):  # five failed calls: the next is due in about an hour
        now.move(seconds=(Message.objects.get(pk=waiting.pk).send_after - now.at).total_seconds())
        message_send(message_id=waiting.pk)
    waiting.refresh_from_db()
    assert waiting.send_after - now.at >= dt.timedelta(minutes=24)

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        delivery_event_emit(delivery=delivery, event_type="delivery.milestone", event_key="fresh-event")

    waiting.refresh_from_db()
    assert waiting.status == Message.Status.SENT
    assert receiver.event_ids()[-2:] == [Message.objects.get(event_type="delivery.milestone").event_id,
                                         waiting.event_id]


def test_a_day_of_failures_disables_the_endpoint_and_tells_the_owner(
        shop, delivery, endpoint, receiver, now, django_user_model, django_capture_on_commit_callbacks):
    owner = django_user_model.objects.create_user("owner", email="owner@freshbasket.example", password="x")
    StaffMembership.objects.create(user=owner, merchant=shop, role=StaffMembership.Role.OWNER)
    receiver.status = 503
    booked(delivery, django_capture_on_commit_callbacks)
    first = Message.objects.get(channel=Channel.WEBHOOK)

    # Events keep coming while the receiver fails; the endpoint is disabled once a day has passed.
    for hour in range(1, 26):
        now.move(hours=1)
        with django_capture_on_commit_callbacks(execute=True):
            delivery_event_emit(delivery=delivery, event_type="delivery.milestone", event_key=f"tick:{hour}")
            sweep()
        endpoint.refresh_from_db()
        if endpoint.disabled_at:
            break

    assert endpoint.disabled_at is not None
    assert dt.timedelta(hours=24) <= endpoint.disabled_at - DAYTIME <= dt.timedelta(hours=25)
    first.refresh_from_db()
    assert first.status == Message.Status.FAILED
    assert not Message.objects.filter(endpoint=endpoint, status=Message.Status.QUEUED).exists()
    [told] = Message.objects.filter(channel=Channel.EMAIL, template="webhook_disabled")
    assert told.to == "owner@freshbasket.example" and endpoint.url in told.body

    # Disabled: new events are not queued for it.
    calls = len(receiver.received)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_event_emit(delivery=delivery, event_type="delivery.milestone", event_key="after-disabling")
    assert len(receiver.received) == calls

    # The merchant fixes the receiver and turns the endpoint back on: what failed while disabled is sent.
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        resent = webhook_endpoint_resume(endpoint=endpoint)
    assert resent >= 1
    assert Message.objects.filter(endpoint=endpoint, error=DISABLED_ERROR).count() == 0
    assert receiver.received[-1].headers["webhook-id"] in set(
        Message.objects.filter(endpoint=endpoint, status=Message.Status.SENT).values_list("event_id", flat=True))


def test_replay_sends_the_same_event_again_and_logs_the_call(delivery, endpoint, receiver, now,
                                                            django_capture_on_commit_callbacks):
    booked(delivery, django_capture_on_commit_callbacks)
    message = Message.objects.get(channel=Channel.WEBHOOK)

    with django_capture_on_commit_callbacks(execute=True):
        webhook_replay(message=message)

    first, second = receiver.received
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(endpoint.secret).verify(second.body, second.headers)
    assert list(message.webhook_attempts.order_by("number").values_list("number", flat=True)) == [1, 2]
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_a_rotated_secret_and_the_old_one_both_verify_for_a_day(delivery, endpoint, receiver, now,
                                                               django_capture_on_commit_callbacks):
    old_secret = endpoint.secret
    endpoint = webhook_secret_rotate(endpoint=endpoint)
    assert endpoint.secret != old_secret
    booked(delivery, django_capture_on_commit_callbacks)

    [call] = receiver.received
    assert len(call.headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(call.body, call.headers)
    Webhook(endpoint.secret).verify(call.body, call.headers)

    now.move(hours=24, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_event_emit(delivery=delivery, event_type="delivery.milestone", event_key="next-day")
    later = receiver.received[-1]
    Webhook(endpoint.secret).verify(later.body, later.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(later.body, later.headers)


def test_a_call_whose_worker_died_is_sent_again(delivery, endpoint, receiver, now,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        delivery_event_emit(delivery=delivery, event_type="delivery.booked", event_key="lost-worker")
    message = Message.objects.get(channel=Channel.WEBHOOK)
    # A worker claimed it and died before the call (or before recording the answer).
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING, status_changed_at=now.at)

    now.move(seconds=WEBHOOK_LEASE.total_seconds() - 1)
    assert webhooks_reclaim_stale() == 0
    now.move(seconds=2)
    with django_capture_on_commit_callbacks(execute=True):
        sweep()

    assert receiver.event_ids() == [message.event_id]
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_private_addresses_are_refused_in_production(delivery, endpoint, receiver, now, settings,
                                                     django_capture_on_commit_callbacks):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = False
    booked(delivery, django_capture_on_commit_callbacks)

    assert receiver.received == []
    attempt = WebhookAttempt.objects.get()
    assert "127.0.0.1" in attempt.error and "not a public address" in attempt.error
    assert Message.objects.get(channel=Channel.WEBHOOK).status == Message.Status.QUEUED  # retried, not lost


def test_a_test_event_goes_to_one_endpoint_whatever_it_subscribes_to(shop, receiver, now,
                                                                     django_capture_on_commit_callbacks):
    endpoint = webhook_endpoint_create(merchant=shop, url=receiver.url, events=["delivery.cancelled"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_send_test(endpoint=endpoint)

    [call] = receiver.received
    assert Webhook(endpoint.secret).verify(call.body, call.headers)["type"] == "webhook.test"


def test_a_turned_off_endpoint_gets_nothing(delivery, endpoint, receiver, now, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    booked(delivery, django_capture_on_commit_callbacks)
    assert receiver.received == [] and not Message.objects.exists()
    assert messages_due() == []
