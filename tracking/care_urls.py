"""The care console's pages. Included into `tracking.urls.urlpatterns`, so the names live in the
`tracking` namespace (`tracking:care`, `tracking:care-journey`, …); this module sets no app_name."""

from django.urls import path

from tracking import care_views

urlpatterns: list = [
    path("care/", care_views.care_home, name="care"),
    path("care/deliveries/<uuid:delivery_id>/", care_views.care_journey, name="care-journey"),
    path("care/deliveries/<uuid:delivery_id>/reschedule/", care_views.care_reschedule, name="care-reschedule"),
    path("care/deliveries/<uuid:delivery_id>/instructions/", care_views.care_instructions, name="care-instructions"),
    path("care/deliveries/<uuid:delivery_id>/exceptions/", care_views.care_exception_open,
         name="care-exception-open"),
    path("care/exceptions/", care_views.care_exceptions, name="care-exceptions"),
    path("care/exceptions/<int:exception_id>/<slug:action>/", care_views.care_exception_action,
         name="care-exception-action"),
]
