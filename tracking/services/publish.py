"""Pushing journey updates to the tracking page's websocket group (one group per delivery).

The consumer only relays what arrives here. Payloads are built by
`tracking.selectors`, in the customer's language (`selectors.delivery_language`),
and carry nothing a stranger holding the link should not see.
"""

import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import translation
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core import clock
from core.log_context import request_id_current
from scheduling.models import Delivery
from tracking import selectors

logger = logging.getLogger(__name__)

# What the Redis channel layer raises while Redis is unreachable.
CHANNEL_LAYER_OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


def delivery_group(delivery_id: uuid.UUID | str) -> str:
    return f"delivery.{uuid.UUID(str(delivery_id)).hex}"


def _group_send(delivery_id: uuid.UUID | str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # The socket consumer logs what it relays under the id of the request or task that published it.
    message = {**message, "request_id": request_id_current() or ""}
    try:
        async_to_sync(layer.group_send)(delivery_group(delivery_id), message)
    except CHANNEL_LAYER_OUTAGE as error:
        # A live update is a courtesy: the journey is saved, and the page polls while its socket is down.
        logger.warning("live update for delivery %s not sent, channel layer unreachable: %s", delivery_id, error)


def eta_publish(*, delivery_id: uuid.UUID | str, payload: dict) -> None:
    """Send a fresh ETA (`selectors.eta_payload`) to everyone watching this delivery."""
    _group_send(delivery_id, {"type": "eta.update", "payload": payload})


def milestone_publish(*, delivery_id: uuid.UUID | str) -> None:
    """Send the delivery's new public status (`selectors.public_status`) after a milestone.

    The status is rendered here, in the customer's language: a milestone is recorded in whatever language
    its thread speaks (a driver's request, a worker), and the page must not switch to it mid-session.
    """
    delivery = Delivery.objects.select_related("merchant", "window", "job").filter(pk=delivery_id).first()
    if delivery is None:
        return
    with translation.override(selectors.delivery_language(delivery)):
        status = selectors.public_status(delivery=delivery, now=clock.now())
    _group_send(delivery_id, {"type": "milestone.update", "payload": status})
