from django.urls import path

from merchants.api import MerchantBrandView

# Pages of this app, mounted at the site root.
urlpatterns: list = []

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns = [
    path("merchant/", MerchantBrandView.as_view(), name="brand"),
]
