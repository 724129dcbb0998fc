from django.urls import path

from tracking import api, views

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("t/<str:token>/", views.tracking_page, name="page"),
    path("t/<str:token>/status.json", views.tracking_status, name="status"),
    path("t/<str:token>/instructions/", views.tracking_instructions, name="instructions"),
    path("t/<str:token>/rating/", views.tracking_rating, name="rating"),
    path("t/<str:token>/proof/<slug:part>/", views.tracking_proof_image, name="proof-image"),
    path("find/<slug:merchant_slug>/", views.parcel_lookup, name="find"),
    path("t/<str:token>/calendar.ics", views.tracking_calendar, name="calendar"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = [
    path("pings/", api.PingBatchApi.as_view(), name="pings"),
    path("scans/", api.ScanApi.as_view(), name="scans"),
    path("carriers/<slug:code>/events/", api.CarrierEventsApi.as_view(), name="carrier-events"),
    path("deliveries/<str:delivery_id>/carrier/", api.DeliveryCarrierApi.as_view(), name="delivery-carrier"),
    path("driver/route/", api.DriverRouteApi.as_view(), name="driver-route"),
]
