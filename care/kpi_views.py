"""The KPI page and its CSV files: parse the filters, scope them to the user's merchants, render."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from care.forms import KpiFilterForm
from care.kpi_report import KPI_KEYS, kpi_report, kpi_section, section_csv
from care.kpis import KpiScope, fleet_time_zone
from core import clock
from dispatch.models import Zone
from merchants.access import Perm, access_for, staff_page
from merchants.models import Merchant


def _filters(request):
    """The bound filter form and, when it is valid, the scope it asks for and whether fleet figures show."""
    access = access_for(request)
    reachable = access.merchant_ids(Perm.CARE_VIEW)
    merchants = Merchant.objects.order_by("name")
    if reachable is not None:
        merchants = merchants.filter(pk__in=reachable)
    tz = fleet_time_zone()
    today = clock.now().astimezone(tz).date()
    data = request.GET.copy()
    if not data.get("start") and not data.get("end"):
        # The last fortnight, written into the date boxes so the manager sees the range being shown.
        data["start"], data["end"] = (today - dt.timedelta(days=13)).isoformat(), today.isoformat()
    form = KpiFilterForm(data, merchants=list(merchants), zones=list(Zone.objects.order_by("name")), today=today)
    if not form.is_valid():
        return form, None, False
    data = form.cleaned_data
    picked = data["merchant_obj"]
    scope = KpiScope(
        first=data["start"], last=data["end"], tz=tz, zone_id=data["zone_obj"].pk if data["zone_obj"] else None,
        merchant_ids=frozenset({picked.pk}) if picked else reachable,
    )
    # The fleet's distance and cost are the platform's figures: its staff see them, a merchant's staff do not.
    return form, scope, reachable is None


@staff_page(Perm.CARE_VIEW)
@require_GET
def care_kpis(request):
    form, scope, fleet_figures = _filters(request)
    if scope is None:
        return render(request, "care/kpis.html", {"form": form, "sections": [], "section": "kpis"}, status=400)
    return render(request, "care/kpis.html", {
        "form": form, "scope": scope, "sections": kpi_report(scope=scope, fleet_figures=fleet_figures),
        "filters": urlencode({"start": scope.first, "end": scope.last, "merchant": form.cleaned_data["merchant"],
                              "zone": form.cleaned_data["zone"]}),
        "section": "kpis",
    })


@staff_page(Perm.CARE_VIEW)
@require_GET
def care_kpis_csv(request):
    """One KPI's table as a CSV file: `?kpi=<key>` plus the page's filters."""
    key = request.GET.get("kpi", "")
    if key not in KPI_KEYS:
        return HttpResponse(f"Say which KPI to export: kpi= one of {', '.join(KPI_KEYS)}.\n", status=400,
                            content_type="text/plain; charset=utf-8")
    form, scope, fleet_figures = _filters(request)
    if scope is None:
        return HttpResponse(form.problems() + "\n", status=400, content_type="text/plain; charset=utf-8")
    section = kpi_section(key=key, scope=scope, fleet_figures=fleet_figures)
    if not section.shown:
        return HttpResponse(section.empty + "\n", status=403, content_type="text/plain; charset=utf-8")
    response = HttpResponse(section_csv(section), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kpi-{key}-{scope.first}-{scope.last}.csv"'
    return response
