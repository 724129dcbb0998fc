"""Pushing journey updates to the tracking page's websocket group (one group per delivery).

The consumer only relays what arrives here. Payloads are built by
`tracking.selectors` and carry nothing a stranger holding the link should not
see.
"""

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def delivery_group(delivery_id: uuid.UUID | str) -> str:
    return f"delivery.{uuid.UUID(str(delivery_id)).hex}"


def _group_send(delivery_id: uuid.UUID | str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(delivery_group(delivery_id), message)


def eta_publish(*, delivery_id: uuid.UUID | str, payload: dict) -> None:
    """Send a fresh ETA (`selectors.eta_payload`) to everyone watching this delivery."""
    _group_send(delivery_id, {"type": "eta.update", "payload": payload})


def milestone_publish(*, delivery_id: uuid.UUID | str, payload: dict) -> None:
    """Send the delivery's new public status (`selectors.public_status`) after a milestone."""
    _group_send(delivery_id, {"type": "milestone.update", "payload": payload})
