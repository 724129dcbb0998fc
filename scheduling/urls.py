from django.urls import path

from scheduling import api, views

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("t/<str:token>/reschedule/", views.reschedule, name="reschedule"),
    path("embed/windows/", views.embed_windows, name="embed-windows"),
    path("embed/check/", views.embed_check, name="embed-check"),
    path("docs/embed/", views.embed_docs, name="embed-docs"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = [
    path("windows/", api.WindowListApi.as_view(), name="windows"),
    path("holds/", api.HoldCreateApi.as_view(), name="holds"),
    path("deliveries/", api.DeliveriesApi.as_view(), name="deliveries"),
    path("deliveries/<str:delivery_id>/", api.DeliveryDetailApi.as_view(), name="delivery-detail"),
    path("deliveries/<str:delivery_id>/reschedule/", api.DeliveryRescheduleApi.as_view(), name="delivery-reschedule"),
    path("deliveries/<str:delivery_id>/cancel/", api.DeliveryCancelApi.as_view(), name="delivery-cancel"),
    path("ping/", api.PingApi.as_view(), name="ping"),
]
