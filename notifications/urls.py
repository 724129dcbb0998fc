from django.urls import path

from notifications import inbound_views, views

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("notifications/twilio/inbound/", inbound_views.twilio_inbound, name="twilio-inbound"),
    path("notifications/twilio/status/", views.twilio_status, name="twilio-status"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = []
