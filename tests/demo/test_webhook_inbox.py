"""The demo's webhook inbox: the merchants' events arrive over real HTTP, verified as a receiver would."""

import json

import pytest
from django.conf import settings as settings_module
from django.test import Client

from demo import webhook_inbox
from demo.webhook_inbox import inbox_calls, inbox_endpoints_install
from notifications.models import Message
from notifications.webhooks import webhook_send_test

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_inbox():
    webhook_inbox._calls.clear()
    yield
    webhook_inbox._calls.clear()


def test_a_test_event_arrives_verified_and_a_forged_one_is_refused(live_server, fresh_basket, staff):
    [endpoint] = inbox_endpoints_install(base_url=live_server.url)
    assert inbox_endpoints_install(base_url=live_server.url) == [endpoint]  # a restart adds none

    message = webhook_send_test(endpoint=endpoint)  # sent at once: no transaction holds it here

    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error
    [call] = inbox_calls()
    assert call.verified and call.event_type == "webhook.test" and call.event_id == message.event_id

    forged = Client().post(f"/demo/webhook-inbox/{fresh_basket.slug}/", data=json.dumps({"type": "x"}),
                           content_type="application/json", HTTP_WEBHOOK_ID="evt_x", HTTP_WEBHOOK_TIMESTAMP="1",
                           HTTP_WEBHOOK_SIGNATURE="v1,AAAA")
    assert forged.status_code == 400 and b"Signature refused" in forged.content

    page = Client()
    page.force_login(staff)
    html = page.get("/demo/webhook-inbox/").content.decode()
    assert message.event_id in html and "verified" in html and "refused" in html
    assert Client().get("/demo/webhook-inbox/").status_code == 302  # staff only


@pytest.mark.skipif(not settings_module.DATABASES["default"].get("OPTIONS", {}).get("pool"),
                    reason="only a pooled database (PostgreSQL) can run out of connections")
def test_the_receiver_gives_its_database_connection_back_to_the_pool(fresh_basket):
    # Found on PostgreSQL: each call's worker thread kept a pooled connection, so after a few calls the
    # health check waited on an empty pool and answered 503.
    inbox_endpoints_install(base_url="https://portal.example")
    client = Client()
    for _ in range(2 * settings_module.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]):
        assert client.post("/demo/webhook-inbox/fresh-basket/", "{}", content_type="application/json").status_code == 400

    assert client.get("/healthz").status_code == 200
