"""The tracking page's websocket: join the delivery's group, relay what is published to it."""

import contextlib
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core import clock, metrics
from core.log_context import log_bind, log_bound, request_id_accept
from scheduling.selectors import delivery_for_token
from tracking.services.publish import CHANNEL_LAYER_OUTAGE, delivery_group

logger = logging.getLogger(__name__)

# "Try again later": 1013 in the protocol, but servers may only send 1000 or 3000-4999 (daphne's
# websocket library refuses the rest), so the application's range carries it; the page reconnects.
TRY_AGAIN_LATER = 4013


@database_sync_to_async
def _delivery_id_for(token: str):
    delivery = delivery_for_token(token=token, now=clock.now())
    return delivery.pk if delivery is not None else None


class TrackingConsumer(AsyncJsonWebsocketConsumer):
    group_name: str | None = None
    accepted = False

    async def __call__(self, scope, receive, send):
        """Relay until the socket closes; if the channel layer fails (Redis down), close with TRY_AGAIN_LATER.

        The consumer listens on the layer beside the socket from the start, so a layer outage
        surfaces here, not in a handler: without this the server closed the socket with 1011
        (or refused the handshake with a 500). 4013 says "try again later"; the page polls the
        status meanwhile and reconnects with backoff.
        """
        headers = dict(scope.get("headers") or ())
        request_id = request_id_accept(headers.get(b"x-request-id", b"").decode("latin-1"))
        with log_bound(request_id=request_id):
            try:
                await super().__call__(scope, receive, send)
            except CHANNEL_LAYER_OUTAGE as error:
                logger.warning("tracking socket closed, channel layer unreachable: %s", error)
                if not self.accepted:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            finally:
                if self.accepted:
                    metrics.websockets_open.dec()

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.accepted = True
        metrics.websockets_open.inc()

    async def connect(self):
        delivery_id = await _delivery_id_for(self.scope["url_route"]["kwargs"]["token"])
        if delivery_id is None:
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(delivery_group(delivery_id), self.channel_name)
        self.group_name = delivery_group(delivery_id)
        await self.accept()
        log_bind(delivery=delivery_id)
        logger.info("tracking socket open")

    async def disconnect(self, code):
        if self.group_name is not None:
            try:
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
            except CHANNEL_LAYER_OUTAGE:
                pass  # the group's membership expires on its own (channels-redis group_expiry)

    async def receive_json(self, content, **kwargs):
        # The page only listens; anything it sends is ignored.
        return

    async def eta_update(self, event):
        with self._event_logged(event):
            await self.send_json(event["payload"])

    async def milestone_update(self, event):
        with self._event_logged(event):
            await self.send_json({"kind": "status", **event["payload"]})

    @contextlib.contextmanager
    def _event_logged(self, event):
        """Lines written while relaying an event carry the id of the request (or task) that published it."""
        with log_bound(request_id=event.get("request_id") or None):
            logger.debug("relaying %s", event["type"])
            yield
