from django.urls import path

from demo import views

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("demo/checkout/", views.demo_checkout, name="checkout"),
    path("demo/checkout/book/", views.demo_checkout_book, name="checkout-book"),
    path("demo/checkout/confirmation/<str:token>/", views.demo_checkout_confirmation, name="checkout-confirmation"),
    path("demo/messages/", views.demo_messages, name="messages"),
    path("demo/webhook-inbox/", views.demo_webhook_inbox, name="webhook-inbox"),
    path("demo/webhook-inbox/<slug:slug>/", views.demo_webhook_receive, name="webhook-receive"),
]

# The demo has no API of its own.
api_urlpatterns: list = []
