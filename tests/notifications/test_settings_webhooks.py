"""The webhooks tab: endpoints the owner adds, edits, turns off and on, rotates and deletes, and their log."""

import datetime as dt

import pytest
from django.urls import reverse

from merchants.forms import WebhookEndpointForm
from merchants.models import WebhookEndpoint
from merchants.services import webhook_endpoint_create, webhook_endpoint_turn_off, webhook_signing_secrets
from notifications.models import Channel, Message, WebhookAttempt
from notifications.webhooks import TEST_EVENT, TURNED_OFF_ERROR

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhooks_url(merchant):
    return reverse("notifications:settings-webhooks", args=[merchant.slug])


@pytest.fixture
def endpoint(merchant):
    return webhook_endpoint_create(merchant=merchant, url="https://shop.example.com/hooks", description="Orders")


def endpoint_url(endpoint, name="settings-webhook"):
    return reverse(f"notifications:{name}", args=[endpoint.merchant.slug, endpoint.pk])


def test_the_owner_adds_an_endpoint_and_is_taken_to_its_secret(as_owner, webhooks_url, merchant):
    response = as_owner.post(webhooks_url, {"url": "https://shop.example.com/hooks", "description": "Order system",
                                            "events": ["delivery.booked", "delivery.delivered"]})

    endpoint = WebhookEndpoint.objects.get(merchant=merchant)
    assert response.status_code == 302 and response["Location"] == endpoint_url(endpoint)
    assert endpoint.events == ["delivery.booked", "delivery.delivered"]
    assert endpoint.secret.startswith("whsec_") and endpoint.active
    page = as_owner.get(response["Location"]).content.decode()
    assert "Reveal its signing secret" in page
    assert endpoint.secret not in page  # shown only when asked for


def test_no_event_ticked_means_every_event(as_owner, webhooks_url, merchant):
    as_owner.post(webhooks_url, {"url": "https://shop.example.com/hooks"})

    endpoint = WebhookEndpoint.objects.get(merchant=merchant)
    assert endpoint.events == [] and endpoint.subscribes("delivery.eta_late")
    assert "all events" in as_owner.get(webhooks_url).content.decode()


@pytest.mark.parametrize(("url", "message"), [
    ("http://shop.example.com/hooks", "Use an https:// URL"),
    ("https://localhost/hooks", "localhost is not a public address"),
    ("http://127.0.0.1:9000/hooks", "127.0.0.1 is not a public address"),
    ("https://10.0.0.5/hooks", "10.0.0.5 is not a public address"),
    ("https://[::1]/hooks", "::1 is not a public address"),
    ("ftp://shop.example.com/hooks", "Use an https:// URL such as"),
    ("not a url", "valid URL"),
])
def test_an_endpoint_must_be_public_and_https(as_owner, webhooks_url, merchant, url, message, settings):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = False

    response = as_owner.post(webhooks_url, {"url": url})

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors["url"]), response.context["form"].errors
    assert not WebhookEndpoint.objects.filter(merchant=merchant).exists()


def test_in_development_a_receiver_on_this_machine_or_network_may_use_http(as_owner, webhooks_url, settings):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = True

    assert as_owner.post(webhooks_url, {"url": "http://127.0.0.1:9000/hooks"}).status_code == 302
    assert as_owner.post(webhooks_url, {"url": "http://localhost:9000/hooks"}).status_code == 302
    assert as_owner.post(webhooks_url, {"url": "http://10.0.0.5/hooks"}).status_code == 302
    refused = as_owner.post(webhooks_url, {"url": "http://shop.example.com/hooks"})
    assert refused.status_code == 400 and "Use an https:// URL" in refused.context["form"].errors["url"][0]


def test_an_unknown_event_is_refused(as_owner, webhooks_url, merchant):
    response = as_owner.post(webhooks_url, {"url": "https://shop.example.com/hooks", "events": ["delivery.exploded"]})

    assert response.status_code == 400 and "events" in response.context["form"].errors
    assert not WebhookEndpoint.objects.exists()


def test_editing_changes_where_and_what_but_keeps_the_secret(as_owner, endpoint):
    secret = endpoint.secret

    response = as_owner.post(endpoint_url(endpoint), {"url": "https://orders.example.com/in", "description": "",
                                                      "events": ["delivery.cancelled"]})

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.description) == (
        "https://orders.example.com/in", ["delivery.cancelled"], "")
    assert endpoint.secret == secret


def test_a_wrong_edit_keeps_the_endpoint_as_it_was(as_owner, endpoint, settings):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = False

    response = as_owner.post(endpoint_url(endpoint), {"url": "http://orders.example.com/in"})

    assert response.status_code == 400 and "Use an https:// URL" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://shop.example.com/hooks"


def test_the_secret_is_revealed_when_asked_for(as_owner, endpoint):
    assert endpoint.secret not in as_owner.get(endpoint_url(endpoint)).content.decode()

    page = as_owner.post(endpoint_url(endpoint, "settings-webhook-secret")).content.decode()

    assert f'<code id="webhook-secret">{endpoint.secret}</code>' in page
    assert 'data-copy="#webhook-secret"' in page


def test_rotating_signs_with_both_secrets_for_a_day(as_owner, endpoint, clock_at):
    now = clock_at(dt.datetime(2026, 6, 2, 10, 0, tzinfo=dt.UTC))
    old = endpoint.secret
    assert "the old one keeps signing" in as_owner.get(endpoint_url(endpoint)).content.decode()

    response = as_owner.post(endpoint_url(endpoint, "settings-webhook-rotate"))

    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.previous_secret_expires_at == now + dt.timedelta(hours=24)
    assert webhook_signing_secrets(endpoint=endpoint, now=now) == [endpoint.secret, old]
    assert "keeps signing beside it until 03 Jun 2026 12:00 (Europe/Paris)" in as_owner.get(response["Location"]).content.decode()
    revealed = as_owner.post(endpoint_url(endpoint, "settings-webhook-secret")).content.decode()
    assert endpoint.secret in revealed and old in revealed


def test_turning_off_and_on_again_starts_its_health_afresh(as_owner, endpoint):
    as_owner.post(endpoint_url(endpoint, "settings-webhook-switch"), {"active": "off"})
    endpoint.refresh_from_db()
    assert not endpoint.active and not endpoint.sending
    assert "Turned off: nothing is sent" in as_owner.get(endpoint_url(endpoint)).content.decode()

    failed_at = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=failed_at, disabled_at=failed_at)
    as_owner.post(endpoint_url(endpoint, "settings-webhook-switch"), {"active": "on"})

    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None and endpoint.failing_since is None and endpoint.sending


def test_health_is_shown_in_the_list(as_owner, webhooks_url, merchant):
    failing = webhook_endpoint_create(merchant=merchant, url="https://a.example.com/h")
    disabled = webhook_endpoint_create(merchant=merchant, url="https://b.example.com/h")
    since = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    WebhookEndpoint.objects.filter(pk=failing.pk).update(failing_since=since)
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(failing_since=since, disabled_at=since)

    page = as_owner.get(webhooks_url).content.decode()

    assert "failing since 1 Jun, 10:00" in page and "disabled since 1 Jun, 10:00" in page  # in Paris


def test_deleting_asks_first(as_owner, endpoint, webhooks_url):
    delete_url = endpoint_url(endpoint, "settings-webhook-delete")

    assert "its delivery log is deleted" in as_owner.get(delete_url).content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    assert as_owner.post(delete_url)["Location"] == webhooks_url
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def webhook_message(endpoint, *, event_id, at, status=Message.Status.SENT):
    return Message.objects.create(merchant=endpoint.merchant, channel=Channel.WEBHOOK, template="delivery.booked",
                                  endpoint=endpoint, event_id=event_id, event_type="delivery.booked", to=endpoint.url,
                                  body="{}", status=status, created_at=at)


def test_the_log_shows_each_event_newest_first_with_every_call(as_owner, endpoint, merchant):
    at = dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC)
    older = webhook_message(endpoint, event_id="evt_older", at=at, status=Message.Status.FAILED)
    WebhookAttempt.objects.create(message=older, number=1, attempted_at=at, response_status=503, duration_ms=812,
                                  response_body="Service Unavailable: maintenance until 10:00")
    WebhookAttempt.objects.create(message=older, number=2, attempted_at=at + dt.timedelta(seconds=5), duration_ms=10000,
                                  error="Read timed out after 10 s")
    newer = webhook_message(endpoint, event_id="evt_newer", at=at + dt.timedelta(hours=1))
    WebhookAttempt.objects.create(message=newer, number=1, attempted_at=at + dt.timedelta(hours=1),
                                  response_status=200, duration_ms=95, response_body="ok")
    elsewhere = webhook_endpoint_create(merchant=merchant, url="https://other.example.com/h")
    webhook_message(elsewhere, event_id="evt_elsewhere", at=at)

    response = as_owner.get(endpoint_url(endpoint))
    page = response.content.decode()

    assert [message.event_id for message in response.context["log"]] == ["evt_newer", "evt_older"]
    assert page.index("evt_newer") < page.index("evt_older")
    assert "evt_elsewhere" not in page
    for shown in ("503", "812 ms", "Service Unavailable: maintenance until 10:00", "Read timed out after 10 s",
                  "no answer", "95 ms"):
        assert shown in page


@pytest.fixture
def local_endpoint(merchant, receiver, settings):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = True  # the receiver listens on this machine
    return webhook_endpoint_create(merchant=merchant, url=receiver.url)


def test_a_test_event_reaches_the_receiver_and_shows_in_the_log(
        as_owner, local_endpoint, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_owner.post(endpoint_url(local_endpoint, "settings-webhook-test"))

    [call] = receiver.received
    assert call.event["type"] == TEST_EVENT
    page = as_owner.get(response["Location"])
    [logged] = page.context["log"]
    assert logged.event_id == call.headers["webhook-id"] and logged.status == Message.Status.SENT
    assert f"A {TEST_EVENT} event is on its way" in page.content.decode()
    assert "ms</td>" in page.content.decode() and ">200<" in page.content.decode()


def test_replay_sends_the_same_event_again_with_the_same_id(
        as_owner, local_endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        as_owner.post(endpoint_url(local_endpoint, "settings-webhook-test"))
    message = Message.objects.get(endpoint=local_endpoint)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED)  # its day of retries is over
    receiver.status = 200

    with django_capture_on_commit_callbacks(execute=True):
        response = as_owner.post(reverse("notifications:settings-webhook-replay",
                                         args=[local_endpoint.merchant.slug, local_endpoint.pk, message.pk]))

    assert response.status_code == 302
    assert receiver.event_ids() == [message.event_id, message.event_id]
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert list(message.webhook_attempts.order_by("number").values_list("number", "response_status")) == [
        (1, 500), (2, 200)]


def test_an_event_of_another_endpoint_cannot_be_replayed_through_this_one(as_owner, merchant, endpoint):
    other = webhook_endpoint_create(merchant=merchant, url="https://other.example.com/h")
    theirs = webhook_message(other, event_id="evt_other", at=dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC),
                             status=Message.Status.FAILED)

    response = as_owner.post(reverse("notifications:settings-webhook-replay",
                                     args=[merchant.slug, endpoint.pk, theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Message.Status.FAILED


def test_nothing_is_sent_to_an_endpoint_that_is_off(as_owner, local_endpoint, receiver,
                                                     django_capture_on_commit_callbacks):
    webhook_endpoint_turn_off(endpoint=local_endpoint)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_owner.post(endpoint_url(local_endpoint, "settings-webhook-test"))

    assert receiver.received == [] and not Message.objects.filter(endpoint=local_endpoint).exists()
    page = as_owner.get(response["Location"]).content.decode()
    assert "Turn the endpoint on first" in page and "Send test event" not in page


def test_turning_on_sends_again_what_failed_while_it_was_off(as_owner, local_endpoint, receiver,
                                                              django_capture_on_commit_callbacks):
    waiting = webhook_message(local_endpoint, event_id="evt_waiting", at=dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC),
                              status=Message.Status.FAILED)
    Message.objects.filter(pk=waiting.pk).update(error=TURNED_OFF_ERROR)
    webhook_endpoint_turn_off(endpoint=local_endpoint)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_owner.post(endpoint_url(local_endpoint, "settings-webhook-switch"), {"active": "on"})

    assert receiver.event_ids() == ["evt_waiting"]
    assert "sent again: 1" in as_owner.get(response["Location"]).content.decode()


def test_the_url_rule_said_under_the_field_is_the_one_that_applies(settings):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = False
    assert WebhookEndpointForm().fields["url"].help_text.endswith("https only.")
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = True
    assert "http to a receiver on this machine" in WebhookEndpointForm().fields["url"].help_text
