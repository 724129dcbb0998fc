"""WhatsApp through the same Twilio SDK where a merchant turns it on: instead of SMS, never as well."""

import logging

import pytest
import requests
from django.test import Client
from twilio.request_validator import RequestValidator

from notifications import services
from notifications.channels import twilio_sms
from notifications.models import Channel, MerchantMessaging, Message, OptOut, Trigger
from tests.factories import platform_staff
from tests.notifications.conftest import DAYTIME
from tests.notifications.test_twilio import ACCOUNT_SID, RecordingTwilio

pytestmark = pytest.mark.django_db

WA_SID = "SM" + "w" * 32
SMS_SID = "SM" + "s" * 32
STATUS_URL = "/notifications/twilio/status/"


@pytest.fixture(autouse=True)
def daytime(clock_at):
    clock_at(DAYTIME)


@pytest.fixture
def twilio(settings, monkeypatch):
    """Twilio's API behind the SDK, recording requests, on an account with an SMS number and a WhatsApp sender."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM_NUMBER = "+33700000000"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_WHATSAPP_FROM = "+33700000099"
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"
    api = RecordingTwilio(body={"sid": WA_SID, "status": "queued"})
    monkeypatch.setattr(twilio_sms, "http_client", lambda: api)
    return api


@pytest.fixture
def whatsapp_on(shop):
    return MerchantMessaging.objects.create(merchant=shop, whatsapp=True)


def notify(delivery, event_key="booked:wa") -> list[Message]:
    return services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key=event_key)


def phone_message(delivery) -> Message:
    delivery.recipient_email = ""
    delivery.save()
    [message] = notify(delivery)
    return message


def status_report(fields: dict, settings):
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        settings.PUBLIC_BASE_URL + STATUS_URL, fields)
    return Client().post(STATUS_URL, fields, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_whatsapp_message_is_posted_to_twilio_with_prefixed_numbers_and_our_callback(twilio, whatsapp_on,
                                                                                     delivery):
    message = phone_message(delivery)

    assert message.channel == Channel.WHATSAPP and message.to == "+33612345678"
    assert message.get_channel_display() == "WhatsApp"
    assert services.message_send(message_id=message.pk) == Message.Status.SENT

    [request] = twilio.requests
    assert request["method"] == "POST"
    assert request["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["auth"] == (ACCOUNT_SID, "secret-token")
    assert request["data"]["To"] == "whatsapp:+33612345678"
    assert request["data"]["From"] == "whatsapp:+33700000099"
    assert "MessagingServiceSid" not in request["data"]
    assert request["data"]["Body"] == message.body and "Fresh Basket" in message.body
    assert request["data"]["StatusCallback"] == "https://deliveries.example.com/notifications/twilio/status/"
    message.refresh_from_db()
    assert message.provider_id == WA_SID and message.to == "+33612345678"


def test_whatsapp_goes_from_its_own_sender_even_with_a_messaging_service(twilio, whatsapp_on, delivery, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32

    services.message_send(message_id=phone_message(delivery).pk)

    data = twilio.requests[0]["data"]
    assert data["From"] == "whatsapp:+33700000099" and "MessagingServiceSid" not in data


def test_a_merchant_without_whatsapp_still_sends_sms(twilio, shop, delivery):
    MerchantMessaging.objects.create(merchant=shop, whatsapp=False)

    services.message_send(message_id=phone_message(delivery).pk)

    [request] = twilio.requests
    assert request["data"]["To"] == "+33612345678" and request["data"]["From"] == "+33700000000"


def test_whatsapp_on_sends_whatsapp_and_email_but_no_sms(whatsapp_on, delivery, sms_outbox, settings):
    settings.TWILIO_WHATSAPP_FROM = "+33700000099"

    messages = notify(delivery)
    for message in messages:
        services.message_send(message_id=message.pk)

    assert sorted(message.channel for message in messages) == [Channel.EMAIL, Channel.WHATSAPP]
    assert [(sent.channel, sent.to) for sent in sms_outbox] == [("whatsapp", "+33612345678")]
    assert not Message.objects.filter(channel=Channel.SMS).exists()


def test_the_same_event_reaches_the_phone_once_even_if_whatsapp_is_switched_meanwhile(whatsapp_on, delivery,
                                                                                     settings):
    settings.TWILIO_WHATSAPP_FROM = "+33700000099"
    notify(delivery)
    whatsapp_on.whatsapp = False
    whatsapp_on.save()

    assert notify(delivery) == []
    assert list(Message.objects.exclude(channel=Channel.EMAIL).values_list("channel", flat=True)) == [Channel.WHATSAPP]


def test_whatsapp_on_without_a_sender_falls_back_to_sms_and_says_so_once(whatsapp_on, delivery, settings, caplog,
                                                                        monkeypatch):
    settings.TWILIO_WHATSAPP_FROM = ""
    monkeypatch.setattr(services, "_whatsapp_unconfigured_logged", False)

    with caplog.at_level(logging.WARNING, logger="notifications.services"):
        first = phone_message(delivery)
        [second] = notify(delivery, event_key="booked:wa-again")

    assert first.channel == second.channel == Channel.SMS
    assert [record.message for record in caplog.records if "TWILIO_WHATSAPP_FROM" in record.message] == [
        f"Merchant {whatsapp_on.merchant_id} has WhatsApp on but TWILIO_WHATSAPP_FROM is empty: its customers get SMS."]


@pytest.mark.parametrize("code", [63016, 63003])
def test_a_whatsapp_message_refused_by_twilio_falls_back_to_sms_once(twilio, whatsapp_on, delivery, code):
    twilio.status, twilio.body = 400, {"code": code, "message": "Not deliverable on WhatsApp", "status": 400}
    message = phone_message(delivery)

    assert services.message_send(message_id=message.pk) == Message.Status.FAILED

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and str(code) in message.error
    [sms] = Message.objects.filter(channel=Channel.SMS)
    assert sms.to == "+33612345678" and sms.body == message.body and sms.status == Message.Status.QUEUED
    twilio.status, twilio.body = 201, {"sid": SMS_SID}
    assert services.message_send(message_id=sms.pk) == Message.Status.SENT
    assert [request["data"]["To"] for request in twilio.requests] == ["whatsapp:+33612345678", "+33612345678"]
    # The refusal is final: the WhatsApp message is not tried again.
    assert services.messages_due(now=DAYTIME.replace(year=2027)) == []


def test_a_whatsapp_message_twilio_may_have_accepted_is_not_followed_by_an_sms(twilio, whatsapp_on, delivery):
    twilio.body = requests.ReadTimeout("read timed out")

    assert services.message_send(message_id=phone_message(delivery).pk) == Message.Status.FAILED

    assert not Message.objects.filter(channel=Channel.SMS).exists()


def test_a_whatsapp_failure_reported_later_falls_back_to_sms_once(twilio, whatsapp_on, delivery, settings):
    message = phone_message(delivery)
    services.message_send(message_id=message.pk)

    fields = {"MessageSid": WA_SID, "MessageStatus": "undelivered", "ErrorCode": "63016",
              "To": "whatsapp:+33612345678", "From": "whatsapp:+33700000099"}
    assert status_report(fields, settings).status_code == 204
    assert status_report(fields | {"MessageStatus": "failed"}, settings).status_code == 204

    message.refresh_from_db()
    assert message.status == Message.Status.UNDELIVERED and message.error == "Twilio error 63016"
    [sms] = Message.objects.filter(channel=Channel.SMS)
    assert sms.to == "+33612345678" and sms.trigger == Trigger.BOOKED
    # The same event again queues nothing more for the phone.
    assert notify(delivery) == []
    assert Message.objects.filter(channel__in=(Channel.SMS, Channel.WHATSAPP)).count() == 2


def test_a_failed_fallback_sms_falls_back_to_email_for_the_same_event(twilio, whatsapp_on, delivery, settings):
    message = phone_message(delivery)
    services.message_send(message_id=message.pk)
    services.sms_status_record(provider_id=WA_SID, provider_status="failed", error_code="63016")
    [sms] = Message.objects.filter(channel=Channel.SMS)
    twilio.body = {"sid": SMS_SID}
    services.message_send(message_id=sms.pk)
    delivery.recipient_email = "camille@example.com"
    delivery.save()

    services.sms_status_record(provider_id=SMS_SID, provider_status="undelivered", error_code="30003")

    [email] = Message.objects.filter(channel=Channel.EMAIL)
    assert email.dedupe_key == "booked:wa:email"


def test_a_stop_by_sms_suppresses_whatsapp_to_the_number(twilio, whatsapp_on, shop, delivery):
    message = phone_message(delivery)
    OptOut.objects.create(merchant=shop, channel=Channel.SMS, address="+33612345678")

    assert services.message_send(message_id=message.pk) == Message.Status.SUPPRESSED

    assert twilio.requests == []
    assert not Message.objects.filter(channel=Channel.SMS).exists()


def test_a_status_report_updates_the_whatsapp_message(twilio, whatsapp_on, delivery, settings):
    message = phone_message(delivery)
    services.message_send(message_id=message.pk)

    response = status_report({"MessageSid": WA_SID, "MessageStatus": "delivered", "To": "whatsapp:+33612345678",
                              "From": "whatsapp:+33700000099"}, settings)
    read = status_report({"MessageSid": WA_SID, "MessageStatus": "read"}, settings)

    assert response.status_code == 204 and read.status_code == 204
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert not Message.objects.filter(channel=Channel.SMS).exists()


def test_whatsapp_shows_where_people_look_confirmation_demo_page_and_stop(whatsapp_on, delivery, settings,
                                                                          django_capture_on_commit_callbacks):

    from notifications.inbound import sms_opt_out

    settings.TWILIO_WHATSAPP_FROM = "+33700000099"
    with django_capture_on_commit_callbacks(execute=True):
        notify(delivery)

    # The confirmation page names the channel it really used.
    page = Client().get(f"/demo/checkout/confirmation/{delivery.tracking_token}/", {"lang": "en"}).content.decode()
    assert "by WhatsApp to +33 6 •• •• 56 78" in page and "by SMS" not in page

    # The demo's message viewer shows it on the phone, labelled.
    staff = platform_staff("staffer", "care")
    client = Client()
    client.force_login(staff)
    viewer = client.get("/demo/messages/").content.decode()
    assert "WhatsApp" in viewer and "+33 6 12 34 56 78" in viewer

    # STOP by SMS suppresses a queued WhatsApp message at once, not only when it comes up for sending.
    queued = services.delivery_notify(delivery=delivery, trigger=Trigger.OUT_FOR_DELIVERY, event_key="ofd:wa")
    [phone] = [message for message in queued if message.channel == Channel.WHATSAPP]
    assert sms_opt_out(phone="+33612345678", merchants=[delivery.merchant]) >= 1
    phone.refresh_from_db()
    assert phone.status == Message.Status.SUPPRESSED
