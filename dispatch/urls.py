from django.urls import path

from dispatch import api, views

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("dispatch/", views.console, name="console"),
    path("dispatch/data/", views.console_data, name="console-data"),
    path("dispatch/replan/", views.replan, name="replan"),
    path("dispatch/vehicles/<int:vehicle_id>/lost/", views.vehicle_lost, name="vehicle-lost"),
    path("dispatch/disruptions/", views.disruption_create, name="disruption-create"),
    path("dispatch/disruptions/<int:disruption_id>/end/", views.disruption_end, name="disruption-end"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = [
    path("disruptions/", api.DisruptionCollectionApi.as_view(), name="disruptions"),
    path("disruptions/<int:disruption_id>/", api.DisruptionDetailApi.as_view(), name="disruption"),
    path("disruptions/<int:disruption_id>/end/", api.DisruptionEndApi.as_view(), name="disruption-end"),
]
