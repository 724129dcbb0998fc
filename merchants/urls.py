from django.urls import path  # noqa: F401

# Pages of this app, mounted at the site root.
urlpatterns: list = []

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns: list = []
