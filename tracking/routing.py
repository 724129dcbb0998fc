# Websocket routes of this app; portal/asgi.py mounts them.
websocket_urlpatterns: list = []
