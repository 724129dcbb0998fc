"""The tracking page's websocket: join the delivery's group, relay what is published to it."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from portal import clock
from tracking.selectors import delivery_for_token
from tracking.services.publish import CHANNEL_LAYER_OUTAGE, delivery_group

TRY_AGAIN_LATER = 1013


@database_sync_to_async
def _delivery_id_for(token: str):
    delivery = delivery_for_token(token=token, now=clock.now())
    return delivery.pk if delivery is not None else None


class TrackingConsumer(AsyncJsonWebsocketConsumer):
    group_name: str | None = None

    async def connect(self):
        delivery_id = await _delivery_id_for(self.scope["url_route"]["kwargs"]["token"])
        if delivery_id is None:
            await self.close(code=4404)
            return
        try:
            await self.channel_layer.group_add(delivery_group(delivery_id), self.channel_name)
        except CHANNEL_LAYER_OUTAGE:
            # Redis is down: say "try again later" (1013) rather than fail the handshake with a 500;
            # the page polls the status meanwhile and reconnects with backoff.
            await self.accept()
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.group_name = delivery_group(delivery_id)
        await self.accept()

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
        await self.send_json(event["payload"])

    async def milestone_update(self, event):
        await self.send_json({"kind": "status", **event["payload"]})
