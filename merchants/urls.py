from django.conf import settings
from django.urls import path

from merchants import views
from merchants.api import MerchantBrandView

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    # Uploaded logos, in production too (other uploads stay private: only this folder is served).
    path(f"{settings.MEDIA_URL.strip('/')}/logos/<str:name>", views.logo_file, name="logo"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns = [
    path("merchant/", MerchantBrandView.as_view(), name="brand"),
]
