"""Twilio's status callbacks: signed or refused, statuses move forward, a failed SMS falls back to email once."""

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from notifications import services
from notifications.models import Channel, Message, Trigger
from tests.notifications.conftest import DAYTIME

pytestmark = pytest.mark.django_db

URL = "/notifications/twilio/status/"
PUBLIC = "https://deliveries.example.com"
TOKEN = "secret-token"


@pytest.fixture(autouse=True)
def twilio_account(settings, clock_at):
    clock_at(DAYTIME)
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC


@pytest.fixture
def sent_sms(delivery, sms_outbox):
    delivery.recipient_email = ""
    delivery.save()
    [sms] = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:cb")
    services.message_send(message_id=sms.pk)
    delivery.recipient_email = "camille@example.com"  # given since: the fallback may use it
    delivery.save()
    sms.refresh_from_db()
    return sms


def post(fields: dict, *, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(TOKEN).compute_signature(PUBLIC + URL, fields)
    elif signature is not None:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    return Client().post(URL, fields, **headers)


def test_a_signed_delivered_report_marks_the_sms_delivered(sent_sms):
    response = post({"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"})

    assert response.status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == Message.Status.DELIVERED


def test_a_late_sent_report_does_not_undo_delivered(sent_sms):
    post({"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"})
    post({"MessageSid": sent_sms.provider_id, "MessageStatus": "sent"})

    sent_sms.refresh_from_db()
    assert sent_sms.status == Message.Status.DELIVERED


def test_a_tampered_report_is_refused(sent_sms):
    fields = {"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + URL, fields)

    response = post(fields | {"MessageStatus": "failed"}, signature=signature)

    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.status == Message.Status.SENT


def test_an_unsigned_report_is_refused(sent_sms):
    assert post({"MessageSid": sent_sms.provider_id, "MessageStatus": "delivered"}, signature=None).status_code == 403


def test_a_report_without_a_status_is_a_bad_request(sent_sms):
    assert post({"MessageSid": sent_sms.provider_id}).status_code == 400


def test_a_report_on_an_unknown_message_is_not_found(sent_sms):
    assert post({"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}).status_code == 404


def test_a_failed_sms_falls_back_to_email_once(sent_sms, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post({"MessageSid": sent_sms.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    with django_capture_on_commit_callbacks(execute=True):
        post({"MessageSid": sent_sms.provider_id, "MessageStatus": "failed", "ErrorCode": "30003"})

    sent_sms.refresh_from_db()
    assert sent_sms.status == Message.Status.UNDELIVERED and "30003" in sent_sms.error
    assert [mail.to for mail in mailoutbox] == [["camille@example.com"]]
    fallback = Message.objects.get(channel=Channel.EMAIL)
    assert fallback.trigger == Trigger.BOOKED and fallback.status == Message.Status.SENT


def test_a_failed_sms_does_not_email_someone_already_emailed_for_the_same_event(
        delivery, sms_outbox, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:both")
    sms = Message.objects.get(channel=Channel.SMS)
    assert len(mailoutbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        post({"MessageSid": sms.provider_id, "MessageStatus": "failed"})

    assert len(mailoutbox) == 1 and Message.objects.filter(channel=Channel.EMAIL).count() == 1
