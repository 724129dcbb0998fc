"""The care console's pages, mounted at the site root under the `care` namespace (`care:home`, …)."""

from django.urls import path

from care import action_views, kpi_views, settings_views, views

urlpatterns: list = [
    path("care/", views.care_home, name="home"),
    path("care/deliveries/<uuid:delivery_id>/", views.care_journey, name="journey"),
    path("care/deliveries/<uuid:delivery_id>/reschedule/", views.care_reschedule, name="reschedule"),
    path("care/deliveries/<uuid:delivery_id>/instructions/", views.care_instructions, name="instructions"),
    path("care/deliveries/<uuid:delivery_id>/exceptions/", views.care_exception_open, name="exception-open"),
    path("care/deliveries/<uuid:delivery_id>/notes/", action_views.care_note_add, name="note-add"),
    path("care/deliveries/<uuid:delivery_id>/resend-link/", action_views.care_resend_link, name="resend-link"),
    path("care/deliveries/<uuid:delivery_id>/cancel/", action_views.care_cancel, name="cancel"),
    path("care/kpis/", kpi_views.care_kpis, name="kpis"),
    path("care/kpis.csv", kpi_views.care_kpis_csv, name="kpis-csv"),
    path("care/exceptions/", views.care_exceptions, name="exceptions"),
    path("care/exceptions/<int:exception_id>/<slug:action>/", views.care_exception_action,
         name="exception-action"),
    path("care/carrier-events/", views.care_carrier_events, name="carrier-events"),
    path("care/deliveries/<uuid:delivery_id>/proof/<slug:part>/", views.care_proof_image, name="proof-image"),
    # The merchant settings tab, beside the other apps' under /settings/<merchant slug>/.
    path("settings/<slug:slug>/playbooks/", settings_views.playbooks, name="settings-playbooks"),
]

# Care has no API of its own yet.
api_urlpatterns: list = []
