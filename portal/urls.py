from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.throttle import throttle
from portal import metrics, views

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler500 = "portal.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/live", views.healthz_live, name="healthz-live"),
    path("healthz/ready", views.healthz_ready, name="healthz-ready"),
    # The first probe's address, kept for the load balancers already pointed at it: readiness.
    path("healthz", views.healthz_ready, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    # The admin's sign-in spends the same budget as the site's (its own route stays for reversing).
    path("admin/login/", throttle("login")(admin.site.login)),
    path("admin/", admin.site.urls),
    # The site's own sign-in, for merchants' staff who are not admin users.
    path("accounts/login/", throttle("login")(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("i18n/", include("django.conf.urls.i18n")),
]

for app in ("merchants", "dispatch", "scheduling", "tracking", "notifications", "care", "demo"):
    module = __import__(f"{app}.urls", fromlist=["urlpatterns", "api_urlpatterns"])
    urlpatterns.append(path("api/v1/", include((module.api_urlpatterns, f"{app}-api"))))
    urlpatterns.append(path("", include((module.urlpatterns, app))))

# Last: a path under /api/ that no route above takes answers a JSON 404, never a page.
urlpatterns.append(re_path(r"^api/", views.api_route_not_found, name="api-route-not-found"))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
