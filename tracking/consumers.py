"""The tracking page's websocket: join the delivery's group, relay what is published to it."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from portal import clock
from tracking.selectors import delivery_for_token
from tracking.services.publish import delivery_group


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
        self.group_name = delivery_group(delivery_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group_name is not None:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The page only listens; anything it sends is ignored.
        return

    async def eta_update(self, event):
        await self.send_json(event["payload"])

    async def milestone_update(self, event):
        await self.send_json({"kind": "status", **event["payload"]})
