from django.urls import path

from notifications import api, inbound_views, views

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("notifications/twilio/inbound/", inbound_views.twilio_inbound, name="twilio-inbound"),
    path("notifications/twilio/status/", views.twilio_status, name="twilio-status"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = [
    path("webhooks/", api.WebhookListApi.as_view(), name="webhooks"),
    path("webhooks/<int:endpoint_id>/", api.WebhookDetailApi.as_view(), name="webhook"),
    path("webhooks/<int:endpoint_id>/rotate-secret/", api.WebhookRotateApi.as_view(), name="webhook-rotate"),
    path("webhooks/<int:endpoint_id>/test/", api.WebhookTestApi.as_view(), name="webhook-test"),
    path("webhooks/<int:endpoint_id>/messages/", api.WebhookMessagesApi.as_view(), name="webhook-messages"),
    path("webhooks/<int:endpoint_id>/messages/<int:message_id>/replay/", api.WebhookReplayApi.as_view(),
         name="webhook-replay"),
]
