"""The demo's stand-in for a merchant's webhook receiver: signed events arrive here and are shown verified.

`serve_demo` points one endpoint of each demo merchant at `/demo/webhook-inbox/<slug>/`, so the
settings page's delivery log and this inbox fill as the simulated fleet drives. Calls are kept in
this process's memory (the demo is one process), the last `KEEP` of them.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from merchants.models import Merchant, WebhookEndpoint
from merchants.services import webhook_endpoint_create, webhook_signing_secrets

KEEP = 200
INBOX_PATH = "/demo/webhook-inbox/{slug}/"


@dataclass(frozen=True)
class InboxCall:
    merchant_slug: str
    received_at: dt.datetime
    event_id: str
    event_type: str
    order_ref: str
    detail: str  # the milestone of a milestone event
    body: str
    verified: bool
    problem: str


_calls: collections.deque[InboxCall] = collections.deque(maxlen=KEEP)


def inbox_receive(*, merchant_slug: str, body: str, headers: dict[str, str]) -> InboxCall | None:
    """Verify a call as a merchant's receiver would, with the secrets of the merchant's inbox endpoint."""
    endpoint = (WebhookEndpoint.objects.filter(merchant__slug=merchant_slug, url__endswith=INBOX_PATH.format(
        slug=merchant_slug)).order_by("pk").first())
    if endpoint is None:
        return None
    problem = "no secret verified it"
    verified = False
    for secret in webhook_signing_secrets(endpoint=endpoint):
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError as error:
            problem = str(error)
        else:
            verified, problem = True, ""
            break
    try:
        event = json.loads(body)
    except ValueError:
        event = {}
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    delivery = data.get("delivery") if isinstance(data.get("delivery"), dict) else {}
    milestone = data.get("milestone") if isinstance(data.get("milestone"), dict) else {}
    call = InboxCall(merchant_slug=merchant_slug, received_at=dt.datetime.now(dt.UTC),
                     event_id=str(headers.get("webhook-id", "")), event_type=str(event.get("type", "")),
                     order_ref=str(delivery.get("order_ref", "")), detail=str(milestone.get("label", "")), body=body, verified=verified, problem=problem)
    _calls.appendleft(call)
    return call


def inbox_receive_in_thread(*, merchant_slug: str, body: str, headers: dict[str, str]) -> InboxCall | None:
    """`inbox_receive` for a worker thread of its own: the thread's database connection goes back when it is done.

    Without this, each executor thread kept a connection of the bounded pool for its whole life, and a few
    calls took the pool from the rest of the process (health checks and pages then waited and answered 503).
    """
    try:
        return inbox_receive(merchant_slug=merchant_slug, body=body, headers=headers)
    finally:
        connection.close()


def inbox_calls(*, merchant_slug: str = "", merchant_slugs: set[str] | None = None) -> list[InboxCall]:
    """The calls received, newest first: one merchant's when `merchant_slug` is given, and only those of
    `merchant_slugs` when that is given (the merchants the viewer looks after)."""
    return [call for call in _calls if (not merchant_slug or call.merchant_slug == merchant_slug)
            and (merchant_slugs is None or call.merchant_slug in merchant_slugs)]


def inbox_endpoints_install(*, base_url: str) -> list[WebhookEndpoint]:
    """Give each merchant an endpoint at this server's inbox, unless it has one already."""
    installed = []
    for merchant in Merchant.objects.order_by("pk"):
        url = base_url.rstrip("/") + INBOX_PATH.format(slug=merchant.slug)
        endpoint = WebhookEndpoint.objects.filter(merchant=merchant, url=url).first()
        installed.append(endpoint or webhook_endpoint_create(merchant=merchant, url=url,
                                                             description="The demo's webhook inbox"))
    return installed
