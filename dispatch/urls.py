from django.urls import path

from dispatch import views

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    path("dispatch/", views.console, name="console"),
    path("dispatch/data/", views.console_data, name="console-data"),
    path("dispatch/replan/", views.replan, name="replan"),
    path("dispatch/vehicles/<int:vehicle_id>/lost/", views.vehicle_lost, name="vehicle-lost"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = []
