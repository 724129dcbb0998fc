from django.urls import path  # noqa: F401

from notifications import views

# Pages of this app, mounted at the site root.
urlpatterns: list = []
urlpatterns.append(path("notifications/twilio/status/", views.twilio_status, name="twilio-status"))

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = []
