"""The webhook endpoints API: a merchant's developer manages endpoints, reads the log and replays, alone."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from merchants.models import ApiKey, WebhookEndpoint
from merchants.services import api_key_create, webhook_endpoint_create
from notifications.models import Message, WebhookAttempt
from notifications.webhooks import DISABLED_ERROR, delivery_event_emit
from tests.factories import MerchantFactory
from tests.notifications.conftest import make_delivery

pytestmark = pytest.mark.django_db


def client_for(merchant) -> APIClient:
    _, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_developer_adds_an_endpoint_and_gets_its_secret_once(merchant, api, receiver):
    answer = api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["delivery.booked"],
                                            "description": "ERP"}, format="json")

    assert answer.status_code == 201
    body = answer.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["delivery.booked"] and body["active"] is True
    listed = api.get("/api/v1/webhooks/").json()
    assert [item["url"] for item in listed] == [receiver.url]
    assert "secret" not in listed[0] and "secret" not in api.get(f"/api/v1/webhooks/{body['id']}/").json()


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"url": "not a url"}, "url", "valid URL"),
    ({"url": "https://erp.example.com/hooks", "events": ["delivery.teleported"]}, "events", "not a valid choice"),
    ({}, "url", "required"),
])
def test_bad_endpoints_are_refused_with_what_to_fix(api, body, field, words):
    answer = api.post("/api/v1/webhooks/", body, format="json")

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] and any(words in message for key, messages in error["fields"].items()
                                 if key.startswith(field) for message in messages)


def test_plain_http_is_refused_in_production(api, settings):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = False

    answer = api.post("/api/v1/webhooks/", {"url": "http://erp.example.com/hooks"}, format="json")

    assert answer.status_code == 400
    assert "https://" in answer.json()["error"]["fields"]["url"][0]


def test_another_merchants_endpoints_are_not_found_on_any_route(merchant, api, receiver):
    theirs = webhook_endpoint_create(merchant=MerchantFactory(slug="maison"), url=receiver.url)
    delivery = make_delivery(theirs.merchant)
    delivery_event_emit(delivery=delivery, event_type="delivery.booked", event_key="theirs")
    message = Message.objects.get(endpoint=theirs)
    base = f"/api/v1/webhooks/{theirs.pk}/"

    answers = [api.get(base), api.patch(base, {"active": False}, format="json"), api.delete(base),
               api.post(base + "rotate-secret/"), api.post(base + "test/"), api.get(base + "messages/"),
               api.post(f"{base}messages/{message.pk}/replay/")]

    assert [a.status_code for a in answers] == [404] * 7
    assert {a.json()["error"]["code"] for a in answers} == {"webhook_not_found"}
    assert api.get("/api/v1/webhooks/").json() == []
    theirs.refresh_from_db()
    assert theirs.active and WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


def test_publishable_keys_and_no_keys_are_refused(merchant, publishable_key):
    browser = APIClient()
    browser.credentials(HTTP_X_API_KEY=publishable_key)
    assert browser.get("/api/v1/webhooks/").status_code in (401, 403)
    anonymous = APIClient().get("/api/v1/webhooks/")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["message"]


def test_the_log_shows_each_call_and_replay_sends_the_event_again(merchant, api, receiver,
                                                                  django_capture_on_commit_callbacks):
    created = api.post("/api/v1/webhooks/", {"url": receiver.url}, format="json").json()
    receiver.status = 500
    delivery = make_delivery(merchant)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_event_emit(delivery=delivery, event_type="delivery.booked", event_key="log-1")

    [entry] = api.get(f"/api/v1/webhooks/{created['id']}/messages/").json()
    assert entry["status"] == "queued" and entry["event_type"] == "delivery.booked" and entry["send_after"]
    assert [(a["number"], a["response_status"]) for a in entry["attempts"]] == [(1, 500)]
    assert entry["attempts"][0]["response_body"] == "receiver says no"

    receiver.status = 200
    Message.objects.filter(pk=entry["id"]).update(status=Message.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        replayed = api.post(f"/api/v1/webhooks/{created['id']}/messages/{entry['id']}/replay/")
    assert replayed.status_code == 202
    assert Message.objects.get(pk=entry["id"]).status == Message.Status.SENT
    assert receiver.event_ids() == [entry["event_id"]] * 2
    assert WebhookAttempt.objects.filter(message_id=entry["id"]).count() == 2


def test_rotation_test_event_and_switching_off_and_on(merchant, api, receiver, django_capture_on_commit_callbacks):
    created = api.post("/api/v1/webhooks/", {"url": receiver.url}, format="json").json()
    base = f"/api/v1/webhooks/{created['id']}/"

    rotated = api.post(base + "rotate-secret/").json()
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_expires_at"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(base + "test/").status_code == 202
    [call] = receiver.received
    for secret in (created["secret"], rotated["secret"]):
        assert Webhook(secret).verify(call.body, call.headers)["type"] == "webhook.test"

    assert api.patch(base, {"active": False}, format="json").json()["active"] is False
    delivery = make_delivery(merchant)
    delivery_event_emit(delivery=delivery, event_type="delivery.booked", event_key="while-off")
    assert len(receiver.received) == 1

    # Disabled by a day of failures, then turned on again through the API: what failed meanwhile is resent.
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    endpoint.active = True
    endpoint.save()
    delivery_event_emit(delivery=delivery, event_type="delivery.cancelled", event_key="while-disabled")
    Message.objects.filter(endpoint=endpoint, event_type="delivery.cancelled").update(
        status=Message.Status.FAILED, error=DISABLED_ERROR)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at="2026-06-01T10:00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        back = api.patch(base, {"active": True, "events": ["delivery.cancelled"]}, format="json").json()
    assert back["active"] is True and back["disabled_at"] is None and back["events"] == ["delivery.cancelled"]
    assert [c.event["type"] for c in receiver.received] == ["webhook.test", "delivery.cancelled"]

    assert api.delete(base).status_code == 204
    assert api.get(base).status_code == 404
