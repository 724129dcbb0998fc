from django.conf import settings
from django.urls import path

from merchants import settings_views, views
from merchants.api import MerchantBrandView

# Pages of this app, mounted at the site root.
urlpatterns: list = [
    # Uploaded logos, in production too (other uploads stay private: only this folder is served).
    path(f"{settings.MEDIA_URL.strip('/')}/logos/<str:name>", views.logo_file, name="logo"),
    path("settings/", settings_views.settings_home, name="settings"),
    path("settings/<slug:slug>/", settings_views.settings_merchant, name="settings-merchant"),
    path("settings/<slug:slug>/brand/", settings_views.brand, name="settings-brand"),
    path("settings/<slug:slug>/origins/", settings_views.origins, name="settings-origins"),
    path("settings/<slug:slug>/origins/<int:origin_id>/remove/", settings_views.origin_remove,
         name="settings-origin-remove"),
    path("settings/<slug:slug>/keys/", settings_views.api_keys, name="settings-keys"),
    path("settings/<slug:slug>/keys/<int:key_id>/roll/", settings_views.api_key_roll_confirm,
         name="settings-key-roll"),
    path("settings/<slug:slug>/keys/<int:key_id>/revoke/", settings_views.api_key_revoke_confirm,
         name="settings-key-revoke"),
]

# API endpoints of this app, mounted under /api/v1/.
api_urlpatterns = [
    path("merchant/", MerchantBrandView.as_view(), name="brand"),
]
