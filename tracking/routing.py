# Websocket routes of this app; portal/asgi.py mounts them.
from django.urls import re_path

from tracking.consumers import TrackingConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/t/(?P<token>[A-Za-z0-9_-]{1,64})/$", TrackingConsumer.as_asgi()),
]
