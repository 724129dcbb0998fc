"""Outbound merchant webhooks, signed as the Standard Webhooks spec says, sent through the one outbox.

An event for a merchant becomes one `Message` row per subscribed endpoint (channel `webhook`), inserted
under a unique dedupe key (`<event id>:wh<endpoint>`), so an event delivered twice queues nothing new.
The row is claimed like every message (queued→sending by one worker; see `services.message_send`);
`webhook_call` then makes the HTTP call and logs it as a `WebhookAttempt`.

Unlike an SMS, a webhook is sent **at least once**: a row left `sending` by a worker that died is queued
again after `WEBHOOK_LEASE` (receivers deduplicate on `webhook-id`, which is the event's stable id).
A failed call is retried with exponential backoff and jitter (`WEBHOOK_RETRY_DELAYS`, about 22 hours
in all). An endpoint that has failed for a day is disabled, its waiting events fail, and the merchant's
owners are emailed; once it answers again, the waiting retries are brought forward.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import logging
import random
import socket
import time
import urllib.parse
import uuid

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from standardwebhooks.webhooks import Webhook

from core import clock
from core.audit import audit_event
from merchants.models import StaffMembership, WebhookEndpoint
from merchants.services import webhook_endpoint_enable, webhook_signing_secrets
from notifications.models import Channel, Message, WebhookAttempt
from scheduling.models import Delivery
from scheduling.serializers import delivery_payload

log = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
TEST_EVENT = "webhook.test"
# The wait after the first, second… failed call: 5 s to 8 h, 11 calls over about 22 hours.
WEBHOOK_RETRY_DELAYS = (
    dt.timedelta(seconds=5), dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10),
    dt.timedelta(minutes=30), dt.timedelta(hours=1), dt.timedelta(hours=2), dt.timedelta(hours=4),
    dt.timedelta(hours=6), dt.timedelta(hours=8),
)
# Each wait is this fraction longer or shorter at random, so receivers coming back are not hit in step.
RETRY_JITTER = 0.2
# An endpoint failing for this long is disabled.
DISABLE_AFTER = dt.timedelta(hours=24)
# A row `sending` for this long lost its worker (a call times out far sooner): it is queued again.
WEBHOOK_LEASE = dt.timedelta(minutes=5)
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 10
RESPONSE_EXCERPT_CHARS = 1000
DISABLED_ERROR = "Endpoint disabled after a day of failures."
TURNED_OFF_ERROR = "Endpoint turned off by the merchant."


class WebhookRefused(Exception):
    """The endpoint's address may not be called (a private network address in production)."""


def event_id_for(event_key: str) -> str:
    """The event's id, the same every time the same event is named: retries and replays keep it."""
    return "evt_" + hashlib.sha256(event_key.encode()).hexdigest()[:28]


def _payload(*, event_id: str, event_type: str, now: dt.datetime, data: dict) -> str:
    body = {"id": event_id, "type": event_type, "version": PAYLOAD_VERSION, "timestamp": now.isoformat(),
            "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def _enqueue_call(message_fields: dict) -> Message | None:
    from notifications.services import _enqueue  # services sends these rows; it imports this module too

    return _enqueue(channel=Channel.WEBHOOK, **message_fields)


def event_emit(*, merchant_id: int, event_type: str, event_key: str, data: dict, delivery: Delivery | None = None,
               now: dt.datetime | None = None) -> list[Message]:
    """Queue the event for every endpoint of the merchant that is on and subscribes to `event_type`.

    `event_key` names the event once (`booked:<delivery>`…): the same key gives the same event id and
    queues nothing the second time.
    """
    now = now or clock.now()
    event_id = event_id_for(event_key)
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(merchant_id=merchant_id, active=True,
                                                                          disabled_at__isnull=True)
                 if endpoint.subscribes(event_type)]
    if not endpoints:
        return []
    body = _payload(event_id=event_id, event_type=event_type, now=now, data=data)
    queued = []
    for endpoint in endpoints:
        queued.append(_enqueue_call({
            "merchant_id": merchant_id, "delivery": delivery, "endpoint": endpoint, "event_id": event_id,
            "event_type": event_type, "template": event_type, "to": endpoint.url, "body": body,
            "dedupe_key": f"{event_id}:wh{endpoint.pk}", "status_changed_at": now,
        }))
    return [message for message in queued if message is not None]


def delivery_event_emit(*, delivery: Delivery, event_type: str, event_key: str, extra: dict | None = None,
                        now: dt.datetime | None = None) -> list[Message]:
    """A journey or booking event about one delivery: the delivery as the API shows it, and `extra`."""
    delivery = Delivery.objects.select_related("merchant", "window").get(pk=delivery.pk)
    data = {"delivery": delivery_payload(delivery), **(extra or {})}
    return event_emit(merchant_id=delivery.merchant_id, event_type=event_type, event_key=event_key, data=data,
                      delivery=delivery, now=now)


def webhook_send_test(*, endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> Message:
    """A `webhook.test` event to this endpoint alone (whatever it subscribes to), to try a receiver."""
    now = now or clock.now()
    event_id = event_id_for(f"test:{uuid.uuid4().hex}")
    body = _payload(event_id=event_id, event_type=TEST_EVENT, now=now,
                    data={"message": "A test event from the delivery portal.", "endpoint_url": endpoint.url})
    return _enqueue_call({
        "merchant_id": endpoint.merchant_id, "endpoint": endpoint, "event_id": event_id, "event_type": TEST_EVENT,
        "template": TEST_EVENT, "to": endpoint.url, "body": body, "dedupe_key": f"{event_id}:wh{endpoint.pk}",
        "status_changed_at": now,
    })


def webhook_replay(*, message: Message, now: dt.datetime | None = None) -> Message:
    """Send the same event (same id and body) to its endpoint again, with a fresh day of retries.

    A message queued or being sent now is left as it is: it is on its way already.
    """
    now = now or clock.now()
    Message.objects.filter(pk=message.pk, channel=Channel.WEBHOOK).exclude(
        status__in=[Message.Status.QUEUED, Message.Status.SENDING],
    ).update(status=Message.Status.QUEUED, attempts=0, send_after=None, error="", status_changed_at=now)
    message.refresh_from_db()
    if message.status == Message.Status.QUEUED:
        from notifications import tasks

        transaction.on_commit(lambda: tasks.message_send.delay(message.pk), robust=True)
    return message


def webhook_endpoint_resume(*, endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> int:
    """Turn an endpoint back on, and queue again the events that failed because it was off or disabled.

    Returns how many events were queued again.
    """
    now = now or clock.now()
    webhook_endpoint_enable(endpoint=endpoint)
    waiting = list(Message.objects.filter(endpoint=endpoint, status=Message.Status.FAILED,
                                          error__in=[DISABLED_ERROR, TURNED_OFF_ERROR]))
    for message in waiting:
        webhook_replay(message=message, now=now)
    return len(waiting)


def _signature_header(*, endpoint: WebhookEndpoint, event_id: str, sent_at: dt.datetime, body: str,
                      now: dt.datetime) -> str:
    # Every secret that signs now (the new one and, for a day after a rotation, the old one), space-separated.
    return " ".join(Webhook(secret).sign(msg_id=event_id, timestamp=sent_at, data=body)
                    for secret in webhook_signing_secrets(endpoint=endpoint, now=now))


def _address_check(url: str) -> None:
    """Refuse hosts on loopback, private, link-local and reserved networks unless settings allow them."""
    if settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED:
        return
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as error:
        raise WebhookRefused(f"Cannot resolve {host}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise WebhookRefused(f"{host} resolves to {address}, which is not a public address.")


def _retry_delay(attempts: int) -> dt.timedelta | None:
    """The wait after the `attempts`-th failed call, jittered; None when the calls are used up."""
    if attempts > len(WEBHOOK_RETRY_DELAYS):
        return None
    base = WEBHOOK_RETRY_DELAYS[attempts - 1]
    return base * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)


def _post(*, message: Message, now: dt.datetime) -> WebhookAttempt:
    endpoint = message.endpoint
    # The timestamp is the wall clock's, not the project clock's: receivers compare it with theirs.
    sent_at = dt.datetime.now(dt.UTC)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "DeliveryPortal-Webhooks/1",
        "webhook-id": message.event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": _signature_header(endpoint=endpoint, event_id=message.event_id, sent_at=sent_at,
                                               body=message.body, now=now),
    }
    attempt = WebhookAttempt(message=message, attempted_at=now,
                             number=WebhookAttempt.objects.filter(message=message).count() + 1,
                             request_headers={k: v for k, v in headers.items() if k != "webhook-signature"})
    started = time.monotonic()
    try:
        _address_check(message.to)
        response = requests.post(message.to, data=message.body.encode(), headers=headers, allow_redirects=False,
                                 timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS))
    except WebhookRefused as error:
        attempt.error = str(error)[:300]
    except requests.RequestException as error:
        attempt.error = f"{type(error).__name__}: {error}"[:300]
    else:
        attempt.response_status = response.status_code
        attempt.response_body = response.text[:RESPONSE_EXCERPT_CHARS]
        if 300 <= response.status_code < 400:
            attempt.error = "Redirects are not followed: give the final URL."
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.save()
    return attempt


def webhook_call(*, message: Message, now: dt.datetime) -> Message.Status:
    """Make the call for a row this worker claimed (status `sending`) and record where it ends."""
    mine = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING)
    endpoint = message.endpoint
    if not endpoint.sending:
        error = TURNED_OFF_ERROR if not endpoint.active else DISABLED_ERROR
        mine.update(status=Message.Status.FAILED, error=error, status_changed_at=now)
        return Message.Status.FAILED
    attempt = _post(message=message, now=now)
    if attempt.succeeded:
        mine.update(status=Message.Status.SENT, sent_at=now, status_changed_at=now, error="",
                    provider_id=str(attempt.response_status))
        _endpoint_answered(endpoint=endpoint, now=now)
        return Message.Status.SENT
    error = attempt.error or f"The receiver answered {attempt.response_status}."
    delay = _retry_delay(message.attempts)
    if delay is None:
        mine.update(status=Message.Status.FAILED, error=f"Gave up after {message.attempts} calls. {error}"[:300],
                    status_changed_at=now)
    else:
        retry_at = now + delay
        mine.update(status=Message.Status.QUEUED, send_after=retry_at, error=error[:300], status_changed_at=now)
        _schedule(message_id=message.pk, delay=delay)
    _endpoint_failed(endpoint=endpoint, now=now)
    return Message.Status.FAILED if delay is None else Message.Status.QUEUED


def _schedule(*, message_id: int, delay: dt.timedelta) -> None:
    """Short waits get a task of their own; the minute's sweep picks up the rest when they fall due."""
    if delay > dt.timedelta(minutes=2) or settings.CELERY_TASK_ALWAYS_EAGER:
        return
    from notifications import tasks

    try:
        tasks.message_send.apply_async((message_id,), countdown=delay.total_seconds())
    except Exception:  # noqa: BLE001 — the broker is down: the sweep sends it once the broker is back
        log.warning("Could not schedule the retry of webhook message %s; the sweep will send it.", message_id)


def _endpoint_answered(*, endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    """The receiver is back: its health starts afresh and its waiting retries go now, not hours later."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(failing_since=None)
    waiting = list(Message.objects.filter(endpoint=endpoint, status=Message.Status.QUEUED, send_after__gt=now)
                   .values_list("pk", flat=True)[:500])
    if waiting:
        Message.objects.filter(pk__in=waiting, status=Message.Status.QUEUED).update(send_after=now)
        from notifications import tasks

        for message_id in waiting:
            transaction.on_commit(lambda message_id=message_id: tasks.message_send.delay(message_id), robust=True)


def _endpoint_failed(*, endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    endpoint.refresh_from_db(fields=["failing_since", "disabled_at"])
    if endpoint.disabled_at is None and now - endpoint.failing_since >= DISABLE_AFTER:
        _endpoint_disable(endpoint=endpoint, now=now)


def _endpoint_disable(*, endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    with transaction.atomic():
        if not WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(disabled_at=now):
            return  # another worker disabled it
        audit_event(instance=endpoint, event="webhook.disabled",
                    summary=f"Endpoint {endpoint.url} disabled after failing since {endpoint.failing_since:%d %b %H:%M} UTC",
                    changes={"disabled_at": (None, now.isoformat())})
        Message.objects.filter(endpoint=endpoint, status=Message.Status.QUEUED).update(
            status=Message.Status.FAILED, error=DISABLED_ERROR, status_changed_at=now)
        _merchant_tell_disabled(endpoint=endpoint, now=now)
    log.warning("Webhook endpoint %s of merchant %s disabled after failing since %s.", endpoint.pk,
                endpoint.merchant_id, endpoint.failing_since.isoformat())


def _merchant_tell_disabled(*, endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    """Email the merchant's owners (or the brand's address when no owner has one) that the endpoint stopped."""
    merchant = endpoint.merchant
    owners = set(StaffMembership.objects.filter(merchant=merchant, role=StaffMembership.Role.OWNER)
                 .exclude(user__email="").values_list("user__email", flat=True))
    recipients = sorted(owners) or ([merchant.email_from] if merchant.email_from else [])
    settings_url = f"{settings.PUBLIC_BASE_URL}/settings/"
    body = (f"Hello,\n\nWe stopped sending events to your webhook endpoint {endpoint.url}: every call to it has "
            f"failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC.\n\nThe events of that time are kept. Once "
            f"the receiver works again, turn the endpoint back on in your settings ({settings_url}); the events "
            f"that failed while it was disabled are then sent again.\n")
    for address in recipients:
        _enqueue_call_email(merchant_id=merchant.pk, to=address, body=body, now=now,
                            dedupe_key=f"webhook-disabled:{endpoint.pk}:{now:%Y%m%d%H%M%S}:{address}")


def _enqueue_call_email(*, merchant_id: int, to: str, body: str, now: dt.datetime, dedupe_key: str) -> None:
    from notifications.services import _enqueue

    _enqueue(merchant_id=merchant_id, channel=Channel.EMAIL, template="webhook_disabled", to=to,
             subject="Your webhook endpoint was disabled", body=body, dedupe_key=dedupe_key, status_changed_at=now)


def webhooks_reclaim_stale(*, now: dt.datetime | None = None) -> int:
    """Queue again the webhook rows whose worker died mid-call (at least once); returns how many."""
    now = now or clock.now()
    return Message.objects.filter(channel=Channel.WEBHOOK, status=Message.Status.SENDING,
                                  status_changed_at__lt=now - WEBHOOK_LEASE).update(
        status=Message.Status.QUEUED, send_after=None, status_changed_at=now,
        error="The worker sending this was lost; sent again.")


def endpoint_log(*, endpoint: WebhookEndpoint, limit: int = 50) -> list[Message]:
    """The endpoint's latest messages with their calls, newest first, for the merchant's delivery log."""
    return list(Message.objects.filter(endpoint=endpoint).filter(Q(channel=Channel.WEBHOOK))
                .prefetch_related("webhook_attempts").order_by("-created_at", "-pk")[:limit])
