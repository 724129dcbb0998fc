from django.urls import path

from notifications import api, inbound_views, settings_views, views

# The merchant settings tabs of this app, beside the merchants app's under /settings/<merchant slug>/.
_settings = "settings/<slug:slug>"

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("notifications/twilio/inbound/", inbound_views.twilio_inbound, name="twilio-inbound"),
    path("notifications/twilio/status/", views.twilio_status, name="twilio-status"),
    path(f"{_settings}/notifications/", settings_views.messaging, name="settings-messaging"),
    path(f"{_settings}/notifications/templates/new/", settings_views.template_new, name="settings-template-new"),
    path(f"{_settings}/notifications/templates/<int:template_id>/", settings_views.template_edit,
         name="settings-template"),
    path(f"{_settings}/notifications/templates/<int:template_id>/delete/", settings_views.template_delete,
         name="settings-template-delete"),
    path(f"{_settings}/webhooks/", settings_views.webhooks, name="settings-webhooks"),
    path(f"{_settings}/webhooks/<int:endpoint_id>/", settings_views.webhook, name="settings-webhook"),
    path(f"{_settings}/webhooks/<int:endpoint_id>/secret/", settings_views.webhook_secret,
         name="settings-webhook-secret"),
    path(f"{_settings}/webhooks/<int:endpoint_id>/rotate/", settings_views.webhook_rotate,
         name="settings-webhook-rotate"),
    path(f"{_settings}/webhooks/<int:endpoint_id>/switch/", settings_views.webhook_switch,
         name="settings-webhook-switch"),
    path(f"{_settings}/webhooks/<int:endpoint_id>/delete/", settings_views.webhook_delete,
         name="settings-webhook-delete"),
    path(f"{_settings}/webhooks/<int:endpoint_id>/test/", settings_views.webhook_test,
         name="settings-webhook-test"),
    path(f"{_settings}/webhooks/<int:endpoint_id>/messages/<int:message_id>/replay/",
         settings_views.webhook_message_replay, name="settings-webhook-replay"),
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
