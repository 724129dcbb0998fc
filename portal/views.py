from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from portal.health import health_checks
from portal.home import home_links


@never_cache
def healthz(request):
    checks = health_checks()
    ok = all(check.ok for check in checks)
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    if not ok:
        body["failing"] = [check.name for check in checks if not check.ok]
    return JsonResponse(body, status=200 if ok else 503)


def home(request):
    return render(request, "portal/home.html", {"links": home_links()})
