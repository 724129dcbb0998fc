"""SMS through the Twilio SDK, cut at its HTTP client: the exact request, and which errors are retried."""

import datetime as dt
import json

import pytest
import requests
from twilio.http import HttpClient
from twilio.http.response import Response

from notifications import services
from notifications.channels import twilio_sms
from notifications.models import Channel, Message, Trigger
from tests.notifications.conftest import DAYTIME

pytestmark = pytest.mark.django_db

ACCOUNT_SID = "AC" + "1" * 32


class RecordingTwilio(HttpClient):
    """Twilio's API as the SDK meets it: records each request and answers with a canned response."""

    def __init__(self, status: int = 201, body: dict | None = None):
        super().__init__(logger=None, is_async=False)
        self.status = status
        self.body = body or {"sid": "SM" + "a" * 32, "status": "queued"}
        self.requests = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        self.requests.append({"method": method, "url": uri, "data": data, "auth": auth})
        if isinstance(self.body, Exception):
            raise self.body
        return Response(self.status, json.dumps(self.body))


@pytest.fixture
def twilio(settings, monkeypatch, clock_at):
    clock_at(DAYTIME)
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM_NUMBER = "+33700000000"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"
    api = RecordingTwilio()
    monkeypatch.setattr(twilio_sms, "http_client", lambda: api)
    return api


def queue_sms(delivery) -> Message:
    delivery.recipient_email = ""
    delivery.save()
    [sms] = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:twilio")
    return sms


def test_an_sms_is_posted_to_twilio_with_our_number_and_status_callback(twilio, delivery):
    sms = queue_sms(delivery)

    assert services.message_send(message_id=sms.pk) == Message.Status.SENT

    [request] = twilio.requests
    assert request["method"] == "POST"
    assert request["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["auth"] == (ACCOUNT_SID, "secret-token")
    assert request["data"]["To"] == "+33612345678"
    assert request["data"]["From"] == "+33700000000"
    assert "MessagingServiceSid" not in request["data"]
    assert request["data"]["StatusCallback"] == "https://deliveries.example.com/notifications/twilio/status/"
    assert request["data"]["Body"] == sms.body and "Fresh Basket" in sms.body
    sms.refresh_from_db()
    assert sms.provider_id == "SM" + "a" * 32


def test_a_messaging_service_is_used_instead_of_the_number_when_configured(twilio, delivery, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32

    services.message_send(message_id=queue_sms(delivery).pk)

    data = twilio.requests[0]["data"]
    assert data["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in data


@pytest.mark.parametrize("code", [21211, 21610])
def test_an_invalid_or_unsubscribed_number_fails_and_is_never_retried(twilio, delivery, code):
    twilio.status, twilio.body = 400, {"code": code, "message": "No", "status": 400}
    sms = queue_sms(delivery)

    assert services.message_send(message_id=sms.pk) == Message.Status.FAILED

    sms.refresh_from_db()
    assert sms.status == Message.Status.FAILED and str(code) in sms.error
    assert services.messages_due(now=DAYTIME.replace(year=2027)) == []
    assert len(twilio.requests) == 1


def test_a_twilio_outage_is_retried_later_by_the_sweep(twilio, delivery, clock_at):
    twilio.status, twilio.body = 503, {"code": 20500, "message": "Service unavailable", "status": 503}
    sms = queue_sms(delivery)

    assert services.message_send(message_id=sms.pk) == Message.Status.QUEUED
    sms.refresh_from_db()
    assert sms.status == Message.Status.QUEUED and sms.send_after > DAYTIME
    assert services.messages_due(now=DAYTIME) == []

    twilio.status, twilio.body = 201, {"sid": "SM" + "b" * 32}
    assert services.message_send(message_id=sms.pk, now=sms.send_after) == Message.Status.SENT
    sms.refresh_from_db()
    assert sms.attempts == 2 and sms.provider_id == "SM" + "b" * 32 and sms.channel == Channel.SMS


def test_an_sms_twilio_may_have_accepted_is_not_sent_again(twilio, delivery, clock_at):
    # The request went out, the answer never came: a retry could text the customer twice.
    twilio.body = requests.ReadTimeout("read timed out")
    sms = queue_sms(delivery)

    assert services.message_send(message_id=sms.pk) == Message.Status.FAILED
    sms.refresh_from_db()
    assert "may have gone out" in sms.error
    twilio.body = {"sid": "SM" + "c" * 32}
    assert services.messages_due(now=DAYTIME + dt.timedelta(hours=1)) == []
    assert len(twilio.requests) == 1


def test_an_sms_that_never_reached_twilio_is_tried_again(twilio, delivery):
    twilio.body = requests.ConnectionError("connection refused")
    sms = queue_sms(delivery)

    assert services.message_send(message_id=sms.pk) == Message.Status.QUEUED
