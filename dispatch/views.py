"""The dispatcher console: a depot's day on a map and a timeline, with re-plan actions."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from dispatch import disruptions, selectors, services
from dispatch.errors import DispatchError
from dispatch.forms import DayForm, DisruptionForm
from dispatch.models import Depot, Disruption, Vehicle
from merchants.access import Perm, access_for, staff_page


def _depot_today(depot: Depot) -> dt.date:
    return clock.now().astimezone(ZoneInfo(depot.time_zone)).date()


def _day_from(request: HttpRequest, data) -> tuple[DayForm, Depot | None, dt.date | None]:
    """The depot and day asked for, among the depots the user's merchants are served from."""
    depots = selectors.depot_list_for(merchant_ids=access_for(request).merchant_ids(Perm.DISPATCH_VIEW))
    first = depots[0] if depots else None
    initial = {"depot": first.pk if first else None, "date": _depot_today(first) if first else clock.now().date()}
    form = DayForm({**initial, **{k: v for k, v in data.items() if k in ("depot", "date") and v}}, depots=depots)
    if not form.is_valid():
        return form, None, None
    return form, form.cleaned_data["depot"], form.cleaned_data["date"]


def _console_url(depot: Depot, date: dt.date) -> str:
    return f"{reverse('dispatch:console')}?{urlencode({'depot': depot.pk, 'date': date.isoformat()})}"


def _console_render(request: HttpRequest, form: DayForm, depot: Depot | None, date: dt.date | None,
                    disruption_form: DisruptionForm | None = None, status: int = 200) -> HttpResponse:
    access = access_for(request)
    seen = access.merchant_ids(Perm.DISPATCH_VIEW)
    context = {"form": form, "depot": depot, "date": date, "plan": None,
               "tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}
    if depot is not None:
        plan = selectors.plan_active_for_day(depot=depot, date=date)
        context["job_counts"] = selectors.day_job_counts(depot=depot, date=date, merchant_ids=seen)
        context["is_today"] = date == _depot_today(depot)
        context["may_replan"] = _may_replan(request, depot, date)
        context["may_change_fleet"] = access.may(Perm.FLEET_ACT)
        context["disruptions"] = disruptions.disruptions_for_day(depot=depot, date=date)
        context["windows_at_risk"] = disruptions.windows_at_risk(depot=depot, date=date, merchant_ids=seen)
        context["deliveries_at_risk"] = sum(w.count for w in context["windows_at_risk"])
        context["now"] = clock.now()
        if access.may(Perm.FLEET_ACT):
            context["disruption_form"] = disruption_form or DisruptionForm(depot=depot, initial=_disruption_initial(
                depot, date))
        if plan is not None:
            routes = selectors.plan_routes_loaded(plan=plan)
            context.update(
                plan=plan,
                routes=routes,
                figures=selectors.plan_figures(plan=plan, routes=routes),
                timeline=selectors.plan_timeline(plan=plan, routes=routes, merchant_ids=seen),
                unassigned=selectors.plan_unassigned_jobs(plan=plan, merchant_ids=seen),
                diff=selectors.plan_diff_rows(plan=plan, merchant_ids=seen),
                data_url=f"{reverse('dispatch:console-data')}?{urlencode({'depot': depot.pk, 'date': date})}",
            )
    return render(request, "dispatch/console.html", context, status=status)


@staff_page(Perm.DISPATCH_VIEW)
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """A depot's day. Merchant staff see their own stops in full and the other merchants' stops masked."""
    form, depot, date = _day_from(request, request.GET)
    # A bad depot or day in the query is the caller's mistake; the page still renders with the form's errors.
    status = 400 if depot is None and form.errors and Depot.objects.exists() else 200
    return _console_render(request, form, depot, date, status=status)


@staff_page(Perm.DISPATCH_VIEW)
@require_GET
def console_data(request: HttpRequest) -> JsonResponse:
    form, depot, date = _day_from(request, request.GET)
    if depot is None:
        return JsonResponse({"error": {"code": "invalid_request", "message": "Choose a depot and a day.",
                                       "fields": form.errors.get_json_data()}}, status=400)
    plan = selectors.plan_active_for_day(depot=depot, date=date)
    if plan is None:
        return JsonResponse({"plan": None, "depot": {"name": depot.name, "lat": depot.lat, "lng": depot.lng},
                             "routes": [], "unassigned": []})
    routes = selectors.plan_routes_loaded(plan=plan)
    return JsonResponse(selectors.plan_map_data(plan=plan, routes=routes,
                                                merchant_ids=access_for(request).merchant_ids(Perm.DISPATCH_VIEW)))


def _may_replan(request: HttpRequest, depot: Depot, date: dt.date) -> bool:
    """A re-plan is the fleet's for every merchant on the day: merchant staff may ask for one only for a day that
    holds their jobs (it never saves a worse plan, so asking harms nobody's promise)."""
    return selectors.depot_serves(depot=depot, date=date,
                                  merchant_ids=access_for(request).merchant_ids(Perm.REPLAN))


def _announce(request: HttpRequest, depot: Depot, date: dt.date, before_id: int | None, what: str) -> None:
    plan = selectors.plan_active_for_day(depot=depot, date=date)
    if plan is not None and plan.pk != before_id:
        diff = plan.diff or {}
        messages.success(request, _("%(what)s: plan version %(version)s is live — %(moved)d stops moved, "
                                    "%(risk)d windows at risk, %(unassigned)d unassigned.") % {
            "what": what, "version": plan.version, "moved": len(diff.get("moved", [])),
            "risk": len(diff.get("at_risk", [])), "unassigned": len(plan.unassigned)})
    else:
        messages.info(request, _("%(what)s: the re-plan is queued; refresh in a few seconds.") % {"what": what})


@staff_page(Perm.REPLAN)
@require_POST
def replan(request: HttpRequest) -> HttpResponse:
    form, depot, date = _day_from(request, request.POST)
    if depot is None:
        messages.error(request, _("Choose a depot and a day."))
        return redirect("dispatch:console")
    if not _may_replan(request, depot, date):
        raise PermissionDenied("This day holds none of your merchants' deliveries.")
    before = selectors.plan_active_for_day(depot=depot, date=date)
    services.plan_replan_ask(depot=depot, date=date)
    _announce(request, depot, date, before.pk if before else None, _("Re-plan") if before else _("Plan"))
    return redirect(_console_url(depot, date))


@staff_page(Perm.FLEET_ACT)
@require_POST
def vehicle_lost(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    vehicle = get_object_or_404(Vehicle.objects.select_related("depot"), pk=vehicle_id)
    date = _depot_today(vehicle.depot)
    before = selectors.plan_active_for_day(depot=vehicle.depot, date=date)
    try:
        replanning = services.vehicle_mark_lost(vehicle=vehicle)
    except DispatchError as error:
        messages.error(request, error.message)
        return redirect(_console_url(vehicle.depot, date))
    what = _("%(vehicle)s marked lost") % {"vehicle": vehicle.code}
    if replanning:
        _announce(request, vehicle.depot, date, before.pk if before else None, what)
    else:
        messages.info(request, _("%(what)s; today has no plan to redo.") % {"what": what})
    return redirect(_console_url(vehicle.depot, date))


# --- Disruptions -----------------------------------------------------------------------------


def _disruption_initial(depot: Depot, date: dt.date) -> dict:
    """The form starts on the coming hour of the day shown (or 08:00 on a later day), for four hours."""
    tz = ZoneInfo(depot.time_zone)
    now = clock.now().astimezone(tz)
    if date == now.date():
        start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    else:
        start = dt.datetime.combine(date, dt.time(8), tzinfo=tz)
    return {"depot": depot.pk, "starts_at": start, "ends_at": start + dt.timedelta(hours=4), "slowdown_percent": 30}


@staff_page(Perm.FLEET_ACT)
@require_POST
def disruption_create(request: HttpRequest) -> HttpResponse:
    """A dispatcher slows one of the depot's zones for a period; the console shows the result or says what to fix."""
    day_form, depot, date = _day_from(request, request.POST)
    if depot is None:
        messages.error(request, _("Choose a depot and a day."))
        return redirect("dispatch:console")
    form = DisruptionForm(request.POST, depot=depot)
    # The dispatcher types the depot's local time.
    with timezone.override(ZoneInfo(depot.time_zone)):
        valid = form.is_valid()
    if valid:
        try:
            disruption = disruptions.disruption_create(
                zone=form.cleaned_data["zone"], starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"], speed_factor=form.speed_factor,
                reason=form.cleaned_data["reason"], source=Disruption.Source.DISPATCHER, depot=depot,
                created_by=request.user,
            )
        except DispatchError as error:
            for field, errors in (error.fields or {"__all__": [error.message]}).items():
                name = {"speed_factor": "slowdown_percent"}.get(field, field)
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("%(zone)s is %(percent)s %% slower until %(end)s; the days it touches "
                                        "re-plan now and customers at risk are warned.") % {
                "zone": disruption.zone.name, "percent": disruption.slowdown_percent,
                "end": disruption.ends_at.astimezone(ZoneInfo(depot.time_zone)).strftime("%a %d %b %H:%M")})
            return redirect(_console_url(depot, date))
    return _console_render(request, day_form, depot, date, disruption_form=form, status=400)


@staff_page(Perm.FLEET_ACT)
@require_POST
def disruption_end(request: HttpRequest, disruption_id: int) -> HttpResponse:
    disruption = get_object_or_404(Disruption.objects.select_related("zone__depot"), pk=disruption_id)
    depot = disruption.zone.depot
    _form, _depot, date = _day_from(request, request.POST)
    date = date or _depot_today(depot)
    try:
        ended = disruptions.disruption_end(disruption=disruption)
    except DispatchError as error:
        messages.error(request, error.message)
        return redirect(_console_url(depot, date))
    if ended:
        messages.success(request, _("The slowdown in %(zone)s is over; the days it touched re-plan.") % {
            "zone": disruption.zone.name})
    else:
        messages.success(request, _("The slowdown in %(zone)s was withdrawn before it began.") % {
            "zone": disruption.zone.name})
    return redirect(_console_url(depot, date))
